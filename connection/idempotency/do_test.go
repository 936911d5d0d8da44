package idempotency_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/idempotency"
)

// roundTrips models a network store such as Redis: every call is a round
// trip that the caller's context can cut short, and go-redis then answers
// the context's own error (context.DeadlineExceeded), not a reply. After
// its first n calls, each call fails with down when set (Redis refusing),
// or else blocks until ctx ends.
type roundTrips struct {
	idempotency.Store
	n    int
	down error
}

func (r *roundTrips) trip(ctx context.Context) error {
	if r.n > 0 {
		r.n--
		return nil
	}
	if r.down != nil {
		return r.down
	}
	<-ctx.Done()
	return ctx.Err()
}

func (r *roundTrips) Get(ctx context.Context, key string) (*idempotency.Record, error) {
	if err := r.trip(ctx); err != nil {
		return nil, err
	}
	return r.Store.Get(ctx, key)
}

func (r *roundTrips) Lock(ctx context.Context, key string, ttl time.Duration) (string, error) {
	if err := r.trip(ctx); err != nil {
		return "", err
	}
	return r.Store.Lock(ctx, key, ttl)
}

// TestDoWaiterCutShortMidRoundTrip: a waiter whose deadline strikes while a
// store call is on the wire has still waited out its deadline for another
// holder, and says so (ErrInProgress, which the API answers as a retryable
// conflict) instead of passing on the transport's context error. A call that
// fails before any waiting, or for a reason of the store's own, keeps its
// error.
func TestDoWaiterCutShortMidRoundTrip(t *testing.T) {
	t.Parallel()
	mustNotRun := func() idempotency.Record {
		t.Error("must not run while the key is held")
		return idempotency.Record{}
	}
	opts := idempotency.Options{Retention: time.Minute, LockTTL: time.Minute, Poll: time.Millisecond}
	held := func(t *testing.T) idempotency.Store {
		mem := idempotency.NewMemory(idempotency.DefaultBudget, nil)
		owner, err := mem.Lock(context.Background(), "t/key", time.Minute)
		require.NoError(t, err)
		require.NotEmpty(t, owner)
		return mem
	}

	for _, tc := range []struct {
		name string
		n    int // calls answered before the one the deadline cuts short
		want error
	}{
		// Get and Lock answer (the key is held), then a call hangs.
		{"deadline during the second poll's Get", 2, idempotency.ErrInProgress},
		{"deadline during the second poll's Lock", 3, idempotency.ErrInProgress},
		{"deadline during the first Get is the deadline", 0, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &roundTrips{Store: held(t), n: tc.n}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
			defer cancel()
			_, _, err := idempotency.Do(ctx, store, "t/key", "fp", opts, mustNotRun)
			assert.ErrorIs(t, err, tc.want)
			if tc.want != idempotency.ErrInProgress {
				assert.NotErrorIs(t, err, idempotency.ErrInProgress)
			}
		})
	}
	t.Run("a store failure while waiting is the store's", func(t *testing.T) {
		down := errors.New("redis: connection refused")
		store := &roundTrips{Store: held(t), n: 2, down: down}
		_, _, err := idempotency.Do(context.Background(), store, "t/key", "fp", opts, mustNotRun)
		assert.ErrorIs(t, err, down)
	})
}
