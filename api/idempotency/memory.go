package idempotency

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// Memory is an in-memory Store bounded in entries and bytes; the least
// recently stored records go first. It serves one replica.
type Memory struct {
	mu       sync.Mutex
	now      func() time.Time
	maxItems int
	maxBytes int
	bytes    int
	order    *list.List // front = newest; values are *memEntry
	records  map[string]*list.Element
	locks    map[string]time.Time // key -> lock expiry
}

type memEntry struct {
	key     string
	rec     Record
	expires time.Time
}

// NewMemory returns a store holding at most maxItems records and maxBytes of
// bodies; a nil now means time.Now.
func NewMemory(maxItems, maxBytes int, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, maxItems: maxItems, maxBytes: maxBytes, order: list.New(),
		records: map[string]*list.Element{}, locks: map[string]time.Time{}}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.records[key]
	if !ok {
		return nil, nil
	}
	e := el.Value.(*memEntry)
	if !m.now().Before(e.expires) {
		m.remove(el)
		return nil, nil
	}
	rec := e.rec
	return &rec, nil
}

// Lock implements Store.
func (m *Memory) Lock(_ context.Context, key string, ttl time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if exp, ok := m.locks[key]; ok && now.Before(exp) {
		return false, nil
	}
	m.locks[key] = now.Add(ttl)
	return true, nil
}

// Put implements Store. A record larger than the whole byte budget is not
// kept (the lock is still released).
func (m *Memory) Put(_ context.Context, key string, rec Record, retention time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.locks, key)
	if el, ok := m.records[key]; ok {
		m.remove(el)
	}
	if len(rec.Body) > m.maxBytes {
		return nil
	}
	m.records[key] = m.order.PushFront(&memEntry{key: key, rec: rec, expires: m.now().Add(retention)})
	m.bytes += len(rec.Body)
	for m.order.Len() > m.maxItems || m.bytes > m.maxBytes {
		m.remove(m.order.Back())
	}
	return nil
}

// Unlock implements Store.
func (m *Memory) Unlock(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.locks, key)
	return nil
}

func (m *Memory) remove(el *list.Element) {
	e := el.Value.(*memEntry)
	m.order.Remove(el)
	delete(m.records, e.key)
	m.bytes -= len(e.rec.Body)
}

// Len reports how many records are stored.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}
