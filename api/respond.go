package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
)

// jsonContentType is the Content-Type value slice of JSON answers, shared:
// net/http copies a handler's headers before it writes them, and nothing
// here changes a header value in place.
var jsonContentType = []string{"application/json"}

// setContentLength declares an answer's length when it is larger than
// net/http's response buffer (2 KiB), which would otherwise send it
// chunked; net/http counts a smaller answer itself, for free.
func setContentLength(w http.ResponseWriter, n int) {
	if n > 2048 {
		w.Header()["Content-Length"] = []string{strconv.Itoa(n)}
	}
}

// writeJSON answers with status and v encoded as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"type":"RuntimeError","code":"ENCODE","message":"could not encode the answer"}}`, http.StatusInternalServerError)
		return
	}
	w.Header()["Content-Type"] = jsonContentType
	setContentLength(w, buf.Len())
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeError classifies err, logs what needs logging and writes the error
// envelope. It is the only writer of non-2xx bodies.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) *Problem {
	p := classify(err)
	p.RequestID = RequestID(r.Context())
	log := logOf(r.Context())
	switch {
	case p.status >= 500 && p.Type == TypeRuntimeError:
		log.Error().Str("error", err.Error()).Str("error_type", p.Type).Msg("request failed")
	case p.status >= 500:
		log.Warn().Str("error", err.Error()).Str("error_type", p.Type).Str("error_code", p.Code).Msg("request failed")
	default:
		log.Debug().Str("error", err.Error()).Str("error_type", p.Type).Str("error_code", p.Code).Msg("request refused")
	}
	if p.RetryAfterMs > 0 {
		w.Header().Set("Retry-After", retryAfterHeader(p.RetryAfterMs))
	}
	writeJSON(w, p.status, errorBody{Error: p})
	return p
}

// decodeBody decodes the request body strictly into dst: JSON content type
// (or none), valid UTF-8, no duplicate keys, bounded nesting, no unknown keys,
// no trailing data, numbers kept exact. Problems are a ValidationError naming
// the offending key.
func decodeBody(r *http.Request, body []byte, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errBadContentType
		}
	}
	return decodeJSON(body, dst)
}

// decodeJSON is decodeBody's work on bytes: the envelope's one-pass
// decoder, or the strict path for anything it declines.
func decodeJSON(body []byte, dst any) error {
	if decodeEnvelope(body, dst) {
		return nil
	}
	return strictDecode(body, dst)
}

// strictDecode checks the body (checkJSON) and decodes it with
// encoding/json, naming what is wrong.
func strictDecode(body []byte, dst any) error {
	if err := checkJSON(body, schemaOf(reflect.TypeOf(dst))); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return manifest.Invalid("body", "must hold exactly one JSON object")
	}
	return nil
}

func decodeError(err error) error {
	var maxBytes *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, io.EOF):
		return manifest.Invalid("body", "is empty; send a JSON object")
	case errors.As(err, &typeErr):
		name := typeErr.Field
		if name == "" {
			name = "body"
		}
		return manifest.Invalid(name, "must be "+jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return manifest.Invalid("body", "is not valid JSON")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unquoted, err := strconv.Unquote(name); err == nil {
			name = unquoted
		}
		return manifest.Invalid(safeField(name), "is not a field of the request")
	}
	return manifest.Invalid("body", fmt.Sprintf("could not be read (%s)", firstLine(err.Error())))
}

func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "int", "int64", "uint", "float64":
		return "a number"
	case "map", "struct":
		return "an object"
	case "slice":
		return "a list"
	case "bool":
		return "true or false"
	}
	return "of another type"
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}
