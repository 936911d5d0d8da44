// Package api is the connector's HTTP surface: the manifest, connection
// verification, RPCs and module execution for a scenario engine, plus the
// health and metrics endpoints for an orchestrator. It is the only package
// that writes HTTP, and errors.go is the only place where an error becomes a
// contract error.
package api

import (
	"errors"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// Deps is everything the server needs; nothing is global.
type Deps struct {
	Registry *modules.Registry
	Client   *profitwell.Client
	Manifest manifest.Document
	Logger   zerolog.Logger
	// Registerer and Gatherer hold the connector's metrics; /metrics serves
	// the Gatherer.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// APIKeys are the engine keys accepted as "Authorization: Bearer <key>".
	// With none, engine routes are open (sandbox or explicit insecure mode).
	APIKeys []string
	// Verifier, when set, requires a valid Standard Webhooks signature on
	// every engine request (besides the API key, when keys are set).
	Verifier *Verifier
	// Idempotency keeps the answers of writes sent with an Idempotency-Key
	// (or a signed webhook-id); nil means an in-memory store.
	Idempotency idempotency.Store
	// IdempotencyRetention is how long such answers are replayed; 0 means
	// 24 hours.
	IdempotencyRetention time.Duration
	// DefaultTimeout is the execution deadline when the engine sends none.
	DefaultTimeout time.Duration
	// MaxTimeout caps the deadline an engine may ask for.
	MaxTimeout time.Duration
	// MaxBodyBytes caps request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// Rows bounds the list rows in flight; nil means DefaultListRows.
	Rows *RowBudget
	// Ready reports readiness; nil means always ready.
	Ready *atomic.Bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Mounts are handlers served under a path prefix ("/console"), outside
	// the engine routes' guard: each authenticates its own requests.
	Mounts map[string]http.Handler
}

// Server serves the connector's HTTP API.
type Server struct {
	deps     Deps
	keys     [][32]byte
	manifest []byte
	etag     string
	metrics  *metrics
	mux      *chi.Mux
}

// NewServer builds the HTTP handler. It fails when the manifest cannot be
// encoded or metrics cannot be registered.
func NewServer(d Deps) (*Server, error) {
	if d.Registry == nil || d.Client == nil {
		return nil, errors.New("api: registry and client are required")
	}
	if d.DefaultTimeout <= 0 {
		d.DefaultTimeout = 25 * time.Second
	}
	if d.MaxTimeout < d.DefaultTimeout {
		d.MaxTimeout = d.DefaultTimeout
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Ready == nil {
		d.Ready = &atomic.Bool{}
		d.Ready.Store(true)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Idempotency == nil {
		d.Idempotency = idempotency.NewMemory(idempotency.DefaultBudget, d.Now)
	}
	if d.IdempotencyRetention <= 0 {
		d.IdempotencyRetention = 24 * time.Hour
	}
	if d.Rows == nil {
		d.Rows = NewRowBudget(DefaultListRows)
	}
	if d.Registerer == nil {
		reg := prometheus.NewRegistry()
		d.Registerer, d.Gatherer = reg, reg
	}
	body, etag, err := d.Manifest.Encode()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(d.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{deps: d, manifest: body, etag: etag, metrics: m, keys: hashKeys(d.APIKeys)}
	s.mux = s.routes()
	for prefix, h := range d.Mounts {
		s.mux.Mount(prefix, h)
	}
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }
