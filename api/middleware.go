package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/manifest"
)

// validRequestID is what an inbound X-Request-Id (or an engine's
// execution id) must look like to be kept or logged.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// newRequestID returns 24 hex characters (96 bits) from the runtime's
// ChaCha8 generator, seeded by the operating system: unique and hard to
// guess, which is all a correlation id needs (it is no secret), without a
// call to the kernel's generator per request.
func newRequestID() string {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint32(b[8:], rand.Uint32())
	var hx [24]byte
	hex.Encode(hx[:], b[:])
	return string(hx[:])
}

// statusWriter remembers the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument writes the access log line and the HTTP metrics, labelled by
// the route pattern chi matched (bounded), never the raw path; a request no
// route matched is "unmatched".
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		elapsed := time.Since(start)
		route := chi.RouteContext(r.Context()).RoutePattern()
		if route == "" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.metrics.observeHTTP(route, r.Method, sw.status, elapsed)
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			return // probes and scrapes would drown the log
		}
		level := zerolog.InfoLevel
		if sw.status >= 500 {
			level = zerolog.WarnLevel
		}
		logOf(r.Context()).WithLevel(level).Str("method", r.Method).Str("route", route).Int("status", sw.status).
			Int("bytes", sw.bytes).Float64("duration_ms", float64(elapsed.Microseconds())/1000).
			Str("remote", r.RemoteAddr).Msg("request")
	})
}

// recoverer turns a panic into a clean RuntimeError. It logs the panic's type
// and stack, never its value, which could hold a secret.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler {
				panic(rec)
			}
			s.metrics.panics.Inc()
			logOf(r.Context()).Error().Str("panic_type", fmt.Sprintf("%T", rec)).
				Str("stack", string(debug.Stack())).Msg("panic while serving a request")
			s.writeError(w, r, errors.New("panic"))
		}()
		next.ServeHTTP(w, r)
	})
}

func hashKeys(keys []string) [][32]byte {
	out := make([][32]byte, 0, len(keys))
	for _, k := range keys {
		out = append(out, sha256.Sum256([]byte(k)))
	}
	return out
}

// authenticate accepts "Authorization: Bearer <key>" with one of the engine
// keys, compared in constant time over their digests. With no keys
// configured (sandbox or insecure mode) every request passes.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(s.keys) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		h := r.Header.Get("Authorization")
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			s.writeError(w, r, errEngineAuth)
			return
		}
		sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
		match := 0
		for _, k := range s.keys {
			match |= subtle.ConstantTimeCompare(sum[:], k[:])
		}
		if match != 1 {
			s.writeError(w, r, errEngineAuth)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads the request body, capped, into memory before anything
// looks at it: signatures are verified over these exact bytes and handlers
// decode them. A larger body is an errBodyTooLarge (413).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.deps.MaxBodyBytes {
		return nil, errBodyTooLarge
	}
	body, err := s.bodyOf(w, r)
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return nil, errBodyTooLarge
		}
		return nil, manifest.Invalid("body", "could not be read")
	}
	return body, nil
}

// exactBodyMax is the largest declared body length read into a buffer of
// that size up front; a larger one grows as bytes arrive, so a client
// cannot make the server reserve the whole cap by announcing it.
const exactBodyMax = 64 << 10

// bodyOf reads r's body, at most MaxBodyBytes. A small body of known length
// (checked against the cap by readBody) is read into a buffer of exactly
// that size; net/http delivers no byte past it. Reading exactly n bytes
// never asks the body for its end, so net/http starts no background read
// of the connection during the execution: under make bench, io.ReadAll
// instead cost the connector about 3% more CPU per small execution.
func (s *Server) bodyOf(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n == 0 || r.Body == nil || r.Body == http.NoBody {
		return []byte{}, nil
	} else if n > 0 && n <= exactBodyMax {
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, s.deps.MaxBodyBytes))
}

// verifySignature refuses, when signing secrets are configured, a request
// whose Standard Webhooks signature does not match its raw body (after the
// size cap, before any JSON parsing). Nothing else runs for such a request.
func (s *Server) verifySignature(r *http.Request, body []byte) error {
	if s.deps.Verifier == nil {
		return nil
	}
	if err := s.deps.Verifier.Verify(r.Header, body); err != nil {
		s.metrics.signatureFailures.Inc()
		return errors.Join(errEngineSignature, err)
	}
	return nil
}
