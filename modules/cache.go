package modules

import (
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// ttlCache keeps RPC answers, so that option lists do not spend ProfitWell's
// daily quotas (plans: 1000 calls a day): a bounded LRU (hashicorp's
// golang-lru) whose entries also expire, by the registry's clock.
type ttlCache struct {
	lru *lru.Cache[string, cacheEntry]
	now func() time.Time
}

type cacheEntry struct {
	value   any
	expires time.Time
}

func newTTLCache(max int, now func() time.Time) *ttlCache {
	c, err := lru.New[string, cacheEntry](max)
	if err != nil {
		panic(err) // only for max < 1, which NewRegistry never passes
	}
	return &ttlCache{lru: c, now: now}
}

func (c *ttlCache) get(key string) (any, bool) {
	e, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	if !c.now().Before(e.expires) {
		c.lru.Remove(key)
		return nil, false
	}
	return e.value, true
}

func (c *ttlCache) put(key string, value any, ttl time.Duration) {
	c.lru.Add(key, cacheEntry{value: value, expires: c.now().Add(ttl)})
}

// dropPrefix removes every entry whose key starts with prefix.
func (c *ttlCache) dropPrefix(prefix string) {
	for _, k := range c.lru.Keys() {
		if strings.HasPrefix(k, prefix) {
			c.lru.Remove(k)
		}
	}
}
