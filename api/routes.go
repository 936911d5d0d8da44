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

	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
	r.Method(http.MethodGet, "/metrics", promhttp.HandlerFor(s.deps.Gatherer, promhttp.HandlerOpts{}))

	r.Route("/v1", func(r chi.Router) {
		r.Use(s.authenticate, s.readBody, s.verifySignature)
		r.Get("/manifest", s.handleManifest)
		r.Get("/openapi.json", s.handleOpenAPI)
		r.Post("/connection/verify", s.handleVerify)
		r.Post("/rpc/{name}", s.handleRPC)
		r.Post("/modules/{name}/execute", s.handleExecute)
	})
	return r
}
