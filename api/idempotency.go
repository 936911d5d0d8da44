package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/manifest"
)

// IdempotencyHeader names the engine's key for a write.
const IdempotencyHeader = "Idempotency-Key"

// replayedHeader marks an answer served from the idempotency store.
const replayedHeader = "Idempotent-Replayed"

// errIdempotencyUnavailable: the store failed before a write could run.
var errIdempotencyUnavailable = errors.New("idempotency store unavailable")

// idempotencyKey returns the key under which a write module's answer is
// kept: the Idempotency-Key header (header true: executeOnce checks its
// format), or the signed webhook-id, which an engine keeps when it retries a
// message and which was verified with its signature. Read-only modules need
// none.
func (s *Server) idempotencyKey(r *http.Request, spec manifest.ModuleSpec) (key string, header bool) {
	if spec.Annotations.ReadOnly {
		return "", false
	}
	if k := r.Header.Get(IdempotencyHeader); k != "" {
		return k, true
	}
	if s.deps.Verifier != nil {
		return r.Header.Get(headerWebhookID), false
	}
	return "", false
}

// executeOnce runs a write at most once per key and token: a repeat of the
// same request gets the stored answer, another request under the same key
// is refused, and concurrent repeats wait for the first.
//
// An answer whose outcome upstream is unknown is stored like a final one and
// replayed, so a write that may have been applied never runs twice. Keys are
// stored as "token hash/key hash", so the store budgets each connection's
// records on their own.
func (s *Server) executeOnce(w http.ResponseWriter, r *http.Request, module, tokenHash, key string, fromHeader bool,
	timeout time.Duration, req *executeRequest, run func(http.ResponseWriter)) {
	if fromHeader && !validIdempotencyKey(key) {
		s.writeError(w, r, manifest.Invalid(IdempotencyHeader, "must be 1 to 255 printable ASCII characters"))
		return
	}
	params, err := json.Marshal(req.Parameters) // map keys sort: a canonical form
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	fp := sha256.Sum256(append([]byte(module+"\x00"), params...))
	scoped := sha256.Sum256([]byte(tokenHash + "\x00" + key))
	tenant := sha256.Sum256([]byte(tokenHash))
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	requestID := RequestID(r.Context())
	rec, replayed, err := idempotency.Do(ctx, s.deps.Idempotency,
		hex.EncodeToString(tenant[:16])+"/"+hex.EncodeToString(scoped[:]), hex.EncodeToString(fp[:]),
		idempotency.Options{Retention: s.deps.IdempotencyRetention, LockTTL: timeout + 10*time.Second, Poll: 10 * time.Millisecond},
		func() idempotency.Record {
			cw := &captureWriter{header: http.Header{}}
			run(cw)
			return cw.record(requestID)
		})
	result := "executed"
	switch {
	case errors.Is(err, idempotency.ErrMismatch):
		result = "mismatch"
	case errors.Is(err, idempotency.ErrInProgress):
		result = "in_progress"
	case err != nil && rec.Status == 0:
		result, err = "store_error", errors.Join(errIdempotencyUnavailable, err)
	case err != nil:
		// The write ran and its answer goes out; only storing it failed.
		logOf(r.Context()).Warn().Err(err).Msg("could not store the answer for the idempotency key")
		err = nil
	case replayed:
		result = "replayed"
		w.Header().Set(replayedHeader, "true")
		rec.Body = withRequestID(rec.Body, rec.RequestID, requestID)
	}
	s.metrics.idempotency.WithLabelValues(result).Inc()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for k, v := range rec.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// withRequestID puts the replaying request's id in place of the first
// request's in a stored error envelope. Request ids are
// [A-Za-z0-9._:-], so they appear in JSON unescaped.
func withRequestID(body []byte, first, current string) []byte {
	if first == "" || first == current {
		return body
	}
	return bytes.Replace(body, []byte(`"requestId":"`+first+`"`), []byte(`"requestId":"`+current+`"`), 1)
}

// validIdempotencyKey: 1 to 255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	return k != "" && len(k) <= 255 && !strings.ContainsFunc(k, func(c rune) bool { return c < 0x21 || c > 0x7e })
}

// captureWriter keeps an answer so it can be stored and then sent.
type captureWriter struct {
	header         http.Header
	status         int
	body           bytes.Buffer
	outcomeUnknown bool // set by writeError
}

func (c *captureWriter) Header() http.Header { return c.header }

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *captureWriter) Write(b []byte) (int, error) {
	c.WriteHeader(http.StatusOK) // unless a status was written
	return c.body.Write(b)
}

// record is the answer to store, with the headers worth replaying.
func (c *captureWriter) record(requestID string) idempotency.Record {
	rec := idempotency.Record{Status: c.status, Body: c.body.Bytes(), Header: map[string]string{},
		OutcomeUnknown: c.outcomeUnknown, RequestID: requestID}
	for _, h := range []string{"Content-Type", "Retry-After"} {
		if v := c.header.Get(h); v != "" {
			rec.Header[h] = v
		}
	}
	return rec
}
