package api

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// TestWriteExecuteIsWriteJSON: the execute answer's fast writer gives the
// bytes, status and headers writeJSON gives, whatever the bundles.
func TestWriteExecuteIsWriteJSON(t *testing.T) {
	t.Parallel()
	page := `[{"customer_id":"c<1>","email":"a&b@example.com","first_name":null,"last_name":"Dœ","mrr_cents":4900,"plans":["pro"],"status":"active","created_on":"2023-06-15T12:41:32Z","activated_on":null,"churned_on":null,"updated_on":"2023-08-28T10:55:19.919563Z","total_spend_cents":0},` +
		`{"customer_id":"c2","email":null,"first_name":null,"last_name":null,"mrr_cents":1,"plans":[],"status":"trialing","created_on":null,"activated_on":null,"churned_on":null,"updated_on":null,"total_spend_cents":-2}]`
	var customers []profitwell.Customer
	require.NoError(t, json.Unmarshal([]byte(page), &customers))
	rows := customerRows(t, page)
	meta := executeMeta{Module: "listCustomers", Returned: 2, HasMore: true, NextCursor: "abc<>&", UpstreamRequests: 1}
	for name, res := range map[string]executeResponse{
		"rows":            {Bundles: []any{&rows[0], &rows[1]}, Meta: meta},
		"row values":      {Bundles: []any{rows[0], rows[1]}, Meta: meta},
		"customers":       {Bundles: []any{customers[0], &customers[1]}, Meta: meta},
		"mixed and state": {Bundles: []any{&rows[0], map[string]any{"<b>": "&", "n": nil}, nil, "x\u2028y", 1.5}, Meta: meta, State: json.RawMessage(` {"module": "w", "position": [1, 2]} `)},
		"empty":           {Bundles: []any{}, Meta: executeMeta{Module: "getPlan"}},
		"cursor escapes":  {Bundles: []any{}, Meta: executeMeta{Module: "m\"\\", Returned: -1, HasMore: true, NextCursor: "a\"b\\c\x01\u2028\u2029\xff\t<é>", UpstreamRequests: 1 << 40}},
		"empty state":     {Bundles: []any{}, Meta: meta, State: json.RawMessage(`{}`)},
		"nil bundles":     {Meta: executeMeta{Module: "getPlan"}},
		"encoding fails":  {Bundles: []any{&rows[0], math.NaN()}, Meta: meta},
	} {
		want, got := httptest.NewRecorder(), httptest.NewRecorder()
		writeJSON(want, http.StatusOK, res)
		writeExecute(got, res)
		assert.Equal(t, want.Code, got.Code, name)
		assert.Equal(t, want.Header(), got.Header(), name)
		assert.Equal(t, want.Body.String(), got.Body.String(), name)
	}
}

// customerRows decodes a customers page the way the listing modules get it.
func customerRows(t *testing.T, page string) []profitwell.CustomerRow {
	t.Helper()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	}))
	defer up.Close()
	c, err := profitwell.New(profitwell.Config{BaseURL: up.URL})
	require.NoError(t, err)
	defer c.Close()
	rows, err := c.Session(profitwell.NewToken(testToken)).ListCustomerRows(context.Background(), profitwell.CustomerQuery{})
	require.NoError(t, err)
	return rows
}

// TestAnswersCarryContentLength: answers of any size go out with their
// length, not chunked (one write, and the engine knows the size).
func TestAnswersCarryContentLength(t *testing.T) {
	t.Parallel()
	bundles := make([]any, 400)
	for i := range bundles {
		bundles[i] = map[string]any{"n": i, "text": "a row of an answer larger than net/http's 2 KiB response buffer"}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/error" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"bundles": bundles})
			return
		}
		writeExecute(w, executeResponse{Bundles: bundles, Meta: executeMeta{Module: "m", Returned: len(bundles)}})
	}))
	defer srv.Close()
	for _, path := range []string{"/", "/error"} {
		resp, err := srv.Client().Get(srv.URL + path)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Greater(t, len(body), 16<<10, path)
		assert.Equal(t, int64(len(body)), resp.ContentLength, path)
		assert.Empty(t, resp.TransferEncoding, path)
	}
}
