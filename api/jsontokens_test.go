package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/profitwell-connector/connector/manifest"
)

// checkTokensMatchDecoder asserts that jsonTokens yields what
// json.Decoder.Token (UseNumber) yields on body: the same delimiters, keys
// and scalars in order, ending with io.EOF or a syntax error at the same
// token.
func checkTokensMatchDecoder(t testing.TB, body []byte) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	toks := &jsonTokens{s: body}
	type frame struct{ object, wantKey bool }
	var stack []frame
	for i := 0; ; i++ {
		want, werr := dec.Token()
		got, gerr := toks.next()
		if werr != nil {
			switch {
			case errors.Is(werr, io.EOF):
				if !errors.Is(gerr, io.EOF) {
					t.Fatalf("%q token %d: decoder ends, got %+v, %v", body, i, got, gerr)
				}
			case !errors.Is(gerr, errJSONSyntax):
				t.Fatalf("%q token %d: decoder fails (%v), got %+v, %v", body, i, werr, got, gerr)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("%q token %d: decoder reads %v, got %v", body, i, want, gerr)
		}
		if d, ok := want.(json.Delim); ok {
			if got.delim != byte(d) {
				t.Fatalf("%q token %d: want %v, got %+v", body, i, d, got)
			}
			if d == '{' || d == '[' {
				if n := len(stack); n > 0 && stack[n-1].object {
					stack[n-1].wantKey = true
				}
				stack = append(stack, frame{object: d == '{', wantKey: d == '{'})
			} else {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey
		if got.delim != 0 || got.key != isKey {
			t.Fatalf("%q token %d: want %v (key %v), got %+v", body, i, want, isKey, got)
		}
		if isKey {
			if got.name != want.(string) {
				t.Fatalf("%q token %d: key %q, got %q", body, i, want, got.name)
			}
			stack[len(stack)-1].wantKey = false
		} else if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
}

var tokenBodies = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, ` {"a" : [1, -2.5e+3, true, false, null, "x\n\u00e9\ud800"] , "b":{"c":{}}} `,
	`{"connection":{"privateToken":"t"},"parameters":{"planId":"pro"},"execution":{"id":"r","cycle":1,"timeoutMs":40000}}`,
	`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`, `{"a\"b":1}`, `{"":1}`, `{} {}`, `{}{}`, `1 2 "x" null`, `{},{}`,
	`{"a" 1}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `[1 2]`, `{"a":01}`, `[01]`, `[-]`, `[1.]`, `[1e]`, `[1e+]`, `[.5]`,
	`[tru]`, `[truex]`, `{"a":nul}`, `{"a":nulll}`, `["a\x"]`, "[\"a\x01\"]", `["\u12"]`, `["\u12G4"]`, `{"a":"b`, `[1`,
	`[`, `{`, `]`, `}`, `:`, `,`, `{"a"`, `{"a":`, `{1:2}`, `{"a":1 "b":2}`, `[[[[]]]]`, "\t\r\n[\f]", `x`, `-`, `-0`,
	`0.0e-0`, `1E5`, `"\/\b\f\n\r\t\\\""`, `{"a":[{"b":[{"c":1}]}],"d":"e"}`, "\xef\xbb\xbf{}", `"abc"x`, `truefalse`,
}

func TestJSONTokensMatchTheDecoder(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBodies {
		checkTokensMatchDecoder(t, []byte(b))
	}
}

func FuzzJSONTokens(f *testing.F) {
	for _, b := range tokenBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkTokensMatchDecoder(t, body)
	})
}

// checkJSONReference is checkJSON as first written, on json.Decoder.Token.
func checkJSONReference(body []byte, schema *jsonSchema) error {
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
			return nil
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
			continue
		}
		if !top.wantKey {
			top.wantKey, top.child = true, nil
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

// checkJSONMatchesReference asserts checkJSON's verdict on body is the
// reference's, without a schema and with the request types' schemas.
func checkJSONMatchesReference(t testing.TB, body []byte) {
	for _, schema := range []*jsonSchema{nil, schemaOf(reflect.TypeOf(executeRequest{})), schemaOf(reflect.TypeOf(rpcRequest{}))} {
		got, want := fmt.Sprint(checkJSON(body, schema)), fmt.Sprint(checkJSONReference(body, schema))
		if got != want {
			t.Fatalf("%q: checkJSON says %s, the reference %s", body, got, want)
		}
	}
}

var checkBodies = append([]string{
	`{"connection":{"privateToken":"t"},"parameters":{"planId":"pro","planId":"x"}}`,
	`{"connection":{"privateToken":"t"},"Parameters":{}}`,
	`{"connection":{"privateToken":"t","privateToken":"u"}}`,
	`{"execution":{"id":"r","ID":"s"}}`, `{"parameters":{"a":[{"b":1,"b":2}]}}`,
	`{"parameters":{"a":{"b":{"c":1,"c":2}}}}`, `{"cursor":"x","state":{"module":"w","module":"v"}}`,
	`{"a":1} {"a":1,"a":2}`, `{"x":1,"x":2,}`, `{"x":1,"x":2`, `{"x":01,"x":2}`,
	string(bytes.Repeat([]byte("["), 70)), string(bytes.Repeat([]byte(`{"a":`), 70)),
	"{\"\xff\":1}", `{"\u00e9":1,"é":2}`, `{"a\u0000b":1}`,
}, tokenBodies...)

func TestCheckJSONMatchesTheReference(t *testing.T) {
	t.Parallel()
	for _, b := range checkBodies {
		checkJSONMatchesReference(t, []byte(b))
	}
}

func FuzzCheckJSON(f *testing.F) {
	for _, b := range checkBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkJSONMatchesReference(t, body)
	})
}

// BenchmarkCheckJSON is checkJSON on the execute envelope of a small
// execution: "tokens" is the function, "decoder" the reference on
// json.Decoder.Token it replaced.
func BenchmarkCheckJSON(b *testing.B) {
	body := []byte(benchRequests["small"])
	schema := schemaOf(reflect.TypeOf(executeRequest{}))
	for name, check := range map[string]func([]byte, *jsonSchema) error{"tokens": checkJSON, "decoder": checkJSONReference} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if err := check(body, schema); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
