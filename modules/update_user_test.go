package modules

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func userOf(t *testing.T, out Output) userBundle {
	t.Helper()
	require.Len(t, out.Bundles, 1)
	b, ok := out.Bundles[0].(userBundle)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	return b
}

func TestUpdateUserChangesTheEmailEverywhere(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	seeded := s.historyOf("spiderman 1a")
	require.NotEmpty(t, seeded)
	for _, tc := range []struct{ name, key, email string }{
		{"by alias", "spiderman 1a", "peter.parker@example.com"},
		{"by user id", seeded[0].UserID, "Peter Parker (display text)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			out, n := s.mustRun("updateUser", map[string]any{"userIdOrAlias": tc.key, "email": tc.email})
			assert.Equal(t, 1, n)
			b := userOf(t, out)
			assert.Equal(t, tc.key, b.UserIDOrAlias)
			assert.Equal(t, &seeded[0].UserID, b.UserID)
			assert.Equal(t, strPtr("spiderman 1a"), b.UserAlias)
			assert.Equal(t, tc.email, b.Email)
			hist := s.historyOf("spiderman 1a")
			assert.Equal(t, hist, b.Subscriptions)
			require.Len(t, hist, len(seeded), "a new email adds no history entry")
			for _, h := range hist {
				assert.Equal(t, tc.email, h.Email)
			}
		})
	}
}

func TestUpdateUserAnsweredWithoutHistory(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{"", "{}"} {
		t.Run("answer "+answer, func(t *testing.T) {
			t.Parallel()
			s := newTerseSandbox(t, http.MethodPut, "/v2/users/", answer)
			out, _ := s.mustRun("updateUser", map[string]any{"userIdOrAlias": "user_002", "email": "quiet@example.com"})
			b := userOf(t, out)
			assert.Equal(t, userBundle{UserIDOrAlias: "user_002", Email: "quiet@example.com", Subscriptions: []subscriptionBundle{}}, b)
			keys, obj := jsonKeys(t, b)
			assert.Equal(t, fieldNames(userInterface), keys)
			assert.Nil(t, obj["user_id"], "unknown without a history: null")
			assert.Equal(t, "quiet@example.com", s.historyOf("user_002")[0].Email, "ProfitWell did change it")
		})
	}
}

func TestUpdateUserErrors(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	for _, tc := range []struct {
		name   string
		params map[string]any
		want   map[string]string
	}{
		{"nothing", map[string]any{}, map[string]string{"userIdOrAlias": "is required", "email": "is required"}},
		{"bad values and an unknown parameter", map[string]any{"userIdOrAlias": 12.5, "email": "a\nb", "name": "x"},
			map[string]string{"email": "must not contain control characters", "name": "is not a parameter of this module"}},
		{"email not text", map[string]any{"userIdOrAlias": "user_002", "email": []any{"a@example.com"}},
			map[string]string{"email": "must be text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := s.inSubtest(t)
			_, n, err := s.run("updateUser", tc.params)
			assert.Equal(t, tc.want, fieldProblems(t, err))
			assert.Zero(t, n, "nothing reached ProfitWell")
		})
	}

	_, n, err := s.run("updateUser", map[string]any{"userIdOrAlias": "nobody-here", "email": "x@example.com"})
	assert.Equal(t, profitwell.KindNotFound, pwKind(t, err))
	assert.Equal(t, 1, n)
}
