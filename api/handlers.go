package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/profitwell-connector/connector/connection"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

func (s *Server) handleHealthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleReadyz(w http.ResponseWriter, _ *http.Request) {
	status, text := http.StatusOK, "ready"
	if !s.deps.Ready.Load() {
		status, text = http.StatusServiceUnavailable, "not ready"
	}
	writeJSON(w, status, map[string]string{"status": text})
}

func (s *Server) handleManifest(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", s.etag)
	w.Header().Set("Cache-Control", "no-cache")
	if etagMatches(r.Header.Get("If-None-Match"), s.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.manifest)
}

// executionInfo is the engine's optional description of the run.
type executionInfo struct {
	ID        string `json:"id"`
	Cycle     int    `json:"cycle"`
	TimeoutMs int64  `json:"timeoutMs"`
}

type executeRequest struct {
	Connection map[string]any  `json:"connection"`
	Parameters map[string]any  `json:"parameters"`
	Cursor     string          `json:"cursor"`
	State      json.RawMessage `json:"state"`
	Execution  *executionInfo  `json:"execution"`
}

type executeMeta struct {
	Module           string `json:"module"`
	Returned         int    `json:"returned"`
	HasMore          bool   `json:"hasMore"`
	NextCursor       string `json:"nextCursor,omitempty"`
	UpstreamRequests int    `json:"upstreamRequests"`
}

type executeResponse struct {
	Bundles []any           `json:"bundles"`
	Meta    executeMeta     `json:"meta"`
	State   json.RawMessage `json:"state,omitempty"`
}

func (s *Server) handleExecute(w http.ResponseWriter, r *http.Request, body []byte) {
	start := time.Now()
	spec, known := s.deps.Registry.Spec(chi.URLParam(r, "name"))
	// The request's log fields gain the module (and below the execution
	// id), so the access line and every later line carry them.
	if !known {
		addLogField(r.Context(), "module", "(unknown)")
		s.writeError(w, r, modules.ErrUnknownModule)
		return
	}
	addLogField(r.Context(), "module", spec.Name)

	var req executeRequest
	if err := decodeBody(r, body, &req); err != nil {
		s.finishExecution(w, r, spec.Name, start, err)
		return
	}
	if req.Execution != nil && req.Execution.ID != "" {
		addLogField(r.Context(), "execution_id", safeLogValue(req.Execution.ID))
	}
	// One pass: the connection, the timeout, the parameters, the cursor
	// and the state are checked together and every problem answered at
	// once. A cursor is bound to the connection, so it is checked only
	// with a valid one.
	token, err := connection.Token(req.Connection)
	timeout, terr := s.timeout(req.Execution)
	mreq := modules.Request{Module: spec.Name, Parameters: req.Parameters, State: req.State}
	if err == nil {
		mreq.TokenHash, mreq.Cursor = token.Hash(), req.Cursor
	}
	prepared, perr := s.deps.Registry.Prepare(mreq)
	if err = joinValidation(err, terr, perr); err != nil {
		s.finishExecution(w, r, spec.Name, start, err)
		return
	}

	run := func(w http.ResponseWriter) {
		s.runExecution(w, r, spec.Name, start, token, timeout, req.Parameters, prepared)
	}
	if key, fromHeader := s.idempotencyKey(r, spec); key != "" {
		s.executeOnce(w, r, spec.Name, token.Hash(), key, fromHeader, timeout, &req, run)
		return
	}
	run(w)
}

// runExecution runs the module and writes its answer.
func (s *Server) runExecution(w http.ResponseWriter, r *http.Request, module string, start time.Time,
	token profitwell.Token, timeout time.Duration, params map[string]any, prepared *modules.Prepared) {
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	release, err := s.deps.Rows.acquire(ctx, params)
	if err != nil {
		s.finishExecution(w, r, module, start, s.deadlineError(ctx, err))
		return
	}
	defer release()
	session := s.deps.Client.Session(token)
	out, err := s.deps.Registry.Run(ctx, s.env(session), prepared)
	if err != nil {
		s.finishExecution(w, r, module, start, s.deadlineError(ctx, err))
		return
	}
	bundles := out.Bundles
	if bundles == nil {
		bundles = []any{}
	}
	s.metrics.observeBundles(module, len(bundles))
	s.finishExecution(w, r, module, start, nil)
	logOf(r.Context()).Debug().Int("bundles", len(bundles)).Int("upstream_requests", session.Requests()).Msg("module executed")
	writeExecute(w, executeResponse{
		Bundles: bundles,
		Meta: executeMeta{
			Module: module, Returned: len(bundles), HasMore: out.HasMore,
			NextCursor: out.NextCursor, UpstreamRequests: session.Requests(),
		},
		State: out.State,
	})
}

// finishExecution records the execution's outcome; on error it also writes
// the error answer.
func (s *Server) finishExecution(w http.ResponseWriter, r *http.Request, module string, start time.Time, err error) {
	outcome := "success"
	if err != nil {
		outcome = s.writeError(w, r, err).Type
	}
	s.metrics.observeExecution(module, outcome, time.Since(start))
}

// deadlineError makes sure an execution that ran out of time is reported as
// a timeout even when the module wrapped the context error in another one.
func (s *Server) deadlineError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		if _, upstream := errors.AsType[*profitwell.Error](err); !upstream {
			return errors.Join(err, context.DeadlineExceeded)
		}
	}
	return err
}

// timeout returns the execution's deadline: the engine's timeoutMs capped
// by configuration, or the configured default.
func (s *Server) timeout(e *executionInfo) (time.Duration, error) {
	switch {
	case e == nil || e.TimeoutMs == 0:
		return s.deps.DefaultTimeout, nil
	case e.TimeoutMs < 100:
		return 0, manifest.Invalid("execution.timeoutMs", "must be at least 100")
	case e.TimeoutMs >= s.deps.MaxTimeout.Milliseconds():
		// Compared in milliseconds: a huge timeoutMs would overflow the
		// Duration into an already-passed deadline.
		return s.deps.MaxTimeout, nil
	}
	return time.Duration(e.TimeoutMs) * time.Millisecond, nil
}

func (s *Server) env(session *profitwell.Session) modules.Env {
	return modules.Env{PW: session, Now: s.deps.Now}
}

type verifyResponse struct {
	Verified bool                `json:"verified"`
	Metadata connection.Metadata `json:"metadata"`
}

func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Connection map[string]any `json:"connection"`
	}
	s.answerConnected(w, r, body, &req, &req.Connection, func(ctx context.Context, token profitwell.Token) (any, error) {
		md, err := connection.Verify(ctx, s.deps.Client.Session(token))
		return verifyResponse{Verified: true, Metadata: md}, err
	})
}

func (s *Server) handleRPC(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Connection map[string]any `json:"connection"`
		Parameters map[string]any `json:"parameters"`
		Query      string         `json:"query"`
		Cursor     string         `json:"cursor"`
	}
	s.answerConnected(w, r, body, &req, &req.Connection, func(ctx context.Context, token profitwell.Token) (any, error) {
		return s.deps.Registry.CallRPC(ctx, s.env(s.deps.Client.Session(token)), modules.RPCCall{
			Name: chi.URLParam(r, "name"), TokenHash: token.Hash(), Parameters: req.Parameters, Query: req.Query, Cursor: req.Cursor,
		})
	})
}

// answerConnected decodes the body into dst, reads the private token of its
// connection object conn, and answers with what call returns within the
// default deadline.
func (s *Server) answerConnected(w http.ResponseWriter, r *http.Request, body []byte, dst any, conn *map[string]any,
	call func(context.Context, profitwell.Token) (any, error)) {
	err := decodeBody(r, body, dst)
	var token profitwell.Token
	if err == nil {
		token, err = connection.Token(*conn)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.deps.DefaultTimeout)
	defer cancel()
	res, err := call(ctx, token)
	if err != nil {
		s.writeError(w, r, s.deadlineError(ctx, err))
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// joinValidation merges validation errors so one answer names every bad
// field; any other error wins alone.
func joinValidation(errs ...error) error {
	var problems []manifest.Problem
	for _, err := range errs {
		if err == nil {
			continue
		}
		v, ok := errors.AsType[*manifest.ValidationError](err)
		if !ok {
			return err
		}
		problems = append(problems, v.Problems...)
	}
	if len(problems) == 0 {
		return nil // no allocation on the common path
	}
	return &manifest.ValidationError{Problems: problems}
}

// safeLogValue keeps engine-supplied strings short and printable in logs.
func safeLogValue(s string) string {
	if !validRequestID.MatchString(s) {
		return "(invalid)"
	}
	return s
}

func etagMatches(header, etag string) bool {
	for candidate := range strings.SplitSeq(header, ",") {
		if c := strings.TrimSpace(candidate); c == "*" || c == etag || c == "W/"+etag {
			return true
		}
	}
	return false
}
