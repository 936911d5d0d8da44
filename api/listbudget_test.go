package api

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRowBudgetBoundsRowsInFlight(t *testing.T) {
	t.Parallel()
	b := NewRowBudget(100)
	big := map[string]any{"limit": json.Number("100")}
	release, err := b.acquire(context.Background(), big)
	require.NoError(t, err)

	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err = b.acquire(short, map[string]any{"limit": json.Number("60")})
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a second large listing waits, within its deadline")
	huge, err := b.acquire(context.Background(), map[string]any{"planId": "x"})
	require.NoError(t, err, "a module without a limit weighs nothing")
	huge()

	release()
	r1, err := b.acquire(context.Background(), map[string]any{"limit": json.Number("1000000")})
	require.NoError(t, err, "a limit above the budget takes the whole budget, never blocks for ever")
	r1()
	r2, err := b.acquire(context.Background(), map[string]any{}) // no limit key: not a list
	require.NoError(t, err)
	r2()
}
