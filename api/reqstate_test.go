package api

import (
	"encoding/json"
	"fmt"
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

// TestLinesCarryRequestFields: lines written once the module and the
// execution id are known carry them with the request id: the refusal of bad
// parameters (whose answer names the same requestId), and the client's
// per-attempt debug line, which finds its logger through zerolog.Ctx.
func TestLinesCarryRequestFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	for _, c := range []struct {
		limit   any
		status  int
		message string
	}{
		{"many", http.StatusBadRequest, "request refused"},
		{1, http.StatusOK, "profitwell request"},
	} {
		run := fmt.Sprint("run-", c.limit)
		r := h.execute("listPlans", map[string]any{"limit": c.limit}, map[string]any{"execution": map[string]any{"id": run, "cycle": 1}})
		require.Equal(t, c.status, r.Status, string(r.Body))
		id := r.Header.Get("X-Request-Id")
		require.NotEmpty(t, id)
		if c.status != http.StatusOK {
			assert.Equal(t, id, r.errorOf(t)["requestId"])
		}
		var line map[string]any
		for _, m := range logLines(t, h.Logs.String()) {
			if m["message"] == c.message && m["request_id"] == id {
				line = m
			}
		}
		require.NotNil(t, line, "a %q line with the request id", c.message)
		assert.Equal(t, "listPlans", line["module"], c.message)
		assert.Equal(t, run, line["execution_id"], c.message)
	}
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
