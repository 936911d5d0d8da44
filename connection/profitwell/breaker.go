package profitwell

import (
	"errors"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/sony/gobreaker/v2"
)

// DefaultBreakerOpenFor is how long an open circuit refuses calls.
const DefaultBreakerOpenFor = 30 * time.Second

// defaultBreakerFailures consecutive failures open a circuit.
const defaultBreakerFailures = 5

// maxBreakers bounds the circuits kept (one per token and endpoint); the
// least recently used is forgotten first, which at worst lets one more probe
// through.
const maxBreakers = 10_000

// breaker holds one circuit per token and endpoint, so a tenant's failing or
// slow endpoint (or one a caller aims makeApiCall at on purpose) refuses only
// that tenant's calls to that endpoint, never other tenants or endpoints. A
// circuit counts only ProfitWell's own failures: 5xx answers, connection
// failures and header timeouts. A 429 or a 4xx concerns the request, so it
// never opens one; nor does a caller's own short deadline.
type breaker struct {
	circuits *lru.Cache[string, *gobreaker.TwoStepCircuitBreaker[struct{}]]
	failures int
	openFor  time.Duration
	m        *metrics
}

// errUpstreamFailed marks an attempt the breaker counts as a failure.
var errUpstreamFailed = errors.New("upstream failed")

func newBreaker(failures int, openFor time.Duration, m *metrics) *breaker {
	if failures < 0 {
		return &breaker{openFor: openFor}
	}
	m.circuit.Set(0)
	b := &breaker{failures: failures, openFor: openFor, m: m}
	b.circuits, _ = lru.NewWithEvict(maxBreakers, func(_ string, cb *gobreaker.TwoStepCircuitBreaker[struct{}]) {
		if cb.State() == gobreaker.StateOpen {
			m.circuit.Dec()
		}
	})
	return b
}

// getOrAdd returns key's value in c, adding mk's when there is none (of two
// racing callers' values, the first added is kept and returned to both).
func getOrAdd[V any](c *lru.Cache[string, V], key string, mk func() V) V {
	if v, ok := c.Get(key); ok {
		return v
	}
	v := mk()
	if prev, ok, _ := c.PeekOrAdd(key, v); ok {
		return prev
	}
	return v
}

// allow asks the circuit of a token (its hash) and an endpoint, made on
// first use, to send one request. On success done must be called with the
// attempt's outcome (errUpstreamFailed or nil).
func (b *breaker) allow(tokenHash string, rq *request) (done func(error), err error) {
	if b.circuits == nil {
		return func(error) {}, nil
	}
	return getOrAdd(b.circuits, tokenHash+"\x00"+breakerEndpoint(rq), func() *gobreaker.TwoStepCircuitBreaker[struct{}] {
		return gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        "profitwell",
			MaxRequests: 1,
			Timeout:     b.openFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(b.failures) },
			OnStateChange: func(_ string, from, to gobreaker.State) {
				switch {
				case to == gobreaker.StateOpen:
					b.m.circuit.Inc()
				case from == gobreaker.StateOpen:
					b.m.circuit.Dec()
				}
			},
		})
	}).Allow()
}

// breakerEndpoint names the endpoint a request's circuit belongs to: its
// endpoint template, or for a raw call the first segment under /v2/ (so
// /v2/metrics/monthly/ and /v2/plans/x/ are separate, and ids do not make
// new circuits).
func breakerEndpoint(rq *request) string {
	if !rq.raw {
		return rq.op
	}
	resource, _, _ := strings.Cut(strings.TrimPrefix(rq.path, "/v2/"), "/")
	return rq.op + ":" + resource
}

// upstreamFailed tells whether an attempt counts against ProfitWell.
func upstreamFailed(status int, aerr *Error) error {
	// With no answer at all, a connection failure or ProfitWell's header
	// timeout counts; the caller's own deadline does not.
	if status >= 500 || status == 0 && aerr != nil && aerr.Kind == KindUnavailable {
		return errUpstreamFailed
	}
	return nil
}
