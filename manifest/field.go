// Package manifest is the connector's schema language: fields in Make's
// vocabulary, module and RPC specs, the manifest document built from them,
// parameter validation driven by the same specs, and the definition checks
// that refuse a bad module before the server starts.
//
// Everything a platform sees (the manifest JSON, the validation messages, the
// README's module table) is generated from these Go values; nothing repeats
// them by hand.
package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// FieldType is a Make parameter type, used verbatim in the manifest.
type FieldType string

// The Make field types the connector uses.
const (
	TypeText       FieldType = "text"
	TypeNumber     FieldType = "number"
	TypeUInteger   FieldType = "uinteger"
	TypeInteger    FieldType = "integer"
	TypeBoolean    FieldType = "boolean"
	TypeDate       FieldType = "date"
	TypeSelect     FieldType = "select"
	TypeArray      FieldType = "array"
	TypeCollection FieldType = "collection"
	TypeEmail      FieldType = "email"
	TypeURL        FieldType = "url"
	TypePassword   FieldType = "password"
	TypeAny        FieldType = "any"
)

// typeSpec is everything the connector knows about one field type, so that
// adding a type is one entry of fieldTypes.
type typeSpec struct {
	// goType is the Go type Validate produces for a field (what Bind
	// assigns and CheckBinding expects).
	goType func(f Field) reflect.Type
	// convert normalises an input value and checks the field's rules.
	convert converter
	// schema is the JSON Schema of a value (FieldSchema adds the parts
	// every type shares).
	schema func(f Field, input bool) map[string]any
	// encodes reports whether values of a Go type (pointers removed) encode
	// as JSON values of this type (what CheckOutput expects).
	encodes func(t reflect.Type) bool
}

var (
	stringType = reflect.TypeOf("")
	int64Type  = reflect.TypeOf(int64(0))
	timeType   = reflect.TypeOf(time.Time{})
	anyType    = reflect.TypeOf((*any)(nil)).Elem()
)

func fixed(t reflect.Type) func(Field) reflect.Type { return func(Field) reflect.Type { return t } }

func kindIn(kinds ...reflect.Kind) func(reflect.Type) bool {
	return func(t reflect.Type) bool { return slices.Contains(kinds, t.Kind()) }
}

var encodesInt = kindIn(reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
	reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64)

func textType(format string) typeSpec {
	return typeSpec{goType: fixed(stringType), convert: convertText, schema: textSchema(format), encodes: kindIn(reflect.String)}
}

// fieldTypes describes every type Validate understands; Check refuses any
// other. It is filled in init, since converting arrays and collections
// converts their items through it.
var fieldTypes map[FieldType]typeSpec

func init() {
	integer := typeSpec{goType: fixed(int64Type), convert: convertInteger, schema: integerSchema, encodes: encodesInt}
	fieldTypes = map[FieldType]typeSpec{
		TypeText:     textType(""),
		TypePassword: textType("password"),
		TypeEmail:    textType("email"),
		TypeURL:      textType("uri"),
		TypeUInteger: integer,
		TypeInteger:  integer,
		TypeNumber: {goType: fixed(reflect.TypeOf(float64(0))), convert: convertNumber, schema: numberSchema,
			encodes: func(t reflect.Type) bool {
				return encodesInt(t) || t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32
			}},
		TypeBoolean: {goType: fixed(reflect.TypeOf(false)), convert: convertBoolean, schema: booleanSchema, encodes: kindIn(reflect.Bool)},
		TypeDate: {goType: fixed(timeType), convert: convertDate, schema: dateSchema,
			encodes: func(t reflect.Type) bool { return t == timeType || t.Kind() == reflect.String }},
		TypeSelect: {goType: func(f Field) reflect.Type {
			if f.Multiple {
				return reflect.TypeOf([]string(nil))
			}
			return stringType
		}, convert: convertSelect, schema: selectSchema, encodes: kindIn(reflect.String, reflect.Slice)},
		TypeArray: {goType: fixed(reflect.TypeOf([]any(nil))), convert: convertArray, schema: arraySchema,
			encodes: kindIn(reflect.Slice, reflect.Array)},
		TypeCollection: {goType: fixed(reflect.TypeOf(map[string]any(nil))), convert: convertCollection, schema: collectionSchema,
			encodes: kindIn(reflect.Map, reflect.Struct)},
		TypeAny: {goType: fixed(anyType), convert: convertAny, schema: anySchema, encodes: func(reflect.Type) bool { return true }},
	}
}

// Option is one choice of a select field.
type Option struct {
	Label string `json:"label"`
	Value any    `json:"value"`
}

// Field declares one parameter, connection field or output field. The same
// value drives the manifest entry, input validation and the documentation.
type Field struct {
	// Name is the key in the parameters object (camelCase for inputs,
	// ProfitWell's snake_case for outputs).
	Name string
	// Label is what the platform shows next to the field.
	Label string
	// Help is the one-sentence hint shown under the field.
	Help string
	// Type is the Make type.
	Type FieldType
	// Required makes a missing or empty value an error (after defaults).
	Required bool
	// Default is applied when the value is missing or empty; it must pass
	// the field's own rules.
	Default any
	// Advanced hides the field behind "Show advanced settings".
	Advanced bool
	// Options are the static choices of a select field.
	Options []Option
	// OptionsRPC names the RPC that supplies a select's options
	// ("rpc://<name>" in the manifest). Such a select also accepts any
	// mapped value, because the choices are only known upstream.
	OptionsRPC string
	// Multiple lets a select take several values (a list).
	Multiple bool
	// Multiline shows a text area instead of a one-line input.
	Multiline bool
	// DateOnly shows a date picker without time (Make "time": false).
	DateOnly bool
	// Min and Max bound a number, or the length of a text, or the number of
	// items of an array.
	Min, Max *float64
	// Pattern is a regular expression a text value must match.
	Pattern string
	// Spec describes an array's items (one field without a name) or a
	// collection's keys.
	Spec []Field
	// Unit names what a number counts ("cents"), for messages only.
	Unit string
}

// Ptr returns a pointer to v, for Min and Max.
func Ptr(v float64) *float64 { return &v }

// IsSecret reports whether the field holds a secret that must never be logged
// or echoed.
func (f Field) IsSecret() bool { return f.Type == TypePassword }

type validateJSON struct {
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	MinItems *int     `json:"minItems,omitempty"`
	MaxItems *int     `json:"maxItems,omitempty"`
	Pattern  string   `json:"pattern,omitempty"`
}

// fieldJSON is the manifest form of a Field: only properties Make's
// parameters schema knows.
type fieldJSON struct {
	Name      string        `json:"name,omitempty"`
	Type      FieldType     `json:"type"`
	Label     string        `json:"label,omitempty"`
	Help      string        `json:"help,omitempty"`
	Required  bool          `json:"required,omitempty"`
	Default   any           `json:"default,omitempty"`
	Advanced  bool          `json:"advanced,omitempty"`
	Multiple  bool          `json:"multiple,omitempty"`
	Multiline bool          `json:"multiline,omitempty"`
	Time      *bool         `json:"time,omitempty"`
	Options   any           `json:"options,omitempty"`
	Validate  *validateJSON `json:"validate,omitempty"`
	Spec      any           `json:"spec,omitempty"`
}

// MarshalJSON writes the field as a Make parameter.
func (f Field) MarshalJSON() ([]byte, error) {
	out := fieldJSON{
		Name: f.Name, Type: f.Type, Label: f.Label, Help: f.Help,
		Required: f.Required, Default: f.Default, Advanced: f.Advanced,
		Multiple: f.Multiple, Multiline: f.Multiline,
	}
	if f.DateOnly {
		no := false
		out.Time = &no
	}
	switch {
	case f.OptionsRPC != "":
		out.Options = "rpc://" + f.OptionsRPC
	case len(f.Options) > 0:
		out.Options = f.Options
	}
	if v := f.validateJSON(); v != nil {
		out.Validate = v
	}
	switch {
	case f.Type == TypeArray && len(f.Spec) == 1 && f.Spec[0].Name == "":
		out.Spec = f.Spec[0]
	case len(f.Spec) > 0:
		out.Spec = f.Spec
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // help texts hold ">" and "&"
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (f Field) validateJSON() *validateJSON {
	if f.Min == nil && f.Max == nil && f.Pattern == "" {
		return nil
	}
	v := &validateJSON{Pattern: f.Pattern}
	if f.Type == TypeArray {
		// Make's schema allows only item counts on arrays.
		v.Pattern = ""
		if f.Min != nil {
			n := int(*f.Min)
			v.MinItems = &n
		}
		if f.Max != nil {
			n := int(*f.Max)
			v.MaxItems = &n
		}
		return v
	}
	v.Min, v.Max = f.Min, f.Max
	return v
}

// String names the field for messages.
func (f Field) String() string { return fmt.Sprintf("%s (%s)", f.Name, f.Type) }
