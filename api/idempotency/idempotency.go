// Package idempotency makes engine retries of a write safe: the first
// execution under an Idempotency-Key runs and its answer is stored; a repeat
// of the same request with the same key gets the stored answer without a
// second upstream call, and concurrent repeats wait for the first. The store
// is in memory by default, or shared by every replica (Redis).
package idempotency

import (
	"context"
	"errors"
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
}

// Storable reports whether an answer is final and may be replayed: successes
// and refusals of the request itself. Transient failures (429, 5xx, timeouts)
// are not stored, so a retry runs again.
func (r Record) Storable() bool {
	return r.Status >= 200 && r.Status < 500 && r.Status != 408 && r.Status != 429
}

// Store keeps records and in-flight locks by key.
type Store interface {
	// Get returns the record stored under key, or nil.
	Get(ctx context.Context, key string) (*Record, error)
	// Lock claims key for one execution for at most ttl; it reports false
	// when another execution holds it.
	Lock(ctx context.Context, key string, ttl time.Duration) (bool, error)
	// Put stores rec under key for retention and releases the lock.
	Put(ctx context.Context, key string, rec Record, retention time.Duration) error
	// Unlock releases the lock without storing anything.
	Unlock(ctx context.Context, key string) error
}

// Errors of Do.
var (
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

// Outcome says how Do answered.
type Outcome int

// Outcomes of Do.
const (
	// Executed: run ran, and its answer was stored if it was storable.
	Executed Outcome = iota
	// Replayed: a stored answer was returned; run did not run.
	Replayed
)

// Do answers one request under key: the stored answer when there is one for
// the same fingerprint, ErrMismatch when the key belongs to another request,
// otherwise run's answer, stored when final. While another execution holds
// the key it waits, until ctx ends (ErrInProgress).
func Do(ctx context.Context, s Store, key, fingerprint string, o Options, run func() Record) (Record, Outcome, error) {
	wait := o.Poll
	if wait <= 0 {
		wait = 10 * time.Millisecond
	}
	for {
		rec, err := s.Get(ctx, key)
		if err != nil {
			return Record{}, Executed, err
		}
		if rec != nil {
			if rec.Fingerprint != fingerprint {
				return Record{}, Replayed, ErrMismatch
			}
			return *rec, Replayed, nil
		}
		locked, err := s.Lock(ctx, key, o.LockTTL)
		if err != nil {
			return Record{}, Executed, err
		}
		if locked {
			// The first holder may have finished between our Get and Lock:
			// its record and the release of its lock are stored together.
			if rec, err := s.Get(ctx, key); err != nil || rec != nil {
				_ = s.Unlock(context.WithoutCancel(ctx), key)
				if err != nil {
					return Record{}, Executed, err
				}
				if rec.Fingerprint != fingerprint {
					return Record{}, Replayed, ErrMismatch
				}
				return *rec, Replayed, nil
			}
			out := run()
			out.Fingerprint = fingerprint
			// The answer is sent even if storing it fails; the failure
			// is returned for the caller to log.
			if out.Storable() {
				err = s.Put(context.WithoutCancel(ctx), key, out, o.Retention)
			} else {
				err = s.Unlock(context.WithoutCancel(ctx), key)
			}
			return out, Executed, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Record{}, Executed, ErrInProgress
		case <-t.C:
		}
		wait = min(2*wait, 8*o.Poll+time.Millisecond)
	}
}
