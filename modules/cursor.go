package modules

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"

	"github.com/profitwell-connector/connector/manifest"
)

// maxPositionLen bounds the JSON of a position a module may write: the
// registry refuses to answer with a larger one, and a module's position type
// is sized to fit (the customers pager's largest position is about 4.4 KiB).
const maxPositionLen = 6 << 10

// maxCursorLen bounds the cursor a caller can send: the longest cursor a
// position of maxPositionLen bytes encodes to (the module name is a short
// declared identifier, the fingerprint 24 characters).
var maxCursorLen = base64.RawURLEncoding.EncodedLen(maxPositionLen + len(`{"m":"","f":"","p":}`) + 64 + 24)

// position is a list module's place inside its results, wrapped with what it
// belongs to so a cursor cannot be replayed against another module, token or
// query.
type position struct {
	Module      string          `json:"m"`
	Fingerprint string          `json:"f"`
	At          json.RawMessage `json:"p"`
}

// ErrBadCursor is wrapped by every cursor error.
var ErrBadCursor = errors.New("bad cursor")

// fingerprint identifies one query: the module, the token and every
// parameter except the limit, so a cursor only continues the same list.
func fingerprint(module, tokenHash string, values manifest.Values) string {
	q := make(map[string]any, len(values))
	for k, v := range values {
		if k != manifest.LimitName {
			q[k] = v
		}
	}
	b, _ := json.Marshal(q) // map keys sort; values are plain JSON types
	h := sha256.New()
	h.Write([]byte(module))
	h.Write([]byte{0})
	h.Write([]byte(tokenHash))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// errPositionTooLarge is a module's defect: its position outgrew
// maxPositionLen.
var errPositionTooLarge = errors.New("list position larger than a cursor may hold")

func encodeCursor(p position) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor and checks that it belongs to this query.
func decodeCursor(s, module, fp string) (*position, error) {
	bad := func(msg string) error {
		return errors.Join(ErrBadCursor, manifest.Invalid("cursor", msg))
	}
	if len(s) > maxCursorLen {
		return nil, bad("is too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad("is malformed")
	}
	var p position
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || len(p.At) == 0 || p.Module == "" {
		return nil, bad("is malformed")
	}
	if p.Module != module || p.Fingerprint != fp {
		return nil, bad("belongs to another module, connection or set of parameters")
	}
	return &p, nil
}
