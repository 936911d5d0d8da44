package profitwell

import (
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"
)

// DefaultBreakerOpenFor is how long an open circuit refuses calls.
const DefaultBreakerOpenFor = 30 * time.Second

// defaultBreakerFailures opens the circuit after this many consecutive
// failures.
const defaultBreakerFailures = 5

// breaker is one circuit breaker for ProfitWell, shared by every token. It
// counts only ProfitWell's own failures: 5xx answers, connection failures and
// header timeouts. A 429 or a 4xx concerns one tenant's request, so it never
// opens the circuit for everyone; nor does a caller's own short deadline.
type breaker struct {
	cb      *gobreaker.TwoStepCircuitBreaker[struct{}]
	openFor time.Duration
}

// errUpstreamFailed marks an attempt the breaker counts as a failure.
var errUpstreamFailed = errors.New("upstream failed")

func newBreaker(failures int, openFor time.Duration, m *metrics) *breaker {
	if failures < 0 {
		return &breaker{openFor: openFor}
	}
	if failures == 0 {
		failures = defaultBreakerFailures
	}
	m.setCircuitOpen(false)
	return &breaker{
		openFor: openFor,
		cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
			Name:        "profitwell",
			MaxRequests: 1,
			Timeout:     openFor,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(failures) },
			OnStateChange: func(_ string, _, to gobreaker.State) {
				m.setCircuitOpen(to == gobreaker.StateOpen)
			},
		}),
	}
}

// allow asks to send one request. On success done must be called with the
// attempt's outcome (errUpstreamFailed or nil).
func (b *breaker) allow() (done func(error), err error) {
	if b.cb == nil {
		return func(error) {}, nil
	}
	return b.cb.Allow()
}

// upstreamFailed tells whether an attempt counts against ProfitWell.
func upstreamFailed(status int, aerr *attemptError) error {
	if status >= 500 {
		return errUpstreamFailed
	}
	if aerr == nil || status != 0 {
		return nil
	}
	// No answer at all: a connection failure or ProfitWell's header
	// timeout counts; the caller's own deadline does not.
	if aerr.Kind == KindUnavailable {
		return errUpstreamFailed
	}
	return nil
}
