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

	// Open: refused at once, nothing sent, for every token.
	other := c.Session(NewToken("another-token-000"))
	e := assertKind(t, errOf(other.CompanySettings(t.Context())), KindUnavailable)
	assert.Contains(t, e.Message, "circuit open")
	assert.Equal(t, 150*time.Millisecond, e.RetryAfter)
	assert.Equal(t, 3, up.count(), "no upstream call while open")
	assert.Zero(t, other.Requests(), "a refused call sends nothing")

	// After the open period one probe passes; success closes the circuit.
	status.Store(http.StatusOK)
	time.Sleep(200 * time.Millisecond)
	_, err := s.CompanySettings(t.Context())
	require.NoError(t, err)
	_, err = other.CompanySettings(t.Context())
	require.NoError(t, err)
	assert.Equal(t, 0.0, circuitGauge(t, reg))
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
