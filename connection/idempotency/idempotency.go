// Package idempotency makes engine retries of a write safe: the first
// execution under an Idempotency-Key runs and its answer is stored; a repeat
// of the same request with the same key gets the stored answer without a
// second upstream call, and concurrent repeats wait for the first. The store
// is in memory by default, or shared by every replica (Redis).
package idempotency

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"
)

// Record is a stored answer.
type Record struct {
	// Fingerprint identifies the request the answer belongs to.
	Fingerprint string `json:"f"`
	// Status, Header and Body are the answer as sent.
	Status int               `json:"s"`
	Header map[string]string `json:"h,omitempty"`
	Body   []byte            `json:"b"`
	// OutcomeUnknown marks a failed answer to a write that may have been
	// applied upstream: it is final (replayed, never run again) although
	// its status is a 5xx.
	OutcomeUnknown bool `json:"u,omitempty"`
	// RequestID is the request id the answer was first sent with; a replay
	// puts its own in its place.
	RequestID string `json:"r,omitempty"`
}

// Storable reports whether an answer is final and may be replayed: successes,
// refusals of the request itself, and writes whose outcome is unknown (running
// them again could apply them twice). Transient failures that provably did
// not change anything (429, 408, other 5xx) are not stored, so a retry runs
// again.
func (r Record) Storable() bool {
	return r.OutcomeUnknown || r.Status >= 200 && r.Status < 500 && r.Status != 408 && r.Status != 429
}

// Store keeps records and in-flight locks by key. A key is "tenant/id": a
// store budgets each tenant's records separately, so one tenant's records
// never push out another's (a key without "/" is its own tenant).
type Store interface {
	// Get returns the record stored under key, or nil.
	Get(ctx context.Context, key string) (*Record, error)
	// Lock claims key for one execution for at most ttl. It returns the
	// lock's owner token, or "" when another execution holds it.
	Lock(ctx context.Context, key string, ttl time.Duration) (string, error)
	// Put stores rec under key for retention and releases the lock if
	// owner still holds it (a lock that expired and was taken by another
	// execution stays with that execution).
	Put(ctx context.Context, key, owner string, rec Record, retention time.Duration) error
	// Unlock releases the lock without storing anything, if owner holds it.
	Unlock(ctx context.Context, key, owner string) error
}

// Tenant returns the tenant part of a store key.
func Tenant(key string) string {
	tenant, _, _ := strings.Cut(key, "/")
	return tenant
}

// Errors of a Store and of Do.
var (
	// ErrFull: a record was not stored because the store's budget is taken
	// by records that have not expired; the answer is still sent, and a
	// repeat runs again.
	ErrFull = errors.New("idempotency store full")
	// ErrMismatch: the key was used for a different request.
	ErrMismatch = errors.New("idempotency key already used for a different request")
	// ErrInProgress: another execution with the key did not finish before
	// this one's deadline.
	ErrInProgress = errors.New("an execution with this idempotency key is still in progress")
)

// Options tune Do.
type Options struct {
	// Retention is how long an answer is replayed.
	Retention time.Duration
	// LockTTL bounds how long an execution holds its key (its deadline plus
	// a margin), so a crashed replica does not block the key forever.
	LockTTL time.Duration
	// Poll is the first wait between checks while another execution holds
	// the key; it doubles up to 8 times that.
	Poll time.Duration
}

// Do answers one request under key: the stored answer when there is one for
// the same fingerprint (replayed: run did not run), ErrMismatch when the key
// belongs to another request, otherwise run's answer, stored when final.
// While another execution holds the key it waits, until ctx ends
// (ErrInProgress).
func Do(ctx context.Context, s Store, key, fingerprint string, o Options, run func() Record) (rec Record, replayed bool, err error) {
	wait := cmp.Or(max(o.Poll, 0), 10*time.Millisecond)
	for waited := false; ; waited = true {
		if rec, err := s.Get(ctx, key); err != nil || rec != nil {
			return replay(rec, fingerprint, gaveUp(ctx, waited, err))
		}
		switch owner, err := s.Lock(ctx, key, o.LockTTL); {
		case err != nil:
			return Record{}, false, gaveUp(ctx, waited, err)
		case owner != "":
			// The first holder may have finished between our Get and Lock:
			// its record and the release of its lock are stored together.
			bg := context.WithoutCancel(ctx)
			if rec, err := s.Get(ctx, key); err != nil || rec != nil {
				_ = s.Unlock(bg, key, owner)
				return replay(rec, fingerprint, err)
			}
			out := run()
			out.Fingerprint = fingerprint
			// The answer is sent even if storing it fails; the failure
			// is returned for the caller to log.
			if out.Storable() {
				err = s.Put(bg, key, owner, out, o.Retention)
			} else {
				err = s.Unlock(bg, key, owner)
			}
			return out, false, err
		}
		select {
		case <-ctx.Done():
			return Record{}, false, ErrInProgress
		case <-time.After(wait):
		}
		wait = min(2*wait, 8*o.Poll+time.Millisecond)
	}
}

// gaveUp names a store call that failed because ctx ended while this
// execution was already waiting for another holder of the key: that is the
// wait running out (ErrInProgress), whether the deadline struck between two
// polls or during a network store's round trip.
func gaveUp(ctx context.Context, waited bool, err error) error {
	if err != nil && waited && ctx.Err() != nil {
		return ErrInProgress
	}
	return err
}

// replay answers from the stored rec, or with the store's error.
func replay(rec *Record, fingerprint string, err error) (Record, bool, error) {
	switch {
	case err != nil:
		return Record{}, false, err
	case rec.Fingerprint != fingerprint:
		return Record{}, false, ErrMismatch
	}
	return *rec, true, nil
}
