package profitwelltest

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind names an injected failure.
type FaultKind string

// Fault kinds. All but FaultLatency and FaultTruncated answer before the
// request reaches authentication or state, so a faulted write changes
// nothing. FaultLatency delays a request that is then served normally.
// FaultTruncated serves the request normally (a write is applied) and loses
// half of the answer: the write happened, the answer was lost.
const (
	// FaultLatency sleeps Fault.Latency, then answers normally. If the
	// request context ends first (client gone, server closing) nothing is
	// answered and nothing is changed.
	FaultLatency FaultKind = "latency"
	// FaultRateLimit answers 429 {"detail": "Request was throttled. Expected
	// available in N seconds."} with Retry-After: N (Fault.RetryAfter; 0 or
	// less means 1).
	FaultRateLimit FaultKind = "rate_limit"
	// FaultRateLimitNoRetry answers 429 {"detail": "Request was throttled."}
	// without Retry-After.
	FaultRateLimitNoRetry FaultKind = "rate_limit_no_retry_after"
	// FaultServerError answers 500 text/html "<h1>Server Error (500)</h1>".
	FaultServerError FaultKind = "server_error"
	// FaultReset closes the TCP connection without answering (RST via
	// SetLinger(0)). Needs a real connection (Start, NewTestServer); on a
	// non-hijackable ResponseWriter it panics with http.ErrAbortHandler.
	FaultReset FaultKind = "reset"
	// FaultTruncated serves the request, sends its status, headers and a
	// Content-Length of the full body, then half of the body, and closes
	// the connection.
	FaultTruncated FaultKind = "truncated"
)

// Fault is one queued failure. Faults match in the order they were
// injected; the first match with remaining uses applies.
type Fault struct {
	Kind       FaultKind
	Method     string        // "" = any method
	PathPrefix string        // "" = any path; matched against r.URL.Path, e.g. "/v2/customers/"
	Times      int           // matching requests affected; 0 means 1; -1 means until ClearFaults
	Latency    time.Duration // for FaultLatency
	RetryAfter int           // seconds, for FaultRateLimit
}

type faultEntry struct {
	Fault
	remaining int // -1 = forever
}

// InjectFault queues f.
func (e *Emulator) InjectFault(f Fault) {
	n := f.Times
	if n == 0 {
		n = 1
	}
	if n < 0 {
		n = -1
	}
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	e.faults = append(e.faults, &faultEntry{Fault: f, remaining: n})
}

// ClearFaults drops every queued fault.
func (e *Emulator) ClearFaults() {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	e.faults = nil
}

func (e *Emulator) takeFault(method, path string) (Fault, bool) {
	e.faultMu.Lock()
	defer e.faultMu.Unlock()
	for i, f := range e.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		if f.remaining > 0 {
			f.remaining--
			if f.remaining == 0 {
				e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// applyFault performs f; done reports whether the request is finished.
func (e *Emulator) applyFault(w http.ResponseWriter, r *http.Request, rec *RecordedRequest, f Fault) (done bool) {
	switch f.Kind {
	case FaultLatency:
		t := time.NewTimer(f.Latency)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
			return false
		}
	case FaultRateLimit:
		resp := throttled(max(f.RetryAfter, 1), true)
		e.setStatus(rec, resp.status)
		writeResponse(w, resp)
	case FaultRateLimitNoRetry:
		resp := throttled(0, false)
		e.setStatus(rec, resp.status)
		writeResponse(w, resp)
	case FaultServerError:
		resp := serverError()
		e.setStatus(rec, resp.status)
		writeResponse(w, resp)
	case FaultReset:
		resetConnection(w)
	case FaultTruncated:
		resp := e.handle(w, r)
		e.setStatus(rec, resp.status)
		writeTruncated(w, resp)
	default:
		return false
	}
	return true
}

func resetConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func writeTruncated(w http.ResponseWriter, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.ctype != "" {
		h.Set("Content-Type", resp.ctype)
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body[:len(resp.body)/2])
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		_ = conn.Close()
	}
}
