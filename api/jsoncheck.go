package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/profitwell-connector/connector/manifest"
)

// maxJSONDepth bounds how deeply a request body may nest objects and arrays.
const maxJSONDepth = 64

// checkJSON refuses what encoding/json would silently accept: invalid UTF-8
// (it would become U+FFFD), duplicate object keys (the last would win, so an
// engine and the connector could read different values from one body) and
// nesting deeper than maxJSONDepth. Syntax errors are left to the decoder.
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		return manifest.Invalid("body", "must be valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []jsonFrame
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return nil // the strict decoder reports syntax errors with context
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return manifest.Invalid("body", "is nested more than "+strconv.Itoa(maxJSONDepth)+" levels deep")
				}
				path := ""
				if top != nil {
					path = top.path
					top.wantKey = top.object
				}
				stack = append(stack, jsonFrame{object: d == '{', wantKey: d == '{', path: path, base: path})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue // a scalar at the top or in an array
		}
		if !top.wantKey {
			top.wantKey = true // that was a value; a key comes next
			continue
		}
		key, _ := tok.(string)
		name := key
		if top.base != "" {
			name = top.base + "." + key
		}
		if top.keys == nil {
			top.keys = make(map[string]struct{}, 8)
		}
		if _, dup := top.keys[key]; dup {
			return manifest.Invalid(safeField(name), "appears twice in the same object")
		}
		top.keys[key] = struct{}{}
		top.path, top.wantKey = name, false
	}
}

// jsonFrame is one open object or array while checking a body.
type jsonFrame struct {
	object  bool
	wantKey bool                // the next token of this object is a key
	keys    map[string]struct{} // keys seen in this object
	base    string              // dotted path of this object
	path    string              // dotted path of the current key
}

// safeField keeps a caller-supplied key short and printable for messages.
func safeField(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			continue
		}
		out = append(out, r)
		if len(out) >= 80 {
			out = append(out, '…')
			break
		}
	}
	return string(out)
}
