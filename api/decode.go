package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/profitwell-connector/connector/manifest"
)

// maxJSONDepth bounds how deeply a request body may nest objects and arrays.
const maxJSONDepth = 64

// decodeOptions are the request decoder's rules beyond json v2's defaults
// (exact-case member names, duplicate names and invalid UTF-8 refused, one
// value and nothing after it): members the request type does not declare are
// refused, and a number in a free-form object (connection, parameters) is
// kept as its exact text, a json.Number, as manifest.Validate expects.
var decodeOptions = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
		if dec.PeekKind() != '0' {
			return errors.ErrUnsupported // not a number: the default decoding
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*v = json.Number(tok.String())
		return nil
	})),
)

// decodeBody decodes the request body strictly into dst: JSON content type
// (or none), then decodeJSON.
func decodeBody(r *http.Request, body []byte, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errBadContentType
		}
	}
	return decodeJSON(body, dst)
}

// decodeJSON decodes one JSON object into dst: valid UTF-8 (no lone
// surrogate escapes either), no duplicate member names, nesting at most
// maxJSONDepth, only dst's member names in their exact case, nothing after
// the object, numbers kept exact. A problem is a ValidationError naming the
// offending field.
func decodeJSON(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return manifest.Invalid("body", "must be valid UTF-8")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return manifest.Invalid("body", "is empty; send a JSON object")
	}
	if err := checkDepth(body); err != nil {
		return err
	}
	if err := jsonv2.Unmarshal(body, dst, decodeOptions); err != nil {
		return decodeError(body, err)
	}
	return nil
}

// checkDepth refuses a body nested deeper than maxJSONDepth. A body with no
// more opening brackets than that cannot be, and is not walked.
func checkDepth(body []byte) error {
	if bytes.Count(body, []byte{'{'})+bytes.Count(body, []byte{'['}) <= maxJSONDepth {
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	for {
		if _, err := dec.ReadToken(); err != nil {
			return nil // the decoder reports it
		}
		if dec.StackDepth() > maxJSONDepth {
			return manifest.Invalid("body", "is nested more than "+strconv.Itoa(maxJSONDepth)+" levels deep")
		}
	}
}

// decodeError turns the decoder's error into a ValidationError on the
// field it is about.
func decodeError(body []byte, err error) error {
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn):
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			return manifest.Invalid(fieldName(body, syn.JSONPointer), "appears twice in the same object")
		case loneSurrogateAt(body, syn.ByteOffset):
			return manifest.Invalid(fieldName(body, syn.JSONPointer), "must not hold an unpaired UTF-16 surrogate escape")
		case syn.ByteOffset > 0 && syn.ByteOffset <= int64(len(body)) && jsontext.Value(body[:syn.ByteOffset]).IsValid():
			return manifest.Invalid("body", "must hold exactly one JSON object") // a whole value, then more
		}
		return manifest.Invalid("body", "is not valid JSON")
	case errors.As(err, &sem):
		if errors.Is(sem.Err, jsonv2.ErrUnknownName) {
			return manifest.Invalid(fieldName(body, sem.JSONPointer), "is not a field of the request")
		}
		return manifest.Invalid(fieldName(body, sem.JSONPointer), "must be "+jsonKind(sem.GoType))
	}
	return manifest.Invalid("body", "could not be read")
}

// loneSurrogateAt reports whether body holds, at offset, a \u escape of a
// UTF-16 surrogate: the decoder stops there when the escape is not the
// first half of a pair.
func loneSurrogateAt(body []byte, offset int64) bool {
	if offset < 0 || offset+6 > int64(len(body)) || !bytes.HasPrefix(body[offset:], []byte(`\u`)) {
		return false
	}
	r, err := strconv.ParseUint(string(body[offset+2:offset+6]), 16, 16)
	return err == nil && utf16.IsSurrogate(rune(r))
}

// fieldName names the value at p as the contract names fields: member
// names joined by dots, array positions left out ("parameters.headers.key"),
// "body" for the whole body.
func fieldName(body []byte, p jsontext.Pointer) string {
	var doc any // the body's shape, to tell array positions from names
	if strings.ContainsAny(string(p), "0123456789") {
		_ = jsonv2.Unmarshal(body, &doc, jsontext.AllowDuplicateNames(true))
	}
	var names []string
	for tok := range p.Tokens() {
		switch v := doc.(type) {
		case []any:
			if i, err := strconv.Atoi(tok); err == nil && i < len(v) {
				doc = v[i]
				continue
			}
			doc = nil
		case map[string]any:
			doc = v[tok]
		}
		names = append(names, tok)
	}
	return safeField(strings.Join(names, "."))
}

// jsonKind names the JSON kind that decodes into t.
func jsonKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "a list"
	case reflect.Bool:
		return "true or false"
	}
	return "of another type"
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
