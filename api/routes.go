package api

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes lists every endpoint of the contract's section 2. Every request
// gets its id first, then is instrumented and guarded against panics; every
// /v1 route is behind the engine's guard (v1).
func (s *Server) routes() *chi.Mux {
	r := chi.NewRouter()
	r.Use(s.withRequestID, s.instrument, s.recoverer)
	r.NotFound(s.v1Guarded(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errNotFound) }))
	r.MethodNotAllowed(s.v1Guarded(func(w http.ResponseWriter, r *http.Request) { s.writeError(w, r, errMethod) }))

	get, post := http.MethodGet, http.MethodPost
	r.Method(get, "/healthz", http.HandlerFunc(s.handleHealthz))
	r.Method(get, "/readyz", http.HandlerFunc(s.handleReadyz))
	r.Method(get, "/metrics", promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{}))
	r.Method(get, "/v1/manifest", s.v1(ignoreBody(s.handleManifest)))
	r.Method(get, "/v1/openapi.json", s.v1(ignoreBody(s.handleOpenAPI)))
	r.Method(post, "/v1/connection/verify", s.v1(s.handleVerify))
	r.Method(post, "/v1/rpc/{name}", s.v1(s.handleRPC))
	r.Method(post, "/v1/modules/{name}/execute", s.v1(s.handleExecute))
	return r
}

// bodyHandler serves a /v1 request whose body v1 has read and checked.
type bodyHandler func(w http.ResponseWriter, r *http.Request, body []byte)

func ignoreBody(h http.HandlerFunc) bodyHandler {
	return func(w http.ResponseWriter, r *http.Request, _ []byte) { h(w, r) }
}

// v1 guards h as every /v1 request is guarded: the engine's key, the body
// read once (capped), its signature. h gets the body as an argument; only
// this guard reads it.
func (s *Server) v1(h bodyHandler) http.Handler {
	return s.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := s.readBody(w, r)
		if err == nil {
			err = s.verifySignature(r, body)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		h(w, r, body)
	}))
}

// v1Guarded answers a /v1 path no route matches (404, 405) only past the
// same guard as the routes, so a caller without a valid key learns nothing
// of the API's paths: it gets 401 like everywhere under /v1.
func (s *Server) v1Guarded(h http.HandlerFunc) http.HandlerFunc {
	guarded := s.v1(ignoreBody(h))
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
			guarded.ServeHTTP(w, r)
			return
		}
		h(w, r)
	}
}
