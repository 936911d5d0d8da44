package profitwell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind classifies every failure of a ProfitWell call. The API layer maps each
// Kind to one of Make's error types; nothing else needs to look at statuses.
type Kind string

// The kinds of failure. The set is closed: every *Error carries one of them.
const (
	// KindInvalid: ProfitWell rejected the request (400, 405, 409, 422 and
	// other 4xx besides 401, 403, 404 and 429); Fields holds field errors.
	KindInvalid Kind = "invalid"
	// KindNotFound: ProfitWell answered 404 (unknown id, alias or path).
	KindNotFound Kind = "not_found"
	// KindDuplicate: a 4xx whose message says the object "already exists".
	KindDuplicate Kind = "duplicate"
	// KindUnauthorized: ProfitWell rejected the token (401 or 403).
	KindUnauthorized Kind = "unauthorized"
	// KindRateLimited: ProfitWell answered 429 ("Request was throttled."),
	// or the per-token pacing could not grant a slot before the deadline.
	// RetryAfter carries the wait when known.
	KindRateLimited Kind = "rate_limited"
	// KindUnavailable: 5xx, connection refused or reset, DNS or TLS failure,
	// a truncated, oversized or undecodable 2xx body, or an unexpected 3xx.
	KindUnavailable Kind = "unavailable"
	// KindTimeout: the context's deadline passed (or it was canceled) while
	// pacing, backing off or waiting for ProfitWell.
	KindTimeout Kind = "timeout"
)

// maxMessageLen bounds Error.Message and FieldError.Message, in characters.
const maxMessageLen = 300

// Error is the only error type the client returns (wrapped in nothing). It is
// classified once, where the response or failure is seen.
type Error struct {
	// Kind is the classification; see the Kind constants.
	Kind Kind
	// Op is the endpoint template, e.g. "PUT /v2/subscriptions/{id}/", or
	// "raw" for Session.Do. It never contains an id, alias or query.
	Op string
	// Status is the upstream HTTP status, 0 when no response arrived.
	Status int
	// Message is the upstream message (DRF "detail", the first
	// "non_field_errors" entry, or "<field>: <message>"), or a short
	// description of a local failure. Trimmed to 300 characters; never
	// contains the token.
	Message string
	// Fields lists DRF field errors sorted by name (non_field_errors excluded).
	Fields []FieldError
	// RetryAfter is how long to wait before trying again, from the
	// Retry-After header (seconds or HTTP date), the DRF throttle message or
	// the pacing wait; 0 when unknown.
	RetryAfter time.Duration
	// OutcomeUnknown reports that a write (POST, PUT, PATCH, DELETE) may
	// have reached ProfitWell but no complete answer came back. Such a write
	// is never retried by the client.
	OutcomeUnknown bool
	// Err is the underlying cause (a net error, context.DeadlineExceeded, a
	// JSON error), for errors.Is and errors.As. Its text never contains the
	// token.
	Err error

	neverSent   bool // retry fact: the request provably did not reach ProfitWell
	circuitOpen bool // retry fact: refused by the open circuit, retrying now is pointless
}

// FieldError is one DRF field error: {"plan_interval": ["..."]} becomes
// {Name: "plan_interval", Message: "..."} (several messages are joined by "; ").
type FieldError struct {
	// Name is the request field ProfitWell complained about.
	Name string
	// Message is ProfitWell's message for that field.
	Message string
}

// Error formats as "profitwell: <op>: <status> <message>" plus the cause for
// local failures. It never includes the token or a raw body dump.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("profitwell: ")
	if e.Op != "" {
		b.WriteString(e.Op + ": ")
	}
	if e.Status != 0 {
		b.WriteString(strconv.Itoa(e.Status))
	} else {
		b.WriteString(string(e.Kind))
	}
	sep := " "
	if e.Message != "" {
		b.WriteString(" " + e.Message)
		sep = ": "
	}
	if e.Err != nil {
		b.WriteString(sep + e.Err.Error())
	}
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Name + ": " + f.Message
		}
		b.WriteString(" (" + strings.Join(parts, "; ") + ")")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter.Round(time.Millisecond))
	}
	if e.OutcomeUnknown {
		b.WriteString(" (outcome unknown: the write may have been applied)")
	}
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, context.DeadlineExceeded) and
// errors.As(err, *net.OpError) work.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed: rate limiting,
// unavailability and timeouts.
func (e *Error) Temporary() bool {
	return e.Kind == KindRateLimited || e.Kind == KindUnavailable || e.Kind == KindTimeout
}

// classifyStatus builds the error for a non-2xx answer of a typed call.
// secret is the clear token, scrubbed from everything taken from the body.
func classifyStatus(op string, status int, h http.Header, body []byte, secret string, now time.Time) *Error {
	e := &Error{Op: op, Status: status}
	switch {
	case status >= 300 && status < 400:
		e.Kind = KindUnavailable
		e.Message = fmt.Sprintf("unexpected redirect (%d)", status)
		if loc := h.Get("Location"); loc != "" {
			e.Message += " to " + loc
		}
		e.Message = clean(e.Message, secret)
		return e
	case status >= 500 || status < 300: // 5xx, 1xx or other oddities
		e.Kind = KindUnavailable
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Kind = KindUnauthorized
	case status == http.StatusNotFound:
		e.Kind = KindNotFound
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
	default:
		e.Kind = KindInvalid
	}
	e.Message, e.Fields = parseErrorBody(status, h, body, secret)
	if e.Kind == KindInvalid {
		switch msg := strings.ToLower(e.Message); {
		case strings.Contains(msg, "request was throttled"):
			e.Kind = KindRateLimited
		case strings.Contains(msg, "already exists") || slices.ContainsFunc(e.Fields, func(f FieldError) bool {
			return strings.Contains(strings.ToLower(f.Message), "already exists")
		}):
			e.Kind = KindDuplicate
		}
	}
	if e.Kind == KindRateLimited {
		e.RetryAfter = retryAfter(h, e.Message, now)
	}
	return e
}

// throttleRe matches DRF's "Expected available in N seconds." suffix.
var throttleRe = regexp.MustCompile(`(?i)available in (\d+(?:\.\d+)?) seconds?`)

// retryAfter reads Retry-After (delta seconds or HTTP date), falling back to
// DRF's throttle message. 0 when unknown.
func retryAfter(h http.Header, msg string, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			return upToADay(secs)
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if m := throttleRe.FindStringSubmatch(msg); m != nil {
		secs, _ := strconv.ParseFloat(m[1], 64) // out of range: +Inf, refused below
		return upToADay(secs)
	}
	return 0
}

// upToADay converts a positive number of seconds up to a day; 0 otherwise.
func upToADay(secs float64) time.Duration {
	if secs <= 0 || secs > 86400 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// parseErrorBody extracts ProfitWell's (DRF's) message and field errors.
func parseErrorBody(status int, h http.Header, body []byte, secret string) (string, []FieldError) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return http.StatusText(status), nil
	}
	if strings.Contains(strings.ToLower(h.Get("Content-Type")), "html") || trimmed[0] == '<' {
		return fmt.Sprintf("ProfitWell returned an HTML error page (%d)", status), nil
	}
	switch trimmed[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &obj); err == nil {
			return fromObject(obj, secret)
		}
	case '[', '"':
		var list []json.RawMessage
		if json.Unmarshal(trimmed, &list) == nil && len(list) == 0 {
			return http.StatusText(status), nil
		}
		if json.Valid(trimmed) {
			return clean(firstText(trimmed), secret), nil
		}
	}
	if !utf8.Valid(trimmed) {
		return fmt.Sprintf("ProfitWell returned a non-text error body (%d)", status), nil
	}
	return clean(string(trimmed), secret), nil
}

// messageKeys hold an error body's message, in order of preference.
var messageKeys = []string{"detail", "non_field_errors", "message", "error"}

// fromObject reads {"detail": ...}, {"non_field_errors": [...]} and
// {"<field>": [...]} bodies.
func fromObject(obj map[string]json.RawMessage, secret string) (string, []FieldError) {
	var msg string
	for _, k := range messageKeys {
		if raw, ok := obj[k]; ok {
			if msg = clean(firstText(raw), secret); msg != "" {
				break
			}
		}
	}
	var fields []FieldError
	for k, raw := range obj {
		if slices.Contains(messageKeys, k) || k == "status" || k == "code" || k == "status_code" {
			continue
		}
		fields = append(fields, FieldError{Name: clean(k, secret), Message: clean(allText(raw), secret)})
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	if msg == "" && len(fields) > 0 {
		msg = clean(fields[0].Name+": "+fields[0].Message, secret)
	}
	return msg, fields
}

// firstText returns the string, or the first string of an array, or the
// compact JSON text of anything else.
func firstText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		if len(list) == 0 {
			return ""
		}
		return firstText(list[0])
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) == nil {
		return b.String()
	}
	return string(raw)
}

// allText joins every message of a field error.
func allText(raw json.RawMessage) string {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		parts := make([]string, 0, len(list))
		for _, item := range list {
			if t := firstText(item); t != "" {
				parts = append(parts, t)
			}
		}
		return strings.Join(parts, "; ")
	}
	return firstText(raw)
}

// clean scrubs the token, flattens control characters and trims to
// maxMessageLen characters.
func clean(s, secret string) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, redacted)
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxMessageLen {
		r := []rune(s)
		s = string(r[:maxMessageLen-1]) + "…"
	}
	return s
}
