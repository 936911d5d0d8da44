package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadSecretSettingsAreNeverEchoed sets each secret setting to a bad
// value holding a canary (a rotation list whose valid key is the canary, a
// Redis URL whose password is), by flag and by environment, and checks the
// canary appears nowhere: not in the error, not on stdout or stderr.
func TestBadSecretSettingsAreNeverEchoed(t *testing.T) {
	const canary = "CANARY7f3e9a1c5b2d"
	validKey := canary + "-valid-engine-key"
	validSecret := "whsec_" + "Q0FOQVJZN2YzZTlhMWM1YjJkLXNpZ25pbmc=" // base64 of the canary and more
	cases := []struct{ name, value string }{
		{"api-keys", validKey + ",short"},
		{"api-keys", validKey + ",bad key with spaces " + canary},
		{"signing-secrets", validSecret + ",whsec_not-base64-" + canary},
		{"signing-secrets", "whsec_" + canary},
		{"redis-url", "http://:" + canary + "@127.0.0.1:6379/0"},
		{"redis-url", "redis://:" + canary + "@127.0.0.1:6379/not-a-db"},
		{"redis-url", "redis://:" + canary + "@[::1"},
		{"redis-url", "redis://:" + canary + "@127.0.0.1:1/0"}, // nothing listens: the ping fails
	}
	for _, tc := range cases {
		for _, via := range []string{"flag", "env"} {
			t.Run(tc.name+"/"+via, func(t *testing.T) {
				args := []string{"serve", "--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s"}
				vars := map[string]string{}
				if via == "flag" {
					args = append(args, "--"+tc.name, tc.value)
				} else {
					vars[envName(tc.name)] = tc.value
				}
				var stdout, stderr bytes.Buffer
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				err := run(ctx, args, env(vars), &stdout, &stderr)
				require.Error(t, err, "a bad %s must stop the start", tc.name)
				assert.True(t, strings.Contains(err.Error(), tc.name) || strings.Contains(err.Error(), envName(tc.name)),
					"the error names the setting: %v", err)
				for what, text := range map[string]string{"error": err.Error(), "stdout": stdout.String(), "stderr": stderr.String()} {
					assert.False(t, strings.Contains(text, canary), "%s echoes the secret: %s", what, text)
				}
			})
		}
	}
}
