package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Standard Webhooks v1 (https://www.standardwebhooks.com): the engine signs
// "<webhook-id>.<webhook-timestamp>.<raw body>" with HMAC-SHA256 under a
// shared secret and sends
//
//	webhook-id: msg_…
//	webhook-timestamp: <Unix seconds>
//	webhook-signature: v1,<base64 signature> [v1,<…> …]
//
// Several signatures (space-separated) and several secrets let a secret be
// rotated without downtime. The reference Go library handles one secret and
// no replays; this verifier adds both and reads our own clock.
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
	// signatureTolerance is how far a timestamp may be from now, both ways.
	signatureTolerance = 5 * time.Minute
	// maxSignatureHeader bounds the signature header we parse.
	maxSignatureHeader = 4096
)

// Signature errors. Their texts are safe to show: they hold no secret and no
// part of the signature.
const (
	errSignatureMissing   signatureError = "request is not signed (webhook-id, webhook-timestamp and webhook-signature are required)"
	errSignatureTimestamp signatureError = "webhook-timestamp is not within 5 minutes of the connector's clock"
	errSignatureMismatch  signatureError = "no webhook-signature matches the request"
	errSignatureReplay    signatureError = "webhook-id was already used"
	errSignatureMalformed signatureError = "webhook signature headers are malformed"
)

type signatureError string

func (e signatureError) Error() string { return string(e) }

// Verifier checks Standard Webhooks signatures against a set of secrets and
// refuses a webhook-id it has seen within the tolerance window.
type Verifier struct {
	secrets [][]byte
	now     func() time.Time
	shared  ReplayGuard // nil: ids are kept in local only
	local   *replayCache
}

// ReplayGuard remembers message ids. First reports whether id is seen for
// the first time, and remembers it until the given time. The default is in
// memory; a shared one (Redis) covers every replica.
type ReplayGuard interface {
	First(id string, until time.Time) (bool, error)
}

// NewVerifier parses secrets of the form "whsec_<base64>" (the prefix is
// optional). A nil guard keeps ids in memory; a nil now means time.Now.
//
// A shared guard that cannot answer (Redis down) is backed by one in memory:
// the signature was verified, so refusing it would make the connector's
// outage the caller's fault. Replays are then caught per replica; a replayed
// write still cannot run twice, since its webhook-id is its idempotency key
// and keyed writes are refused (retryable) while the shared store is down.
func NewVerifier(secrets []string, guard ReplayGuard, now func() time.Time) (*Verifier, error) {
	if now == nil {
		now = time.Now
	}
	v := &Verifier{now: now, shared: guard, local: &replayCache{max: 500_000, until: map[string]time.Time{}}}
	for i, s := range secrets {
		key, err := decodeSecret(s)
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("signing secret #%d must be whsec_ followed by the base64 of at least 16 bytes", i+1)
		}
		v.secrets = append(v.secrets, key)
	}
	if len(v.secrets) == 0 {
		return nil, errors.New("no signing secrets")
	}
	return v, nil
}

func decodeSecret(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "whsec_"))
}

// Sign returns the signature header value for one secret; engines and tests
// use it.
func Sign(secret, id string, timestamp time.Time, body []byte) (string, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(sign(key, id, strconv.FormatInt(timestamp.Unix(), 10), body)), nil
}

func sign(key []byte, id, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks the signature headers of a request over its raw body. On
// success the message (id and timestamp) is remembered, so the same signed
// message is refused for the rest of the tolerance window.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	id, ts, sigs := h.Get(headerWebhookID), h.Get(headerWebhookTimestamp), h.Get(headerWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return errSignatureMissing
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(id) > 256 || len(sigs) > maxSignatureHeader || strings.ContainsAny(id, ".\r\n") {
		return errSignatureMalformed
	}
	at := time.Unix(sec, 0)
	if age := v.now().Sub(at); age > signatureTolerance || age < -signatureTolerance {
		return errSignatureTimestamp
	}
	matched, candidates := false, strings.Fields(sigs)
	for _, key := range v.secrets {
		want := sign(key, id, ts, body)
		for _, candidate := range candidates {
			encoded, ok := strings.CutPrefix(candidate, "v1,")
			if got, err := base64.StdEncoding.DecodeString(encoded); ok && err == nil && hmac.Equal(got, want) {
				matched = true
			}
		}
	}
	if !matched {
		return errSignatureMismatch
	}
	// A replay is the same id and timestamp again; a retry keeps the id and
	// signs a new timestamp, and the idempotency store answers it. An entry
	// outlives its timestamp's window by a second, so a timestamp exactly
	// at the window's edge is still caught.
	switch first, err := v.first(id+"."+ts, at.Add(signatureTolerance+time.Second)); {
	case err != nil:
		return fmt.Errorf("replay check: %w", err)
	case !first:
		return errSignatureReplay
	}
	return nil
}

// first asks the shared guard, and the local one when there is none or it
// fails: every id the local one sees is one the shared one could not record.
func (v *Verifier) first(id string, until time.Time) (bool, error) {
	if v.shared != nil {
		if first, err := v.shared.First(id, until); err == nil {
			return first, nil
		}
	}
	return v.local.first(id, until, v.now())
}

// replayCache remembers webhook-ids until their timestamps leave the window.
type replayCache struct {
	mu    sync.Mutex
	max   int
	until map[string]time.Time
}

// first records id and reports whether it was new. When the cache is full,
// expired ids are dropped; if it is still full the request is refused rather
// than letting an id be forgotten early.
func (c *replayCache) first(id string, until, now time.Time) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.until[id]; ok && now.Before(exp) {
		return false, nil
	}
	if len(c.until) >= c.max {
		for k, exp := range c.until {
			if !now.Before(exp) {
				delete(c.until, k)
			}
		}
		if len(c.until) >= c.max {
			return false, errReplayCacheFull
		}
	}
	c.until[id] = until
	return true, nil
}

var errReplayCacheFull = errors.New("too many recent message ids")
