package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the contract's section 2.
func (s *Server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.requestID, s.instrument, s.recoverer)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errMethod) })

	get, post := http.MethodGet, http.MethodPost
	s.handle(r, get, "/healthz", http.HandlerFunc(s.handleHealthz))
	s.handle(r, get, "/readyz", http.HandlerFunc(s.handleReadyz))
	s.handle(r, get, "/metrics", promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{}))

	// A group, not a mounted sub-router: one route lookup per request.
	r.Group(func(r chi.Router) {
		r.Use(s.authenticate, s.readBody, s.verifySignature)
		s.handle(r, get, "/v1/manifest", http.HandlerFunc(s.handleManifest))
		s.handle(r, get, "/v1/openapi.json", http.HandlerFunc(s.handleOpenAPI))
		s.handle(r, post, "/v1/connection/verify", http.HandlerFunc(s.handleVerify))
		s.handle(r, post, "/v1/rpc/{name}", http.HandlerFunc(s.handleRPC))
		s.handle(r, post, "/v1/modules/{name}/execute", http.HandlerFunc(s.handleExecute))
	})
	return r
}

// handle registers h for method and pattern on r. The request is labelled
// with pattern, which is chi's route pattern for it (TestRouteLabels),
// without chi building that string for every request.
func (s *Server) handle(r chi.Router, method, pattern string, h http.Handler) {
	r.Method(method, pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if st := stateOf(req.Context()); st != nil {
			st.route = pattern
		}
		h.ServeHTTP(w, req)
	}))
}
