package profitwell

import (
	"context"
	"fmt"
	"time"
)

// Pacer hands out request slots per token (the key is Token.Hash()). The
// default keeps a token bucket per token in this process; a shared Pacer
// (Redis) makes several replicas pace each token as one.
type Pacer interface {
	// Wait blocks until key may send one request and returns how long it
	// waited. When the slot would come after ctx's deadline it returns at
	// once, takes nothing, and fails with a *PaceError holding the wait.
	Wait(ctx context.Context, key string) (time.Duration, error)
}

// PaceError reports that no request slot is free before the deadline.
type PaceError struct {
	// Wait is how long until a slot is free.
	Wait time.Duration
}

func (e *PaceError) Error() string {
	return fmt.Sprintf("no request slot for %s", e.Wait.Round(time.Millisecond))
}

// localPacer is the in-process Pacer: a rate.Limiter per token.
type localPacer struct{ set *limiterSet }

// NewLocalPacer returns the in-process pacer: burst requests at once, then
// rate per second, per key. Shared pacers fall back to it.
func NewLocalPacer(rate float64, burst int) Pacer {
	return &localPacer{set: newLimiterSet(limitOf(rate), burst, maxLimiters)}
}

func (p *localPacer) Wait(ctx context.Context, key string) (time.Duration, error) {
	now := time.Now()
	r := p.set.get(key, now).ReserveN(now, 1)
	if !r.OK() {
		return 0, &PaceError{}
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return 0, nil
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		r.CancelAt(now)
		return 0, &PaceError{Wait: d}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return d, nil
	case <-ctx.Done():
		r.Cancel()
		return 0, ctx.Err()
	}
}
