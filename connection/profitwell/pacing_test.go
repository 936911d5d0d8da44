package profitwell

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func pacedClient(t *testing.T, r float64, burst int) (*Client, *upstream) {
	t.Helper()
	up := newUpstream(t, jsonHandler(200, `{}`))
	cfg := testConfig(up.URL)
	cfg.Rate, cfg.Burst = r, burst
	return newTestClient(t, cfg), up
}

func TestPacingBurstThenRateLimitedWithoutUpstreamCall(t *testing.T) {
	t.Parallel()
	c, up := pacedClient(t, 0.5, 3) // one slot every 2 s after a burst of 3
	s := c.Session(NewToken(testToken))
	for i := 0; i < 3; i++ {
		require.NoError(t, s.APIStatus(context.Background()), "burst slot %d", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.APIStatus(ctx)
	e := assertKind(t, err, KindRateLimited)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "fails fast, does not wait")
	assert.InDelta(t, 2*time.Second, e.RetryAfter, float64(100*time.Millisecond))
	assert.Zero(t, e.Status)
	assert.Equal(t, 3, up.count(), "no upstream call")
	assert.Equal(t, 3, s.Requests())

	// The refused reservation was cancelled: it does not push later callers back.
	lim, _ := c.pacer.(*localPacer).limiters.Get(NewToken(testToken).Hash())
	assert.InDelta(t, 0.0, lim.Tokens(), 0.2, "only the three granted slots are spent")
}

func TestPacingWaitsWhenTheDeadlineAllows(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	up := newUpstream(t, jsonHandler(200, `{}`))
	cfg := testConfig(up.URL)
	cfg.Rate, cfg.Burst, cfg.Registerer = 10, 1, reg
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	start := time.Now()
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		require.NoError(t, s.APIStatus(ctx))
		cancel()
	}
	assert.GreaterOrEqual(t, time.Since(start), 180*time.Millisecond, "two waits of ~100 ms")
	assert.Equal(t, 3, up.count())
	assert.Equal(t, float64(3), metricSum(t, reg, "connector_upstream_pacing_wait_seconds"))
}

func TestPacingWithoutDeadlineWaitsAndCancelIsTimeout(t *testing.T) {
	t.Parallel()
	c, up := pacedClient(t, 0.2, 1)
	s := c.Session(NewToken(testToken))
	require.NoError(t, s.APIStatus(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := s.APIStatus(ctx) // no deadline: it waits for the slot, until canceled
	assertKind(t, err, KindTimeout)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, up.count())
}

func TestPacingIsPerToken(t *testing.T) {
	t.Parallel()
	c, up := pacedClient(t, 0.1, 1)
	ctx := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	a1 := c.Session(NewToken("token-a"))
	a2 := c.Session(NewToken("token-a")) // another execution, same account
	b := c.Session(NewToken("token-b"))
	require.NoError(t, a1.APIStatus(ctx()))
	require.NoError(t, b.APIStatus(ctx()), "token b has its own bucket")
	assertKind(t, a2.APIStatus(ctx()), KindRateLimited)
	assertKind(t, b.APIStatus(ctx()), KindRateLimited)
	assert.Equal(t, 2, up.count())
	assert.Equal(t, 2, c.pacer.(*localPacer).limiters.Len())
}

func TestPacingConcurrentSessionsShareTheBudget(t *testing.T) {
	t.Parallel()
	c, up := pacedClient(t, 0.1, 5)
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			errs[i] = c.Session(NewToken(testToken)).APIStatus(ctx)
		}()
	}
	wg.Wait()
	okCount := 0
	for _, err := range errs {
		if err == nil {
			okCount++
		} else {
			assertKind(t, err, KindRateLimited)
		}
	}
	assert.Equal(t, 5, okCount)
	assert.Equal(t, 5, up.count())
}

func TestLocalPacerIsBounded(t *testing.T) {
	t.Parallel()
	p := NewLocalPacer(5, 25).(*localPacer)
	ctx := context.Background()
	for i := 0; i < maxLimiters+500; i++ {
		_, err := p.Wait(ctx, fmt.Sprint("k", i))
		require.NoError(t, err)
	}
	assert.Equal(t, maxLimiters, p.limiters.Len(), "LRU cap")
	assert.False(t, p.limiters.Contains("k0"), "oldest evicted")
	assert.True(t, p.limiters.Contains(fmt.Sprint("k", maxLimiters+499)))

	// Using an entry keeps it: the same limiter while in use.
	l7, _ := p.limiters.Get("k700")
	_, err := p.Wait(ctx, "k700")
	require.NoError(t, err)
	l7again, _ := p.limiters.Get("k700")
	assert.Same(t, l7, l7again)
}

func TestInfiniteRate(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(http.StatusOK, `{}`))
	cfg := testConfig(up.URL)
	cfg.Rate = rateInf()
	cfg.Burst = 1
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		require.NoError(t, s.APIStatus(ctx))
	}
}

func rateInf() float64 { return float64(rate.Inf) }
