package profitwelltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SandboxPrefix is the path prefix of the sandbox's control API.
const SandboxPrefix = "/_sandbox/"

// sandboxLogSize is how many requests GET /_sandbox/requests returns at most.
const sandboxLogSize = 1000

// Sandbox is an Emulator with a control API under /_sandbox/, for people and
// tests that want to see a scenario's error handling work. Every request
// needs an accepted token as its Authorization header, like ProfitWell's own
// API:
//
//   - POST /_sandbox/faults queues a fault (see SandboxFault) → 201 {"id"};
//   - GET /_sandbox/faults lists the queued faults with their remaining hits;
//   - DELETE /_sandbox/faults removes every fault → 204;
//   - GET /_sandbox/requests → the last 1,000 ProfitWell requests, oldest
//     first, with the status actually answered (0: no answer);
//   - POST /_sandbox/reset → 204: the data is seeded again as at start and
//     every fault is removed (the request log is kept).
//
// Any other path is served by the emulator, through the queued faults.
type Sandbox struct {
	opts Options
	emu  atomic.Pointer[Emulator]

	mu     sync.Mutex
	faults []*sandboxFault
	nextID uint64
	log    []SandboxRequest // ring of sandboxLogSize
	logAt  int              // next slot once the ring is full
}

// NewSandbox returns a Sandbox serving a new Emulator (see New).
func NewSandbox(opts Options) *Sandbox {
	s := &Sandbox{opts: opts}
	s.emu.Store(New(opts))
	return s
}

// Emulator returns the emulator currently served (a reset replaces it).
func (s *Sandbox) Emulator() *Emulator { return s.emu.Load() }

// SandboxFault is the body of POST /_sandbox/faults.
type SandboxFault struct {
	ID string `json:"id,omitempty"`
	// Method and PathPrefix narrow the requests hit; empty means any.
	Method     string `json:"method,omitempty"`
	PathPrefix string `json:"pathPrefix,omitempty"`
	// Kind: "status" answers Status (with Retry-After when
	// RetryAfterSeconds is given); "latency" delays the answer by
	// LatencyMs; "reset" closes the connection without an answer;
	// "truncate" sends half of the answer, announced whole, and closes.
	Kind              string `json:"kind"`
	Status            int    `json:"status,omitempty"`
	RetryAfterSeconds int    `json:"retryAfterSeconds,omitempty"`
	LatencyMs         int    `json:"latencyMs,omitempty"`
	// Times is how many matching requests the fault hits (default 1);
	// a listing shows the hits left.
	Times int `json:"times"`
	// Apply says whether the request's change is made before the fault:
	// default true for reset and truncate, false for status. Latency
	// always serves the request.
	Apply *bool `json:"apply,omitempty"`
}

// SandboxRequest is one entry of GET /_sandbox/requests.
type SandboxRequest struct {
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query"`
	Status int       `json:"status"`
	At     time.Time `json:"at"`
}

type sandboxFault struct {
	SandboxFault
	apply     bool
	remaining int
}

// Limits of a fault's numbers.
const (
	maxFaultTimes      = 1_000_000
	maxFaultLatencyMs  = 120_000
	maxFaultRetryAfter = 86_400
	maxFaultPrefix     = 1024
)

// faultMethods are the methods a fault may name.
var faultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

// ServeHTTP implements http.Handler.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path+"/" == SandboxPrefix || strings.HasPrefix(r.URL.Path, SandboxPrefix) {
		s.serveControl(w, r)
		return
	}
	emu := s.emu.Load()
	f := s.take(r.Method, r.URL.Path)
	rec := s.record(r)
	if f == nil {
		sw := &statusRecorder{ResponseWriter: w}
		emu.ServeHTTP(sw, r)
		s.setStatus(rec, sw.status)
		return
	}
	switch f.Kind {
	case "latency":
		t := time.NewTimer(time.Duration(f.LatencyMs) * time.Millisecond)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
		}
		sw := &statusRecorder{ResponseWriter: w}
		emu.ServeHTTP(sw, r)
		s.setStatus(rec, sw.status)
	case "status":
		if f.apply {
			emu.ServeHTTP(&bufferedWriter{header: http.Header{}}, r)
		}
		resp := faultAnswer(f.Status, f.RetryAfterSeconds)
		s.setStatus(rec, resp.status)
		writeResponse(w, resp)
	case "reset":
		if f.apply {
			emu.ServeHTTP(&bufferedWriter{header: http.Header{}}, r)
		}
		resetConnection(w)
	case "truncate":
		bw := &bufferedWriter{header: http.Header{}}
		emu.ServeHTTP(bw, r)
		s.setStatus(rec, bw.code())
		writeTruncated(w, response{status: bw.code(), header: bw.header, body: bw.body.Bytes()})
	}
}

// faultAnswer is the answer of a "status" fault: ProfitWell's own shapes
// where it has one (DRF's throttle and detail bodies, Django's 500 page),
// a load balancer's HTML page for the other 5xx.
func faultAnswer(status, retryAfter int) response {
	var resp response
	switch {
	case status == http.StatusTooManyRequests:
		resp = throttled(retryAfter, retryAfter > 0)
	case status == http.StatusInternalServerError:
		resp = serverError()
	case status >= 500:
		resp = response{status: status, ctype: contentTypeHTML,
			body: []byte(fmt.Sprintf("<html><body><h1>%d %s</h1></body></html>", status, http.StatusText(status)))}
	case status == http.StatusUnauthorized:
		resp = detail(status, msgInvalidToken)
		resp.setHeader("WWW-Authenticate", "Token")
	default:
		resp = detail(status, http.StatusText(status))
	}
	if retryAfter > 0 {
		resp.setHeader("Retry-After", strconv.Itoa(retryAfter))
	}
	return resp
}

// take returns the first queued fault matching the request, counting the
// hit, or nil.
func (s *Sandbox) take(method, path string) *sandboxFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if !strings.HasPrefix(path, f.PathPrefix) {
			continue
		}
		f.remaining--
		if f.remaining <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func (s *Sandbox) record(r *http.Request) *SandboxRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := SandboxRequest{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, At: time.Now().UTC()}
	if len(s.log) < sandboxLogSize {
		s.log = append(s.log, e)
		return &s.log[len(s.log)-1]
	}
	s.log[s.logAt] = e
	p := &s.log[s.logAt]
	s.logAt = (s.logAt + 1) % sandboxLogSize
	return p
}

func (s *Sandbox) setStatus(rec *SandboxRequest, status int) {
	s.mu.Lock()
	rec.Status = status
	s.mu.Unlock()
}

// Requests returns the request log, oldest first.
func (s *Sandbox) Requests() []SandboxRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SandboxRequest, 0, len(s.log))
	out = append(out, s.log[s.logAt:]...)
	return append(out, s.log[:s.logAt]...)
}

// Reset seeds the data again as at start and removes every fault.
func (s *Sandbox) Reset() {
	emu := New(s.opts)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emu.Store(emu)
	s.faults = nil
}

// ControlHandler serves the control API only (any other path is 404), for
// mounting beside another service.
func (s *Sandbox) ControlHandler() http.Handler { return http.HandlerFunc(s.serveControl) }

func (s *Sandbox) serveControl(w http.ResponseWriter, r *http.Request) {
	token := r.Header.Get("Authorization")
	if token == "" {
		writeResponse(w, s.emu.Load().unauthorized(msgNoCredentials))
		return
	}
	if s.emu.Load().company(token) == nil {
		writeResponse(w, s.emu.Load().unauthorized(msgInvalidToken))
		return
	}
	var allow []string
	switch strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, SandboxPrefix), "/") {
	case "faults":
		allow = []string{http.MethodGet, http.MethodPost, http.MethodDelete}
		switch r.Method {
		case http.MethodPost:
			writeResponse(w, s.addFault(w, r))
			return
		case http.MethodDelete:
			s.mu.Lock()
			s.faults = nil
			s.mu.Unlock()
			writeResponse(w, response{status: http.StatusNoContent})
			return
		case http.MethodGet:
			s.mu.Lock()
			list := make([]SandboxFault, 0, len(s.faults))
			for _, f := range s.faults {
				v := f.SandboxFault
				v.Times = f.remaining
				apply := f.apply
				v.Apply = &apply
				list = append(list, v)
			}
			s.mu.Unlock()
			writeResponse(w, jsonResponse(http.StatusOK, list))
			return
		}
	case "requests":
		allow = []string{http.MethodGet}
		if r.Method == http.MethodGet {
			writeResponse(w, jsonResponse(http.StatusOK, s.Requests()))
			return
		}
	case "reset":
		allow = []string{http.MethodPost}
		if r.Method == http.MethodPost {
			s.Reset()
			writeResponse(w, response{status: http.StatusNoContent})
			return
		}
	default:
		writeResponse(w, notFound())
		return
	}
	resp := detail(http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
	resp.setHeader("Allow", strings.Join(allow, ", "))
	writeResponse(w, resp)
}

// addFault decodes, checks and queues a fault. Every bad field is named,
// DRF style ({"field": ["message"]}), and nothing is queued then.
func (s *Sandbox) addFault(w http.ResponseWriter, r *http.Request) response {
	var in struct {
		SandboxFault
		Times *int `json:"times"`
	}
	var errs fieldErrors
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			errs.add(te.Field[strings.LastIndexByte(te.Field, '.')+1:], "has the wrong type: "+te.Value+" where "+te.Type.String()+" is expected.")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			errs.add(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a field of a fault.")
		default:
			errs.add("non_field_errors", "The body must be one JSON object.")
		}
		return errs.response()
	}
	if _, err := dec.Token(); err != io.EOF {
		errs.add("non_field_errors", "The body must be one JSON object.")
		return errs.response()
	}
	f := in.SandboxFault
	// "times" absent means 1; an explicit 0 is refused below.
	times := 1
	if in.Times != nil {
		times = *in.Times
	}
	if f.ID != "" {
		errs.add("id", "is given by the sandbox.")
	}
	f.Method = strings.ToUpper(f.Method)
	if f.Method != "" && !contains(faultMethods, f.Method) {
		errs.add("method", "must be one of "+strings.Join(faultMethods, ", ")+", or empty for any.")
	}
	if f.PathPrefix != "" && (!strings.HasPrefix(f.PathPrefix, "/") || len(f.PathPrefix) > maxFaultPrefix) {
		errs.add("pathPrefix", fmt.Sprintf("must start with / (e.g. /v2/plans/) and have at most %d characters.", maxFaultPrefix))
	}
	kinds := []string{"status", "latency", "reset", "truncate"}
	if !contains(kinds, f.Kind) {
		errs.add("kind", "must be one of "+strings.Join(kinds, ", ")+".")
	}
	if f.Kind == "status" {
		if f.Status < 400 || f.Status > 599 {
			errs.add("status", "must be an HTTP error status from 400 to 599.")
		}
	} else if f.Status != 0 {
		errs.add("status", `is only for kind "status".`)
	}
	if f.RetryAfterSeconds < 0 || f.RetryAfterSeconds > maxFaultRetryAfter {
		errs.add("retryAfterSeconds", fmt.Sprintf("must be from 0 to %d.", maxFaultRetryAfter))
	} else if f.RetryAfterSeconds != 0 && f.Kind != "status" {
		errs.add("retryAfterSeconds", `is only for kind "status".`)
	}
	if f.Kind == "latency" {
		if f.LatencyMs < 1 || f.LatencyMs > maxFaultLatencyMs {
			errs.add("latencyMs", fmt.Sprintf("must be from 1 to %d.", maxFaultLatencyMs))
		}
	} else if f.LatencyMs != 0 {
		errs.add("latencyMs", `is only for kind "latency".`)
	}
	if times < 1 || times > maxFaultTimes {
		errs.add("times", fmt.Sprintf("must be from 1 to %d.", maxFaultTimes))
	}
	apply := f.Kind == "reset" || f.Kind == "truncate" || f.Kind == "latency"
	if f.Apply != nil {
		switch {
		case f.Kind == "latency" && !*f.Apply:
			errs.add("apply", "a delayed request is always served; leave apply out.")
		case f.Kind == "truncate" && !*f.Apply:
			errs.add("apply", "truncate cuts the answer of a request that was served, so the change is always made; use reset or status to fail before it.")
		default:
			apply = *f.Apply
		}
	}
	if !errs.empty() {
		return errs.response()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	f.ID = "f" + strconv.FormatUint(s.nextID, 10)
	f.Times = times
	f.Apply = &apply
	s.faults = append(s.faults, &sandboxFault{SandboxFault: f, apply: apply, remaining: times})
	return jsonResponse(http.StatusCreated, map[string]string{"id": f.ID})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// statusRecorder remembers the status an answer was sent with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bufferedWriter keeps an answer in memory instead of sending it.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}

func (w *bufferedWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
