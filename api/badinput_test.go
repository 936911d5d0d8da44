package api

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The bad-input table of the contract's hostile-input checklist, at the HTTP
// level: each answer is a typed 4xx in the error envelope, never a 500 or a
// panic. Cases already covered elsewhere are not repeated here:
// TestBadRequestsAreTypedDataErrors (not JSON, empty body, trailing data,
// unknown envelope key, wrong cursor type, array body, unknown parameter,
// non-numeric limit, limit over the cap, tiny timeout, no connection, body
// over a small cap, non-JSON content type), TestHostileBodiesAreRefusedCleanly
// (invalid UTF-8 in a string, duplicate envelope, parameter and nested keys,
// nesting 70 deep, limit 1e300, negative limit, CR/LF in the token),
// TestRequestIDs (long and non-printable X-Request-Id), TestEngineAuthentication
// and the signing tests (engine key and signature headers), and the raw-call
// URL table in modules/make_api_call_test.go.

// badInput is one hostile request and what the answer must be.
type badInput struct {
	name   string
	module string // default listPlans
	body   string
	header []string
	status int               // expected status (a 4xx)
	typ    string            // expected error type; default DataError
	fields map[string]string // expected field problems, when deterministic
}

// tokenConn is the connection member for the sandbox token.
const tokenConn = `"connection":{"privateToken":"` + testToken + `"}`

// withParams is an envelope with the sandbox token and these parameters.
func withParams(params string) string { return `{` + tokenConn + `,"parameters":` + params + `}` }

func badInputs() []badInput {
	const mib = 1 << 20
	deepArrays := strings.Repeat("[", 10_001) + strings.Repeat("]", 10_001)
	return []badInput{
		// Size.
		{name: "body one byte over 1 MiB", body: withParams(`{"limit":2}`) + strings.Repeat(" ", mib+1-len(withParams(`{"limit":2}`))), status: 413},
		{name: "body of 3 MiB", body: `{"x":"` + strings.Repeat("a", 3*mib) + `"}`, status: 413},
		{name: "64 KiB token", body: `{"connection":{"privateToken":"` + strings.Repeat("t", 64<<10) + `"}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "must be at most 512 characters"}},
		{name: "64 KiB plan id", module: "getPlan", body: withParams(`{"planId":"` + strings.Repeat("p", 64<<10) + `"}`), status: 400},
		// Shape and nesting.
		{name: "10 001 nested arrays", body: deepArrays, status: 400, fields: map[string]string{"body": "is nested more than 64 levels deep"}},
		{name: "deep state", module: "watchCustomers", body: `{` + tokenConn + `,"state":` + strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65) + `}`, status: 400,
			fields: map[string]string{"body": "is nested more than 64 levels deep"}},
		{name: "number at the top", body: `5`, status: 400, fields: map[string]string{"body": "must be an object"}},
		{name: "string at the top", body: `"x"`, status: 400, fields: map[string]string{"body": "must be an object"}},
		{name: "two objects", body: `{}{}`, status: 400, fields: map[string]string{"body": "must hold exactly one JSON object"}},
		// Invalid UTF-8.
		{name: "invalid UTF-8 in a key", body: "{" + tokenConn + `,"parameters":{"` + "\xff" + `":1}}`, status: 400, fields: map[string]string{"body": "must be valid UTF-8"}},
		{name: "overlong encoding of /", body: withParams(`{"limit":2,"x":"` + "\xc0\xaf" + `"}`), status: 400, fields: map[string]string{"body": "must be valid UTF-8"}},
		{name: "UTF-16 surrogate bytes", body: withParams(`{"x":"` + "\xed\xa0\x80" + `"}`), status: 400, fields: map[string]string{"body": "must be valid UTF-8"}},
		// A \u escape of half a UTF-16 pair encodes no character (RFC 8259 §8.2
		// leaves it to the parser); decoded, it would become U+FFFD silently.
		{name: "lone high surrogate escape", body: withParams(`{"x":"\ud800"}`), status: 400,
			fields: map[string]string{"parameters.x": "must not hold an unpaired UTF-16 surrogate escape"}},
		{name: "lone low surrogate escape in the cursor", body: `{` + tokenConn + `,"cursor":"a\udc00b"}`, status: 400,
			fields: map[string]string{"cursor": "must not hold an unpaired UTF-16 surrogate escape"}},
		{name: "high surrogate escape before a plain letter", body: `{"connection":{"privateToken":"\ud83dx` + testToken + `"}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "must not hold an unpaired UTF-16 surrogate escape"}},
		// Duplicate keys, including those encoding/json would merge.
		{name: "case-variant envelope key", body: `{` + tokenConn + `,"Connection":{"privateToken":"other-token-123"}}`, status: 400,
			fields: map[string]string{"Connection": "is not a field of the request"}},
		{name: "upper-case envelope key alone", body: `{"CONNECTION":{"privateToken":"` + testToken + `"}}`, status: 400,
			fields: map[string]string{"CONNECTION": "is not a field of the request"}},
		{name: "case-variant execution key", body: `{` + tokenConn + `,"execution":{"timeoutMs":1000,"TimeoutMs":100}}`, status: 400,
			fields: map[string]string{"execution.TimeoutMs": "is not a field of the request"}},
		{name: "duplicate raw-call url, evil last", module: "makeApiCall", body: withParams(`{"url":"/plans/","url":"https://evil.example/"}`), status: 400,
			fields: map[string]string{"parameters.url": "appears twice in the same object"}},
		{name: "duplicate key in a raw-call header", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"Accept","key":"Authorization","value":"x"}]}`), status: 400,
			fields: map[string]string{"parameters.headers.key": "appears twice in the same object"}},
		{name: "empty envelope key", body: `{` + tokenConn + `,"":1}`, status: 400, fields: map[string]string{"body": "is not a field of the request"}},
		{name: "empty parameter name", body: withParams(`{"":1}`), status: 400, fields: map[string]string{"(empty name)": "is not a parameter of this module"}},
		// Wrong types.
		{name: "parameters as a list", body: `{` + tokenConn + `,"parameters":[]}`, status: 400, fields: map[string]string{"parameters": "must be an object"}},
		{name: "connection as a string", body: `{"connection":"` + testToken + `"}`, status: 400, fields: map[string]string{"connection": "must be an object"}},
		{name: "timeout as a string", body: `{` + tokenConn + `,"execution":{"timeoutMs":"40000"}}`, status: 400, fields: map[string]string{"execution.timeoutMs": "must be a number"}},
		{name: "cycle as a float", body: `{` + tokenConn + `,"execution":{"cycle":1.5}}`, status: 400, fields: map[string]string{"execution.cycle": "must be a number"}},
		{name: "state on a search", body: `{` + tokenConn + `,"state":{"module":"listPlans"}}`, status: 400, fields: map[string]string{"state": "only trigger modules take a state"}},
		{name: "forged cursor", module: "listCustomers", body: `{` + tokenConn + `,"cursor":"eyJmIjoxLCJzIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"}`, status: 400,
			fields: map[string]string{"cursor": "belongs to another module, connection or set of parameters"}},
		{name: "unsigned cursor", module: "listCustomers", body: `{` + tokenConn + `,"cursor":"eyJtIjoibGlzdEN1c3RvbWVycyIsImYiOiIiLCJwIjp7ImYiOjF9fQ"}`, status: 400,
			fields: map[string]string{"cursor": "is malformed"}},
		{name: "forged trigger state", module: "watchCustomers", body: `{` + tokenConn + `,"state":{"module":"watchCustomers","position":"eyJmIjoxLCJzIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"}}`, status: 400,
			fields: map[string]string{"state": "is not a state this module wrote"}},
		{name: "unsigned trigger state", module: "watchCustomers", body: `{` + tokenConn + `,"state":{"module":"watchCustomers","position":{"f":1}}}`, status: 400,
			fields: map[string]string{"state": "is not a state this module wrote"}},
		{name: "every problem at once", body: `{"connection":{},"parameters":{"bogus":1,"limit":0}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "is required", "bogus": "is not a parameter of this module", "limit": "must be at least 1"}},
		{name: "timeout, rule across fields and cursor at once", module: "listCustomers", body: `{` + tokenConn + `,"execution":{"timeoutMs":5},"cursor":"x.y","parameters":{"updatedFrom":"2025-02-01","updatedTo":"2025-01-01"}}`, status: 400,
			fields: map[string]string{"execution.timeoutMs": "must be at least 100", "updatedTo": "must be after Updated From", "cursor": "is malformed"}},
		{name: "limit zero", body: withParams(`{"limit":0}`), status: 400, fields: map[string]string{"limit": "must be at least 1"}},
		{name: "limit 1.5", body: withParams(`{"limit":1.5}`), status: 400, fields: map[string]string{"limit": "must be a whole number"}},
		{name: "limit true", body: withParams(`{"limit":true}`), status: 400, fields: map[string]string{"limit": "must be a whole number"}},
		{name: "limit as a list", body: withParams(`{"limit":[10]}`), status: 400, fields: map[string]string{"limit": "must be a whole number"}},
		{name: "value with cents fraction", module: "createSubscription", body: withParams(`{"userAlias":"u-1","subscriptionAlias":"s-1","email":"a@b.example","planId":"pro","planInterval":"month","value":49.99,"effectiveDate":"2026-01-01"}`), status: 400,
			fields: map[string]string{"value": "must be a whole number of cents"}},
		// Huge limits and numbers.
		{name: "limit 1e309", body: withParams(`{"limit":1e309}`), status: 400, fields: map[string]string{"limit": "must be a whole number"}},
		{name: "limit past int64", body: withParams(`{"limit":9223372036854775808}`), status: 400, fields: map[string]string{"limit": "must be a whole number"}},
		{name: "limit 10 000", body: withParams(`{"limit":10000}`), status: 400, fields: map[string]string{"limit": "must be at most 1000"}},
		{name: "timeout past int64", body: `{` + tokenConn + `,"execution":{"timeoutMs":9223372036854775808}}`, status: 400, fields: map[string]string{"execution.timeoutMs": "must be a number"}},
		{name: "date past year 9999", module: "churnSubscription", body: withParams(`{"subscriptionIdOrAlias":"sub_002","effectiveDate":253402300800}`), status: 400,
			fields: map[string]string{"effectiveDate": "must be an ISO 8601 date or date-time, or Unix seconds"}},
		// Control characters in ids (they would end up in upstream paths).
		{name: "CR/LF in a customer id", module: "getCustomer", body: withParams(`{"customerId":"cus_1\r\nX-Evil: 1"}`), status: 400,
			fields: map[string]string{"customerId": "must not contain control characters"}},
		{name: "NUL in a plan id", module: "getPlan", body: withParams(`{"planId":"pro\u0000"}`), status: 400,
			fields: map[string]string{"planId": "must not contain control characters"}},
		{name: "tab in a subscription alias", module: "unchurnSubscription", body: withParams(`{"subscriptionIdOrAlias":"sub\t002"}`), status: 400,
			fields: map[string]string{"subscriptionIdOrAlias": "must not contain control characters"}},
		{name: "C1 control in a user id", module: "deleteUser", body: withParams(`{"userIdOrAlias":"user` + "\u0085" + `"}`), status: 400,
			fields: map[string]string{"userIdOrAlias": "must not contain control characters"}},
		{name: "U+2028 in a customer id", module: "getCustomer", body: withParams(`{"customerId":"cus_1\u2028X"}`), status: 400,
			fields: map[string]string{"customerId": "must not contain line separators or bidirectional controls"}},
		{name: "U+2029 in a plan id", module: "getPlan", body: withParams(`{"planId":"pro\u2029"}`), status: 400,
			fields: map[string]string{"planId": "must not contain line separators or bidirectional controls"}},
		{name: "U+202E right-to-left override in a plan id", module: "getPlan", body: withParams(`{"planId":"pro\u202Etxt.exe"}`), status: 400,
			fields: map[string]string{"planId": "must not contain line separators or bidirectional controls"}},
		{name: "DEL in an email", module: "updateUser", body: withParams(`{"userIdOrAlias":"user_002","email":"a\u007f@b.example"}`), status: 400},
		{name: "path tricks in a plan id stay one segment", module: "getPlan", body: withParams(`{"planId":"../../customers/?x=1#"}`), status: 400,
			fields: map[string]string{}},
		// Tokens.
		{name: "Bearer-prefixed token", body: `{"connection":{"privateToken":"Bearer ` + testToken + `"}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "does not have the expected format"}},
		{name: "token with trailing space", body: `{"connection":{"privateToken":"` + testToken + ` "}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "does not have the expected format"}},
		{name: "non-ASCII token", body: `{"connection":{"privateToken":"тokен-1234567"}}`, status: 400,
			fields: map[string]string{"connection.privateToken": "does not have the expected format"}},
		{name: "token as a number", body: `{"connection":{"privateToken":12345678901}}`, status: 401, typ: TypeInvalidAccessTokenError},
		// Header injection through makeApiCall.
		{name: "CR/LF in a raw-call header value", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"X-Note","value":"a\r\nAuthorization: stolen"}]}`), status: 400,
			fields: map[string]string{"headers[0].value": "must not contain control characters"}},
		{name: "LF alone in a raw-call header value", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"X-Note","value":"a\nb"}]}`), status: 400,
			fields: map[string]string{"headers[0].value": "must not contain control characters"}},
		{name: "colon in a raw-call header name", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"X-A: b","value":"c"}]}`), status: 400},
		{name: "CR/LF in a raw-call header name", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"X-A\r\nHost","value":"c"}]}`), status: 400},
		{name: "lower-case authorization header", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"authorization","value":"other-token"}]}`), status: 400},
		{name: "Host header", module: "makeApiCall", body: withParams(`{"url":"/plans/","headers":[{"key":"Host","value":"evil.example"}]}`), status: 400},
		{name: "CR/LF in a raw-call query value", module: "makeApiCall", body: withParams(`{"url":"/plans/","qs":[{"key":"a","value":"1\r\nX: y"}]}`), status: 400},
		{name: "CR/LF in a raw-call url", module: "makeApiCall", body: withParams(`{"url":"/plans/\r\nHost: evil.example"}`), status: 400},
		// Idempotency keys (write modules only).
		{name: "Idempotency-Key with spaces", module: "createPlan", body: withParams(`{"planId":"idem-spaces","name":"X"}`), header: []string{IdempotencyHeader, "key with spaces"}, status: 400,
			fields: map[string]string{IdempotencyHeader: "must be 1 to 255 printable ASCII characters"}},
		{name: "Idempotency-Key of 256 characters", module: "createPlan", body: withParams(`{"planId":"idem-long","name":"X"}`), header: []string{IdempotencyHeader, strings.Repeat("k", 256)}, status: 400,
			fields: map[string]string{IdempotencyHeader: "must be 1 to 255 printable ASCII characters"}},
		{name: "non-ASCII Idempotency-Key", module: "createPlan", body: withParams(`{"planId":"idem-utf8","name":"X"}`), header: []string{IdempotencyHeader, "ключ"}, status: 400,
			fields: map[string]string{IdempotencyHeader: "must be 1 to 255 printable ASCII characters"}},
		// Module names and content negotiation.
		{name: "module name with dots", module: "..%2Fplans", body: withParams(`{}`), status: 404, typ: TypeInvalidConfigurationError},
		{name: "module name in another case", module: "ListPlans", body: withParams(`{}`), status: 404, typ: TypeInvalidConfigurationError},
		{name: "module name with a homoglyph", module: "listPl%D0%B0ns", body: withParams(`{}`), status: 404, typ: TypeInvalidConfigurationError},
		{name: "gzip body not supported", body: "\x1f\x8b\x08\x00\x00\x00\x00\x00", header: []string{"Content-Encoding", "gzip"}, status: 400,
			fields: map[string]string{"body": "must be valid UTF-8"}},
		{name: "JSON-looking content type", body: withParams(`{}`), header: []string{"Content-Type", "application/jsonp"}, status: 415},
		{name: "malformed content type", body: withParams(`{}`), header: []string{"Content-Type", "application/json; charset"}, status: 415},
	}
}

// TestSurrogatePairEscapesAreAccepted: a \u escape pair is one character
// (here U+1F600 in the execution id, which the log then shows as invalid).
func TestSurrogatePairEscapesAreAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.do(http.MethodPost, "/v1/modules/listPlans/execute", `{`+tokenConn+`,"parameters":{"limit":1},"execution":{"id":"run-\ud83d\ude00"}}`)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
}

func TestBadInputsAreTyped4xx(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	for _, tc := range badInputs() {
		t.Run(tc.name, func(t *testing.T) {
			module := tc.module
			if module == "" {
				module = "listPlans"
			}
			r := h.do(http.MethodPost, "/v1/modules/"+module+"/execute", tc.body, tc.header...)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			e := checkErrorEnvelope(t, r.Status, r.Header, r.Body)
			typ := tc.typ
			if typ == "" {
				typ = TypeDataError
			}
			assert.Equal(t, typ, e["type"], string(r.Body))
			if len(tc.fields) > 0 {
				assert.Equal(t, tc.fields, r.fields(t))
			}
		})
	}
	assertNoServerErrors(t, h)
}

// assertNoServerErrors checks the harness's metrics and log: no 5xx answer
// and no recovered panic.
func assertNoServerErrors(t *testing.T, h *harness) {
	t.Helper()
	r := h.do(http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusOK, r.Status)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if strings.HasPrefix(line, "connector_http_requests_total{") && strings.Contains(line, `status="5`) {
			t.Errorf("a 5xx answer: %s", line)
		}
		if strings.HasPrefix(line, "connector_panics_total ") && line != "connector_panics_total 0" {
			t.Errorf("a panic: %s", line)
		}
	}
	assert.NotContains(t, h.Logs.String(), `"level":"error"`)
}

// TestBoundaryBodyIsAccepted: a body of exactly 1 MiB is read and served;
// one byte more is refused (see the table).
func TestBoundaryBodyIsAccepted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	body := withParams(`{"limit":2}`)
	body += strings.Repeat(" ", 1<<20-len(body))
	r := h.do(http.MethodPost, "/v1/modules/listPlans/execute", body)
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.Len(t, r.bundles(), 2)
}

// TestChunkedOversizedBodyIs413: without a Content-Length the cap is
// enforced while reading.
func TestChunkedOversizedBodyIs413(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		_, _ = pw.Write([]byte(`{"x":`))
		for range 40 { // 2.5 MiB, more than the cap
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		_ = pw.Close()
	}()
	resp, raw := postBody(t, h, pr, -1)
	_ = pr.CloseWithError(io.ErrClosedPipe)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode, string(raw))
	assert.Equal(t, TypeDataError, checkErrorEnvelope(t, resp.StatusCode, resp.Header, raw)["type"])
}

// postBody posts body to listPlans' execute route, declaring length (-1:
// chunked), and returns the answer with its body read.
func postBody(t *testing.T, h *harness, body io.Reader, length int64) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL+"/v1/modules/listPlans/execute", body)
	require.NoError(t, err)
	req.ContentLength = length
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, raw
}

// TestHugeTimeoutIsCapped: a timeoutMs far above the cap (up to the largest
// int64) runs with the capped deadline instead of overflowing into an
// already-passed one.
func TestHugeTimeoutIsCapped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	for _, ms := range []string{"10000000000000", "9223372036854775807"} {
		r := h.do(http.MethodPost, "/v1/modules/listPlans/execute", `{`+tokenConn+`,"execution":{"timeoutMs":`+ms+`}}`)
		assert.Equal(t, http.StatusOK, r.Status, "timeoutMs %s: %s", ms, r.Body)
	}
}

// TestInjectedRequestIDIsReplaced: an X-Request-Id with CR/LF or NUL never
// reaches a header or a log line. Go's HTTP client refuses to send such a
// header, so it is handed to the handler directly; on the wire, net/http
// itself answers 400 before any handler runs (TestRawHeaderInjection).
func TestInjectedRequestIDIsReplaced(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	srv := fakeServer(t, Deps{Logger: zerolog.New(logs).Level(zerolog.DebugLevel)})
	for _, id := range []string{"run-1\r\nSet-Cookie: a=b", "run-1\nX: y", "run\x00id", "run id", strings.Repeat("r", 10<<10)} {
		req := httptest.NewRequest(http.MethodPost, "/v1/modules/fakeList/execute", strings.NewReader(`{`+tokenConn+`}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header["X-Request-Id"] = []string{id}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		got := rec.Header().Get("X-Request-Id")
		assert.Regexp(t, `^[0-9a-f]{24}$`, got, "a generated id replaces %q", id)
		assert.NotContains(t, rec.Header(), "Set-Cookie")
	}
	require.Contains(t, logs.String(), `"request_id":"`, "the log has request ids")
	assert.NotContains(t, logs.String(), "Set-Cookie")
	assert.NotContains(t, logs.String(), strings.Repeat("r", 65))
}

// TestRawHeaderInjection writes requests byte by byte: header values with
// a bare CR, or a NUL, and malformed names are refused by net/http with a
// 400 before the connector runs (the valid create in the body never
// happens), and the server keeps serving.
func TestRawHeaderInjection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	addr := strings.TrimPrefix(h.URL, "http://")
	body := withParams(`{"planId":"raw-injected","name":"X"}`) // would create a plan if it ran
	for name, header := range map[string]string{
		"CR in X-Request-Id":     "X-Request-Id: run-1\rSet-Cookie: a=b\r\n",
		"NUL in X-Request-Id":    "X-Request-Id: run\x00id\r\n",
		"CR in Idempotency-Key":  "Idempotency-Key: key\rX: y\r\n",
		"CR in Authorization":    "Authorization: Bearer k\rX: y\r\n",
		"space before the colon": "X-Request-Id : run-1\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
			_, err = fmt.Fprintf(conn, "POST /v1/modules/createPlan/execute HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s",
				addr, header, len(body), body)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.Empty(t, resp.Header.Values("Set-Cookie"))
			assert.Empty(t, resp.Header.Get("X-Request-Id"), "net/http answered; the connector never ran")
		})
	}
	assert.Equal(t, 0, upstreamCalls(h, http.MethodPost, "/v2/plans/"), "nothing ran")
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/healthz", nil).Status)
}

// TestBodyReadingPaths: a body is read whole whether its length is declared
// small (read into a buffer of that size), declared large (read as it
// arrives) or not declared (chunked); one shorter than it declares is a
// DataError naming the body, and nothing reaches ProfitWell for it.
func TestBodyReadingPaths(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	small := withParams(`{"limit":2}`)
	large := small + strings.Repeat(" ", exactBodyMax+1)
	for name, tc := range map[string]struct {
		body   io.Reader
		length int64
	}{
		"declared small": {strings.NewReader(small), int64(len(small))},
		"declared large": {strings.NewReader(large), int64(len(large))},
		"chunked":        {io.MultiReader(strings.NewReader(small)), -1},
	} {
		resp, raw := postBody(t, h, tc.body, tc.length)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", name, raw)
	}
	before := len(h.Emu.Requests())

	// Declares more than it sends: the server waits for the rest until the
	// client gives up on its side and closes.
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /v1/modules/listPlans/execute HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(small)+10, small)
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(raw))
	assert.Contains(t, string(raw), `"body"`)
	assert.Len(t, h.Emu.Requests(), before, "nothing reached ProfitWell for the short body")
}
