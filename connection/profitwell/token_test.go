package profitwell

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenRedactsEverywhere(t *testing.T) {
	t.Parallel()
	const secret = "SECRET-token-0123456789abcdef"
	tok := NewToken(secret)

	type exported struct{ Tok Token }
	type unexported struct{ tok Token }
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T%v", "%10.3s"} {
		for name, v := range map[string]any{
			"value":      tok,
			"pointer":    &tok,
			"exported":   exported{tok},
			"unexported": unexported{tok},
			"slice":      []Token{tok},
			"map":        map[string]Token{"k": tok},
		} {
			out := fmt.Sprintf(verb, v)
			assert.NotContains(t, out, secret, "%s of %s", verb, name)
		}
	}
	assert.Equal(t, "[REDACTED]", tok.String())
	assert.Equal(t, "[REDACTED]", tok.GoString())
	assert.Equal(t, "[REDACTED]", fmt.Sprintf("%v", tok))
	assert.Equal(t, `"[REDACTED]"`, fmt.Sprintf("%q", tok))

	j, err := json.Marshal(map[string]any{"t": tok, "e": exported{tok}, "m": map[Token]int{tok: 1}})
	require.NoError(t, err)
	assert.NotContains(t, string(j), secret)
	assert.Contains(t, string(j), `"t":"[REDACTED]"`)
	txt, err := tok.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[REDACTED]", string(txt))

	var buf bytes.Buffer
	log := zerolog.New(&buf)
	log.Info().Stringer("s", tok).Interface("i", tok).Interface("e", exported{tok}).Msgf("%v", tok)
	assert.NotContains(t, buf.String(), secret)
}

func TestTokenValue(t *testing.T) {
	t.Parallel()
	tok := NewToken(testToken)
	assert.Equal(t, testToken, tok.Reveal())
	assert.False(t, tok.IsZero())
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{16}$`), tok.Hash())
	assert.Equal(t, tok.Hash(), NewToken(testToken).Hash(), "stable")
	assert.NotEqual(t, tok.Hash(), NewToken(testToken+"x").Hash())
	assert.True(t, tok == NewToken(testToken), "equal tokens compare equal")
	assert.False(t, tok == NewToken("other"))
	sum := sha256.Sum256([]byte(testToken))
	assert.Equal(t, hex.EncodeToString(sum[:])[:16], tok.Hash())

	var zero Token
	assert.True(t, zero.IsZero())
	assert.True(t, NewToken("").IsZero())
	assert.Equal(t, "", zero.Reveal())
	assert.Equal(t, "[REDACTED]", zero.String())
}
