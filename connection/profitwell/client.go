// Package profitwell is the HTTP client for ProfitWell's API v2
// (https://api.profitwell.com/v2/...).
//
// One *Client serves the whole process; each execution binds it to a private
// token with Client.Session. Every call:
//
//   - sends the bare token as Authorization (no "Bearer"), Accept and
//     Content-Type application/json, and a trailing slash on every path;
//   - is paced per token (ProfitWell allows 25 requests per 5 s per account)
//     and honours the context's deadline in pacing, backoff and I/O;
//   - is retried only when that is safe (reads, requests that never left,
//     429s) and never past the deadline;
//   - fails with exactly one type, *Error, whose Kind classifies the outcome.
//
// The token never appears in errors, logs or metrics: Token redacts itself
// and upstream bodies echoing it are scrubbed.
package profitwell

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// Defaults applied by New to zero Config fields.
const (
	DefaultRate         = 5.0                    // requests per second per token
	DefaultBurst        = 25                     // ProfitWell: 25 requests / 5 s
	DefaultMaxAttempts  = 3                      // total attempts, the first included
	DefaultBackoffBase  = 200 * time.Millisecond // first retry waits up to this
	DefaultBackoffMax   = 2 * time.Second        // cap of one backoff
	DefaultMaxBodyBytes = 16 << 20               // response body cap
	DefaultUserAgent    = "profitwell-connector"
)

const (
	// errBodyCap bounds how much of a non-2xx body a typed call reads to
	// extract ProfitWell's message; longer bodies are cut, not an error.
	errBodyCap = 64 << 10
	// maxPooledBuf keeps huge response buffers out of the pool.
	maxPooledBuf = 1 << 20
	// noRetryAfterCap bounds the wait before retrying a 429 that came
	// without Retry-After.
	noRetryAfterCap = 5 * time.Second
	// clientTimeout is a backstop deadline for calls whose context has none.
	clientTimeout = 60 * time.Second
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is ProfitWell's origin without "/v2", e.g.
	// "https://api.profitwell.com". http or https, with a host, no userinfo,
	// query or fragment. A path prefix is allowed (for a mounted emulator).
	BaseURL string
	// HTTPClient, when set, is used for every request (a copy of it, with
	// redirects disabled). nil means a dedicated, tuned transport.
	HTTPClient *http.Client
	// Rate (requests per second) and Burst pace each token; 0 means 5 and 25.
	Rate  float64
	Burst int
	// MaxAttempts is the total number of attempts per call; 0 means 3.
	MaxAttempts int
	// BackoffBase is the first full-jitter backoff ceiling and BackoffMax
	// caps any single backoff; 0 means 200ms and 2s.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxBodyBytes caps a response body; a bigger body is an error. 0 means
	// 16 MiB.
	MaxBodyBytes int64
	// UserAgent is sent on every request; "" means "profitwell-connector".
	UserAgent string
	// Registerer receives the client's metrics; nil registers none.
	// Several clients may share one registry (the collectors are shared).
	Registerer prometheus.Registerer
	// Logger receives one debug line per upstream attempt (endpoint template,
	// status, attempt, duration_ms, error_kind; never the token, ids or
	// bodies). A logger in the call's context (zerolog.Ctx, e.g. with a
	// request id) takes precedence. The zero Logger discards.
	Logger zerolog.Logger
	// Now returns the current time, used to read HTTP-date Retry-After
	// values; nil means time.Now. Pacing and deadlines always use the real
	// monotonic clock.
	Now func() time.Time
	// Pacer paces requests per token; nil means an in-process pacer with
	// Rate and Burst.
	Pacer Pacer
	// BreakerFailures is how many consecutive upstream failures (5xx,
	// connection failures, header timeouts) open the circuit; 0 means 5,
	// a negative value disables the breaker.
	BreakerFailures int
	// BreakerOpenFor is how long an open circuit refuses calls before one
	// probe may pass; 0 means 30s.
	BreakerOpenFor time.Duration
}

// Client is a ProfitWell API client. It is safe for concurrent use; create
// one per process and bind it to a token per execution with Session.
type Client struct {
	baseURL     *url.URL // scheme://host[/prefix], no trailing slash
	hc          *http.Client
	rt          http.RoundTripper // hc's transport, used directly when hc adds nothing to it
	userAgent   []string          // the User-Agent header's value slice, shared by every request
	traceable   bool              // the transport is an *http.Transport, so httptrace is reliable
	pacer       Pacer
	breaker     *breaker
	metrics     *metrics
	log         zerolog.Logger
	now         func() time.Time
	maxAttempts int
	backoffBase time.Duration
	backoffMax  time.Duration
	maxBody     int64
	jitter      func(ceiling time.Duration) time.Duration // uniform in [0, ceiling]; replaced in tests
}

// New validates cfg, applies defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	baseURL, err := parseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate):
		return nil, fmt.Errorf("profitwell: Rate must be positive, got %v", cfg.Rate)
	case cfg.Burst < 0:
		return nil, fmt.Errorf("profitwell: Burst must be positive, got %d", cfg.Burst)
	case cfg.MaxAttempts < 0:
		return nil, fmt.Errorf("profitwell: MaxAttempts must be positive, got %d", cfg.MaxAttempts)
	case cfg.BackoffBase < 0 || cfg.BackoffMax < 0:
		return nil, errors.New("profitwell: backoff durations must be positive")
	case cfg.MaxBodyBytes < 0:
		return nil, fmt.Errorf("profitwell: MaxBodyBytes must be positive, got %d", cfg.MaxBodyBytes)
	}
	c := &Client{
		baseURL:     baseURL,
		log:         cfg.Logger,
		now:         cfg.Now,
		userAgent:   []string{cmp.Or(cfg.UserAgent, DefaultUserAgent)},
		maxAttempts: cmp.Or(cfg.MaxAttempts, DefaultMaxAttempts),
		backoffBase: cmp.Or(cfg.BackoffBase, DefaultBackoffBase),
		backoffMax:  max(cmp.Or(cfg.BackoffMax, DefaultBackoffMax), cmp.Or(cfg.BackoffBase, DefaultBackoffBase)),
		maxBody:     cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.jitter = func(d time.Duration) time.Duration { return rand.N(d + 1) }
	c.pacer = cfg.Pacer
	if c.pacer == nil {
		c.pacer = NewLocalPacer(cmp.Or(cfg.Rate, DefaultRate), cmp.Or(cfg.Burst, DefaultBurst))
	}
	if c.metrics, err = newMetrics(cfg.Registerer); err != nil {
		return nil, fmt.Errorf("profitwell: register metrics: %w", err)
	}
	c.breaker = newBreaker(cmp.Or(cfg.BreakerFailures, defaultBreakerFailures),
		cmp.Or(cfg.BreakerOpenFor, DefaultBreakerOpenFor), c.metrics)
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient // a copy: we must not change the caller's redirect policy
		c.hc = &hc
	} else {
		c.hc = &http.Client{Transport: newTransport()}
	}
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	_, isTransport := c.hc.Transport.(*http.Transport)
	c.traceable = isTransport || c.hc.Transport == nil
	// With redirects refused, a client without a jar or timeout adds only a
	// per-request copy of the headers: requests then go to the transport.
	if c.hc.Jar == nil && c.hc.Timeout == 0 {
		c.rt = cmp.Or(c.hc.Transport, http.DefaultTransport)
	}
	return c, nil
}

func parseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("profitwell: BaseURL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("profitwell: invalid BaseURL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("profitwell: BaseURL scheme must be http or https, got %q", u.Scheme)
	case u.Host == "" || u.Opaque != "":
		return nil, errors.New("profitwell: BaseURL needs a host")
	case u.User != nil:
		return nil, errors.New("profitwell: BaseURL must not contain userinfo")
	case u.RawQuery != "" || u.ForceQuery:
		return nil, errors.New("profitwell: BaseURL must not contain a query")
	case u.Fragment != "":
		return nil, errors.New("profitwell: BaseURL must not contain a fragment")
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if strings.HasSuffix(p, "/v2") {
		return nil, errors.New(`profitwell: BaseURL must not include "/v2" (paths add it)`)
	}
	if u, err = url.Parse(u.Scheme + "://" + u.Host + p); err != nil {
		return nil, fmt.Errorf("profitwell: invalid BaseURL: %w", err)
	}
	u.Host = strings.TrimSuffix(u.Host, ":") // an empty port, as net/http drops it
	return u, nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil, // explicit: no proxy from the environment
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		MaxConnsPerHost:        128,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// Close closes idle connections. In-flight calls are not interrupted.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Session binds the client to one token for one execution. It counts the
// upstream HTTP attempts it makes (retries included; an attempt whose
// connection failed counts too, one refused by pacing or by local
// validation does not) and is safe for concurrent use.
type Session struct {
	c        *Client
	tok      Token
	requests atomic.Int64
}

// Session returns a new Session for tok.
func (c *Client) Session(tok Token) *Session { return &Session{c: c, tok: tok} }

// Requests returns how many HTTP attempts this session made to ProfitWell.
func (s *Session) Requests() int { return int(s.requests.Load()) }

// String describes the session without its token.
func (s *Session) String() string { return "profitwell.Session{token:" + redacted + "}" }

// Format prints the session without its token, whatever the verb.
func (s *Session) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// request is one logical call; the engine may send it several times.
type request struct {
	method   string
	op       string // endpoint template: metrics label and Error.Op
	path     string // escaped, starts with /v2/, ends with /
	rawQuery string
	body     []byte
	header   http.Header // extra caller headers (Session.Do only)
	raw      bool        // Session.Do: read any status' body up to the cap
}

func (r *request) idempotent() bool { return r.method == http.MethodGet || r.method == http.MethodHead }

// response is one attempt's answer. body is pooled: call release.
type response struct {
	status int
	header http.Header
	body   *bytes.Buffer
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (r *response) release() {
	if r != nil && r.body.Cap() <= maxPooledBuf {
		r.body.Reset()
		bufPool.Put(r.body)
	}
}

// run sends rq until handle accepts a response (returns nil; the error it
// returns otherwise is classified and may be retried), a non-retryable error
// occurs, attempts run out, or the deadline forbids waiting.
func (s *Session) run(ctx context.Context, rq *request, handle func(*response) *Error) *Error {
	if s.tok.IsZero() {
		return &Error{Kind: KindUnauthorized, Op: rq.op, Message: "no ProfitWell token"}
	}
	var last *Error
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return timeoutError(rq, err, "before sending", false)
		}
		if perr := s.pace(ctx, rq); perr != nil {
			if last != nil && perr.Kind == KindRateLimited {
				return last
			}
			return perr
		}
		if attempt > 1 {
			s.c.metrics.retries.WithLabelValues(rq.op).Inc()
		}
		last = s.attempt(ctx, rq, attempt, handle)
		if last == nil {
			return nil
		}
		wait, ok := s.retryWait(rq, last, attempt)
		if !ok || attempt >= s.c.maxAttempts {
			return last
		}
		if dl, has := ctx.Deadline(); has && time.Now().Add(wait).After(dl) {
			return last
		}
		if wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return timeoutError(rq, ctx.Err(), "during retry backoff", false)
			}
		}
	}
}

// retryWait decides whether aerr may be retried and after how long.
func (s *Session) retryWait(rq *request, aerr *Error, attempt int) (time.Duration, bool) {
	switch aerr.Kind {
	case KindRateLimited:
		if aerr.Status != http.StatusTooManyRequests {
			return 0, false // throttled inside a 4xx body without 429: still not processed, but be conservative
		}
		if aerr.RetryAfter > 0 {
			return aerr.RetryAfter, true
		}
		// No Retry-After: wait at least half the exponential step, capped at 5 s,
		// so an immediate retry does not hit the same window again.
		d := min(s.backoffCeiling(attempt), noRetryAfterCap)
		return d/2 + s.c.jitter(d/2), true
	case KindUnavailable:
		if aerr.circuitOpen || (aerr.Status >= 300 && aerr.Status < 400) {
			return 0, false
		}
		if aerr.neverSent || rq.idempotent() {
			return s.c.jitter(s.backoffCeiling(attempt)), true // full jitter
		}
	}
	return 0, false
}

func (s *Session) backoffCeiling(attempt int) time.Duration {
	d := s.c.backoffBase
	for i := 1; i < attempt && d < s.c.backoffMax; i++ {
		d *= 2
	}
	return min(d, s.c.backoffMax)
}

// pace waits for a request slot of the token, or fails fast when the slot
// comes after the deadline (without touching upstream).
func (s *Session) pace(ctx context.Context, rq *request) *Error {
	waited, err := s.c.pacer.Wait(ctx, s.tok.Hash())
	if err == nil {
		s.c.metrics.pacing.Observe(waited.Seconds())
		return nil
	}
	var pe *PaceError // declared here: it escapes, so the success path would allocate it
	switch {
	case errors.As(err, &pe):
		return &Error{Kind: KindRateLimited, Op: rq.op, RetryAfter: pe.Wait,
			Message: "too many requests for this token: no request slot before the deadline"}
	case ctx.Err() != nil:
		return timeoutError(rq, ctx.Err(), "while waiting for a request slot", false)
	}
	return &Error{Kind: KindUnavailable, Op: rq.op, Message: "request pacing failed", Err: err}
}

func timeoutError(rq *request, cause error, when string, outcomeUnknown bool) *Error {
	msg := "deadline exceeded " + when
	if errors.Is(cause, context.Canceled) {
		msg = "canceled " + when
	}
	return &Error{Kind: KindTimeout, Op: rq.op, Message: msg, Err: cause,
		OutcomeUnknown: outcomeUnknown && !rq.idempotent()}
}

// attempt sends rq once and hands a complete response to handle.
func (s *Session) attempt(ctx context.Context, rq *request, n int, handle func(*response) *Error) *Error {
	done, open := s.c.breaker.allow(s.tok.Hash(), rq)
	if open != nil {
		return &Error{Kind: KindUnavailable, Op: rq.op, RetryAfter: s.c.breaker.openFor,
			Message: "ProfitWell failed repeatedly for this connection and endpoint; its calls are paused for a while (circuit open)", Err: open,
			neverSent: true, circuitOpen: true}
	}
	s.requests.Add(1)
	start := time.Now()
	res, aerr := s.send(ctx, rq)
	if aerr == nil {
		aerr = handle(res)
	}
	status := 0
	if res != nil {
		status = res.status
	}
	done(upstreamFailed(status, aerr))
	res.release()
	d := time.Since(start)
	s.c.metrics.observeRequest(rq.op, status, d)
	// The context's logger when it has an enabled one (request ids flow in).
	log := zerolog.Ctx(ctx)
	if log.GetLevel() == zerolog.Disabled {
		log = &s.c.log
	}
	if ev := log.Debug(); ev.Enabled() {
		ev.Str("endpoint", rq.op).Int("status", status).Int("attempt", n).
			Float64("duration_ms", float64(d.Microseconds())/1000)
		if aerr != nil {
			ev.Str("error_kind", string(aerr.Kind))
		}
		ev.Msg("profitwell request")
	}
	return aerr
}

// send performs the HTTP exchange and reads the (capped) body. The caller
// releases the response, also when send fails.
func (s *Session) send(ctx context.Context, rq *request) (*response, *Error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, clientTimeout)
		defer cancel()
	}
	// Whether a change got a connection tells a failure that never reached
	// ProfitWell (safe to retry) from one whose outcome is unknown; a read
	// is retried either way, so it goes without the trace.
	traced := s.c.traceable && !rq.idempotent()
	var gotConn *atomic.Bool // allocated only when traced
	reqCtx := ctx
	if traced {
		gotConn = new(atomic.Bool)
		reqCtx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
			GotConn: func(httptrace.GotConnInfo) { gotConn.Store(true) },
		})
	}
	var body io.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	}
	req, err := s.c.newRequest(reqCtx, rq, body)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Op: rq.op, Message: "cannot build the request", Err: unwrapURLError(err)}
	}
	maps.Copy(req.Header, rq.header)
	// The shared value slices are only read: the transport copies nothing
	// into them, and nothing else sees the request.
	if req.Header.Get("Accept") == "" {
		req.Header["Accept"] = jsonMediaType
	}
	if len(rq.body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header["Content-Type"] = jsonMediaType
	}
	req.Header["User-Agent"] = s.c.userAgent
	req.Header["Authorization"] = []string{s.tok.Reveal()}

	var resp *http.Response
	if s.c.rt != nil {
		if resp, err = s.c.rt.RoundTrip(req); err == nil && resp.Body == nil {
			resp.Body = http.NoBody
		}
	} else {
		resp, err = s.c.hc.Do(req)
	}
	if err != nil {
		return nil, s.transportError(ctx, rq, err, traced && !gotConn.Load())
	}
	atEOF := false
	defer func() {
		// Drain a little of a body not read to its end, so the connection
		// can be reused, then close.
		if !atEOF {
			_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		}
		_ = resp.Body.Close()
	}()
	res := &response{status: resp.StatusCode, header: resp.Header, body: bufPool.Get().(*bytes.Buffer)}
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	// A write answered 2xx or 5xx whose body we cannot read may have been applied.
	unknown := !rq.idempotent() && (ok || resp.StatusCode >= 500)
	limit := s.c.maxBody
	if !ok && !rq.raw {
		limit = min(limit, errBodyCap)
	}
	buf := res.body
	if cl := resp.ContentLength; cl > 0 && cl <= limit {
		buf.Grow(int(cl) + bytes.MinRead)
	}
	n, rerr := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	atEOF = rerr == nil && n <= limit
	var failure string
	switch {
	case n > limit: // the limit reader ended it, so rerr is nil
		failure = fmt.Sprintf("response body exceeds %d bytes", limit)
		buf.Truncate(int(limit)) // an error body: its start is enough for the message
	case rerr != nil && ctx.Err() != nil:
		return res, timeoutError(rq, ctx.Err(), "while reading the response", true)
	case rerr != nil:
		failure = "truncated response body"
	}
	// A 2xx (or raw) body must be whole; a non-2xx one is classified by its
	// status with what arrived.
	if failure != "" && (ok || rq.raw) {
		return res, &Error{Kind: KindUnavailable, Op: rq.op, Status: resp.StatusCode,
			Message: failure, Err: unwrapURLError(rerr), OutcomeUnknown: unknown}
	}
	return res, nil
}

// transportError classifies a failure of http.Client.Do (no response).
func (s *Session) transportError(ctx context.Context, rq *request, err error, noConn bool) *Error {
	cause := unwrapURLError(err)
	if cerr := ctx.Err(); cerr != nil {
		return timeoutError(rq, cerr, "waiting for ProfitWell", !noConn)
	}
	var op *net.OpError
	neverSent := noConn || (errors.As(cause, &op) && op.Op == "dial")
	msg := "connection to ProfitWell failed"
	var nerr net.Error
	switch {
	case neverSent:
		msg = "could not connect to ProfitWell"
	case errors.As(cause, &nerr) && nerr.Timeout():
		msg = "ProfitWell did not answer in time"
	case errors.Is(cause, io.EOF) || errors.Is(cause, io.ErrUnexpectedEOF):
		msg = "ProfitWell closed the connection"
	}
	return &Error{Kind: KindUnavailable, Op: rq.op, Message: msg, Err: cause,
		OutcomeUnknown: !neverSent && !rq.idempotent(), neverSent: neverSent}
}

// newRequest builds a request without parsing its URL: paths are fixed
// segments and url.PathEscape'd ids or segments (call, RawTarget), queries
// are encoded. The URL is the one url.Parse would give for base+path?query
// (TestNewRequestURL).
func (c *Client) newRequest(ctx context.Context, rq *request, body io.Reader) (*http.Request, error) {
	path, err := url.PathUnescape(rq.path)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, rq.method, "", body)
	if err != nil {
		return nil, err
	}
	u := req.URL // the empty URL parsed from ""
	*u = url.URL{Scheme: c.baseURL.Scheme, Host: c.baseURL.Host, Path: c.baseURL.Path + path, RawQuery: rq.rawQuery}
	if path != rq.path {
		u.RawPath = c.baseURL.EscapedPath() + rq.path
	}
	req.Host = u.Host
	return req, nil
}

// jsonMediaType is the Accept and Content-Type value, shared by every request.
var jsonMediaType = []string{"application/json"}

// unwrapURLError drops *url.Error's "Get "http://…":" prefix: the URL holds
// ids and aliases, which do not belong in error texts or logs.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}
