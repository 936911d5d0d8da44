package profitwell

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
)

// redacted is what a Token prints as, in every format.
const redacted = "[REDACTED]"

// tokenMask is a per-process random key XORed over the stored token, so a
// reflection-based printer (fmt on a struct holding a Token in an unexported
// field, spew, a debugger dump) sees noise instead of the secret.
var tokenMask = func() [32]byte {
	var k [32]byte
	_, _ = rand.Read(k[:]) // crypto/rand.Read never fails on supported platforms
	return k
}()

// Token is a ProfitWell private token. It redacts itself in every printed or
// serialised form (fmt verbs, JSON, text marshalling); only Reveal returns the
// real value, which the client uses only for the Authorization header and to
// scrub the token from upstream answers and error texts. Tokens are
// comparable with ==; use Hash as a map key or a log field.
type Token struct {
	masked string // the token XOR tokenMask; never the clear text
	hash   string // first 16 hex chars of sha256(token)
}

// NewToken wraps a private token. Surrounding whitespace is kept as given;
// callers validate the value.
func NewToken(s string) Token {
	if s == "" {
		return Token{}
	}
	sum := sha256.Sum256([]byte(s))
	return Token{masked: string(mask([]byte(s))), hash: hex.EncodeToString(sum[:8])}
}

func mask(b []byte) []byte {
	for i := range b {
		b[i] ^= tokenMask[i%len(tokenMask)]
	}
	return b
}

// Reveal returns the clear-text token. It is meant only for the Authorization
// header; never log, wrap or return it.
func (t Token) Reveal() string {
	if t.masked == "" {
		return ""
	}
	return string(mask([]byte(t.masked)))
}

// Hash returns a short stable digest of the token (the first 16 hex
// characters of its SHA-256), for limiter keys, caches and log fields. The
// zero Token hashes to "".
func (t Token) Hash() string { return t.hash }

// IsZero reports whether the token is empty.
func (t Token) IsZero() bool { return t.masked == "" }

// String returns "[REDACTED]".
func (t Token) String() string { return redacted }

// GoString returns "[REDACTED]", so %#v redacts too.
func (t Token) GoString() string { return redacted }

// Format prints "[REDACTED]" for every verb (%q quotes it).
func (t Token) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = f.Write([]byte(strconv.Quote(redacted)))
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// MarshalText encodes the token as "[REDACTED]" (so encoding/json writes
// the JSON string "[REDACTED]", as a value or a map key).
func (t Token) MarshalText() ([]byte, error) { return []byte(redacted), nil }
