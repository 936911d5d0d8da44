package modules

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

func TestGetCompanySettings(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	out, n := s.mustRun("getCompanySettings", map[string]any{})
	assert.Equal(t, 1, n)
	require.Len(t, out.Bundles, 1)
	c, ok := out.Bundles[0].(profitwell.Company)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	assert.NotEmpty(t, c.ID)
	assert.Equal(t, "Sandbox Company", c.Name)
	assert.Equal(t, "America/New_York", c.Timezone)
	assert.Equal(t, "usd", c.Currency)
	reqs := s.emu.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "/v2/company/settings/", reqs[0].Path)

	again, _ := s.mustRun("getCompanySettings", nil)
	assert.Equal(t, out.Bundles, again.Bundles, "no parameters is the same as empty parameters")
}

func TestGetCompanySettingsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		params map[string]any
		check  func(t *testing.T, err error)
	}{
		{
			name: "unknown parameter", params: map[string]any{"companyId": "1"},
			check: func(t *testing.T, err error) {
				assert.Equal(t, map[string]string{"companyId": "is not a parameter of this module"}, fieldProblems(t, err))
			},
		},
		{
			name: "wrong token", token: "wrong-token",
			check: func(t *testing.T, err error) { assert.Equal(t, profitwell.KindUnauthorized, pwKind(t, err)) },
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			if tc.token != "" {
				s.token = profitwell.NewToken(tc.token)
			}
			_, _, err := s.run("getCompanySettings", tc.params)
			tc.check(t, err)
		})
	}
}
