package console_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/profitwell-connector/connector/api/console"
)

func TestConsoleHandler(t *testing.T) {
	h := console.New(console.Options{})
	get := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	w := get(http.MethodGet, "/console")
	assert.Equal(t, http.StatusMovedPermanently, w.Code)
	assert.Equal(t, "/console/", w.Header().Get("Location"))
	for path, ctype := range map[string]string{
		"/console/": "text/html; charset=utf-8", "/console/app.js": "text/javascript; charset=utf-8",
		"/console/app.css": "text/css; charset=utf-8", "/console/config.json": "application/json",
	} {
		w = get(http.MethodGet, path)
		assert.Equal(t, http.StatusOK, w.Code, path)
		assert.Equal(t, ctype, w.Header().Get("Content-Type"), path)
		assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"), path)
		assert.Contains(t, w.Header().Get("Content-Security-Policy"), "default-src 'none'", path)
	}
	assert.JSONEq(t, `{"sandbox":false,"engineAuth":false}`, get(http.MethodGet, "/console/config.json").Body.String(),
		"no sandbox token outside sandbox mode")
	assert.JSONEq(t, `{"sandbox":true,"engineAuth":false,"sandboxToken":"sandbox-private-token"}`,
		httpBody(console.New(console.Options{Sandbox: true, SandboxToken: "sandbox-private-token"}), "/console/config.json"))
	for _, path := range []string{"/console/missing.js", "/console/../console.go", "/console/assets/app.js", "/other"} {
		assert.Equal(t, http.StatusNotFound, get(http.MethodGet, path).Code, path)
	}
	w = get(http.MethodPost, "/console/")
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"))
}

func httpBody(h http.Handler, path string) string {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	return w.Body.String()
}
