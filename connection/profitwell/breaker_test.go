package profitwell

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func circuitGauge(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "connector_upstream_circuit_open" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("connector_upstream_circuit_open is not exported")
	return 0
}

func TestCircuitOpensOnRepeatedFailuresAndRecovers(t *testing.T) {
	t.Parallel()
	var status atomic.Int32
	status.Store(http.StatusBadGateway)
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
		respond(w, int(status.Load()), `{"id":"c1","name":"Co"}`)
	})
	reg := prometheus.NewRegistry()
	cfg := testConfig(up.URL)
	cfg.MaxAttempts = 1
	cfg.BreakerFailures = 3
	cfg.BreakerOpenFor = 150 * time.Millisecond
	cfg.Registerer = reg
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))

	for range 3 {
		assertKind(t, errOf(s.CompanySettings(t.Context())), KindUnavailable)
	}
	assert.Equal(t, 3, up.count())
	assert.Equal(t, 1.0, circuitGauge(t, reg))

	// Open: this token's calls to this endpoint are refused at once,
	// nothing sent.
	e := assertKind(t, errOf(s.CompanySettings(t.Context())), KindUnavailable)
	assert.Contains(t, e.Message, "circuit open")
	assert.Equal(t, 150*time.Millisecond, e.RetryAfter)
	assert.Equal(t, 3, up.count(), "no upstream call while open")

	// After the open period one probe passes; success closes the circuit.
	status.Store(http.StatusOK)
	time.Sleep(200 * time.Millisecond)
	_, err := s.CompanySettings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 0.0, circuitGauge(t, reg))
}

// One token's slow /v2/metrics/ (past the transport's response header
// timeout, which ProfitWell's slow answers hit) opens only that token's
// circuit for that endpoint: another token's metrics and the same token's
// other endpoints still reach ProfitWell.
func TestOneTenantsSlowEndpointOpensOnlyItsOwnCircuit(t *testing.T) {
	t.Parallel()
	const slowToken = "slow-tenant-token-1"
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == slowToken && strings.HasPrefix(r.URL.Path, "/v2/metrics/") {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
		if strings.HasPrefix(r.URL.Path, "/v2/metrics/") {
			respond(w, http.StatusOK, `{"data":{}}`)
			return
		}
		respond(w, http.StatusOK, `[]`)
	})
	reg := prometheus.NewRegistry()
	cfg := testConfig(up.URL)
	cfg.MaxAttempts = 1
	cfg.BreakerFailures = 2
	cfg.BreakerOpenFor = time.Minute
	cfg.Registerer = reg
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}}
	c := newTestClient(t, cfg)
	slow := c.Session(NewToken(slowToken))
	for range 2 {
		assertKind(t, errOf(slow.MonthlyMetrics(t.Context(), MetricsQuery{})), KindUnavailable)
	}
	e := assertKind(t, errOf(slow.MonthlyMetrics(t.Context(), MetricsQuery{})), KindUnavailable)
	assert.Contains(t, e.Message, "circuit open")
	assert.Equal(t, 1.0, circuitGauge(t, reg), "one circuit open")

	other := c.Session(NewToken("another-tenant-token"))
	_, err := other.MonthlyMetrics(t.Context(), MetricsQuery{})
	require.NoError(t, err, "another tenant's same endpoint is not refused")
	assert.Equal(t, 1, other.Requests())
	_, err = slow.ListPlans(t.Context())
	require.NoError(t, err, "the same tenant's other endpoint is not refused")
	assert.Equal(t, 1.0, circuitGauge(t, reg))
}

func TestOneTenantsRefusalsNeverOpenTheCircuit(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(r.URL.Path, "/plans/"):
			respond(w, http.StatusTooManyRequests, `{"detail":"Request was throttled. Expected available in 60 seconds."}`)
		case strings.Contains(r.URL.Path, "/customers/"):
			respond(w, http.StatusNotFound, `{"detail":"Not found."}`)
		default:
			respond(w, http.StatusBadRequest, `{"email":["This field is required."]}`)
		}
	})
	cfg := testConfig(up.URL)
	cfg.MaxAttempts = 1
	cfg.BreakerFailures = 2
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	for range 5 {
		assertKind(t, func() error { _, err := s.ListPlans(t.Context()); return err }(), KindRateLimited)
		assertKind(t, func() error { _, err := s.GetCustomer(t.Context(), "x"); return err }(), KindNotFound)
		assertKind(t, s.DeleteUser(t.Context(), "u"), KindInvalid)
	}
	assert.Equal(t, 15, up.count(), "every call reached ProfitWell: the circuit stayed closed")
}

func TestACallersShortDeadlineDoesNotOpenTheCircuit(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		respond(w, http.StatusOK, `{}`)
	})
	cfg := testConfig(up.URL)
	cfg.MaxAttempts = 1
	cfg.BreakerFailures = 2
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	for range 4 {
		short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		assertKind(t, s.APIStatus(short), KindTimeout)
		cancel()
	}
	require.NoError(t, s.APIStatus(t.Context()), "the circuit is still closed")
}

func TestBreakerCanBeDisabled(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { respond(w, http.StatusInternalServerError, `oops`) })
	reg := prometheus.NewRegistry()
	cfg := testConfig(up.URL)
	cfg.MaxAttempts = 1
	cfg.BreakerFailures = -1
	cfg.Registerer = reg
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	for range 8 {
		assertKind(t, s.APIStatus(t.Context()), KindUnavailable)
	}
	assert.Equal(t, 8, up.count())
	assert.Equal(t, 0.0, circuitGauge(t, reg), "a disabled breaker never opens")
}

// errOf keeps the error of a two-valued call.
func errOf[T any](_ T, err error) error { return err }
