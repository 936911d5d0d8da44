package profitwell

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// maxLimiters bounds the per-token limiter map; the least recently used entry
// is evicted beyond it.
const maxLimiters = 10000

// limiterSet holds one rate.Limiter per token hash, bounded in size. An entry
// idle for longer than a full refill of its bucket is evicted first: a full
// bucket carries no state, so a fresh limiter is equivalent to it and eviction
// never lets a token exceed its pace (the extra minute covers reservations
// queued by callers still waiting under long deadlines).
type limiterSet struct {
	mu      sync.Mutex
	limit   rate.Limit
	burst   int
	idleTTL time.Duration
	max     int
	lru     *list.List // front = most recently used; values are *limiterEntry
	byKey   map[string]*list.Element
}

type limiterEntry struct {
	key      string
	lim      *rate.Limiter
	lastUsed time.Time
}

func newLimiterSet(limit rate.Limit, burst, max int) *limiterSet {
	refill := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	return &limiterSet{
		limit:   limit,
		burst:   burst,
		idleTTL: refill + time.Minute, // margin for reservations still queued past the refill
		max:     max,
		lru:     list.New(),
		byKey:   make(map[string]*list.Element),
	}
}

// get returns the limiter for key, creating it if needed, and evicts idle
// and excess entries.
func (s *limiterSet) get(key string, now time.Time) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[key]; ok {
		ent := el.Value.(*limiterEntry)
		ent.lastUsed = now
		s.lru.MoveToFront(el)
		s.evict(now)
		return ent.lim
	}
	ent := &limiterEntry{key: key, lim: rate.NewLimiter(s.limit, s.burst), lastUsed: now}
	s.byKey[key] = s.lru.PushFront(ent)
	s.evict(now)
	return ent.lim
}

// evict drops entries from the back while they are idle or over the cap.
// Each entry is removed at most once, so the cost is amortised O(1).
func (s *limiterSet) evict(now time.Time) {
	for s.lru.Len() > 1 {
		el := s.lru.Back()
		ent := el.Value.(*limiterEntry)
		if s.lru.Len() <= s.max && now.Sub(ent.lastUsed) < s.idleTTL {
			return
		}
		s.lru.Remove(el)
		delete(s.byKey, ent.key)
	}
}

// len reports the number of live entries (for tests).
func (s *limiterSet) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}
