package redisstore_test

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/profitwell-connector/connector/api/idempotency/idempotencytest"
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
	idempotencytest.Run(t, s.Idempotency(), func() string { return "k" + strconv.FormatInt(n.Add(1), 10) })
}

func TestTwoConnectionsShareOneIdempotencyStore(t *testing.T) {
	t.Parallel()
	a := open(t)
	b, err := redisstore.Open(context.Background(), redistest.URL(t), "", zerolog.Nop())
	require.NoError(t, err)
	defer b.Close()
	ctx := context.Background()
	key := "shared-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	ok, err := a.Idempotency().Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	require.True(t, ok)
	// b uses the default prefix, a its own: they must not see each other.
	ok, err = b.Idempotency().Lock(ctx, key, time.Minute)
	require.NoError(t, err)
	assert.True(t, ok, "prefixes separate deployments")
	require.NoError(t, b.Idempotency().Unlock(ctx, key))
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
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
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

// quietRedis keeps go-redis's own dial-retry messages out of test output.
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...interface{}) {}

func init() { redis.SetLogger(quietRedis{}) }
