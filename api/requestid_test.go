package api

import (
	"strings"
	"testing"
)

// TestRequestIDSyntax: an inbound id is kept only when it is 1 to 64
// characters of [A-Za-z0-9._:-] (no spaces, controls, non-ASCII or header
// injection).
func TestRequestIDSyntax(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"": false, "a": true, "run-1.2:x_Y": true, strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
		"a b": false, "a\n": false, "é": false, "a/b": false, "\x00": false, "abc\xff": false, "-": true, "..": true,
		"a\r\nX-Evil: 1": false, "0f3c9a1b2d4e5f60718293a4": true,
	} {
		if got := validRequestID.MatchString(id); got != want {
			t.Errorf("%q: got %v, want %v", id, got, want)
		}
	}
}
