package redisstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/sony/gobreaker/v2"
)

// ErrUnavailable reports that Redis was not asked because it failed
// recently: the breaker answers at once instead of letting every request
// wait on a dead server.
var ErrUnavailable = errors.New("redis unavailable")

// breakerOpenFor is how long Redis is left alone after a failure before one
// command probes it again.
const breakerOpenFor = 2 * time.Second

// outage is a circuit breaker over every Redis command: one failure that is
// Redis's (a connection that cannot be made, a read or write that times out)
// opens it; for breakerOpenFor every command then fails at once with
// ErrUnavailable, and one command then probes. Redis replies (a missing key,
// a script error) and the caller's own canceled context are not failures; a
// command that outlived its caller's deadline is (Redis was too slow).
// It logs one warning when an outage starts and one line when it ends, and
// counts outages and the commands answered without Redis.
type outage struct {
	cb      *gobreaker.CircuitBreaker[struct{}]
	log     zerolog.Logger
	down    atomic.Bool
	outages atomic.Uint64
	skipped atomic.Uint64
	failed  atomic.Uint64
}

func newOutage(log zerolog.Logger) *outage {
	o := &outage{log: log}
	o.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         "redis",
		MaxRequests:  1,
		Timeout:      breakerOpenFor,
		ReadyToTrip:  func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= 1 },
		IsSuccessful: func(err error) bool { return !redisFailed(err) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			switch {
			case from == gobreaker.StateClosed && to == gobreaker.StateOpen:
				o.down.Store(true)
				o.outages.Add(1)
				o.log.Warn().Str("component", "redis").Dur("retry_in", breakerOpenFor).
					Msg("redis unavailable: pacing per replica, signed-request replay checks per replica, keyed writes refused (retryable) until it answers")
			case to == gobreaker.StateClosed:
				o.down.Store(false)
				o.log.Info().Str("component", "redis").Msg("redis reachable again")
			}
		},
	})
	return o
}

// go-redis logs each failed dial on its own (unstructured, to stderr, once
// per command); the breaker's one warning per outage replaces those lines.
func init() { redis.SetLogger(silent{}) }

type silent struct{}

func (silent) Printf(context.Context, string, ...any) {}

// redisFailed tells whether err is Redis's failure rather than an answer.
func redisFailed(err error) bool {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return false
	}
	var reply redis.Error // a reply of the server: Redis answered
	return !errors.As(err, &reply)
}

// insideCommand marks the context of a command the breaker let through:
// go-redis runs a new connection's handshake (HELLO, CLIENT SETINFO)
// through the same hooks, within the command that needed the connection,
// and that handshake is part of the command, not a second request (in the
// half-open state it would be refused, and no probe could ever succeed).
type insideCommand struct{}

func (o *outage) run(ctx context.Context, f func(context.Context) error) error {
	if ctx.Value(insideCommand{}) != nil {
		return f(ctx)
	}
	inner := context.WithValue(ctx, insideCommand{}, true)
	_, err := o.cb.Execute(func() (struct{}, error) { return struct{}{}, f(inner) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		o.skipped.Add(1)
		return ErrUnavailable
	}
	if redisFailed(err) {
		o.failed.Add(1)
	}
	return err
}

// DialHook implements redis.Hook.
func (o *outage) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (o *outage) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := o.run(ctx, func(ctx context.Context) error { return next(ctx, cmd) })
		if errors.Is(err, ErrUnavailable) {
			cmd.SetErr(err)
		}
		return err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (o *outage) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := o.run(ctx, func(ctx context.Context) error { return next(ctx, cmds) })
		if errors.Is(err, ErrUnavailable) {
			for _, c := range cmds {
				c.SetErr(err)
			}
		}
		return err
	}
}

// Health is what the store reports about Redis for metrics.
type Health struct {
	// Up is false from the first failure of an outage until Redis answers
	// again.
	Up bool
	// Outages counts outages; Failed counts commands that reached a failing
	// Redis (and waited on it); Skipped counts commands answered at once
	// without Redis during an outage.
	Outages, Failed, Skipped uint64
}

// Health reports on Redis.
func (s *Store) Health() Health {
	return Health{Up: !s.outage.down.Load(), Outages: s.outage.outages.Load(),
		Failed: s.outage.failed.Load(), Skipped: s.outage.skipped.Load()}
}
