package api

import (
	"net/http"
	"strconv"
	"sync"
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

	// The series of each label combination seen, looked up in a map
	// rather than through prometheus's label hashing and checks on every
	// request. Label values are bounded, so these maps are too.
	httpSeries cache[httpKey, httpSeries]
	execSeries cache[execKey, prometheus.Counter]
	modSeries  cache[string, moduleSeries]
}

type httpKey struct {
	route, method string
	status        int
}

type httpSeries struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

type execKey struct{ module, outcome string }

type moduleSeries struct {
	duration prometheus.Observer
	bundles  prometheus.Counter
}

// cache maps label values to their series, creating each once.
type cache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

func (c *cache[K, V]) get(k K, create func() V) V {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return v
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok = c.m[k]; !ok {
		if c.m == nil {
			c.m = map[K]V{}
		}
		v = create()
		c.m[k] = v
	}
	return v
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
	s := m.httpSeries.get(httpKey{route, method, status}, func() httpSeries {
		return httpSeries{
			requests: m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: m.httpDuration.WithLabelValues(route, method),
		}
	})
	s.requests.Inc()
	s.duration.Observe(d.Seconds())
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
	m.execSeries.get(execKey{module, outcome}, func() prometheus.Counter {
		return m.executions.WithLabelValues(module, outcome)
	}).Inc()
	m.module(module).duration.Observe(d.Seconds())
}

func (m *metrics) observeBundles(module string, n int) {
	m.module(module).bundles.Add(float64(n))
}

func (m *metrics) module(name string) moduleSeries {
	return m.modSeries.get(name, func() moduleSeries {
		return moduleSeries{duration: m.execDuration.WithLabelValues(name), bundles: m.bundles.WithLabelValues(name)}
	})
}
