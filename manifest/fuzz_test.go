package manifest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzFields is a rich field list: every type Validate knows, with ranges,
// patterns, options, defaults, nested arrays and collections.
var fuzzFields = append(append([]Field(nil), testFields[:len(testFields)-1]...),
	Field{Name: "code", Label: "Code", Help: "h", Type: TypeText, Min: Ptr(2), Max: Ptr(8), Pattern: `^[A-Z0-9-]+$`},
	Field{Name: "note", Label: "Note", Help: "h", Type: TypeText, Multiline: true, Max: Ptr(200)},
	Field{Name: "secret", Label: "Secret", Help: "h", Type: TypePassword, Min: Ptr(8)},
	Field{Name: "site", Label: "Site", Help: "h", Type: TypeURL},
	Field{Name: "delta", Label: "Delta", Help: "h", Type: TypeInteger, Min: Ptr(-50), Max: Ptr(50)},
	Field{Name: "price", Label: "Price", Help: "h", Type: TypeNumber, Max: Ptr(1e6), Unit: "cents"},
	Field{Name: "scores", Label: "Scores", Help: "h", Type: TypeArray, Spec: []Field{{Type: TypeInteger, Min: Ptr(0), Max: Ptr(10)}}},
	Field{Name: "meta", Label: "Meta", Help: "h", Type: TypeCollection, Spec: []Field{
		{Name: "source", Label: "Source", Help: "h", Type: TypeText, Required: true, Max: Ptr(10)},
		{Name: "weight", Label: "Weight", Help: "h", Type: TypeNumber, Min: Ptr(0)},
	}},
	Field{Name: "extra", Label: "Extra", Help: "h", Type: TypeCollection},
	Field{Name: "anything", Label: "Anything", Help: "h", Type: TypeAny},
	LimitField("things"),
)

// messageVocabulary is every fixed text a message may hold, so that an
// input value that happens to be a word of it ("at", "most") is not taken
// for an echo of the input.
const messageVocabulary = "is required; is not a parameter of this module; must be text; must be a whole number of cents; " +
	"must not be negative; must be a number of cents; must be true or false; " +
	"must be an ISO 8601 date or date-time, or Unix seconds; must be a list; must be an object; " +
	"has an unsupported type; must be one of the listed options; must be one of: month, year, usd, eur, a, b; " +
	"is not one of the 10 allowed values; must be valid UTF-8 text; must not contain control characters; " +
	"must not contain line separators or bidirectional controls; " +
	"must be at least 0 1 2 8 -50 characters items; must be at most 1 2 8 10 36 50 200 1000000 10000 characters items; " +
	"does not have the expected format; must be an email address; must be a URL"

// FuzzValidateParameters validates arbitrary JSON objects against
// fuzzFields. Validate never panics. On success every value has its
// documented Go type and obeys its rules, and validating the result again
// gives the same values. On failure every problem names a field of the list
// or a key of the input, and no message repeats an input value.
// Seeds: testdata/fuzz/FuzzValidateParameters.
func FuzzValidateParameters(f *testing.F) {
	for _, s := range []string{
		`{"value": 1500, "interval": "MONTH"}`,
		`{"value": "1500", "interval": "year", "when": "2025-01-31T10:00:00+02:00", "plan": "p", "flag": "yes",
		  "ratio": "0.5", "tags": ["a", "b"], "names": ["A", "b"], "headers": [{"key": "X", "value": "1"}],
		  "code": "AB-1", "note": "line\nline", "secret": "s3cr3t-value", "site": "https://example.com/x",
		  "delta": -7, "price": 12.5, "scores": [1, "2", 3.0], "meta": {"source": "api", "weight": 2},
		  "extra": {"k": [1, 2]}, "anything": {"x": null}, "limit": "25"}`,
		`{"value": -1, "interval": "week", "alias": "` + strings.Repeat("x", 40) + `", "email": "nope"}`,
		`{"value": 1e300, "interval": 1, "when": 253402300800, "ratio": "NaN", "limit": 0}`,
		`{"value": 1, "interval": "month", "code": "ab\u0000", "note": "\u0007", "tags": [1, 2, 3]}`,
		`{"value": 1, "interval": "month", "meta": {"weight": -1, "other": true}, "scores": [11]}`,
		`{"": 1, "\u0000": 2, "value": true, "interval": ["month"], "names": "c", "headers": [1]}`,
		`{"value": "9007199254740993", "interval": "month", "delta": 51, "price": "1e7"}`,
		`{"value": 1, "interval": "month", "when": "now", "site": "javascript:alert(1)", "secret": "short"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var raw map[string]any
		if dec.Decode(&raw) != nil || raw == nil {
			return
		}
		values, err := Validate(fuzzFields, raw)
		if err != nil {
			verr, ok := err.(*ValidationError)
			if !ok || len(verr.Problems) == 0 || values != nil {
				t.Fatalf("%s: error %T %v with values %v", data, err, err, values)
			}
			checkProblems(t, data, raw, verr)
			return
		}
		checkValues(t, data, fuzzFields, raw, values)
		again, err := Validate(fuzzFields, map[string]any(values))
		if err != nil {
			t.Fatalf("%s: validated values %#v refused on a second pass: %v", data, values, err)
		}
		if !reflect.DeepEqual(values, again) {
			t.Fatalf("%s: a second pass changed the values:\n%#v\n%#v", data, values, again)
		}
	})
}

// checkProblems asserts that each problem names a known field (or a key of
// the input) and echoes no input value.
func checkProblems(t *testing.T, data []byte, raw map[string]any, verr *ValidationError) {
	t.Helper()
	var inputs []string
	collectStrings(raw, &inputs)
	for _, p := range verr.Problems {
		if p.Name == "" || p.Message == "" {
			t.Fatalf("%s: a problem without a name or message: %+v", data, p)
		}
		root := p.Name
		if i := strings.IndexAny(root, ".["); i > 0 {
			root = root[:i]
		}
		if !hasField(fuzzFields, root) && !isUnknownKey(raw, p.Name) {
			t.Fatalf("%s: problem %q names no field", data, p.Name)
		}
		for _, in := range inputs {
			if len(in) >= 3 && strings.Contains(p.Message, in) && !strings.Contains(messageVocabulary, in) {
				t.Fatalf("%s: message %q of %q repeats the input value %q", data, p.Message, p.Name, in)
			}
		}
	}
}

// isUnknownKey reports whether name is how an unknown key of raw is named.
func isUnknownKey(raw map[string]any, name string) bool {
	for k := range raw {
		if !hasField(fuzzFields, k) && safeName(k) == name {
			return true
		}
	}
	return false
}

// collectStrings gathers the text of every scalar in v.
func collectStrings(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x, strings.TrimSpace(x))
	case json.Number:
		*out = append(*out, x.String())
	case []any:
		for _, it := range x {
			collectStrings(it, out)
		}
	case map[string]any:
		for _, it := range x {
			collectStrings(it, out)
		}
	}
}

// checkValues asserts the documented Go type and the rules of every value.
func checkValues(t *testing.T, data []byte, fields []Field, raw map[string]any, values Values) {
	t.Helper()
	for k := range raw {
		if !hasField(fields, k) {
			t.Fatalf("%s: unknown key %q accepted", data, k)
		}
	}
	for k := range values {
		if !hasField(fields, k) {
			t.Fatalf("%s: value for undeclared %q", data, k)
		}
	}
	for i := range fields {
		f := &fields[i]
		v, ok := values[f.Name]
		if !ok {
			if f.Required {
				t.Fatalf("%s: required %q missing from %v", data, f.Name, values)
			}
			continue
		}
		checkValue(t, data, f, f.Name, v)
	}
}

func checkValue(t *testing.T, data []byte, f *Field, name string, v any) {
	t.Helper()
	fail := func(why string) {
		t.Helper()
		t.Fatalf("%s: %s = %#v: %s", data, name, v, why)
	}
	within := func(x float64) bool {
		return (f.Min == nil || x >= *f.Min) && (f.Max == nil || x <= *f.Max)
	}
	switch f.Type {
	case TypeText, TypePassword, TypeEmail, TypeURL:
		s, ok := v.(string)
		switch {
		case !ok:
			fail("not a string")
		case !utf8.ValidString(s):
			fail("invalid UTF-8")
		case !within(float64(utf8.RuneCountInString(s))):
			fail("length out of range")
		case f.Pattern != "" && !regexp.MustCompile(f.Pattern).MatchString(s):
			fail("does not match the pattern")
		case strings.ContainsFunc(s, func(r rune) bool {
			return r < 0x20 && !(f.Multiline && (r == '\n' || r == '\r' || r == '\t')) || r == 0x7f
		}):
			fail("control character")
		case !f.Multiline && strings.ContainsAny(s, "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"):
			fail("line separator or bidirectional control in one line")
		}
	case TypeInteger, TypeUInteger:
		n, ok := v.(int64)
		if !ok || !within(float64(n)) || (f.Type == TypeUInteger && n < 0) {
			fail("not an int64 within range")
		}
	case TypeNumber:
		x, ok := v.(float64)
		if !ok || !within(x) {
			fail("not a float64 within range")
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			fail("not a bool")
		}
	case TypeDate:
		d, ok := v.(time.Time)
		if !ok || d.Location() != time.UTC {
			fail("not a UTC time.Time")
		}
	case TypeSelect:
		if f.Multiple {
			list, ok := v.([]string)
			if !ok || !within(float64(len(list))) {
				fail("not a []string within the count")
			}
			for _, s := range list {
				if !isOption(f, s) {
					fail("item not among the options")
				}
			}
			return
		}
		s, ok := v.(string)
		if !ok || (f.OptionsRPC == "" && !isOption(f, s)) || s == "" {
			fail("not one of the options")
		}
	case TypeArray:
		items, ok := v.([]any)
		if !ok || !within(float64(len(items))) {
			fail("not a []any within the count")
		}
		for i, it := range items {
			itemName := name + "[" + string(rune('0'+i%10)) + "]"
			switch {
			case len(f.Spec) == 1 && f.Spec[0].Name == "":
				checkValue(t, data, &f.Spec[0], itemName, it)
			case len(f.Spec) > 0:
				m, ok := it.(map[string]any)
				if !ok {
					fail("item not an object")
				}
				checkValues(t, data, f.Spec, m, m)
			}
		}
	case TypeCollection:
		m, ok := v.(map[string]any)
		if !ok {
			fail("not a map[string]any")
		}
		if len(f.Spec) > 0 {
			checkValues(t, data, f.Spec, m, m)
		}
	}
}

func isOption(f *Field, s string) bool {
	for _, o := range f.Options {
		if o.Value == s {
			return true
		}
	}
	return false
}
