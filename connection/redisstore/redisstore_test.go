package redisstore_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/idempotency/idempotencytest"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/redisstore"
	"github.com/profitwell-connector/connector/connection/redisstore/redistest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	redistest.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			os.Stderr.WriteString(err.Error())
			code = 1
		}
	}
	os.Exit(code)
}

var prefixes atomic.Int64

// open connects a store with a prefix no other test uses.
func open(t *testing.T) *redisstore.Store {
	t.Helper()
	return openWith(t, "test"+strconv.FormatInt(time.Now().UnixNano(), 36)+"-"+strconv.FormatInt(prefixes.Add(1), 10)+":")
}

// openWith connects a store with the given prefix: two stores with one
// prefix are two replicas of one deployment.
func openWith(t *testing.T, prefix string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), redistest.URL(t), prefix, zerolog.Nop())
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestIdempotencyStoreKeepsTheContract(t *testing.T) {
	s := open(t)
	var n atomic.Int64
	idempotencytest.Run(t, s.Idempotency(idempotency.DefaultBudget), func() string { return "k" + strconv.FormatInt(n.Add(1), 10) })
}

func TestTwoConnectionsShareOneIdempotencyStore(t *testing.T) {
	t.Parallel()
	a := open(t)
	b, err := redisstore.Open(context.Background(), redistest.URL(t), "", zerolog.Nop())
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	key := "shared-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	owner, err := a.Idempotency(idempotency.DefaultBudget).Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	require.NotEmpty(t, owner)
	// b uses the default prefix, a its own: they must not see each other.
	owner, err = b.Idempotency(idempotency.DefaultBudget).Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	assert.NotEmpty(t, owner, "prefixes separate deployments")
	require.NoError(t, b.Idempotency(idempotency.DefaultBudget).Unlock(ctx, key, owner))
}

// One tenant storing answers under fresh keys drops only its own oldest
// records past its budget; another tenant's record stays.
func TestOneTenantCannotEvictAnotherInRedis(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := open(t).Idempotency(idempotency.Budget{TenantRecords: 5, TenantBytes: 1000})
	require.NoError(t, st.Put(ctx, "victim/retry-me", "", idempotency.Record{Status: 200, Body: []byte("v")}, time.Minute))
	for i := range 50 {
		require.NoError(t, st.Put(ctx, "attacker/"+strconv.Itoa(i), "", idempotency.Record{Status: 200, Body: []byte("a")}, time.Minute))
	}
	rec, err := st.Get(ctx, "victim/retry-me")
	require.NoError(t, err)
	require.NotNil(t, rec, "the victim's answer is still there")
	kept := 0
	for i := range 50 {
		if rec, err := st.Get(ctx, "attacker/"+strconv.Itoa(i)); err == nil && rec != nil {
			kept++
		}
	}
	assert.Equal(t, 5, kept, "the attacker keeps its budget, its newest records")
	rec, err = st.Get(ctx, "attacker/49")
	require.NoError(t, err)
	assert.NotNil(t, rec)
	assert.ErrorIs(t, st.Put(ctx, "attacker/big", "", idempotency.Record{Status: 200, Body: make([]byte, 1001)}, time.Minute), idempotency.ErrFull)
}

func TestReplayGuard(t *testing.T) {
	t.Parallel()
	s := open(t)
	g := s.ReplayGuard()
	first, err := g.First("msg_1.100", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, first)
	first, err = g.First("msg_1.100", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.False(t, first)
	first, err = g.First("msg_short", time.Now().Add(50*time.Millisecond))
	require.NoError(t, err)
	assert.True(t, first)
	time.Sleep(120 * time.Millisecond)
	first, err = g.First("msg_short", time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.True(t, first, "an expired id is new again")
}

// TestPacingIsSharedAcrossReplicas: two replicas (two connections, two
// pacers) spend one token's budget together.
func TestPacingIsSharedAcrossReplicas(t *testing.T) {
	t.Parallel()
	prefix := "pace" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	pa := openWith(t, prefix).Pacer(2, 4)
	pb := openWith(t, prefix).Pacer(2, 4)
	// The fifth wait is 0.5 s (rate 2/s) and does not fit the deadline; the
	// deadline leaves a slow machine's Redis round trips room, since a
	// command that outlives it counts as a Redis failure (breaker.go).
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	granted := 0
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 10 {
		p := pa
		if i%2 == 1 {
			p = pb
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Wait(ctx, "token-hash"); err == nil {
				mu.Lock()
				granted++
				mu.Unlock()
			} else {
				var pe *profitwell.PaceError
				assert.ErrorAs(t, err, &pe)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 4, granted, "the burst is shared, not doubled")

	// A wait that fits the deadline is waited out.
	long, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	waited, err := pa.Wait(long, "token-hash")
	require.NoError(t, err)
	assert.Greater(t, waited, time.Duration(0))
	// Another token has its own budget.
	_, err = pb.Wait(long, "other-token")
	assert.NoError(t, err)
}

func TestPacerFallsBackWhenRedisIsGone(t *testing.T) {
	t.Parallel()
	s := open(t)
	p := s.Pacer(1000, 1000)
	require.NoError(t, s.Close())
	_, err := p.Wait(context.Background(), "k")
	assert.NoError(t, err, "the local pacer takes over")
}

func TestOpenRefusesBadURLs(t *testing.T) {
	t.Parallel()
	_, err := redisstore.Open(context.Background(), "http://nope", "", zerolog.Nop())
	assert.Error(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err = redisstore.Open(ctx, "redis://127.0.0.1:1/0", "", zerolog.Nop())
	assert.Error(t, err)
}

// A Redis that stops answering (SIGSTOP: the connection stays open, reads
// time out; what a hung or partitioned server looks like to a client) is
// waited on once: the first command fails after the read timeout, and every
// command after it answers at once with ErrUnavailable until the breaker's
// probe finds Redis back.
func TestBreakerStopsWaitingOnAHungRedis(t *testing.T) {
	url, _ := redistest.Private(t)
	s, err := redisstore.Open(context.Background(), url, "hung:", zerolog.Nop())
	require.NoError(t, err)
	defer s.Close()
	store := s.Idempotency(idempotency.DefaultBudget)
	ctx := context.Background()
	_, err = store.Get(ctx, "t/k")
	require.NoError(t, err)
	assert.True(t, s.Health().Up)

	pid := redisPID(t, url)
	require.NoError(t, syscall.Kill(pid, syscall.SIGSTOP))
	stopped := true
	defer func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	start := time.Now()
	_, err = store.Get(ctx, "t/k")
	firstWait := time.Since(start)
	require.Error(t, err, "the first command finds Redis hung")
	start = time.Now()
	for range 50 {
		_, err = store.Get(ctx, "t/k")
		assert.ErrorIs(t, err, redisstore.ErrUnavailable)
	}
	t.Logf("hung Redis: the first command failed after %v; the next 50 took %v in all", firstWait.Round(time.Millisecond), time.Since(start))
	h := s.Health()
	assert.False(t, h.Up)
	assert.Equal(t, uint64(1), h.Outages)
	assert.Equal(t, uint64(1), h.Failed, "one command waited on the hung Redis")
	assert.Equal(t, uint64(50), h.Skipped, "the others answered without it")

	require.NoError(t, syscall.Kill(pid, syscall.SIGCONT))
	stopped = false
	require.Eventually(t, func() bool {
		_, err := store.Get(ctx, "t/k")
		return err == nil
	}, 10*time.Second, 100*time.Millisecond, "the probe finds Redis back")
	assert.True(t, s.Health().Up)
}

// redisPID asks the Redis at url for its process id.
func redisPID(t *testing.T, url string) int {
	t.Helper()
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "process_id:"); ok {
			pid, err := strconv.Atoi(v)
			require.NoError(t, err)
			return pid
		}
	}
	t.Fatal("no process_id in INFO")
	return 0
}
