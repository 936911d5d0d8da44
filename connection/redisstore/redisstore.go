// Package redisstore shares the connector's per-replica state through Redis,
// so several replicas behind a load balancer behave as one: per-token pacing
// of ProfitWell calls (a GCRA limiter, go-redis/redis_rate), idempotency
// records and locks, and the replay guard of signed engine requests.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/profitwell"
)

// Store is a Redis connection with the connector's key layout.
type Store struct {
	rdb    *redis.Client
	prefix string
	log    zerolog.Logger
	outage *outage
}

// Open connects to the Redis at url (redis://[:password@]host:port/db, or
// rediss:// for TLS) and checks it answers within ctx.
func Open(ctx context.Context, url, prefix string, log zerolog.Logger) (*Store, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// go-redis quotes parts of the URL in its errors; the URL may hold
		// a password, so none of it is repeated.
		return nil, errors.New("redis url: must be redis://[:password@]host:port/db or rediss://…, with a numeric db")
	}
	// Short timeouts and one retry: a dead Redis is found in well under a
	// second, and then the breaker (outage) answers every later command at
	// once until it probes again.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond, 500*time.Millisecond
	opts.MaxRetries, opts.MinRetryBackoff, opts.MaxRetryBackoff = 1, 5*time.Millisecond, 20*time.Millisecond
	opts.DialerRetries, opts.DialerRetryTimeout = 1, 10*time.Millisecond
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis ping: %w", err)
	}
	if prefix == "" {
		prefix = "connector:"
	}
	o := newOutage(log)
	rdb.AddHook(o)
	return &Store{rdb: rdb, prefix: prefix, log: log, outage: o}, nil
}

// Close closes the connection pool.
func (s *Store) Close() error { return s.rdb.Close() }

// Pacer returns a profitwell.Pacer shared by every replica using this Redis:
// burst requests at once, then rate per second, per token. When Redis cannot
// be reached the replica paces with its own in-process limiter (same rate)
// rather than stopping; the outage is logged once, by the breaker.
func (s *Store) Pacer(rate float64, burst int) profitwell.Pacer {
	period := time.Duration(float64(burst) / rate * float64(time.Second))
	return &pacer{
		store:    s,
		limiter:  redis_rate.NewLimiter(s.rdb),
		limit:    redis_rate.Limit{Rate: burst, Burst: burst, Period: period},
		fallback: profitwell.NewLocalPacer(rate, burst),
	}
}

type pacer struct {
	store    *Store
	limiter  *redis_rate.Limiter
	limit    redis_rate.Limit
	fallback profitwell.Pacer
}

// Wait implements profitwell.Pacer.
func (p *pacer) Wait(ctx context.Context, key string) (time.Duration, error) {
	var waited time.Duration
	for {
		res, err := p.limiter.Allow(ctx, p.store.prefix+"pace:"+key, p.limit)
		if err != nil {
			if ctx.Err() != nil {
				return waited, ctx.Err()
			}
			d, ferr := p.fallback.Wait(ctx, key)
			return waited + d, ferr
		}
		if res.Allowed > 0 {
			return waited, nil
		}
		wait := res.RetryAfter
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return waited, &profitwell.PaceError{Wait: wait}
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			waited += wait
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		}
	}
}

// Idempotency returns the shared idempotency store. Each tenant keeps at
// most budget.TenantRecords answers (its least recently stored go first, and
// only its own) and no answer larger than budget.TenantBytes; the whole is
// bounded by the Redis server's maxmemory.
func (s *Store) Idempotency(budget idempotency.Budget) idempotency.Store {
	return idemStore{s: s, budget: budget}
}

type idemStore struct {
	s      *Store
	budget idempotency.Budget
}

func (i idemStore) recordKey(key string) string { return i.s.prefix + "idem:" + key }
func (i idemStore) lockKey(key string) string   { return i.s.prefix + "idem-lock:" + key }
func (i idemStore) indexKey(key string) string {
	return i.s.prefix + "idem-tenant:" + idempotency.Tenant(key)
}

// Get implements idempotency.Store.
func (i idemStore) Get(ctx context.Context, key string) (*idempotency.Record, error) {
	b, err := i.s.rdb.Get(ctx, i.recordKey(key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rec idempotency.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("idempotency record %s: %w", key, err)
	}
	return &rec, nil
}

// Lock implements idempotency.Store: SET NX PX with a random owner token.
func (i idemStore) Lock(ctx context.Context, key string, ttl time.Duration) (string, error) {
	owner := idempotency.NewOwner()
	ok, err := i.s.rdb.SetNX(ctx, i.lockKey(key), owner, ttl).Result()
	if err != nil || !ok {
		return "", err
	}
	return owner, nil
}

// putScript stores a record, releases the lock if the owner still holds it,
// and keeps the tenant's index of records (scored by store time) within its
// count, deleting the tenant's own oldest records past it.
// KEYS: record, lock, tenant index. ARGV: record, retention ms, owner, now
// ms, tenant's record budget.
var putScript = redis.NewScript(`
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
local now = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[3], now, KEYS[1])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if over > 0 then
  local old = redis.call('ZPOPMIN', KEYS[3], over)
  for j = 1, #old, 2 do redis.call('DEL', old[j]) end
end
return 1`)

// unlockScript deletes the lock if the owner still holds it.
var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Put implements idempotency.Store.
func (i idemStore) Put(ctx context.Context, key, owner string, rec idempotency.Record, retention time.Duration) error {
	if len(rec.Body) > i.budget.TenantBytes {
		_ = i.Unlock(ctx, key, owner)
		return fmt.Errorf("%w: an answer of %d bytes is larger than a tenant's budget", idempotency.ErrFull, len(rec.Body))
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return putScript.Run(ctx, i.s.rdb, []string{i.recordKey(key), i.lockKey(key), i.indexKey(key)},
		b, retention.Milliseconds(), owner, time.Now().UnixMilli(), max(i.budget.TenantRecords, 1)).Err()
}

// Unlock implements idempotency.Store.
func (i idemStore) Unlock(ctx context.Context, key, owner string) error {
	return unlockScript.Run(ctx, i.s.rdb, []string{i.lockKey(key)}, owner).Err()
}

// ReplayGuard returns the shared guard against replayed signed requests.
func (s *Store) ReplayGuard() Replays { return Replays{s} }

// Replays is the shared replay guard of signed requests.
type Replays struct{ s *Store }

// First implements api.ReplayGuard: SET NX with an expiry at until.
func (g Replays) First(id string, until time.Time) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ttl := time.Until(until)
	if ttl <= 0 {
		return true, nil
	}
	return g.s.rdb.SetNX(ctx, g.s.prefix+"replay:"+id, 1, ttl).Result()
}
