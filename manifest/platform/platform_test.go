package platform_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/platform"
	"github.com/profitwell-connector/connector/modules"
)

func module(t *testing.T, name string) manifest.ModuleDoc {
	t.Helper()
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	for _, m := range modules.Document(registry).Modules {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no module %s", name)
	return manifest.ModuleDoc{}
}

func TestPrimaryKeyIdentifiesEachBundle(t *testing.T) {
	t.Parallel()
	for name, want := range map[string][]string{
		"listPlans":         {"id"},
		"listCustomers":     {"customer_id"},
		"listSubscriptions": {"subscription_id", "effective_date"}, // a subscription's history shares its id
		"watchCustomers":    {"customer_id", "updated_on"},         // a later change is a new event
		"getMonthlyMetrics": {"date"},
		"getDailyMetrics":   {"date"},
	} {
		got, err := platform.PrimaryKey(module(t, name), nil)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	got, err := platform.PrimaryKey(module(t, "listPlans"), map[string][]string{"listPlans": {"name"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"name"}, got, "an override wins")
	_, err = platform.PrimaryKey(module(t, "listPlans"), map[string][]string{"listPlans": {"nope"}})
	assert.ErrorContains(t, err, `"nope" is not in its interface`)
	_, err = platform.PrimaryKey(manifest.ModuleDoc{Name: "listThings", Interface: []manifest.Field{{Name: "label", Type: manifest.TypeText}}}, nil)
	assert.ErrorContains(t, err, "no id field")
}

func TestPublicURL(t *testing.T) {
	t.Parallel()
	got, err := platform.PublicURL("")
	require.NoError(t, err)
	assert.Equal(t, platform.DefaultPublicURL, got)
	got, err = platform.PublicURL("https://connector.example.com/")
	require.NoError(t, err)
	assert.Equal(t, "https://connector.example.com", got)
	for _, bad := range []string{"ftp://x", "https://user:pw@x", "https://x/?q=1", "https://x/#f", "/relative", "https://"} {
		_, err := platform.PublicURL(bad)
		assert.Error(t, err, bad)
	}
}

func TestItemFields(t *testing.T) {
	t.Parallel()
	m := module(t, "makeApiCall")
	found := false
	for _, f := range append(m.Parameters, m.Expect...) {
		if f.Name == "headers" {
			found = true
			items := platform.ItemFields(f)
			require.Len(t, items, 2)
			assert.Equal(t, "key", items[0].Name)
			assert.Equal(t, "value", items[1].Name)
		}
	}
	require.True(t, found, "makeApiCall has headers")
	assert.Nil(t, platform.ItemFields(manifest.Field{Type: manifest.TypeArray, Spec: []manifest.Field{{Type: manifest.TypeText}}}))
}
