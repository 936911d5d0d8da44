package profitwell

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// RawRequest is a caller-built request for Session.Do (the "Make an API
// Call" module).
type RawRequest struct {
	// Method is GET, HEAD, POST, PUT, PATCH or DELETE ("" means GET).
	Method string
	// Path starts with "/v2/"; it may be percent-encoded and may carry a
	// query. A missing trailing slash is added before the query.
	Path string
	// Query is added to the path's own query, if any.
	Query url.Values
	// Header holds extra request headers. Authorization, Host, cookies,
	// Content-Length, Expect and hop-by-hop headers are dropped; the client
	// sets Authorization and User-Agent itself.
	Header http.Header
	// Body is sent as is (Content-Type defaults to application/json).
	Body []byte
}

// RawResponse is ProfitWell's answer to a RawRequest, whatever its status.
type RawResponse struct {
	// Status is the HTTP status code.
	Status int
	// Header is the response header, without Set-Cookie.
	Header http.Header
	// Body is the response body (at most Config.MaxBodyBytes), with any
	// echo of the token replaced by "[REDACTED]".
	Body []byte
}

// droppedRequestHeaders are never forwarded from a RawRequest.
var droppedRequestHeaders = map[string]bool{
	"Authorization": true, "Proxy-Authorization": true, "Host": true, "Cookie": true,
	"Content-Length": true, "Expect": true, "Connection": true, "Keep-Alive": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Upgrade": true, "User-Agent": true,
}

// Do sends a raw request to ProfitWell and returns its answer for any status:
// 4xx and 5xx are results, not errors. Errors are reserved for requests that
// cannot be built, transport failures, a 429 that cannot be waited out,
// pacing that misses the deadline, and the deadline itself. GET and HEAD are
// retried on 5xx and transport failures like the typed reads (the last answer
// is returned when retries run out); a 429 is retried for any method when its
// Retry-After fits the deadline. Metrics use the endpoint label "raw".
func (s *Session) Do(ctx context.Context, in RawRequest) (RawResponse, error) {
	rq, err := buildRaw(in)
	if err != nil {
		return RawResponse{}, err
	}
	secret := s.tok.Reveal()
	var out, last5xx RawResponse
	handle := func(res *response) *Error {
		if res.status == http.StatusTooManyRequests {
			return classifyStatus(rawEndpoint, res.status, res.header, res.body.Bytes(), secret, s.c.now())
		}
		r := rawResponse(res, secret)
		if res.status >= 500 && rq.idempotent() {
			last5xx = r
			return &Error{Kind: KindUnavailable, Op: rawEndpoint, Status: res.status, Message: http.StatusText(res.status)}
		}
		out = r
		return nil
	}
	if rerr := s.run(ctx, rq, handle); rerr != nil {
		if rerr.Kind == KindUnavailable && rerr.Status >= 500 && last5xx.Status == rerr.Status {
			return last5xx, nil
		}
		return RawResponse{}, rerr
	}
	return out, nil
}

func rawResponse(res *response, secret string) RawResponse {
	h := res.header.Clone()
	h.Del("Set-Cookie")
	body := bytes.Clone(res.body.Bytes())
	if secret != "" && bytes.Contains(body, []byte(secret)) {
		body = bytes.ReplaceAll(body, []byte(secret), []byte(redacted))
		h.Del("Content-Length")
	}
	if secret != "" && bytes.IndexByte(body, '\\') >= 0 {
		// JSON escapes ("\u0070wtok…") hide an echo from the byte search, and
		// the module decodes the body, which would reveal it.
		if scrubbed, ok := scrubJSON(body, secret); ok {
			body = scrubbed
			h.Del("Content-Length")
		}
	}
	for k, vs := range h {
		for i, v := range vs {
			if secret != "" && strings.Contains(v, secret) {
				h[k][i] = strings.ReplaceAll(v, secret, redacted)
			}
		}
	}
	return RawResponse{Status: res.status, Header: h, Body: body}
}

// scrubJSON decodes a JSON body and, when a string or key holds secret,
// returns it re-encoded with every echo replaced by "[REDACTED]".
func scrubJSON(body []byte, secret string) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || dec.More() {
		return nil, false
	}
	found := false
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			if strings.Contains(x, secret) {
				found = true
				return strings.ReplaceAll(x, secret, redacted)
			}
		case []any:
			for i := range x {
				x[i] = walk(x[i])
			}
		case map[string]any:
			for k, item := range x {
				item = walk(item)
				if nk := walk(k).(string); nk != k {
					delete(x, k)
					k = nk
				}
				x[k] = item
			}
		}
		return v
	}
	v = walk(v)
	if !found {
		return nil, false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return nil, false
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), true
}

func invalidRaw(msg string) *Error {
	return &Error{Kind: KindInvalid, Op: rawEndpoint, Message: msg}
}

// buildRaw validates a RawRequest (defence in depth: the API layer validates
// first) and turns it into a request on the fixed base URL.
func buildRaw(in RawRequest) (*request, error) {
	method := in.Method
	if method == "" {
		method = http.MethodGet
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, invalidRaw("unsupported method " + strconv.Quote(method))
	}
	p := in.Path
	if !strings.HasPrefix(p, "/v2/") || len(p) > 2048 {
		return nil, invalidRaw(`the path must start with "/v2/" (at most 2048 characters)`)
	}
	if strings.ContainsAny(p, "\\#") || strings.IndexFunc(p, isCtlOrSpace) >= 0 {
		return nil, invalidRaw("the path contains a forbidden character")
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || u.Fragment != "" {
		return nil, invalidRaw("the path is not a plain URL path")
	}
	escaped := u.EscapedPath()
	for _, seg := range strings.Split(escaped, "/") {
		if dec, err := url.PathUnescape(seg); err != nil || dec == "." || dec == ".." {
			return nil, invalidRaw(`the path must not contain "." or ".." segments`)
		}
	}
	if !strings.HasSuffix(escaped, "/") {
		escaped += "/"
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, invalidRaw("the path's query is malformed")
	}
	for k, vs := range in.Query {
		q[k] = append(q[k], vs...)
	}
	h := make(http.Header, len(in.Header))
	for k, vs := range in.Header {
		ck := http.CanonicalHeaderKey(k)
		if !validHeaderName(k) {
			return nil, invalidRaw("invalid header name")
		}
		if droppedRequestHeaders[ck] || strings.HasPrefix(ck, "X-Forwarded-") {
			continue
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				return nil, invalidRaw("invalid value for header " + strconv.Quote(ck))
			}
			h[ck] = append(h[ck], v)
		}
	}
	// Also drop what the caller's Connection header lists as hop-by-hop.
	for _, v := range in.Header.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	return &request{
		method:   method,
		op:       rawEndpoint,
		path:     escaped,
		rawQuery: q.Encode(),
		body:     in.Body,
		header:   h,
		raw:      true,
	}, nil
}

func isCtlOrSpace(r rune) bool { return r <= ' ' || r == 0x7f }

// validHeaderName reports whether k is an RFC 7230 token.
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x7f || c <= ' ' || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// validHeaderValue refuses control characters other than horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
