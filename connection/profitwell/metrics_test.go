package profitwell

import (
	"bytes"
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetricsRegistration(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(200, `[]`))
	reg := prometheus.NewRegistry()
	cfg := testConfig(up.URL)
	cfg.Registerer = reg
	c1 := newTestClient(t, cfg)
	c2 := newTestClient(t, cfg) // same registry: collectors are shared, no panic
	ctx := context.Background()
	_, err := c1.Session(NewToken(testToken)).ListPlans(ctx)
	require.NoError(t, err)
	_, err = c2.Session(NewToken(testToken)).ListPlans(ctx)
	require.NoError(t, err)
	assert.Equal(t, float64(2), metricSum(t, reg, "connector_upstream_requests_total"))
	assert.Equal(t, float64(2), metricSum(t, reg, "connector_upstream_request_duration_seconds"))

	// A foreign collector under our name is an error, not a panic.
	other := prometheus.NewRegistry()
	other.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "connector_upstream_retries_total", Help: "x"}))
	cfg.Registerer = other
	_, err = New(cfg)
	assert.Error(t, err)

	assert.Equal(t, "2xx", statusClass(204))
	assert.Equal(t, "3xx", statusClass(301))
	assert.Equal(t, "4xx", statusClass(429))
	assert.Equal(t, "5xx", statusClass(503))
	assert.Equal(t, "error", statusClass(0))
}

func TestLoggerFromContext(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(404, `{"detail":"Not found."}`))
	var base, scoped bytes.Buffer
	cfg := testConfig(up.URL)
	cfg.Logger = zerolog.New(&base)
	s := newTestClient(t, cfg).Session(NewToken(testToken))

	_, err := s.GetPlan(context.Background(), "p")
	assertKind(t, err, KindNotFound)
	assert.Contains(t, base.String(), `"endpoint":"GET /v2/plans/{id}/"`)
	assert.Contains(t, base.String(), `"status":404`)
	assert.Contains(t, base.String(), `"attempt":1`)
	assert.Contains(t, base.String(), `"error_kind":"not_found"`)
	assert.Contains(t, base.String(), `"duration_ms":`)

	l := zerolog.New(&scoped).With().Str("request_id", "req-1").Logger()
	_, err = s.GetPlan(l.WithContext(context.Background()), "p")
	assertKind(t, err, KindNotFound)
	assert.Contains(t, scoped.String(), `"request_id":"req-1"`)
	assert.Equal(t, 1, bytes.Count(base.Bytes(), []byte("\n")), "the context logger took the line")
}
