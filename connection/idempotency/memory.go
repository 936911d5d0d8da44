package idempotency

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// Budget bounds an in-memory store. Each tenant has its own record and byte
// budget, and its records are dropped least recently stored first when it
// goes past them; the total bounds the whole store. A record that does not
// fit the total is not stored (ErrFull) rather than dropping another
// tenant's record, so no tenant can push out another's answers.
type Budget struct {
	// TenantRecords and TenantBytes bound one tenant's records and bodies.
	TenantRecords int
	TenantBytes   int
	// TotalBytes bounds the bodies of every tenant together.
	TotalBytes int
}

// DefaultBudget is the in-memory store's budget unless configured: 1,000
// answers and 4 MiB per tenant, 64 MiB in all.
var DefaultBudget = Budget{TenantRecords: 1000, TenantBytes: 4 << 20, TotalBytes: 64 << 20}

// Memory is an in-memory Store bounded per tenant and in total. It serves
// one replica.
type Memory struct {
	mu      sync.Mutex
	now     func() time.Time
	budget  Budget
	bytes   int
	tenants map[string]*tenantRecords
	locks   map[string]expiring[string] // owner tokens
}

type expiring[T any] struct {
	v       T
	expires time.Time
}

// tenantRecords are one tenant's records, least recently stored first out.
type tenantRecords struct {
	records *lru.Cache[string, expiring[Record]]
	bytes   int
}

// NewMemory returns a store within budget; a nil now means time.Now.
func NewMemory(budget Budget, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, budget: budget, tenants: map[string]*tenantRecords{}, locks: map[string]expiring[string]{}}
}

// Get implements Store.
func (m *Memory) Get(_ context.Context, key string) (*Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t := m.tenants[Tenant(key)]; t != nil {
		if e, ok := t.records.Peek(key); ok && m.now().Before(e.expires) {
			return &e.v, nil
		}
	}
	m.remove(key) // expired, or absent
	return nil, nil
}

// Lock implements Store.
func (m *Memory) Lock(_ context.Context, key string, ttl time.Duration) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if l, ok := m.locks[key]; ok && now.Before(l.expires) {
		return "", nil
	}
	owner := NewOwner()
	m.locks[key] = expiring[string]{owner, now.Add(ttl)}
	return owner, nil
}

// Put implements Store.
func (m *Memory) Put(_ context.Context, key, owner string, rec Record, retention time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unlock(key, owner)
	m.remove(key)
	size := len(rec.Body)
	if size > m.budget.TenantBytes {
		return fmt.Errorf("%w: an answer of %d bytes is larger than a tenant's budget", ErrFull, size)
	}
	if m.bytes+size > m.budget.TotalBytes {
		m.dropExpired()
		if m.bytes+size > m.budget.TotalBytes {
			return ErrFull
		}
	}
	name := Tenant(key)
	t := m.tenants[name]
	if t == nil {
		t = &tenantRecords{}
		t.records, _ = lru.NewWithEvict(max(m.budget.TenantRecords, 1), func(_ string, e expiring[Record]) {
			t.bytes -= len(e.v.Body)
			m.bytes -= len(e.v.Body)
		})
		m.tenants[name] = t
	}
	t.records.Add(key, expiring[Record]{rec, m.now().Add(retention)})
	t.bytes += size
	m.bytes += size
	for t.bytes > m.budget.TenantBytes {
		t.records.RemoveOldest()
	}
	return nil
}

// Unlock implements Store.
func (m *Memory) Unlock(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.unlock(key, owner)
	return nil
}

func (m *Memory) unlock(key, owner string) {
	if l, ok := m.locks[key]; ok && l.v == owner {
		delete(m.locks, key)
	}
}

// remove drops key's record (the eviction callback keeps the byte counts),
// and its tenant once empty.
func (m *Memory) remove(key string) {
	name := Tenant(key)
	if t := m.tenants[name]; t != nil && t.records.Remove(key) && t.records.Len() == 0 {
		delete(m.tenants, name)
	}
}

// dropExpired removes every expired record.
func (m *Memory) dropExpired() {
	now := m.now()
	for _, t := range m.tenants {
		for _, k := range t.records.Keys() {
			if e, ok := t.records.Peek(k); ok && !now.Before(e.expires) {
				m.remove(k)
			}
		}
	}
}

// NewOwner returns a random lock owner token.
func NewOwner() string { return rand.Text() }
