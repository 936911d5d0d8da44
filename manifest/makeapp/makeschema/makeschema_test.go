package makeschema_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest/makeapp/makeschema"
)

// The embedded schemas compile and refuse what Make refuses: a parameter
// property Make does not know, and a template placeholder in the project
// file's names (the lookahead pattern).
func TestSchemasLoadAndRefuse(t *testing.T) {
	set, err := makeschema.Load()
	require.NoError(t, err)
	for _, name := range []string{"parameters.json", "api.json", "samples.json", "epoch.json", "base.json", "makecomapp.schema.json"} {
		assert.Contains(t, set, name)
	}
	assert.NoError(t, set.Validate("parameters.json", []byte(`[{"name":"x","type":"text","label":"X"}]`)))
	assert.Error(t, set.Validate("parameters.json", []byte(`[{"name":"x","type":"text","unit":"cents"}]`)))
	assert.Error(t, set.Validate("nope.json", []byte(`{}`)))
}
