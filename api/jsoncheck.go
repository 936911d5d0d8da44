package api

import (
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/profitwell-connector/connector/manifest"
)

// maxJSONDepth bounds how deeply a request body may nest objects and arrays.
const maxJSONDepth = 64

// checkJSON refuses what encoding/json would silently accept: invalid UTF-8
// (it would become U+FFFD), duplicate object keys (the last would win, so an
// engine and the connector could read different values from one body),
// nesting deeper than maxJSONDepth, and member names of the request's structs
// (schema; nil checks none) in another case than declared ("Cursor" would be
// read as "cursor"). Syntax errors are left to the decoder.
func checkJSON(body []byte, schema *jsonSchema) error {
	if !utf8.Valid(body) {
		return manifest.Invalid("body", "must be valid UTF-8")
	}
	var states [8]tokenState
	toks := jsonTokens{s: body, stack: states[:0]} // json.Decoder.Token's walk, without its allocations
	var stack []jsonFrame
	for {
		tok, err := toks.next()
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
		if d := tok.delim; d != 0 {
			switch d {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return manifest.Invalid("body", "is nested more than "+strconv.Itoa(maxJSONDepth)+" levels deep")
				}
				path, frameSchema := "", schema
				if top != nil {
					path, frameSchema = top.path, top.child
					top.wantKey = top.object
				}
				stack = append(stack, jsonFrame{object: d == '{', wantKey: d == '{', path: path, base: path, schema: frameSchema})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue // a scalar at the top or in an array
		}
		if !top.wantKey {
			top.wantKey, top.child = true, nil // that was a value; a key comes next
			continue
		}
		key := tok.name
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
		if top.schema != nil {
			child, known := top.schema.names[key]
			if !known {
				return manifest.Invalid(safeField(name), "is not a field of the request")
			}
			top.child = child
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
	schema  *jsonSchema         // exact member names of this object; nil: any
	child   *jsonSchema         // schema of the current key's value
}

// jsonSchema holds the exact member names of a struct decoded from a
// request, each with the schema of its value (nil for maps, strings and
// other values whose keys are free).
type jsonSchema struct {
	names map[string]*jsonSchema
}

var schemas sync.Map // reflect.Type -> *jsonSchema

// schemaOf returns the schema of the struct t (or *t) by its json tags; nil
// for any other type. Request types are not recursive.
func schemaOf(t reflect.Type) *jsonSchema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	if s, ok := schemas.Load(t); ok {
		return s.(*jsonSchema)
	}
	s := &jsonSchema{names: map[string]*jsonSchema{}}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.names[name] = schemaOf(f.Type)
	}
	v, _ := schemas.LoadOrStore(t, s)
	return v.(*jsonSchema)
}

// safeField keeps a caller-supplied key short and printable for messages;
// a key with nothing printable is named "body".
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
	if len(out) == 0 || strings.Trim(string(out), ".") == "" {
		return "body"
	}
	return string(out)
}
