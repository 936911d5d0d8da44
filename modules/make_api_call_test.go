package modules

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// wireRequest is one request as it reached the (wrapped) emulator.
type wireRequest struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       []byte
}

// wire records what the client put on the wire in front of an emulator.
type wire struct {
	mu   sync.Mutex
	reqs []wireRequest
}

func (w *wire) last(t *testing.T) wireRequest {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	require.NotEmpty(t, w.reqs)
	return w.reqs[len(w.reqs)-1]
}

// newWireSandbox is newSandbox with a recorder of headers and bodies between
// the client and the emulator (the emulator's own log has neither).
func newWireSandbox(t *testing.T) (*sandbox, *wire) {
	t.Helper()
	emu := profitwelltest.New(profitwelltest.Options{Seed: 42})
	rec := &wire{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, wireRequest{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body})
		rec.mu.Unlock()
		emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return sandboxAt(t, srv.URL, emu, nil), rec
}

// rawBundle returns makeApiCall's one bundle.
func rawBundle(t *testing.T, out Output) (status int, headers map[string]string, body any) {
	t.Helper()
	require.Len(t, out.Bundles, 1)
	b, ok := out.Bundles[0].(rawCallBundle)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	require.NotNil(t, b.Headers)
	return b.StatusCode, b.Headers, b.Body
}

func TestMakeAPICallGetPlans(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	out, n := s.mustRun("makeApiCall", map[string]any{"url": "/plans/"})
	assert.Equal(t, 1, n)
	status, headers, body := rawBundle(t, out)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/json", headers["content-type"])
	for k := range headers {
		assert.Equal(t, strings.ToLower(k), k, "header names are lower-case")
	}
	plans, ok := body.([]any)
	require.True(t, ok, "a JSON answer is parsed, got %T", body)
	require.GreaterOrEqual(t, len(plans), 5)
	assert.Contains(t, plans, map[string]any{"id": "starter", "name": "Starter"})
	reqs := s.emu.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, http.MethodGet, reqs[0].Method, "GET is the default method")
	assert.Equal(t, "/v2/plans/", reqs[0].Path)
}

func TestMakeAPICallCreateThenGet(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	tests := []struct {
		name string
		id   string
		body any
	}{
		{"JSON object", "raw-json", map[string]any{"id": "raw-json", "name": "Raw JSON"}},
		{"JSON text as a string", "raw-text", `{"id": "raw-text", "name": "Raw text"}`},
	}
	for _, tc := range tests {
		out, _ := s.mustRun("makeApiCall", map[string]any{"url": "plans", "method": "post", "body": tc.body})
		status, _, body := rawBundle(t, out)
		assert.Equal(t, http.StatusCreated, status, tc.name)
		assert.Equal(t, tc.id, body.(map[string]any)["id"], tc.name)

		out, _ = s.mustRun("makeApiCall", map[string]any{"url": "/plans/" + tc.id + "/"})
		status, _, body = rawBundle(t, out)
		assert.Equal(t, http.StatusOK, status, tc.name)
		assert.Equal(t, tc.id, body.(map[string]any)["id"], tc.name)
	}
	got, _ := s.mustRun("getPlan", map[string]any{"planId": "raw-json"})
	assert.Equal(t, "Raw JSON", planOf(t, got).Name, "the typed module sees the raw call's plan")
}

func TestMakeAPICallStatusesAreBundles(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Method: http.MethodPost, PathPrefix: "/v2/plans/"})
	tests := []struct {
		name   string
		params map[string]any
		status int
		body   any
	}{
		{"5xx of a write (not retried)", map[string]any{"url": "/plans/", "method": "POST", "body": map[string]any{"id": "x", "name": "x"}},
			http.StatusInternalServerError, "<h1>Server Error (500)</h1>"},
		{"404", map[string]any{"url": "/plans/no-such-plan/"}, http.StatusNotFound, map[string]any{"detail": "Not found."}},
		{"404 of an unknown endpoint", map[string]any{"url": "/nothing-here/"}, http.StatusNotFound, map[string]any{"detail": "Not found."}},
		{"405", map[string]any{"url": "/plans/", "method": "PATCH"}, http.StatusMethodNotAllowed, map[string]any{"detail": `Method "PATCH" not allowed.`}},
		{"400 with field errors", map[string]any{"url": "/plans/", "method": "POST", "body": map[string]any{"name": "No id"}},
			http.StatusBadRequest, map[string]any{"id": []any{"This field is required."}}},
		{"415 for a text body sent as is", map[string]any{"url": "/plans/", "method": "POST", "body": "id=x&name=y",
			"headers": []any{map[string]any{"key": "Content-Type", "value": "application/x-www-form-urlencoded"}}},
			http.StatusUnsupportedMediaType, map[string]any{"detail": `Unsupported media type "application/x-www-form-urlencoded" in request.`}},
		{"DELETE of a plan is not allowed", map[string]any{"url": "/plans/starter/", "method": "DELETE"}, http.StatusMethodNotAllowed,
			map[string]any{"detail": `Method "DELETE" not allowed.`}},
	}
	for _, tc := range tests {
		out, n, err := s.run("makeApiCall", tc.params)
		require.NoError(t, err, tc.name)
		assert.Equal(t, 1, n, tc.name)
		status, headers, body := rawBundle(t, out)
		assert.Equal(t, tc.status, status, tc.name)
		assert.Equal(t, tc.body, body, tc.name)
		assert.NotEmpty(t, headers["content-type"], tc.name)
	}
}

func TestMakeAPICallUnauthorizedIsAnInvalidToken(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	s.token = profitwell.NewToken("wrong-token")
	_, n, err := s.run("makeApiCall", map[string]any{"url": "/plans/"})
	var pw *profitwell.Error
	require.ErrorAs(t, err, &pw)
	assert.Equal(t, profitwell.KindUnauthorized, pw.Kind)
	assert.Equal(t, http.StatusUnauthorized, pw.Status)
	assert.Equal(t, "Invalid token.", pw.Message)
	assert.Equal(t, 1, n)
	assert.NotContains(t, err.Error(), "wrong-token")
}

// TestMakeAPICallForbiddenIsAnInvalidToken: a 403 is a refused token too,
// its message read as the typed calls read one.
func TestMakeAPICallForbiddenIsAnInvalidToken(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "<html>no</html>")
	}))
	t.Cleanup(srv.Close)
	s := sandboxAt(t, srv.URL, nil, nil)
	_, _, err := s.run("makeApiCall", map[string]any{"url": "/plans/"})
	var pw *profitwell.Error
	require.ErrorAs(t, err, &pw)
	assert.Equal(t, profitwell.KindUnauthorized, pw.Kind)
	assert.Equal(t, http.StatusForbidden, pw.Status)
	assert.Equal(t, "ProfitWell returned an HTML error page (403)", pw.Message)
}

func TestMakeAPICallOnTheWire(t *testing.T) {
	t.Parallel()
	s, rec := newWireSandbox(t)

	out, _ := s.mustRun("makeApiCall", map[string]any{
		"url": "/customers/?per_page=1",
		"qs":  []any{map[string]any{"key": "direction", "value": "desc"}, map[string]any{"key": "email", "value": ""}},
		"headers": []any{
			map[string]any{"key": "X-Scenario", "value": "run 42"},
			map[string]any{"key": "accept", "value": "application/json; indent=2"},
			map[string]any{"key": "X-Multi", "value": "a"},
			map[string]any{"key": "x-multi", "value": "b"},
		},
	})
	status, _, body := rawBundle(t, out)
	assert.Equal(t, http.StatusOK, status)
	assert.Len(t, body, 1, "per_page from the url applies")
	got := rec.last(t)
	assert.Equal(t, "/v2/customers/?direction=desc&email=&per_page=1", got.RequestURI, "url query merged with Query String")
	assert.Equal(t, "run 42", got.Header.Get("X-Scenario"), "custom headers pass through")
	assert.Equal(t, "application/json; indent=2", got.Header.Get("Accept"))
	assert.Equal(t, []string{"a", "b"}, got.Header.Values("X-Multi"))
	assert.Equal(t, []string{profitwelltest.DefaultToken}, got.Header.Values("Authorization"), "the connection's token, bare")

	s.mustRun("makeApiCall", map[string]any{"url": "/plans/", "method": "POST", "body": map[string]any{"id": "w1", "name": "Wire", "n": 1.5}})
	got = rec.last(t)
	assert.Equal(t, http.MethodPost, got.Method)
	assert.JSONEq(t, `{"id":"w1","name":"Wire","n":1.5}`, string(got.Body), "a JSON value is sent as JSON")
	assert.Equal(t, "application/json", got.Header.Get("Content-Type"))

	s.mustRun("makeApiCall", map[string]any{"url": "/plans/w1", "method": "PUT", "body": " {\"name\": \"Wire 2\"} "})
	got = rec.last(t)
	assert.Equal(t, "/v2/plans/w1/", got.RequestURI, "the trailing slash is added")
	assert.Equal(t, " {\"name\": \"Wire 2\"} ", string(got.Body), "a string is sent as is")

	s.mustRun("makeApiCall", map[string]any{"url": "/users/luiz's alias/"})
	assert.Equal(t, "/v2/users/luiz%27s%20alias/", rec.last(t).RequestURI, "spaces and quotes are percent-encoded")
}

func TestMakeAPICallGoodURLs(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	tests := []struct {
		url       string
		wantPath  string // as the emulator decodes it
		wantQuery url.Values
		status    int
	}{
		{"/plans/", "/v2/plans/", url.Values{}, 200},
		{"/plans", "/v2/plans/", url.Values{}, 200},
		{"plans/", "/v2/plans/", url.Values{}, 200},
		{"plans", "/v2/plans/", url.Values{}, 200},
		{"/v2/plans/", "/v2/plans/", url.Values{}, 200},
		{"v2/plans", "/v2/plans/", url.Values{}, 200},
		{"/plans/?", "/v2/plans/", url.Values{}, 200},
		{"/plans/starter", "/v2/plans/starter/", url.Values{}, 200},
		{"/customers/?per_page=1", "/v2/customers/", url.Values{"per_page": {"1"}}, 200},
		{"/customers?per_page=1&direction=desc", "/v2/customers/", url.Values{"per_page": {"1"}, "direction": {"desc"}}, 200},
		{"/users/luiz's%20alias/", "/v2/users/luiz's alias/", url.Values{}, 200},
		{"/users/luiz's alias", "/v2/users/luiz's alias/", url.Values{}, 200},
		{"/users/spiderman%201a/", "/v2/users/spiderman 1a/", url.Values{}, 200},
		{"/company/settings", "/v2/company/settings/", url.Values{}, 200},
		{"/metrics/monthly/?metrics=recurring_revenue,active_customers", "/v2/metrics/monthly/",
			url.Values{"metrics": {"recurring_revenue,active_customers"}}, 200},
		{"/users/someone@example.com:1/", "/v2/users/someone@example.com:1/", url.Values{}, 404},
		{"/users/jos%C3%A9/", "/v2/users/josé/", url.Values{}, 404},
	}
	for _, tc := range tests {
		s.emu.ResetRequests()
		out, n, err := s.run("makeApiCall", map[string]any{"url": tc.url})
		require.NoError(t, err, tc.url)
		assert.Equal(t, 1, n, tc.url)
		status, _, _ := rawBundle(t, out)
		assert.Equal(t, tc.status, status, tc.url)
		reqs := s.emu.Requests()
		require.Len(t, reqs, 1, tc.url)
		assert.Equal(t, tc.wantPath, reqs[0].Path, tc.url)
		q, err := url.ParseQuery(reqs[0].RawQuery)
		require.NoError(t, err)
		assert.Equal(t, tc.wantQuery, q, tc.url)
	}
}

// hostileURLs are refused before any request; want is a part of the message.
var hostileURLs = []struct {
	url  string
	want string
}{
	{"http://evil.example/x", "not an absolute URL"},
	{"https://api.profitwell.com@evil.example/", "not an absolute URL"},
	{"https://evil.example/v2/plans/", "not an absolute URL"},
	{"HTTPS://api.profitwell.com/v2/plans/", "not an absolute URL"},
	{"javascript:alert(1)", "not an absolute URL"},
	{"mailto:a@b.example", "not an absolute URL"},
	{"localhost:8080/v2/plans/", "not an absolute URL"},
	{"//evil.example", "not a host"},
	{"//evil.example/v2/plans/", "not a host"},
	{"evil.example@api.profitwell.com/plans", "without a user or host"},
	{"api.profitwell.com/v2/plans/", "must start with a ProfitWell resource"},
	{"/\\evil.example", "backslashes"},
	{`\\evil.example\x`, "backslashes"},
	{"/%2e%2e/%2e%2e/x", "must start with a ProfitWell resource"},
	{"/plans/%2e%2e/%2e%2e/x", "must not percent-encode"},
	{"/plans/%2E%2E/", "must not percent-encode"},
	{"/plans/../../x", `".."`},
	{"/plans/%2F..%2F", "must not percent-encode"},
	{"/plans/%5c..%5cx", "must not percent-encode"},
	{"/plans/%252e%252e/x", "must not percent-encode"},
	{"/plans/%25/", "must not percent-encode"},
	{"/./plans", "must start with a ProfitWell resource"},
	{"/plans/./", `"."`},
	{"/plans/.", `"."`},
	{"/plans/a..b/", `".."`},
	{"/v2/../v1/x", "must start with a ProfitWell resource"},
	{"/v2/plans/../../v1/x", `".."`},
	{"/plans#frag", "fragment"},
	{"/plans/#", "fragment"},
	{" /plans", "spaces"},
	{"/plans ", "spaces"},
	{"\t/plans", "control characters"},
	{"/plans\r\nHost: x", "control characters"},
	{"\x00", "control characters"},
	{"/plans\x00/", "control characters"},
	{"/plans/\u0085/", "control characters"},
	{"/plans/%00/", "encoded control characters"},
	{"/plans/%0d%0aX-Injected:%201/", "encoded control characters"},
	{"/plans/%zz/", "malformed percent-encoding"},
	{"/plans/%2/", "malformed percent-encoding"},
	{"/plans/%ff/", "UTF-8"},
	{"/plans／x", "stand for"},
	{"/plans/∕..∕x", "stand for"},
	{"/plans/．．/x", "stand for"},
	{"/plans/…/", "stand for"},
	{"/plans/＠evil/", "stand for"},
	{"/plans/%EF%BC%8F/", "stand for"},
	{"/plans/\u202e/", "invisible"},
	{"/plans/\u200b/", "invisible"},
	{"/plans/%E2%80%AE/", "invisible"},
	{"/plans//x", "empty segments"},
	{"", "is required"},
	{"/", "must name an endpoint"},
	{"?x=1", "must name an endpoint"},
	{"/v2", "must name an endpoint"},
	{"/v2/", "must name an endpoint"},
	{"/plans?x=1;y=2", "malformed query"},
	{"/plans?x=%zz", "malformed query"},
	{"/" + strings.Repeat("a", 2048), "at most 2048 characters"},
	{"/users/" + strings.Repeat("é", 700) + "/", "once percent-encoded"},
}

func TestMakeAPICallRefusesHostileURLs(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	require.GreaterOrEqual(t, len(hostileURLs), 25)
	for _, tc := range hostileURLs {
		t.Run(strings.ToValidUTF8(tc.url, "?"), func(t *testing.T) {
			path, query, problem := profitwell.RawTarget(tc.url)
			assert.Contains(t, problem, tc.want, "the pure check refuses it too")
			assert.Empty(t, path)
			assert.Nil(t, query)

			_, n, err := s.run("makeApiCall", map[string]any{"url": tc.url, "method": "DELETE"})
			problems := fieldProblems(t, err)
			assert.Len(t, problems, 1)
			assert.Contains(t, problems, "url")
			assert.Zero(t, n, "no upstream request")
		})
	}
	assert.Empty(t, s.emu.Requests(), "nothing reached ProfitWell")
}

func TestMakeAPICallRefusesBadHeadersAndInputs(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	h := func(kv ...string) []any {
		var out []any
		for i := 0; i < len(kv); i += 2 {
			out = append(out, map[string]any{"key": kv[i], "value": kv[i+1]})
		}
		return out
	}
	many := make([]string, 0, 42)
	for i := range 21 {
		many = append(many, "X-H"+string(rune('a'+i)), "v")
	}
	tests := []struct {
		name   string
		params map[string]any
		field  string
		want   string
	}{
		{"Authorization", map[string]any{"headers": h("Authorization", "other-token")}, "headers[0].key", "sent by the connector"},
		{"authorization lower-case", map[string]any{"headers": h("authorization", "x")}, "headers[0].key", "Authorization is sent by the connector"},
		{"Proxy-Authorization", map[string]any{"headers": h("Proxy-Authorization", "x")}, "headers[0].key", "not allowed"},
		{"Host", map[string]any{"headers": h("Host", "evil.example")}, "headers[0].key", "cannot be set"},
		{"Cookie", map[string]any{"headers": h("Cookie", "a=b")}, "headers[0].key", "cannot be set"},
		{"Content-Length", map[string]any{"headers": h("Content-Length", "0")}, "headers[0].key", "cannot be set"},
		{"Transfer-Encoding", map[string]any{"headers": h("Transfer-Encoding", "chunked")}, "headers[0].key", "cannot be set"},
		{"Connection", map[string]any{"headers": h("Connection", "close")}, "headers[0].key", "hop-by-hop"},
		{"Keep-Alive", map[string]any{"headers": h("Keep-Alive", "1")}, "headers[0].key", "hop-by-hop"},
		{"TE", map[string]any{"headers": h("TE", "trailers")}, "headers[0].key", "hop-by-hop"},
		{"Trailer", map[string]any{"headers": h("Trailer", "x")}, "headers[0].key", "hop-by-hop"},
		{"Upgrade", map[string]any{"headers": h("Upgrade", "h2c")}, "headers[0].key", "hop-by-hop"},
		{"Expect", map[string]any{"headers": h("Expect", "100-continue")}, "headers[0].key", "cannot be set"},
		{"User-Agent", map[string]any{"headers": h("User-Agent", "x")}, "headers[0].key", "cannot be set"},
		{"X-Forwarded-For", map[string]any{"headers": h("X-Forwarded-For", "1.2.3.4")}, "headers[0].key", "proxy"},
		{"Forwarded", map[string]any{"headers": h("Forwarded", "for=1.2.3.4")}, "headers[0].key", "cannot be set"},
		{"X-Real-IP", map[string]any{"headers": h("X-Real-IP", "1.2.3.4")}, "headers[0].key", "cannot be set"},
		{"Proxy-Anything", map[string]any{"headers": h("Proxy-Foo", "x")}, "headers[0].key", "proxy"},
		{"the second header", map[string]any{"headers": h("X-Ok", "1", "Host", "x")}, "headers[1].key", "cannot be set"},
		{"a space in the name", map[string]any{"headers": h("X Bad", "1")}, "headers[0].key", "must be a header name"},
		{"a colon in the name", map[string]any{"headers": h("X-Bad:", "1")}, "headers[0].key", "must be a header name"},
		{"non-ASCII name", map[string]any{"headers": h("X-Ä", "1")}, "headers[0].key", "must be a header name"},
		{"CRLF in the name", map[string]any{"headers": h("X-A\r\nHost", "1")}, "headers[0].key", "control characters"},
		{"CRLF in the value", map[string]any{"headers": h("X-A", "a\r\nAuthorization: x")}, "headers[0].value", "control characters"},
		{"NUL in the value", map[string]any{"headers": h("X-A", "a\x00")}, "headers[0].value", "control characters"},
		{"no name", map[string]any{"headers": []any{map[string]any{"value": "1"}}}, "headers[0].key", "is required"},
		{"not a key/value item", map[string]any{"headers": []any{"Authorization: x"}}, "headers[0]", "must be an object"},
		{"21 headers", map[string]any{"headers": h(many...)}, "headers", "at most 20 items"},
		{"9 KiB of headers", map[string]any{"headers": h("X-Big", strings.Repeat("b", 9<<10))}, "headers", "8 KiB"},
		{"query without a name", map[string]any{"qs": []any{map[string]any{"value": "1"}}}, "qs[0].key", "is required"},
		{"huge query", map[string]any{"qs": h("q", strings.Repeat("x", 9000))}, "qs", "longer than 8192"},
		{"TRACE", map[string]any{"method": "TRACE"}, "method", "must be one of"},
		{"a body that is not JSON", map[string]any{"body": math.Inf(1)}, "body", "cannot be sent as JSON"},
	}
	for _, tc := range tests {
		params := map[string]any{"url": "/plans/"}
		for k, v := range tc.params {
			params[k] = v
		}
		_, n, err := s.run("makeApiCall", params)
		problems := fieldProblems(t, err)
		assert.Len(t, problems, 1, tc.name)
		assert.Contains(t, problems[tc.field], tc.want, "%s: %v", tc.name, problems)
		assert.Zero(t, n, tc.name)
	}
	assert.Empty(t, s.emu.Requests(), "nothing reached ProfitWell")

	_, _, err := s.run("makeApiCall", map[string]any{"url": "http://evil.example/", "headers": h("Host", "x", "X Bad", "1")})
	assert.Equal(t, map[string]string{
		"url":            "must be a path relative to https://api.profitwell.com/v2 (for example /plans/), not an absolute URL",
		"headers[0].key": "Host cannot be set: requests always go to the ProfitWell API",
		"headers[1].key": "must be a header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)",
	}, fieldProblems(t, err), "every bad field at once")
}

func TestRawResponseBodyAndHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		ctype string
		body  string
		want  any
	}{
		{"JSON object", "application/json", `{"a": 1}`, map[string]any{"a": json.Number("1")}},
		{"JSON with charset", "application/json; charset=utf-8", `[1, 2.5]`, []any{json.Number("1"), json.Number("2.5")}},
		{"problem+json", "application/problem+json", `"x"`, "x"},
		{"big numbers stay exact", "application/json", `12345678901234567890`, json.Number("12345678901234567890")},
		{"JSON null", "application/json", `null`, nil},
		{"broken JSON is text", "application/json", `{"a":`, `{"a":`},
		{"trailing data is text", "application/json", `{} {}`, `{} {}`},
		{"HTML is text", "text/html", "<h1>Server Error (500)</h1>", "<h1>Server Error (500)</h1>"},
		{"no content type is text", "", `{"a":1}`, `{"a":1}`},
		{"empty body", "application/json", "", ""},
		{"blank body", "text/plain", " \n", ""},
	}
	for _, tc := range tests {
		h := http.Header{}
		if tc.ctype != "" {
			h.Set("Content-Type", tc.ctype)
		}
		assert.Equal(t, tc.want, rawResponseBody(h, []byte(tc.body)), tc.name)
	}

	got := rawResponseHeaders(http.Header{
		"Content-Type": {"application/json"},
		"Allow":        {"GET, HEAD", "POST"},
		"Set-Cookie":   {"a=b"},
		"X-Upper":      {"1"},
	})
	assert.Equal(t, map[string]string{"content-type": "application/json", "allow": "GET, HEAD, POST", "x-upper": "1"}, got)
}

// FuzzRawCallPath checks profitwell.RawTarget's promise: a url is refused, or the
// upstream path starts with "/v2/", ends with "/", has no "..", "//",
// backslash, control character, scheme, host or user, and resolves on
// ProfitWell's host. Seeds: testdata/fuzz/FuzzRawCallPath and the tables.
func FuzzRawCallPath(f *testing.F) {
	for _, tc := range hostileURLs {
		f.Add(tc.url)
	}
	for _, s := range []string{"/plans/", "plans", "/v2/plans/", "/customers/?per_page=1", "/users/luiz's%20alias/", "/users/a b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		path, query, problem := profitwell.RawTarget(in)
		if problem != "" {
			if path != "" || query != nil {
				t.Fatalf("refused %q (%s) but returned %q %v", in, problem, path, query)
			}
			return
		}
		if query == nil {
			t.Fatalf("%q: nil query", in)
		}
		switch {
		case !strings.HasPrefix(path, "/v2/") || !strings.HasSuffix(path, "/") || len(path) <= len("/v2/"):
			t.Fatalf("%q -> %q: not a /v2/ endpoint path", in, path)
		case strings.Contains(path, ".."), strings.Contains(path, "//"), strings.ContainsAny(path, `\?#`):
			t.Fatalf("%q -> %q: forbidden sequence", in, path)
		case len(path) > profitwell.MaxRawPathLen:
			t.Fatalf("%q -> %q: too long", in, path)
		}
		for _, r := range path {
			if r <= ' ' || r >= 0x7f {
				t.Fatalf("%q -> %q: not percent-encoded (%q)", in, path, r)
			}
		}
		u, err := url.Parse(path)
		if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q -> %q: parses as %#v (%v)", in, path, u, err)
		}
		if !strings.HasPrefix(u.Path, "/v2/") || strings.Contains(u.Path, "..") || strings.Contains(u.Path, "//") ||
			strings.ContainsAny(u.Path, `\`) || strings.ContainsFunc(u.Path, unicode.IsControl) {
			t.Fatalf("%q -> %q: decoded path %q escapes or carries control characters", in, path, u.Path)
		}
		full, err := url.Parse("https://api.profitwell.com" + path + "?" + query.Encode())
		if err != nil || full.Scheme != "https" || full.Host != "api.profitwell.com" || full.User != nil || full.Path != u.Path {
			t.Fatalf("%q -> %q: resolves to %v (%v)", in, path, full, err)
		}
	})
}
