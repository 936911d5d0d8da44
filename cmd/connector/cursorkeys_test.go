package main

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCursorKeys: the keys come from the flag or the environment, a bad one
// is refused without echoing it, and a server without keys warns that
// replicas need a shared one; the keys never reach the log.
func TestCursorKeys(t *testing.T) {
	t.Parallel()
	k1, k2 := strings.Repeat("k", 32), strings.Repeat("j", 40)
	c, err := parseConfig("test", []string{"--sandbox"}, env(map[string]string{"CONNECTOR_CURSOR_KEYS": k1 + ", " + k2}), io.Discard, false)
	require.NoError(t, err)
	assert.Equal(t, []string{k1, k2}, c.CursorKeys)

	const canary = "canary-cursor-key-too-short"
	_, err = parseConfig("test", []string{"--sandbox"}, env(map[string]string{"CONNECTOR_CURSOR_KEYS": k1 + "," + canary}), io.Discard, false)
	require.ErrorContains(t, err, "CONNECTOR_CURSOR_KEYS: each key must be at least 32 printable ASCII characters")
	assert.NotContains(t, err.Error(), canary)
	assert.NotContains(t, err.Error(), k1)

	_, logs, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s",
		"--profitwell-url", "http://127.0.0.1:1"}, nil)
	require.NoError(t, stop())
	assert.Contains(t, logs.String(), "CONNECTOR_CURSOR_KEYS is not set")

	secret := strings.Repeat("s", 48)
	_, logs, stop = startServe(t, []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s",
		"--profitwell-url", "http://127.0.0.1:1"}, map[string]string{"CONNECTOR_CURSOR_KEYS": secret})
	require.NoError(t, stop())
	assert.NotContains(t, logs.String(), "CONNECTOR_CURSOR_KEYS is not set")
	assert.NotContains(t, logs.String(), secret)
}
