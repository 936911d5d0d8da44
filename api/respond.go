package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
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
	if cw, ok := w.(*captureWriter); ok && p.Code == codeOutcomeUnknown {
		cw.outcomeUnknown = true
	}
	writeJSON(w, p.status, struct {
		Error *Problem `json:"error"`
	}{p})
	return p
}
