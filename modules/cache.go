package modules

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// ttlCache is a small LRU cache with per-entry expiry, safe for concurrent
// use. It keeps RPC answers so that option lists do not spend ProfitWell's
// daily quotas (plans: 1000 calls a day).
type ttlCache struct {
	mu      sync.Mutex
	max     int
	now     func() time.Time
	order   *list.List // front = most recently used
	entries map[string]*list.Element
}

type cacheEntry struct {
	key     string
	value   any
	expires time.Time
}

func newTTLCache(max int, now func() time.Time) *ttlCache {
	return &ttlCache{max: max, now: now, order: list.New(), entries: map[string]*list.Element{}}
}

func (c *ttlCache) get(key string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.entries, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.value, true
}

func (c *ttlCache) put(key string, value any, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		e.value, e.expires = value, c.now().Add(ttl)
		c.order.MoveToFront(el)
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, value: value, expires: c.now().Add(ttl)})
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).key)
	}
}

// dropPrefix removes every entry whose key starts with prefix.
func (c *ttlCache) dropPrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.entries {
		if strings.HasPrefix(k, prefix) {
			c.order.Remove(el)
			delete(c.entries, k)
		}
	}
}

func (c *ttlCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
