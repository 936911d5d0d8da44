package profitwell

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sequence answers the n-th request (0-based) with steps[n], repeating the
// last step afterwards.
func sequence(steps ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		if i >= len(steps) {
			i = len(steps) - 1
		}
		steps[i](w, r)
	}
}

func with429(retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		respond(w, http.StatusTooManyRequests, `{"detail":"Request was throttled."}`)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := jsonHandler(200, `{"id":"p","name":"P"}`)
	created := jsonHandler(201, `{"id":"p","name":"P"}`)
	e500 := textHandler(500, "text/html", "<h1>Server Error (500)</h1>")
	rst := func(w http.ResponseWriter, r *http.Request) { reset(w) }
	get := func(ctx context.Context, s *Session) error { _, err := s.GetPlan(ctx, "p"); return err }
	post := func(ctx context.Context, s *Session) error {
		_, err := s.CreatePlan(ctx, Plan{ID: "p", Name: "P"})
		return err
	}
	put := func(ctx context.Context, s *Session) error { _, err := s.UpdatePlan(ctx, "p", "P"); return err }
	del := func(ctx context.Context, s *Session) error { return s.DeleteUser(ctx, "u") }

	cases := []struct {
		name      string
		handler   http.HandlerFunc
		call      func(context.Context, *Session) error
		timeout   time.Duration
		wantKind  Kind // "" = success
		requests  int
		unknown   bool
		retryAftr time.Duration
		maxTime   time.Duration
	}{
		{name: "GET retried on 500 then succeeds", handler: sequence(e500, ok), call: get, requests: 2},
		{name: "GET retried on reset then succeeds", handler: sequence(rst, ok), call: get, requests: 2},
		{name: "GET retried on truncated body", handler: sequence(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "50")
			_, _ = w.Write([]byte(`{"id":`))
		}, ok), call: get, requests: 2},
		{name: "GET gives up after MaxAttempts", handler: e500, call: get, wantKind: KindUnavailable, requests: 3},
		{name: "GET not retried on 404", handler: jsonHandler(404, `{"detail":"Not found."}`), call: get, wantKind: KindNotFound, requests: 1},
		{name: "GET not retried on 400", handler: jsonHandler(400, `{"detail":"bad"}`), call: get, wantKind: KindInvalid, requests: 1},
		{name: "GET not retried on 401", handler: jsonHandler(401, `{"detail":"no"}`), call: get, wantKind: KindUnauthorized, requests: 1},
		{name: "GET not retried on redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere/", http.StatusFound)
		}, call: get, wantKind: KindUnavailable, requests: 1},
		{name: "POST not retried on 500", handler: sequence(e500, created), call: post, wantKind: KindUnavailable, requests: 1, unknown: true},
		{name: "PUT not retried on 502", handler: sequence(textHandler(502, "", ""), ok), call: put, wantKind: KindUnavailable, requests: 1, unknown: true},
		{name: "DELETE not retried on reset", handler: sequence(rst, ok), call: del, wantKind: KindUnavailable, requests: 1, unknown: true},
		{name: "POST not retried on truncated body", handler: sequence(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "50")
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"id":`))
		}, created), call: post, wantKind: KindUnavailable, requests: 1, unknown: true},
		{name: "POST 4xx is a known outcome", handler: jsonHandler(400, `{"non_field_errors":["already exists"]}`), call: post, wantKind: KindDuplicate, requests: 1},
		{name: "429 short Retry-After waited (GET)", handler: sequence(with429("1"), ok), call: get, requests: 2, timeout: 5 * time.Second},
		{name: "429 short Retry-After waited (POST)", handler: sequence(with429("1"), created), call: post, requests: 2, timeout: 5 * time.Second},
		{name: "429 without Retry-After backs off and retries", handler: sequence(with429(""), ok), call: get, requests: 2},
		{name: "429 long Retry-After returns at once", handler: with429("120"), call: post, timeout: 2 * time.Second,
			wantKind: KindRateLimited, requests: 1, retryAftr: 120 * time.Second, maxTime: 500 * time.Millisecond},
		{name: "429 every time exhausts attempts", handler: with429(""), call: get, wantKind: KindRateLimited, requests: 3},
		{name: "hanging GET times out at the deadline", handler: hang, call: get, timeout: 300 * time.Millisecond,
			wantKind: KindTimeout, requests: 1, maxTime: 400 * time.Millisecond},
		{name: "hanging POST times out, outcome unknown", handler: hang, call: post, timeout: 300 * time.Millisecond,
			wantKind: KindTimeout, requests: 1, unknown: true, maxTime: 400 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, tc.handler)
			reg := prometheus.NewRegistry()
			cfg := testConfig(up.URL)
			cfg.Registerer = reg
			c := newTestClient(t, cfg)
			s := c.Session(NewToken(testToken))
			ctx := context.Background()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			start := time.Now()
			err := tc.call(ctx, s)
			elapsed := time.Since(start)
			if tc.wantKind == "" {
				require.NoError(t, err)
			} else {
				e := assertKind(t, err, tc.wantKind)
				assert.Equal(t, tc.unknown, e.OutcomeUnknown, "OutcomeUnknown")
				assert.Equal(t, tc.retryAftr, e.RetryAfter)
				if tc.wantKind == KindTimeout {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
				}
			}
			assert.Equal(t, tc.requests, s.Requests(), "Session.Requests")
			assert.Equal(t, tc.requests, up.count(), "requests seen upstream")
			if tc.maxTime > 0 {
				assert.Less(t, elapsed, tc.maxTime)
			}
			assert.Equal(t, float64(tc.requests-1), metricSum(t, reg, "connector_upstream_retries_total"), "retries metric")
			assert.Equal(t, float64(tc.requests), metricSum(t, reg, "connector_upstream_requests_total"), "requests metric")
		})
	}
}

// hang blocks until the client gives up.
func hang(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

func TestPOSTRetriedWhenNeverSent(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(201, `{"id":"p","name":"P"}`))
	var dials atomic.Int64
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("connection refused")}
		}
		return d.DialContext(ctx, network, addr)
	}}
	cfg := testConfig(up.URL)
	cfg.HTTPClient = &http.Client{Transport: tr}
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	p, err := s.CreatePlan(context.Background(), Plan{ID: "p", Name: "P"})
	require.NoError(t, err)
	assert.Equal(t, "p", p.ID)
	assert.Equal(t, 2, s.Requests(), "the refused attempt counts")
	assert.Equal(t, 1, up.count(), "ProfitWell got the write once")
}

func TestConnectionRefusedEveryTime(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, testConfig("http://"+freeAddr(t)))
	s := c.Session(NewToken(testToken))
	_, err := s.CreateSubscription(context.Background(), CreateSubscription{})
	e := assertKind(t, err, KindUnavailable)
	assert.False(t, e.OutcomeUnknown, "nothing reached ProfitWell")
	assert.Equal(t, 3, s.Requests())
}

func TestBackoffNeverCrossesTheDeadline(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, textHandler(503, "", ""))
	cfg := testConfig(up.URL)
	cfg.BackoffBase = 10 * time.Second
	cfg.BackoffMax = 10 * time.Second
	c := newTestClient(t, cfg)
	c.jitter = func(d time.Duration) time.Duration { return d } // worst case
	s := c.Session(NewToken(testToken))
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.GetPlan(ctx, "p")
	e := assertKind(t, err, KindUnavailable)
	assert.Equal(t, 503, e.Status, "the last upstream error, not a timeout")
	assert.Less(t, time.Since(start), 200*time.Millisecond, "returned without sleeping")
	assert.Equal(t, 1, s.Requests())
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, textHandler(503, "", ""))
	cfg := testConfig(up.URL)
	cfg.BackoffBase = 5 * time.Second
	cfg.BackoffMax = 5 * time.Second
	c := newTestClient(t, cfg)
	c.jitter = func(d time.Duration) time.Duration { return d }
	s := c.Session(NewToken(testToken))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := s.GetPlan(ctx, "p")
	e := assertKind(t, err, KindTimeout)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, e.Message, "canceled")
}

func TestExpiredContextSendsNothing(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(200, `{}`))
	c := newTestClient(t, testConfig(up.URL))
	s := c.Session(NewToken(testToken))
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	err := s.APIStatus(ctx)
	assertKind(t, err, KindTimeout)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 0, s.Requests())
	assert.Equal(t, 0, up.count())
}

func TestBackoffCeiling(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, Config{BaseURL: "http://127.0.0.1:9"})
	s := c.Session(NewToken(testToken))
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 2 * time.Second, 2 * time.Second}
	for i, w := range want {
		assert.Equal(t, w, s.backoffCeiling(i+1), "attempt %d", i+1)
	}
	assert.Equal(t, 2*time.Second, s.backoffCeiling(100))
	// 429 without Retry-After waits between half and all of the step.
	c.jitter = func(d time.Duration) time.Duration { return 0 }
	d, ok := s.retryWait(&request{method: "POST"}, &Error{Kind: KindRateLimited, Status: 429}, 1)
	assert.True(t, ok)
	assert.Equal(t, 100*time.Millisecond, d)
	d, ok = s.retryWait(&request{method: "POST"}, &Error{Kind: KindRateLimited, Status: 429, RetryAfter: 3 * time.Second}, 1)
	assert.True(t, ok)
	assert.Equal(t, 3*time.Second, d)
	_, ok = s.retryWait(&request{method: "POST"}, &Error{Kind: KindUnavailable, Status: 500}, 1)
	assert.False(t, ok)
	_, ok = s.retryWait(&request{method: "POST"}, &Error{Kind: KindUnavailable, neverSent: true}, 1)
	assert.True(t, ok)
	_, ok = s.retryWait(&request{method: "GET"}, &Error{Kind: KindUnavailable, Status: 301}, 1)
	assert.False(t, ok)
}

// metricSum adds every sample of a counter family (histograms: their counts).
func metricSum(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	require.NoError(t, err)
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}
