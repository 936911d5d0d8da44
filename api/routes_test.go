package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRouteLabels: every route labels its requests (metrics and access log)
// with chi's own pattern for it, and a request no route matches is
// "unmatched".
func TestRouteLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := fakeServer(t, Deps{Logger: zerolog.Nop(), Registerer: reg, Gatherer: reg})
	var routes chi.Routes = srv.mux
	want := map[string]bool{"unmatched": true}
	require.NoError(t, chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		route = strings.TrimSuffix(strings.ReplaceAll(route, "/*/", "/"), "/")
		want[route] = true
		path := strings.ReplaceAll(route, "{name}", "fakeEcho")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(`{}`)))
		assert.NotEqual(t, http.StatusNotFound, rec.Code, "%s %s is routed", method, path)
		return nil
	}))
	assert.Len(t, want, 9, "eight routes and unmatched")
	srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/nowhere", nil))

	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "connector_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" {
					got[l.GetValue()] = true
				}
			}
		}
	}
	assert.Equal(t, want, got)
}

// TestMethodLabelBounded: any token is a valid HTTP method; the metrics
// keep the standard ones and count the rest as OTHER.
func TestMethodLabelBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	srv := fakeServer(t, Deps{Logger: zerolog.Nop(), Registerer: reg, Gatherer: reg})
	for _, m := range []string{"FOO", "BAR", http.MethodGet} {
		srv.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(m, "/healthz", nil))
	}
	families, err := reg.Gather()
	require.NoError(t, err)
	methods := map[string]bool{}
	for _, f := range families {
		if f.GetName() == "connector_http_requests_total" {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "method" {
						methods[l.GetValue()] = true
					}
				}
			}
		}
	}
	assert.Equal(t, map[string]bool{"OTHER": true, "GET": true}, methods)
}

// TestV1GuardCoversUnmatchedPaths: under /v1, a path or method no route
// matches is answered past the same guard as the routes, so a caller
// without a valid key gets 401 and learns nothing of the API's paths.
func TestV1GuardCoversUnmatchedPaths(t *testing.T) {
	key := "0123456789abcdef0123456789abcdef"
	srv := fakeServer(t, Deps{Logger: zerolog.Nop(), APIKeys: []string{key}})
	for _, c := range []struct {
		method, path string
		withKey      bool
		want         int
	}{
		{http.MethodGet, "/v1/nope", false, http.StatusUnauthorized},
		{http.MethodGet, "/v1/nope", true, http.StatusNotFound},
		{http.MethodGet, "/v1", false, http.StatusUnauthorized},
		{http.MethodGet, "/v1/modules/fakeEcho/execute", false, http.StatusUnauthorized},
		{http.MethodGet, "/v1/modules/fakeEcho/execute", true, http.StatusMethodNotAllowed},
		{http.MethodGet, "/nope", false, http.StatusNotFound},
		{http.MethodPost, "/healthz", false, http.StatusMethodNotAllowed},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.withKey {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		assert.Equal(t, c.want, rec.Code, "%s %s key=%v", c.method, c.path, c.withKey)
	}
}
