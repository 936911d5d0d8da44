package profitwell

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoRequestShape(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s"})
		w.Header().Set("X-Upstream", "yes")
		respond(w, 200, `[{"customer_id":"c"}]`)
	})
	reg := prometheus.NewRegistry()
	cfg := testConfig(up.URL)
	cfg.Registerer = reg
	c := newTestClient(t, cfg)
	s := c.Session(NewToken(testToken))
	res, err := s.Do(context.Background(), RawRequest{
		Method: "GET",
		Path:   "/v2/customers?direction=desc",
		Query:  url.Values{"email": {"a@b.c"}, "page": {"2"}},
		Header: http.Header{
			"Authorization":       {"Bearer stolen"},
			"Host":                {"evil.example"},
			"Connection":          {"close, X-Drop-Me"},
			"X-Drop-Me":           {"1"},
			"Cookie":              {"a=b"},
			"Proxy-Authorization": {"x"},
			"X-Forwarded-For":     {"1.2.3.4"},
			"Transfer-Encoding":   {"chunked"},
			"X-Custom":            {"kept"},
			"Accept":              {"application/json; indent=4"},
		},
	})
	require.NoError(t, err)
	assert.Equal(t, 200, res.Status)
	assert.JSONEq(t, `[{"customer_id":"c"}]`, string(res.Body))
	assert.Equal(t, "yes", res.Header.Get("X-Upstream"))
	assert.Empty(t, res.Header.Values("Set-Cookie"))

	got := up.last(t)
	assert.Equal(t, "/v2/customers/?direction=desc&email=a%40b.c&page=2", got.RequestURI)
	assert.Equal(t, []string{testToken}, got.Header.Values("Authorization"))
	assert.Equal(t, "kept", got.Header.Get("X-Custom"))
	assert.Equal(t, "application/json; indent=4", got.Header.Get("Accept"))
	for _, h := range []string{"X-Drop-Me", "Cookie", "Proxy-Authorization", "X-Forwarded-For"} {
		assert.Empty(t, got.Header.Get(h), h)
	}
	assert.Equal(t, DefaultUserAgent, got.Header.Get("User-Agent"))
	assert.Equal(t, float64(1), metricSum(t, reg, "connector_upstream_requests_total"))
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" {
					assert.Equal(t, "raw", l.GetValue())
				}
			}
		}
	}
}

func TestDoStatusesAreResults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name     string
		method   string
		handler  http.HandlerFunc
		status   int
		body     string
		requests int
	}{
		{"404", "GET", jsonHandler(404, `{"detail":"Not found."}`), 404, `{"detail":"Not found."}`, 1},
		{"400", "POST", jsonHandler(400, `{"value":["bad"]}`), 400, `{"value":["bad"]}`, 1},
		{"401", "GET", jsonHandler(401, `{"detail":"no"}`), 401, `{"detail":"no"}`, 1},
		{"301 not followed", "GET", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/v2/x/", http.StatusMovedPermanently)
		}, 301, "", 1},
		{"GET 500 retried, last answer returned", "GET", textHandler(500, "text/html", "<h1>Server Error (500)</h1>"), 500, "<h1>Server Error (500)</h1>", 3},
		{"GET 500 then 200", "GET", sequence(textHandler(500, "", ""), jsonHandler(200, `{"ok":1}`)), 200, `{"ok":1}`, 2},
		{"POST 500 not retried", "POST", textHandler(500, "", "oops"), 500, "oops", 1},
		{"DELETE 204", "DELETE", textHandler(204, "", ""), 204, "", 1},
		{"POST 429 short then 201", "POST", sequence(with429(""), jsonHandler(201, `{}`)), 201, `{}`, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, tc.handler)
			s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
			res, err := s.Do(ctx, RawRequest{Method: tc.method, Path: "/v2/x/", Body: []byte(`{}`)})
			require.NoError(t, err)
			assert.Equal(t, tc.status, res.Status)
			if tc.body != "" {
				assert.Equal(t, tc.body, string(res.Body))
			}
			assert.Equal(t, tc.requests, s.Requests())
			if tc.method == "POST" {
				assert.Equal(t, "application/json", up.last(t).Header.Get("Content-Type"))
			}
		})
	}
}

func TestDoErrors(t *testing.T) {
	t.Parallel()
	t.Run("429 too long", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, with429("600"))
		s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := s.Do(ctx, RawRequest{Path: "/v2/plans/"})
		e := assertKind(t, err, KindRateLimited)
		assert.Equal(t, 600*time.Second, e.RetryAfter)
		assert.Equal(t, "raw", e.Op)
	})
	t.Run("body over the cap", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, jsonHandler(404, `{"detail":"`+strings.Repeat("x", 200)+`"}`))
		cfg := testConfig(up.URL)
		cfg.MaxBodyBytes = 100
		s := newTestClient(t, cfg).Session(NewToken(testToken))
		_, err := s.Do(context.Background(), RawRequest{Method: "POST", Path: "/v2/plans/"})
		e := assertKind(t, err, KindUnavailable)
		assert.False(t, e.OutcomeUnknown, "a 404 answer is known")
		assert.Equal(t, 1, s.Requests())
	})
	t.Run("POST 500 with a truncated body", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(500)
			_, _ = w.Write([]byte("<h1>"))
		})
		s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
		_, err := s.Do(context.Background(), RawRequest{Method: "POST", Path: "/v2/plans/"})
		e := assertKind(t, err, KindUnavailable)
		assert.True(t, e.OutcomeUnknown)
		assert.Equal(t, 1, s.Requests())
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, hang)
		s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		_, err := s.Do(ctx, RawRequest{Method: "PUT", Path: "/v2/plans/p/"})
		e := assertKind(t, err, KindTimeout)
		assert.True(t, e.OutcomeUnknown)
	})
	t.Run("invalid requests never leave", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, jsonHandler(200, `{}`))
		s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
		bad := []RawRequest{
			{Path: "//evil.example/v2/"},
			{Path: "https://evil.example/v2/"},
			{Path: "/v2/../admin/"},
			{Path: "/v2/%2e%2e/admin/"},
			{Path: "/v2/./plans/"},
			{Path: "/v2/plans/#frag"},
			{Path: "/v2/plans/\r\nHost: evil"},
			{Path: "/v2/\\evil/"},
			{Path: "/v2/" + strings.Repeat("a", 2100)},
			{Method: "TRACE", Path: "/v2/plans/"},
			{Method: "get", Path: "/v2/plans/"},
			{Path: "/v2/plans/", Header: http.Header{"X-Bad": {"a\r\nInjected: 1"}}},
			{Path: "/v2/plans/", Header: http.Header{"Bad Name": {"x"}}},
		}
		for _, rq := range bad {
			_, err := s.Do(context.Background(), rq)
			e := assertKind(t, err, KindInvalid)
			assert.Equal(t, "raw", e.Op)
		}
		assert.Equal(t, 0, s.Requests())
		assert.Equal(t, 0, up.count())
	})
}

func TestDoPathEscapesKept(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, jsonHandler(200, `[]`))
	s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
	// The path follows RawTarget, the policy makeApiCall checks first:
	// escapes are decoded once and written canonically, encoded slashes
	// are refused, and every path is under /v2.
	for path, want := range map[string]string{
		"/v2/users/luiz%27s%20alias": "/v2/users/luiz%27s%20alias/",
		"/v2/users/a b/":             "/v2/users/a%20b/",
		"/v1/transactions/":          "/v2/v1/transactions/",
	} {
		_, err := s.Do(context.Background(), RawRequest{Path: path})
		require.NoError(t, err, path)
		assert.Equal(t, want, up.last(t).RequestURI, path)
	}
	_, err := s.Do(context.Background(), RawRequest{Path: "/v2/users/luiz%2Fx/"})
	require.Error(t, err, "an encoded slash is refused")
}

// TestDoDropsEveryHeaderCheckRawHeaderRefuses: the headers a caller is told
// it may not set (CheckRawHeader refuses the name) never reach ProfitWell
// with the caller's value, so a module that checks first and the client
// cannot drift apart.
func TestDoDropsEveryHeaderCheckRawHeaderRefuses(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { respond(w, 200, `{}`) })
	s := newTestClient(t, testConfig(up.URL)).Session(NewToken(testToken))
	names := []string{"X-Forwarded-Host", "X-Forwarded-Proto", "Proxy-Foo", "x-real-ip", "forwarded", "proxy-authenticate"}
	for name := range forbiddenRawHeaders {
		names = append(names, name, strings.ToLower(name))
	}
	const canary = "caller-canary-value"
	for _, name := range names {
		p := CheckRawHeader(name, canary)
		require.NotNil(t, p, name)
		require.Equal(t, "key", p.Part, name)
		_, err := s.Do(context.Background(), RawRequest{Path: "/v2/plans/", Header: http.Header{name: {canary}, "X-Kept": {"1"}}})
		require.NoError(t, err, name)
		got := up.last(t)
		for k, vs := range got.Header {
			for _, v := range vs {
				assert.NotContains(t, v, canary, "%s reached ProfitWell as %s", name, k)
			}
		}
		assert.Equal(t, "1", got.Header.Get("X-Kept"), name)
	}
	assert.Nil(t, CheckRawHeader("X-Custom", "a\tb"))
	assert.Equal(t, &RawHeaderProblem{"value", "must not contain line breaks or control characters"}, CheckRawHeader("X-Custom", "a\x7f"))
	assert.Equal(t, "key", CheckRawHeader("X A", "b").Part)
}
