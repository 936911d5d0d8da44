package idempotency_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/api/idempotency"
	"github.com/profitwell-connector/connector/api/idempotency/idempotencytest"
)

func TestMemoryKeepsTheContract(t *testing.T) {
	var n atomic.Int64
	idempotencytest.Run(t, idempotency.NewMemory(1000, 1<<20, nil), func() string {
		return "key-" + strconv.FormatInt(n.Add(1), 10)
	})
}

func TestMemoryIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(0, 0)
	m := idempotency.NewMemory(3, 10, func() time.Time { return now })
	for i := range 5 {
		require.NoError(t, m.Put(ctx, strconv.Itoa(i), idempotency.Record{Status: 200, Body: []byte("ab")}, time.Minute))
	}
	assert.Equal(t, 3, m.Len(), "at most maxItems")
	rec, err := m.Get(ctx, "0")
	require.NoError(t, err)
	assert.Nil(t, rec, "the oldest went first")
	require.NoError(t, m.Put(ctx, "big", idempotency.Record{Status: 200, Body: []byte("0123456789")}, time.Minute))
	assert.Equal(t, 1, m.Len(), "the byte budget evicts too")
	require.NoError(t, m.Put(ctx, "huge", idempotency.Record{Status: 200, Body: make([]byte, 11)}, time.Minute))
	rec, err = m.Get(ctx, "huge")
	require.NoError(t, err)
	assert.Nil(t, rec, "a record over the budget is not kept")

	now = now.Add(2 * time.Minute)
	rec, err = m.Get(ctx, "big")
	require.NoError(t, err)
	assert.Nil(t, rec, "records expire after the retention")
}

func TestStorable(t *testing.T) {
	t.Parallel()
	for status, want := range map[int]bool{200: true, 201: true, 400: true, 401: true, 409: true, 404: true, 408: false, 429: false, 500: false, 503: false, 504: false} {
		assert.Equal(t, want, idempotency.Record{Status: status}.Storable(), status)
	}
}
