package api

import (
	"context"
	"net/http"

	"github.com/rs/zerolog"
)

type requestIDKey struct{}

// withRequestID gives the request its id (the inbound X-Request-Id when it
// is short and printable, else a new one), echoes it, and puts in the
// request's context the id and the server's logger with a request_id field.
// Later steps add their fields to that logger (addLogField), so every line
// written through zerolog.Ctx for the request carries them: the access
// line, error lines, the ProfitWell client's lines.
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header()["X-Request-Id"] = []string{id}
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		ctx = s.deps.Logger.With().Str("request_id", id).Logger().WithContext(ctx)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// RequestID returns the request id of a request's context.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// logOf is the request's logger.
func logOf(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }

// addLogField adds key=value to every later line of the request's logger,
// the access line included. The logger is shared by the request's steps
// and not safe for concurrent change: call it before the request's work
// fans out (the handler does, before running the module).
func addLogField(ctx context.Context, key, value string) {
	zerolog.Ctx(ctx).UpdateContext(func(c zerolog.Context) zerolog.Context { return c.Str(key, value) })
}
