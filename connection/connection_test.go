package connection

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

func TestTokenValidatesTheConnection(t *testing.T) {
	t.Parallel()
	tok, err := Token(map[string]any{"privateToken": "C8F23218A0B14C4E9D7E5F6A7B8CDA80"})
	require.NoError(t, err)
	assert.Equal(t, "C8F23218A0B14C4E9D7E5F6A7B8CDA80", tok.Reveal())

	for name, tc := range map[string]struct {
		conn map[string]any
		msg  string
	}{
		"missing":   {conn: map[string]any{}, msg: "is required"},
		"short":     {conn: map[string]any{"privateToken": "abc"}, msg: "must be at least 8 characters"},
		"spaces":    {conn: map[string]any{"privateToken": "has spaces in it"}, msg: "does not have the expected format"},
		"not text":  {conn: map[string]any{"privateToken": map[string]any{}}, msg: "must be text"},
		"extra key": {conn: map[string]any{"privateToken": "C8F23218A0B14C4E", "apiKey": "x"}},
	} {
		_, err := Token(tc.conn)
		var verr *manifest.ValidationError
		require.ErrorAs(t, err, &verr, name)
		for _, p := range verr.Problems {
			assert.True(t, strings.HasPrefix(p.Name, "connection."), "%s: %s", name, p.Name)
			assert.NotContains(t, p.Message, "C8F23218", name)
		}
		if tc.msg != "" {
			assert.Equal(t, tc.msg, verr.Problems[0].Message, name)
		}
	}
}

func session(t *testing.T, h http.HandlerFunc) *profitwell.Session {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := profitwell.New(profitwell.Config{BaseURL: srv.URL, MaxAttempts: 1})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.Session(profitwell.NewToken("C8F23218A0B14C4E9D7E5F6A7B8CDA80"))
}

func TestVerifyNamesTheAccount(t *testing.T) {
	t.Parallel()
	s := session(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/v2/company/settings/", r.URL.Path)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"42","name":"Acme","timezone":"UTC","currency":"usd"}`))
	})
	md, err := Verify(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, Metadata{Label: "Acme", AccountID: "42"}, md)
	assert.Equal(t, 1, s.Requests(), "one upstream call")
}

func TestVerifyFallsBackToTheStatusProbe(t *testing.T) {
	t.Parallel()
	s := session(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/api-status/" {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	})
	md, err := Verify(context.Background(), s)
	require.NoError(t, err)
	assert.Equal(t, Metadata{Label: "ProfitWell"}, md)
}

func TestVerifyRefusesABadToken(t *testing.T) {
	t.Parallel()
	s := session(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"detail":"Invalid token."}`))
	})
	_, err := Verify(context.Background(), s)
	var pw *profitwell.Error
	require.ErrorAs(t, err, &pw)
	assert.Equal(t, profitwell.KindUnauthorized, pw.Kind)
	assert.Equal(t, 1, s.Requests(), "no fallback call for a refused token")
}

// TestTokenRules: a connection object holds exactly the private token, 8
// to 512 printable ASCII characters without spaces (Fields); anything else
// is a problem named on the connection.
func TestTokenRules(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 512)
	for _, c := range []struct {
		raw map[string]any
		ok  bool
	}{
		{map[string]any{"privateToken": "C8F23218A0B14C4E9D7E5F6A7B8CDA80"}, true},
		{map[string]any{"privateToken": "12345678"}, true},
		{map[string]any{"privateToken": long}, true},
		{map[string]any{"privateToken": "~!@#$%^&*()_+{}|"}, true},
		{map[string]any{"privateToken": "1234567"}, false},
		{map[string]any{"privateToken": long + "x"}, false},
		{map[string]any{"privateToken": "abc def ghi"}, false},
		{map[string]any{"privateToken": "abcdefgh\n"}, false},
		{map[string]any{"privateToken": "abcdéfgh"}, false},
		{map[string]any{"privateToken": ""}, false},
		{map[string]any{"privateToken": nil}, false},
		{map[string]any{"privateToken": "abcdefgh", "other": 1}, false},
		{map[string]any{"PrivateToken": "abcdefgh"}, false},
		{map[string]any{}, false},
		{nil, false},
	} {
		tok, err := Token(c.raw)
		if !c.ok {
			var verr *manifest.ValidationError
			require.ErrorAs(t, err, &verr, "%v", c.raw)
			for _, p := range verr.Problems {
				assert.True(t, strings.HasPrefix(p.Name, "connection."), "%v: %s", c.raw, p.Name)
			}
			continue
		}
		require.NoError(t, err, "%v", c.raw)
		assert.Equal(t, profitwell.NewToken(c.raw[TokenField].(string)).Hash(), tok.Hash())
	}
}
