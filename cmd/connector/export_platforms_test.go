package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExportZapierAndN8n(t *testing.T) {
	t.Parallel()
	for format, want := range map[string][]string{
		"zapier": {"definition.json", "index.js", "package.json"},
		"n8n":    {"package.json", "dist/nodes/ProfitWellConnector/description.json", "dist/credentials/credential.json"},
	} {
		dir := t.TempDir()
		code, stdout, _, err := runCLI(t, map[string]string{"ENGINE": "engine-key-0123456789"},
			"export", format, "--out", dir, "--public-url", "https://connector.example.com", "--api-key-env", "ENGINE")
		require.NoError(t, err, format)
		assert.Equal(t, 0, code)
		assert.Contains(t, stdout, "keep it out of version control")
		for _, f := range want {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
			require.NoError(t, err, "%s: %s", format, f)
			assert.NotEmpty(t, data)
		}
		_, _, _, err = runCLI(t, nil, "export", format, "--out", dir)
		assert.ErrorContains(t, err, "not empty", format)
		_, _, _, err = runCLI(t, nil, "export", format, "--out", dir, "--force", "--api-key-env", "UNSET")
		assert.ErrorContains(t, err, "UNSET is empty or not set", format)
		_, _, _, err = runCLI(t, nil, "export", format, "--out", t.TempDir(), "--public-url", "ftp://x")
		assert.ErrorContains(t, err, "public URL", format)
		code, _, stderr, _ := runCLI(t, nil, "export", format, "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, stderr, "-public-url")
		assert.Contains(t, stderr, "Examples:")
	}
}
