package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logLines decodes JSON log lines.
func logLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		out = append(out, m)
	}
	return out
}

// TestRequestStateLogger: the request's lines carry request_id, module and
// execution_id whether the request's logger was built before or after they
// were known, and zerolog.Ctx on the request's context is that logger.
func TestRequestStateLogger(t *testing.T) {
	var buf bytes.Buffer
	base := zerolog.New(&buf)
	st := &requestState{Context: context.Background(), id: "req-1", base: &base}

	st.event(zerolog.InfoLevel).Msg("before")
	assert.False(t, st.logReady.Load(), "a line written through event makes no logger")
	st.setModule("getPlan")
	l := zerolog.Ctx(st)
	require.Same(t, st.logger(), l, "zerolog.Ctx finds the request's logger")
	l.Warn().Msg("built")
	st.setExecutionID("run-7")
	st.event(zerolog.InfoLevel).Msg("after")
	type key struct{}
	zerolog.Ctx(context.WithValue(st, key{}, 1)).Info().Msg("child context")

	lines := logLines(t, buf.String())
	require.Len(t, lines, 4)
	for _, m := range lines {
		assert.Equal(t, "req-1", m["request_id"], m["message"])
	}
	assert.Nil(t, lines[0]["module"])
	assert.Equal(t, "getPlan", lines[1]["module"])
	assert.Nil(t, lines[1]["execution_id"])
	for _, m := range lines[2:] {
		assert.Equal(t, "getPlan", m["module"], m["message"])
		assert.Equal(t, "run-7", m["execution_id"], m["message"])
	}
	assert.Equal(t, "warn", lines[1]["level"])
}

// TestRequestStateContext: the state answers its own key, chi's routing
// context and zerolog's key, and leaves every other key (and cancellation)
// to the server's context it wraps.
func TestRequestStateContext(t *testing.T) {
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	base := zerolog.Nop()
	rctx := chi.NewRouteContext()
	st := &requestState{Context: parent, rctx: rctx, id: "x", base: &base}

	assert.Same(t, st, stateOf(st))
	assert.Same(t, rctx, chi.RouteContext(st))
	assert.Equal(t, "v", st.Value(key{}))
	assert.Equal(t, "x", RequestID(context.WithValue(st, key{}, "w")))
	assert.Empty(t, RequestID(context.Background()))

	child, stop := context.WithTimeout(st, 1<<62)
	defer stop()
	cancel()
	<-child.Done()
	assert.ErrorIs(t, child.Err(), context.Canceled, "cancelling the server's context reaches children")
}

// TestClientLinesCarryRequestFields: the client's per-attempt debug line,
// which finds its logger through zerolog.Ctx, carries the request's id,
// module and execution id.
func TestClientLinesCarryRequestFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.execute("listPlans", map[string]any{"limit": 1}, map[string]any{"execution": map[string]any{"id": "run-9", "cycle": 1}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	id := r.Header.Get("X-Request-Id")
	require.NotEmpty(t, id)
	var attempt map[string]any
	for _, m := range logLines(t, h.Logs.String()) {
		if m["message"] == "profitwell request" && m["request_id"] == id {
			attempt = m
		}
	}
	require.NotNil(t, attempt, "a debug line for the upstream attempt, with the request id")
	assert.Equal(t, "listPlans", attempt["module"])
	assert.Equal(t, "run-9", attempt["execution_id"])
}

// TestNewRequestIDs: generated ids are 24 lowercase hex characters, pass the
// inbound id check, and do not repeat.
func TestNewRequestIDs(t *testing.T) {
	seen := make(map[string]bool, 20000)
	for range 20000 {
		id := newRequestID()
		require.Len(t, id, 24)
		require.Equal(t, strings.Trim(id, "0123456789abcdef"), "", id)
		require.True(t, validRequestID.MatchString(id), id)
		require.False(t, seen[id], "repeated id %s", id)
		seen[id] = true
	}
}
