package profitwell

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRawResponseScrubsEscapedEchoes: an upstream that echoes the token
// behind JSON escapes is scrubbed too, because the raw-call module decodes
// the body (which would reveal the token); other bodies pass unchanged.
func TestRawResponseScrubsEscapedEchoes(t *testing.T) {
	t.Parallel()
	const secret = "tok_0123456789"
	esc := `\u0074\u006f\u006b_0123456789` // "tok_0123456789"
	for _, tc := range []struct {
		name, body, want string
	}{
		{name: "escaped value", body: `{"detail":"bad ` + esc + `"}`, want: `{"detail":"bad [REDACTED]"}`},
		{name: "escaped key and nested", body: `{"` + esc + `":[1,{"a":"` + esc + `"}],"n":1.50}`, want: `{"[REDACTED]":[1,{"a":"[REDACTED]"}],"n":1.50}`},
		{name: "plain echo", body: `{"a":"` + secret + `","b":"\n"}`, want: `{"a":"[REDACTED]","b":"\n"}`},
		{name: "escapes without an echo stay as they are", body: `{"a":"\u00e9\/"}`, want: `{"a":"\u00e9\/"}`},
		{name: "not JSON", body: `text \u0074ok_0123456789`, want: `text \u0074ok_0123456789`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := &response{status: 400, header: http.Header{"Content-Length": {"1"}}, body: bytes.NewBufferString(tc.body)}
			got := rawResponse(res, secret)
			assert.Equal(t, tc.want, string(got.Body))
			assert.NotContains(t, string(got.Body), secret)
		})
	}
}
