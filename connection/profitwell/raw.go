package profitwell

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/text/unicode/norm"
)

// RawRequest is a caller-built request for Session.Do (the "Make an API
// Call" module).
type RawRequest struct {
	// Method is GET, HEAD, POST, PUT, PATCH or DELETE ("" means GET).
	Method string
	// Path is checked and made canonical by RawTarget ("/v2/plans/?x=1");
	// it may carry a query. A missing trailing slash is added before the
	// query.
	Path string
	// Query is added to the path's own query, if any.
	Query url.Values
	// Header holds extra request headers; those CheckRawHeader refuses by
	// name are dropped (the client sets Authorization and User-Agent itself).
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

// TokenRefused is the error a 401 or 403 answer stands for: ProfitWell
// refused the connection's token (KindUnauthorized, its message read as for
// the typed calls). It is nil for any other status.
func (r RawResponse) TokenRefused() *Error {
	if r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
		return nil
	}
	return classifyStatus(rawEndpoint, r.Status, r.Header, r.Body, "", time.Time{}) // Body is redacted already
}

// forbiddenRawHeaders are request headers a raw call may not set, with why:
// the connector or the HTTP client owns them.
var forbiddenRawHeaders = map[string]string{
	"Authorization":       "is sent by the connector from the connection; remove this header",
	"Proxy-Authorization": "is not allowed: the connector authenticates with the connection's token only",
	"Host":                "cannot be set: requests always go to the ProfitWell API",
	"Cookie":              "cannot be set: the ProfitWell API does not use cookies",
	"Content-Length":      "cannot be set: it is computed from the body",
	"Transfer-Encoding":   "cannot be set: the HTTP client manages it",
	"Connection":          "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Keep-Alive":          "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Proxy-Connection":    "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Te":                  "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Trailer":             "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Upgrade":             "cannot be set: hop-by-hop headers are managed by the HTTP client",
	"Expect":              "cannot be set: the HTTP client manages it",
	"User-Agent":          "cannot be set: the connector identifies itself",
	"Forwarded":           "cannot be set: the connector does not forward for others",
	"X-Real-Ip":           "cannot be set: the connector does not forward for others",
}

// RawHeaderProblem is why a raw call may not send one header: Part is "key"
// (the name is not an HTTP token, or the connector owns that header) or
// "value" (control characters).
type RawHeaderProblem struct {
	Part    string
	Message string
}

// CheckRawHeader returns the problem with sending header name: value in a
// raw call, or nil. Session.Do drops the headers this refuses by name and
// fails on the others, so a caller that checks first and the client agree.
func CheckRawHeader(name, value string) *RawHeaderProblem {
	ck := http.CanonicalHeaderKey(name)
	switch {
	case !httpguts.ValidHeaderFieldName(name):
		return &RawHeaderProblem{"key", "must be a header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)"}
	case forbiddenRawHeaders[ck] != "":
		return &RawHeaderProblem{"key", ck + " " + forbiddenRawHeaders[ck]}
	case strings.HasPrefix(ck, "X-Forwarded-"), strings.HasPrefix(ck, "Proxy-"):
		return &RawHeaderProblem{"key", ck + " cannot be set: the connector does not act as a proxy"}
	case !httpguts.ValidHeaderFieldValue(value):
		return &RawHeaderProblem{"value", "must not contain line breaks or control characters"}
	}
	return nil
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
	var out RawResponse // the last answer
	rerr := s.run(ctx, rq, func(res *response) *Error {
		if res.status == http.StatusTooManyRequests {
			return classifyStatus(rawEndpoint, res.status, res.header, res.body.Bytes(), secret, s.c.now())
		}
		out = rawResponse(res, secret)
		if res.status >= 500 && rq.idempotent() {
			return &Error{Kind: KindUnavailable, Op: rawEndpoint, Status: res.status, Message: http.StatusText(res.status)}
		}
		return nil
	})
	if rerr != nil && (rerr.Kind != KindUnavailable || rerr.Status < 500 || out.Status != rerr.Status) {
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

// MaxRawPathLen bounds a raw call's path, as given and once escaped.
const MaxRawPathLen = 2048

// rawAPIRoot is the root every raw call stays under.
const rawAPIRoot = "/v2"

// buildRaw validates a RawRequest with the policy a caller may check first
// (RawTarget, CheckRawHeader) and turns it into a request.
func buildRaw(in RawRequest) (*request, error) {
	method := cmp.Or(in.Method, http.MethodGet)
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return nil, invalidRaw("unsupported method " + strconv.Quote(method))
	}
	escaped, q, problem := RawTarget(in.Path)
	if problem != "" {
		return nil, invalidRaw("the path " + problem)
	}
	for k, vs := range in.Query {
		q[k] = append(q[k], vs...)
	}
	h := make(http.Header, len(in.Header))
	for k, vs := range in.Header {
		ck := http.CanonicalHeaderKey(k)
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, invalidRaw("invalid header name")
		}
		for _, v := range vs {
			switch p := CheckRawHeader(k, v); {
			case p == nil:
				h[ck] = append(h[ck], v)
			case p.Part == "value":
				return nil, invalidRaw("invalid value for header " + strconv.Quote(ck))
			}
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

// rawResourceRe is what the first segment of a raw call's path must look
// like: a ProfitWell resource name (plans, customers, api-status, ...).
var rawResourceRe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// RawTarget is the one policy for where a raw call may go: it checks a path
// relative to the API root ("/plans/", "plans", "/v2/plans?x=1"), and turns
// it into the escaped upstream path (always "/v2/…/") and its query. problem
// says why a path is refused (then path and query are empty); the path never
// leaves /v2. It is pure, so it can be fuzzed.
func RawTarget(in string) (path string, query url.Values, problem string) {
	switch {
	case in == "":
		return "", nil, "is required"
	case len(in) > MaxRawPathLen:
		return "", nil, "must be at most " + strconv.Itoa(MaxRawPathLen) + " characters"
	case !utf8.ValidString(in):
		return "", nil, "must be valid UTF-8 text"
	}
	for _, r := range in {
		if msg := rawBadRune(r); msg != "" {
			return "", nil, msg
		}
	}
	switch {
	case strings.TrimSpace(in) != in:
		return "", nil, "must not start or end with spaces"
	case strings.Contains(in, "#"):
		return "", nil, "must not contain a fragment (#)"
	case strings.HasPrefix(in, "//"):
		return "", nil, "must be a path relative to https://api.profitwell.com/v2, not a host (//…)"
	}
	p, rawQuery, _ := strings.Cut(in, "?")
	// Before anything else: a scheme or an authority in the first segment.
	head, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	switch {
	case strings.Contains(head, ":"):
		return "", nil, "must be a path relative to https://api.profitwell.com/v2 (for example /plans/), not an absolute URL"
	case strings.Contains(head, "@"):
		return "", nil, "must be a path relative to https://api.profitwell.com/v2 (for example /plans/), without a user or host (…@…)"
	}
	p = "/" + strings.TrimPrefix(p, "/")
	if p == rawAPIRoot || strings.HasPrefix(p, rawAPIRoot+"/") {
		p = p[len(rawAPIRoot):] // "/v2/plans/" is taken as is
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	if segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1] // the trailing slash
	}
	if len(segs) == 0 {
		return "", nil, "must name an endpoint, for example /plans/"
	}
	if !rawResourceRe.MatchString(segs[0]) {
		return "", nil, "must start with a ProfitWell resource such as /plans/ or /customers/ (letters, digits, - and _)"
	}
	var b strings.Builder
	b.WriteString(rawAPIRoot)
	for _, seg := range segs {
		dec, msg := rawSegment(seg)
		if msg != "" {
			return "", nil, msg
		}
		b.WriteByte('/')
		b.WriteString(url.PathEscape(dec))
	}
	b.WriteByte('/')
	path = b.String()
	if len(path) > MaxRawPathLen {
		return "", nil, "must be at most " + strconv.Itoa(MaxRawPathLen) + " characters once percent-encoded"
	}
	query, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", nil, "has a malformed query string (after ?)"
	}
	return path, query, ""
}

// rawSegment checks one path segment as written and returns it decoded.
func rawSegment(seg string) (string, string) {
	if seg == "" {
		return "", "must not contain empty segments (//)"
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] != '%' {
			continue
		}
		c, err := strconv.ParseUint(seg[i+1:min(i+3, len(seg))], 16, 8)
		switch {
		case err != nil || i+2 >= len(seg):
			return "", "has a malformed percent-encoding (% must be followed by two hexadecimal digits)"
		case c == '.' || c == '/' || c == '\\' || c == '%':
			return "", `must not percent-encode ".", "/", "\" or "%" (%2e, %2f, %5c, %25)`
		case c < 0x20 || c == 0x7f:
			return "", "must not contain encoded control characters"
		}
		i += 2
	}
	dec, err := url.PathUnescape(seg)
	if err != nil {
		return "", "has a malformed percent-encoding"
	}
	if !utf8.ValidString(dec) {
		return "", "must be valid UTF-8 once percent-decoded"
	}
	for _, r := range dec {
		if msg := rawBadRune(r); msg != "" {
			return "", msg
		}
	}
	if dec == "." || strings.Contains(dec, "..") {
		return "", `must not contain "." or ".." segments (the path must stay under /v2)`
	}
	return dec, ""
}

// rawLookalikes stand for "/" or "\" without a compatibility decomposition
// (NFKC catches the others, such as "／" and "．").
var rawLookalikes = map[rune]bool{
	'\u2044': true, '\u2215': true, '\u2571': true, '\u29F8': true, // ⁄ ∕ ╱ ⧸
	'\u2216': true, '\u29F5': true, '\u29F9': true, '\u2572': true, // ∖ ⧵ ⧹ ╲
}

// rawBadRune explains why r may not appear in a raw call's path.
func rawBadRune(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "must not contain control characters"
	case r == '\\':
		return "must not contain backslashes"
	case unicode.Is(unicode.Cf, r):
		return "must not contain invisible formatting characters"
	case r >= utf8.RuneSelf && (rawLookalikes[r] || strings.ContainsAny(norm.NFKC.String(string(r)), `/\.%#?@:`)):
		return `must not contain characters that stand for / \ . % # ? @ or : (such as ／ or ．)`
	}
	return ""
}
