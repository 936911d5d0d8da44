package profitwelltest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSandboxRequestLogKeepsTheLastThousand checks the bound of
// GET /_sandbox/requests: the last 1,000 requests, oldest first.
func TestSandboxRequestLogKeepsTheLastThousand(t *testing.T) {
	sb := NewSandbox(Options{Customers: -1, Users: -1})
	for i := range 1005 {
		r := httptest.NewRequest(http.MethodGet, "/v2/api-status/?n="+strconv.Itoa(i), nil)
		r.Header.Set("Authorization", DefaultToken)
		sb.ServeHTTP(httptest.NewRecorder(), r)
	}
	r := httptest.NewRequest(http.MethodGet, "/_sandbox/requests", nil)
	r.Header.Set("Authorization", DefaultToken)
	w := httptest.NewRecorder()
	sb.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	var got []SandboxRequest
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Len(t, got, 1000)
	assert.Equal(t, "n=5", got[0].Query)
	assert.Equal(t, "n=1004", got[999].Query)
	assert.Equal(t, http.StatusOK, got[999].Status)
}

// TestSandboxControlMethods checks the control API's 404 and 405 answers.
func TestSandboxControlMethods(t *testing.T) {
	sb := NewSandbox(Options{Customers: -1, Users: -1})
	do := func(method, path, body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(body))
		r.Header.Set("Authorization", DefaultToken)
		w := httptest.NewRecorder()
		sb.ControlHandler().ServeHTTP(w, r)
		return w
	}
	assert.Equal(t, http.StatusMethodNotAllowed, do(http.MethodPut, "/_sandbox/faults", "").Code)
	assert.Equal(t, "GET, POST, DELETE", do(http.MethodPut, "/_sandbox/faults", "").Header().Get("Allow"))
	assert.Equal(t, http.StatusMethodNotAllowed, do(http.MethodGet, "/_sandbox/reset", "").Code)
	assert.Equal(t, http.StatusNotFound, do(http.MethodGet, "/_sandbox/", "").Code)
	assert.Equal(t, http.StatusBadRequest, do(http.MethodPost, "/_sandbox/faults", `{"kind":"reset"} {}`).Code)
	assert.Equal(t, http.StatusBadRequest, do(http.MethodPost, "/_sandbox/faults", `[]`).Code)
	w := do(http.MethodPost, "/_sandbox/faults", `{"kind":"reset","times":2}`)
	require.Equal(t, http.StatusCreated, w.Code)
	w = do(http.MethodGet, "/_sandbox/faults", "")
	assert.JSONEq(t, `[{"id":"f1","kind":"reset","times":2,"apply":true}]`, w.Body.String())
}
