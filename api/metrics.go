package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus series. Labels take bounded values
// only: route patterns, module names from the registry, error types.
type metrics struct {
	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	executions   *prometheus.CounterVec
	execDuration *prometheus.HistogramVec
	bundles      *prometheus.CounterVec
	panics       prometheus.Counter
	// signatureFailures counts requests refused by signature checks.
	signatureFailures prometheus.Counter
	// idempotency counts keyed writes by result.
	idempotency *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "connector_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		executions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_module_executions_total",
			Help: "Module executions, by module and outcome (success or the error type).",
		}, []string{"module", "outcome"}),
		execDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "connector_module_execution_duration_seconds",
			Help:    "Time to run a module execution, by module.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"module"}),
		bundles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_module_bundles_total",
			Help: "Output bundles returned, by module.",
		}, []string{"module"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connector_panics_total",
			Help: "Panics recovered while serving requests.",
		}),
		idempotency: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_idempotent_requests_total",
			Help: "Writes sent with an idempotency key, by result (executed, replayed, mismatch, in_progress, store_error).",
		}, []string{"result"}),
		signatureFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connector_signature_failures_total",
			Help: "Engine requests refused because their signature was missing, stale, replayed or wrong.",
		}),
	}
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpDuration, m.executions, m.execDuration, m.bundles, m.panics, m.signatureFailures, m.idempotency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observeHTTP(route, method string, status int, d time.Duration) {
	method = methodLabel(method)
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
}

// methodLabel keeps the method label bounded: a method net/http does not
// define (any token is a valid method) is "OTHER".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func (m *metrics) observeExecution(module, outcome string, d time.Duration) {
	m.executions.WithLabelValues(module, outcome).Inc()
	m.execDuration.WithLabelValues(module).Observe(d.Seconds())
}

func (m *metrics) observeBundles(module string, n int) {
	m.bundles.WithLabelValues(module).Add(float64(n))
}
