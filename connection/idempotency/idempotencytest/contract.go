// Package idempotencytest checks that an idempotency.Store keeps its
// contract; every implementation runs it in its tests.
package idempotencytest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/idempotency"
)

// Run checks store against the Store contract and the behaviour of Do on
// it. newKey must return a key no other run uses.
func Run(t *testing.T, store idempotency.Store, newKey func() string) {
	ctx := context.Background()
	opts := idempotency.Options{Retention: time.Minute, LockTTL: 5 * time.Second, Poll: 2 * time.Millisecond}
	lock := func(t *testing.T, key string, ttl time.Duration) string {
		t.Helper()
		owner, err := store.Lock(ctx, key, ttl)
		require.NoError(t, err)
		return owner
	}

	t.Run("get of an unknown key", func(t *testing.T) {
		rec, err := store.Get(ctx, newKey())
		require.NoError(t, err)
		assert.Nil(t, rec)
	})

	t.Run("lock is exclusive until put or unlock", func(t *testing.T) {
		key := newKey()
		owner := lock(t, key, time.Minute)
		require.NotEmpty(t, owner)
		assert.Empty(t, lock(t, key, time.Minute))
		require.NoError(t, store.Unlock(ctx, key, owner))
		owner = lock(t, key, time.Minute)
		assert.NotEmpty(t, owner)
		put := idempotency.Record{Fingerprint: "f", Status: 200, Body: []byte(`{}`),
			Header: map[string]string{"Content-Type": "application/json"}, RequestID: "req-1"}
		require.NoError(t, store.Put(ctx, key, owner, put, time.Minute))
		rec, err := store.Get(ctx, key)
		require.NoError(t, err)
		require.NotNil(t, rec)
		assert.Equal(t, put, *rec, "every member of the record comes back")
	})

	// A lock that outlived its ttl belongs to whoever took it next: the
	// first holder finishing late must not release it.
	t.Run("a lock is released only by its owner", func(t *testing.T) {
		key := newKey()
		stale := lock(t, key, 30*time.Millisecond)
		require.NotEmpty(t, stale)
		var current string
		require.Eventually(t, func() bool {
			var err error
			current, err = store.Lock(ctx, key, time.Minute)
			return err == nil && current != ""
		}, 2*time.Second, 10*time.Millisecond)
		require.NoError(t, store.Unlock(ctx, key, stale))
		require.NoError(t, store.Put(ctx, key+"-other", stale, idempotency.Record{Status: 200}, time.Minute))
		assert.Empty(t, lock(t, key, time.Minute), "the stale owner's unlock left the current lock alone")
		require.NoError(t, store.Unlock(ctx, key, current))
		assert.NotEmpty(t, lock(t, key, time.Minute), "the owner's unlock released it")
	})

	t.Run("a lock expires", func(t *testing.T) {
		key := newKey()
		require.NotEmpty(t, lock(t, key, 50*time.Millisecond))
		require.Eventually(t, func() bool {
			owner, err := store.Lock(ctx, key, time.Minute)
			return err == nil && owner != ""
		}, 2*time.Second, 10*time.Millisecond)
	})

	t.Run("do replays the same request and refuses another", func(t *testing.T) {
		key := newKey()
		var runs atomic.Int32
		run := func() idempotency.Record {
			runs.Add(1)
			return idempotency.Record{Status: 201, Body: []byte(`{"n":1}`)}
		}
		first, replayed, err := idempotency.Do(ctx, store, key, "fp", opts, run)
		require.NoError(t, err)
		assert.False(t, replayed)
		again, replayed, err := idempotency.Do(ctx, store, key, "fp", opts, run)
		require.NoError(t, err)
		assert.True(t, replayed)
		assert.Equal(t, first.Body, again.Body)
		assert.Equal(t, int32(1), runs.Load())
		_, _, err = idempotency.Do(ctx, store, key, "other", opts, run)
		assert.ErrorIs(t, err, idempotency.ErrMismatch)
	})

	t.Run("do does not keep transient failures", func(t *testing.T) {
		key := newKey()
		var runs atomic.Int32
		status := 503
		run := func() idempotency.Record { runs.Add(1); return idempotency.Record{Status: status} }
		_, _, err := idempotency.Do(ctx, store, key, "fp", opts, run)
		require.NoError(t, err)
		status = 200
		_, replayed, err := idempotency.Do(ctx, store, key, "fp", opts, run)
		require.NoError(t, err)
		assert.False(t, replayed)
		assert.Equal(t, int32(2), runs.Load())
	})

	// Concurrent duplicates run once and all get its answer. A write that may
	// have been applied upstream must never run again under its key either:
	// its answer goes to every duplicate that waited for it and to the retry.
	for _, tc := range []struct {
		name   string
		answer idempotency.Record
	}{
		{"concurrent duplicates run once", idempotency.Record{Status: 200, Body: []byte(`{"ok":true}`)}},
		{"an outcome-unknown answer is replayed to every duplicate",
			idempotency.Record{Status: 503, OutcomeUnknown: true, Body: []byte(`{"error":{"code":"OUTCOME_UNKNOWN"}}`)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := newKey()
			var runs atomic.Int32
			run := func() idempotency.Record {
				runs.Add(1)
				time.Sleep(50 * time.Millisecond)
				return tc.answer
			}
			var wg sync.WaitGroup
			for range 20 {
				wg.Go(func() {
					rec, _, err := idempotency.Do(ctx, store, key, "fp", opts, run)
					assert.NoError(t, err)
					assert.Equal(t, tc.answer.Status, rec.Status)
					assert.Equal(t, string(tc.answer.Body), string(rec.Body))
				})
			}
			wg.Wait()
			rec, replayed, err := idempotency.Do(ctx, store, key, "fp", opts, run)
			require.NoError(t, err)
			assert.True(t, replayed, "the later retry is answered from the store")
			assert.Equal(t, tc.answer.OutcomeUnknown, rec.OutcomeUnknown)
			assert.Equal(t, int32(1), runs.Load(), "one run for 21 requests")
		})
	}

	t.Run("a waiter gives up at its deadline", func(t *testing.T) {
		key := newKey()
		owner := lock(t, key, time.Minute)
		require.NotEmpty(t, owner)
		defer store.Unlock(ctx, key, owner) //nolint:errcheck
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, _, err := idempotency.Do(short, store, key, "fp", opts, func() idempotency.Record {
			t.Error("must not run while the key is held")
			return idempotency.Record{}
		})
		assert.ErrorIs(t, err, idempotency.ErrInProgress)
	})
}
