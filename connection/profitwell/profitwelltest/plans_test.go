package profitwelltest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlans(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})

	list := decode[[]plan](t, call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil))
	assert.Equal(t, []plan{
		{"starter", "Starter"}, {"growth", "Growth"}, {"pro", "Pro"},
		{"enterprise", "Enterprise"}, {"annual-pro", "Pro (annual)"},
	}, list)

	w := call(t, e, http.MethodPost, "/v2/plans/", DefaultToken, map[string]any{"id": "free plan", "name": "Free subscription plan"})
	require.Equal(t, http.StatusCreated, w.Code)
	assert.JSONEq(t, `{"id":"free plan","name":"Free subscription plan"}`, w.Body.String())

	w = call(t, e, http.MethodPost, "/v2/plans/", DefaultToken, map[string]any{"id": "free plan", "name": "Again"})
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, `{"id":["plan with this id already exists."]}`, w.Body.String())

	w = call(t, e, http.MethodGet, "/v2/plans/free%20plan/", DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"id":"free plan","name":"Free subscription plan"}`, w.Body.String())

	w = call(t, e, http.MethodPut, "/v2/plans/free%20plan/", DefaultToken, map[string]any{"name": "Free", "id": "ignored"})
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"id":"free plan","name":"Free"}`, w.Body.String())

	list = decode[[]plan](t, call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil))
	require.Len(t, list, 6)
	assert.Equal(t, plan{"free plan", "Free"}, list[5], "creation order, seeded plans first")

	errCases := []struct {
		name, method, target string
		body                 any
		status               int
		want                 string
	}{
		{"create missing both", http.MethodPost, "/v2/plans/", map[string]any{}, 400,
			`{"id":["This field is required."],"name":["This field is required."]}`},
		{"create blank name", http.MethodPost, "/v2/plans/", map[string]any{"id": "x", "name": ""}, 400,
			`{"name":["This field may not be blank."]}`},
		{"create too long", http.MethodPost, "/v2/plans/", map[string]any{"id": strings.Repeat("p", 256), "name": "n"}, 400,
			`{"id":["Ensure this field has no more than 255 characters."]}`},
		{"get unknown", http.MethodGet, "/v2/plans/nope/", nil, 404, `{"detail":"Not found."}`},
		{"rename unknown", http.MethodPut, "/v2/plans/nope/", map[string]any{"name": "n"}, 404, `{"detail":"Not found."}`},
		{"rename without name", http.MethodPut, "/v2/plans/pro/", map[string]any{}, 400, `{"name":["This field is required."]}`},
		{"delete not allowed", http.MethodDelete, "/v2/plans/pro/", nil, 405, `{"detail":"Method \"DELETE\" not allowed."}`},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			w := call(t, e, tc.method, tc.target, DefaultToken, tc.body)
			assert.Equal(t, tc.status, w.Code)
			assert.JSONEq(t, tc.want, w.Body.String())
		})
	}

	// Subscriptions do not auto-create plans.
	mustCreate(t, e, map[string]any{"plan_id": "brand-new"})
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/plans/brand-new/", DefaultToken, nil).Code)
}
