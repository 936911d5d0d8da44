package idempotency_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/idempotency/idempotencytest"
)

func TestMemoryKeepsTheContract(t *testing.T) {
	var n atomic.Int64
	idempotencytest.Run(t, idempotency.NewMemory(idempotency.DefaultBudget, nil), func() string {
		return "key-" + strconv.FormatInt(n.Add(1), 10)
	})
}

func TestMemoryIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Unix(0, 0)
	m := idempotency.NewMemory(idempotency.Budget{TenantRecords: 3, TenantBytes: 10, TotalBytes: 100}, func() time.Time { return now })
	stored := func() (n int) {
		for _, key := range []string{"a/0", "a/1", "a/2", "a/3", "a/4", "a/big"} {
			rec, err := m.Get(ctx, key)
			require.NoError(t, err)
			if rec != nil {
				n++
			}
		}
		return n
	}
	for i := range 5 {
		require.NoError(t, m.Put(ctx, "a/"+strconv.Itoa(i), "", idempotency.Record{Status: 200, Body: []byte("ab")}, time.Minute))
	}
	assert.Equal(t, 3, stored(), "at most TenantRecords")
	rec, err := m.Get(ctx, "a/0")
	require.NoError(t, err)
	assert.Nil(t, rec, "the oldest went first")
	require.NoError(t, m.Put(ctx, "a/big", "", idempotency.Record{Status: 200, Body: []byte("0123456789")}, time.Minute))
	assert.Equal(t, 1, stored(), "the byte budget evicts too")
	assert.ErrorIs(t, m.Put(ctx, "a/huge", "", idempotency.Record{Status: 200, Body: make([]byte, 11)}, time.Minute), idempotency.ErrFull)
	rec, err = m.Get(ctx, "a/huge")
	require.NoError(t, err)
	assert.Nil(t, rec, "a record over the budget is not kept")

	now = now.Add(2 * time.Minute)
	rec, err = m.Get(ctx, "a/big")
	require.NoError(t, err)
	assert.Nil(t, rec, "records expire after the retention")
}

// One tenant storing many large answers under fresh keys pushes out only
// its own records; past the total it is refused, never another tenant.
func TestOneTenantCannotEvictAnother(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := idempotency.NewMemory(idempotency.Budget{TenantRecords: 100, TenantBytes: 1000, TotalBytes: 1500}, nil)
	require.NoError(t, m.Put(ctx, "victim/retry-me", "", idempotency.Record{Status: 200, Body: make([]byte, 400)}, time.Minute))
	full := 0
	for i := range 1000 {
		for _, tenant := range []string{"attacker", "attacker2", "attacker3"} {
			if err := m.Put(ctx, tenant+"/"+strconv.Itoa(i), "", idempotency.Record{Status: 200, Body: make([]byte, 300)}, time.Minute); err != nil {
				require.ErrorIs(t, err, idempotency.ErrFull)
				full++
			}
		}
	}
	rec, err := m.Get(ctx, "victim/retry-me")
	require.NoError(t, err)
	require.NotNil(t, rec, "the victim's answer is still there")
	assert.Positive(t, full, "past the total the attackers' answers were not stored")
}

func TestStorable(t *testing.T) {
	t.Parallel()
	assert.True(t, idempotency.Record{Status: 503, OutcomeUnknown: true}.Storable(), "an outcome-unknown write is final")
	for status, want := range map[int]bool{200: true, 201: true, 400: true, 401: true, 409: true, 404: true, 408: false, 429: false, 500: false, 503: false, 504: false} {
		assert.Equal(t, want, idempotency.Record{Status: status}.Storable(), status)
	}
}
