package modules

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
)

// maxPositionLen bounds the JSON of a position a module may write: the
// registry refuses to answer with a larger one, and a module's position type
// is sized to fit (the customers pager's largest position is about 4.4 KiB).
const maxPositionLen = 6 << 10

// macLen is the length of a sealed position's authentication tag: a
// truncated HMAC-SHA256 (128 bits).
const macLen = 16

// maxCursorLen bounds a sealed position a caller can send: the longest that
// a position of maxPositionLen bytes seals to.
var maxCursorLen = base64.RawURLEncoding.EncodedLen(maxPositionLen) + 1 + base64.RawURLEncoding.EncodedLen(macLen)

// ErrBadCursor is wrapped by every cursor error.
var ErrBadCursor = errors.New("bad cursor")

// errPositionTooLarge is a module's defect: its position outgrew
// maxPositionLen.
var errPositionTooLarge = errors.New("list position larger than a cursor may hold")

// MinCursorKeyLen is the shortest key that may authenticate positions.
const MinCursorKeyLen = 32

// sealer authenticates positions (list cursors and trigger states) so that a
// caller can neither forge one nor move one to another module, connection or
// query: a sealed position is base64url(position) "." base64url(tag), the tag
// an HMAC-SHA256 under the first key of the binding and the position. Every
// key verifies, so keys can be rotated across replicas.
type sealer struct {
	keys [][]byte
}

// newSealer uses keys, or one random key when there are none (positions then
// stay valid only within this process).
func newSealer(keys [][]byte) (*sealer, error) {
	for _, k := range keys {
		if len(k) < MinCursorKeyLen {
			return nil, errors.New("cursor keys must each be at least 32 bytes")
		}
	}
	if len(keys) == 0 {
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, err
		}
		keys = [][]byte{k}
	}
	return &sealer{keys: keys}, nil
}

func (s *sealer) tag(key []byte, binding string, pos []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(binding))
	m.Write([]byte{0})
	m.Write(pos)
	return m.Sum(nil)[:macLen]
}

func (s *sealer) seal(binding string, pos []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString(pos) + "." + enc.EncodeToString(s.tag(s.keys[0], binding, pos))
}

// open returns the position inside a sealed one. The errors say only
// whether the text is a sealed position at all ("is malformed") or not one
// sealed for this binding: a position altered, forged, or written for
// another module, connection or query are one case.
func (s *sealer) open(binding, sealed string) ([]byte, error) {
	if len(sealed) > maxCursorLen {
		return nil, errors.New("is too long")
	}
	b64, t64, ok := strings.Cut(sealed, ".")
	enc := base64.RawURLEncoding
	pos, err1 := enc.DecodeString(b64)
	tag, err2 := enc.DecodeString(t64)
	if !ok || err1 != nil || err2 != nil || len(tag) != macLen || len(pos) == 0 {
		return nil, errors.New("is malformed")
	}
	for _, k := range s.keys {
		if hmac.Equal(tag, s.tag(k, binding, pos)) {
			return pos, nil
		}
	}
	return nil, errAltered
}

var errAltered = errors.New("belongs to another module, connection or set of parameters")

// cursorBinding is what a list cursor belongs to: the module, the token and
// every parameter except the limit, so a cursor only continues the same
// list.
func cursorBinding(module, tokenHash string, values manifest.Values) string {
	q := maps.Clone(values)
	delete(q, manifest.LimitName)
	b, _ := json.Marshal(q) // map keys sort; values are plain JSON types
	h := sha256.New()
	h.Write([]byte(module))
	h.Write([]byte{0})
	h.Write([]byte(tokenHash))
	h.Write([]byte{0})
	h.Write(b)
	return "cursor\x00" + hex.EncodeToString(h.Sum(nil))
}

// stateBinding is what a trigger's state belongs to: the module (the
// engine keeps a state per scenario, across connection or parameter edits).
func stateBinding(module string) string { return "state\x00" + module }

// badCursor is the error of a cursor that cannot continue this list.
func badCursor(msg string) error {
	return errors.Join(ErrBadCursor, manifest.Invalid("cursor", msg))
}
