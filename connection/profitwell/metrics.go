package profitwell

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// rawEndpoint is the endpoint label of every Session.Do request, whatever its
// path, so labels stay bounded.
const rawEndpoint = "raw"

// metrics are the client's Prometheus collectors, registered only when the
// client has a Registerer. Labels are bounded: endpoint is a template
// ("GET /v2/users/{id}/") or "raw"; status_class is 2xx, 3xx, 4xx, 5xx or
// error.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	pacing   prometheus.Histogram
	circuit  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_upstream_requests_total",
			Help: "HTTP requests sent to ProfitWell (every attempt), by endpoint template and status class.",
		}, []string{"endpoint", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "connector_upstream_request_duration_seconds",
			Help:    "Duration of one HTTP attempt to ProfitWell, headers to end of body.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "connector_upstream_retries_total",
			Help: "Attempts to ProfitWell that were retries of an earlier attempt.",
		}, []string{"endpoint"}),
		pacing: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "connector_upstream_pacing_wait_seconds",
			Help:    "Time spent waiting for the per-token rate limiter before a request.",
			Buckets: []float64{0, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		circuit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "connector_upstream_circuit_open",
			Help: "Circuits (one per token and endpoint) refusing calls to ProfitWell after repeated failures.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	registerInto(reg, &m.circuit, &err)
	registerInto(reg, &m.requests, &err)
	registerInto(reg, &m.duration, &err)
	registerInto(reg, &m.retries, &err)
	registerInto(reg, &m.pacing, &err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// registerInto registers *c, or replaces it with the identical collector a
// previous client registered on the same registry, so two clients never
// panic. It does nothing once *err is set.
func registerInto[C prometheus.Collector](reg prometheus.Registerer, c *C, err *error) {
	if *err != nil {
		return
	}
	var are prometheus.AlreadyRegisteredError
	if *err = reg.Register(*c); errors.As(*err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			*c, *err = existing, nil
		}
	}
}

// statusClass is the status_class label of an answer's status; 0 (no
// answer) is "error".
func statusClass(status int) string {
	if status >= 200 && status < 600 {
		return [...]string{"2xx", "3xx", "4xx", "5xx"}[status/100-2]
	}
	return "error"
}

func (m *metrics) observeRequest(endpoint string, status int, d time.Duration) {
	m.requests.WithLabelValues(endpoint, statusClass(status)).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}
