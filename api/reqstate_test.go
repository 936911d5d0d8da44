package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

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

// TestErrorLinesCarryRequestFields: a line written after the module and
// execution id are known (the refusal of bad parameters) carries them, and
// the answer's requestId is the request's id.
func TestErrorLinesCarryRequestFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.execute("listPlans", map[string]any{"limit": "many"}, map[string]any{"execution": map[string]any{"id": "run-3", "cycle": 1}})
	require.Equal(t, http.StatusBadRequest, r.Status, string(r.Body))
	id := r.Header.Get("X-Request-Id")
	assert.Contains(t, string(r.Body), `"requestId":"`+id+`"`)
	var refused map[string]any
	for _, m := range logLines(t, h.Logs.String()) {
		if m["message"] == "request refused" && m["request_id"] == id {
			refused = m
		}
	}
	require.NotNil(t, refused, "a debug line for the refusal, with the request id")
	assert.Equal(t, "listPlans", refused["module"])
	assert.Equal(t, "run-3", refused["execution_id"])
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
