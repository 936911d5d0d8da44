package profitwelltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

const (
	contentTypeJSON = "application/json"
	contentTypeHTML = "text/html; charset=utf-8"

	msgNotFound        = "Not found."
	msgNoCredentials   = "Authentication credentials were not provided."
	msgInvalidToken    = "Invalid token."
	msgRequired        = "This field is required."
	msgNotNull         = "This field may not be null."
	msgBlank           = "This field may not be blank."
	msgInvalidInt      = "A valid integer is required."
	msgInvalidString   = "Not a valid string."
	msgThrottled       = "Request was throttled."
	msgDatetimeFormat  = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z], YYYY-MM-DD, Unix seconds."
	msgServerErrorHTML = "<h1>Server Error (500)</h1>"
)

// response is what a handler produces. ServeHTTP writes it (or, for the
// truncated fault, half of it).
type response struct {
	status int
	ctype  string
	header http.Header
	body   []byte
}

func (r *response) setHeader(k, v string) {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header.Set(k, v)
}

func jsonResponse(status int, v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own types are marshalled; failing here is a bug.
		panic(fmt.Sprintf("profitwelltest: marshal response: %v", err))
	}
	return response{status: status, ctype: contentTypeJSON, body: b}
}

func rawJSON(status int, b []byte) response {
	return response{status: status, ctype: contentTypeJSON, body: b}
}

// detail answers DRF's {"detail": "..."} shape.
func detail(status int, msg string) response {
	return jsonResponse(status, map[string]string{"detail": msg})
}

func notFound() response { return detail(http.StatusNotFound, msgNotFound) }

// nonField answers a DRF object-level validation error.
func nonField(msg string) response {
	return jsonResponse(http.StatusBadRequest, map[string][]string{"non_field_errors": {msg}})
}

func throttled(retryAfter int, withHeader bool) response {
	if !withHeader {
		return detail(http.StatusTooManyRequests, msgThrottled)
	}
	unit := "seconds"
	if retryAfter == 1 {
		unit = "second" // DRF pluralises with ngettext
	}
	r := detail(http.StatusTooManyRequests,
		fmt.Sprintf("Request was throttled. Expected available in %d %s.", retryAfter, unit))
	r.setHeader("Retry-After", strconv.Itoa(retryAfter))
	return r
}

func serverError() response {
	return response{status: http.StatusInternalServerError, ctype: contentTypeHTML, body: []byte(msgServerErrorHTML)}
}

// fieldErrors collects DRF field errors in declaration order, so the JSON
// object lists fields the way a DRF serializer would.
type fieldErrors struct {
	keys []string
	msgs map[string][]string
}

func (e *fieldErrors) add(field, msg string) {
	if e.msgs == nil {
		e.msgs = map[string][]string{}
	}
	if _, ok := e.msgs[field]; !ok {
		e.keys = append(e.keys, field)
	}
	e.msgs[field] = append(e.msgs[field], msg)
}

func (e *fieldErrors) empty() bool { return len(e.keys) == 0 }

func (e *fieldErrors) response() response {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range e.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(e.msgs[k])
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return rawJSON(http.StatusBadRequest, buf.Bytes())
}

func invalidChoice(input string) string {
	return `"` + input + `" is not a valid choice.`
}

func maxLenMsg(n int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", n)
}

func minValueMsg(n int64) string {
	return fmt.Sprintf("Ensure this value is greater than or equal to %d.", n)
}

func maxValueMsg(n int64) string {
	return fmt.Sprintf("Ensure this value is less than or equal to %d.", n)
}
