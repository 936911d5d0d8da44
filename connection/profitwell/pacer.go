package profitwell

import (
	"context"
	"fmt"
	"math"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
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

// maxLimiters bounds the per-token limiters; the least recently used is
// forgotten beyond it (a fresh limiter is a full bucket, so only a token
// still active among maxLimiters others could then exceed its pace).
const maxLimiters = 10_000

// localPacer is the in-process Pacer: a rate.Limiter per token.
type localPacer struct {
	limit    rate.Limit
	burst    int
	limiters *lru.Cache[string, *rate.Limiter]
}

// NewLocalPacer returns the in-process pacer: burst requests at once, then
// rate per second, per key. Shared pacers fall back to it.
func NewLocalPacer(r float64, burst int) Pacer {
	limit := rate.Limit(r)
	if math.IsInf(r, 1) {
		limit = rate.Inf
	}
	limiters, _ := lru.New[string, *rate.Limiter](maxLimiters)
	return &localPacer{limit: limit, burst: burst, limiters: limiters}
}

func (p *localPacer) Wait(ctx context.Context, key string) (time.Duration, error) {
	lim := getOrAdd(p.limiters, key, func() *rate.Limiter { return rate.NewLimiter(p.limit, p.burst) })
	now := time.Now()
	r := lim.ReserveN(now, 1)
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
	select {
	case <-time.After(d):
		return d, nil
	case <-ctx.Done():
		r.Cancel()
		return 0, ctx.Err()
	}
}
