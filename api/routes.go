package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the contract's section 2. ServeHTTP
// gives each request its id and state before the router sees it.
func (s *Server) routes() *chi.Mux {
	r := chi.NewRouter()
	outer := []func(http.Handler) http.Handler{s.instrument, s.recoverer}
	r.Use(outer...)
	r.NotFound(s.v1Guarded(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNotFound) }))
	r.MethodNotAllowed(s.v1Guarded(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errMethod) }))

	get, post := http.MethodGet, http.MethodPost
	s.handle(r, get, "/healthz", http.HandlerFunc(s.handleHealthz))
	s.handle(r, get, "/readyz", http.HandlerFunc(s.handleReadyz))
	s.handle(r, get, "/metrics", promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{}))

	// A group, not a mounted sub-router: one route lookup per request.
	r.Group(func(r chi.Router) {
		r.Use(s.v1Middleware()...)
		s.handle(r, get, "/v1/manifest", http.HandlerFunc(s.handleManifest))
		s.handle(r, get, "/v1/openapi.json", http.HandlerFunc(s.handleOpenAPI))
		s.handle(r, post, "/v1/connection/verify", http.HandlerFunc(s.handleVerify))
		s.handle(r, post, "/v1/rpc/{name}", http.HandlerFunc(s.handleRPC))
		s.handle(r, post, executePattern, http.HandlerFunc(s.handleExecute))
	})
	// Executions, nearly every request, skip the route lookup: the same
	// chain as chi builds for the route above, entered by serveWithState.
	s.execute = chi.Chain(outer...).
		Handler(chi.Chain(s.v1Middleware()...).Handler(s.labelled(executePattern, http.HandlerFunc(s.handleExecute))))
	return r
}

const (
	executePattern = "/v1/modules/{name}/execute"
	executePrefix  = "/v1/modules/"
	executeSuffix  = "/execute"
)

// executeName returns the module name of a request chi would route to
// executePattern: POST /v1/modules/<name>/execute with a name that holds no
// slash (an empty one too, which no module has). A path with escapes
// (RawPath set) is left to chi, which routes on the escaped form
// (TestExecuteRouteAgreesWithChi).
func executeName(r *http.Request) (string, bool) {
	p := r.URL.Path
	if r.Method != http.MethodPost || r.URL.RawPath != "" || len(p) < len(executePrefix)+len(executeSuffix) ||
		!strings.HasPrefix(p, executePrefix) || !strings.HasSuffix(p, executeSuffix) {
		return "", false
	}
	name := p[len(executePrefix) : len(p)-len(executeSuffix)]
	if strings.IndexByte(name, '/') >= 0 {
		return "", false
	}
	return name, true
}

// v1Middleware guards every /v1 request: the engine's key, the body read
// once, its signature.
func (s *Server) v1Middleware() []func(http.Handler) http.Handler {
	return []func(http.Handler) http.Handler{s.authenticate, s.readBody, s.verifySignature}
}

// v1Guarded answers a /v1 path no route matches (404, 405) only past the
// same guard as the routes, so a caller without a valid key learns nothing
// of the API's paths: it gets 401 like everywhere under /v1.
func (s *Server) v1Guarded(h http.HandlerFunc) http.HandlerFunc {
	guarded := chi.Chain(s.v1Middleware()...).Handler(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
			guarded.ServeHTTP(w, r)
			return
		}
		h(w, r)
	}
}

// handle registers h for method and pattern on r. The request is labelled
// with pattern, which is chi's route pattern for it (TestRouteLabels),
// without chi building that string for every request.
func (s *Server) handle(r chi.Router, method, pattern string, h http.Handler) {
	r.Method(method, pattern, s.labelled(pattern, h))
}

// labelled names the request's route pattern, then serves it with h.
func (s *Server) labelled(pattern string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if st := stateOf(req.Context()); st != nil {
			st.route = pattern
		}
		h.ServeHTTP(w, req)
	})
}
