package api

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
)

// requestState is what the server knows about one request. It is the
// request's context itself, wrapping the server's: ServeHTTP copies the
// request once to install it, and every later step reads or fills a field
// instead of adding a context value and copying the request again.
//
// It answers three kinds of key besides its parent's:
//   - its own (stateOf);
//   - chi's RouteCtxKey with a pooled routing context, which chi then uses
//     instead of adding one of its own;
//   - zerolog's context key (zerolog.Ctx) with the request's logger, which
//     adds request_id, and module and execution_id once known, to its lines.
type requestState struct {
	context.Context // the server's context for the request

	rctx  *chi.Context
	id    string
	body  []byte // the raw body, read once by readBody
	route string // the matched route's pattern, set by labelled
	sw    statusWriter

	base        *zerolog.Logger
	module      string
	executionID string
	logReady    atomic.Bool
	logMu       sync.Mutex
	log         zerolog.Logger
}

type requestStateKey struct{}

// zerologKey is the key zerolog.Ctx looks up, learnt by asking it once:
// zerolog keeps the key's type unexported.
var zerologKey = func() any {
	p := &keyProbe{Context: context.Background()}
	zerolog.Ctx(p)
	return p.key
}()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// Value implements context.Context.
func (st *requestState) Value(key any) any {
	switch key {
	case requestStateKey{}:
		return st
	case chi.RouteCtxKey:
		if st.rctx != nil {
			return st.rctx
		}
	}
	if zerologKey != nil && key == zerologKey {
		return st.logger()
	}
	return st.Context.Value(key)
}

// stateOf returns the request's state, nil outside the server. ServeHTTP
// installs it before any middleware or handler runs, so they use it
// without checking.
func stateOf(ctx context.Context) *requestState {
	st, _ := ctx.Value(requestStateKey{}).(*requestState)
	return st
}

// RequestID returns the request id of a request's context.
func RequestID(ctx context.Context) string {
	if st := stateOf(ctx); st != nil {
		return st.id
	}
	return ""
}

// logger is the request's logger: the server's, with the request's fields
// added to every line by a hook (Run). It is made on first use, which costs
// one small allocation; the fields are read when a line is written, so a
// module or execution id learnt later still shows.
func (st *requestState) logger() *zerolog.Logger {
	if !st.logReady.Load() {
		st.logMu.Lock()
		if !st.logReady.Load() {
			st.log = st.base.Hook(st)
			st.logReady.Store(true)
		}
		st.logMu.Unlock()
	}
	return &st.log
}

// Run implements zerolog.Hook for the request's logger.
func (st *requestState) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	st.fields(e)
}

func (st *requestState) fields(e *zerolog.Event) {
	e.Str("request_id", st.id)
	if st.module != "" {
		e.Str("module", st.module)
	}
	if st.executionID != "" {
		e.Str("execution_id", st.executionID)
	}
}

// event starts a line at level with the request's fields first (the access
// line), without making the request's logger.
func (st *requestState) event(level zerolog.Level) *zerolog.Event {
	ev := st.base.WithLevel(level)
	if ev != nil {
		st.fields(ev)
	}
	return ev
}

// setModule names the module an execution runs; the request's later lines
// carry it. Like setExecutionID, it is called before the request's work
// fans out, if it ever does.
func (st *requestState) setModule(name string) { st.module = name }

// setExecutionID records the engine's execution id, as setModule.
func (st *requestState) setExecutionID(id string) { st.executionID = id }

// logOf is the request's logger (zerolog.Ctx outside the server).
func logOf(ctx context.Context) *zerolog.Logger {
	if st := stateOf(ctx); st != nil {
		return st.logger()
	}
	return zerolog.Ctx(ctx)
}

// routeContexts pools chi's routing contexts, as chi's own mux does.
var routeContexts = sync.Pool{New: func() any { return chi.NewRouteContext() }}

// serveWithState gives the request its id (the inbound X-Request-Id when it
// is short and printable), echoes it, installs the request's state and
// serves it: an execution directly with its route's chain, anything else
// with mux.
func (s *Server) serveWithState(w http.ResponseWriter, r *http.Request, mux *chi.Mux) {
	id := r.Header.Get("X-Request-Id")
	if !validRequestID.MatchString(id) {
		id = newRequestID()
	}
	w.Header()["X-Request-Id"] = []string{id}
	rctx := routeContexts.Get().(*chi.Context)
	rctx.Reset()
	rctx.Routes = mux
	st := &requestState{Context: r.Context(), rctx: rctx, id: id, base: &s.deps.Logger}
	if name, ok := executeName(r); ok {
		// What chi's routing would record for the execute route.
		rctx.URLParams.Add("name", name)
		rctx.RoutePatterns = append(rctx.RoutePatterns, executePattern)
		r = r.WithContext(st)
		r.Pattern = executePattern
		s.execute.ServeHTTP(w, r)
	} else {
		mux.ServeHTTP(w, r.WithContext(st))
	}
	routeContexts.Put(rctx)
}
