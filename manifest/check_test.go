package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func reflectType[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

func goodModule() ModuleSpec {
	return ModuleSpec{
		Name: "listThings", Label: "List Things", Description: "Lists things.", Group: "Things",
		Kind: KindSearch, CRUD: CRUDRead,
		Expect: []Field{
			{Name: "filter", Label: "Filter", Help: "Filter things.", Type: TypeText},
			LimitField("things"),
		},
		Interface: []Field{{Name: "id", Label: "ID", Type: TypeText}},
		Samples:   map[string]any{"id": "t1"},
	}
}

func TestCheckModulesAcceptsAGoodModule(t *testing.T) {
	t.Parallel()
	assert.NoError(t, CheckModules([]ModuleSpec{goodModule()}))
}

func TestCheckModulesReportsEveryProblem(t *testing.T) {
	t.Parallel()
	dup := goodModule()
	bad := goodModule()
	bad.Name = "BadName"
	bad.Label = ""
	bad.Expect = []Field{
		LimitField("things"),
		{Name: "noHelp", Label: "No help", Type: TypeText},
		{Name: "", Label: "Nameless", Help: "h", Type: TypeText},
		{Name: "sel", Label: "Sel", Help: "h", Type: TypeSelect},
		{Name: "def", Label: "Def", Help: "h", Type: TypeUInteger, Default: -3},
		{Name: "secret", Label: "Secret", Help: "h", Type: TypePassword, Default: "x"},
		{Name: "pat", Label: "Pat", Help: "h", Type: TypeText, Pattern: "("},
		{Name: "weird", Label: "Weird", Help: "h", Type: "sprocket"},
	}
	err := CheckModules([]ModuleSpec{dup, dup, bad})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`module "listThings": declared twice`,
		`module "BadName": name must be lowerCamelCase`,
		`module "BadName": missing label`,
		`parameter "noHelp": missing help`,
		`parameter #3 has no name`,
		`parameter "sel": select without options`,
		`parameter "def": default fails its own rule (must not be negative)`,
		`parameter "secret": a secret field cannot have a default`,
		`parameter "pat": bad pattern`,
		`parameter "weird": unknown type "sprocket"`,
		`a list module's "limit" field must be its last field`,
	} {
		assert.Contains(t, msg, want)
	}
}

func TestCheckModulesLimitRules(t *testing.T) {
	t.Parallel()
	noLimit := goodModule()
	noLimit.Expect = noLimit.Expect[:1]
	assert.ErrorContains(t, CheckModules([]ModuleSpec{noLimit}), "must be its last field")

	wrongType := goodModule()
	wrongType.Expect[1].Type = TypeInteger
	assert.ErrorContains(t, CheckModules([]ModuleSpec{wrongType}), "required uinteger")

	action := goodModule()
	action.Kind = KindAction
	assert.ErrorContains(t, CheckModules([]ModuleSpec{action}), "only search and trigger modules take a limit")

	trigger := goodModule()
	trigger.Kind = KindTrigger
	assert.ErrorContains(t, CheckModules([]ModuleSpec{trigger}), "a trigger takes static parameters only")
	trigger.Parameters, trigger.Expect = trigger.Expect, nil
	assert.NoError(t, CheckModules([]ModuleSpec{trigger}))
}

func TestBuildAndEncode(t *testing.T) {
	t.Parallel()
	m := goodModule().WithLimitCap(500)
	doc := Build(App{Name: "app", Version: "1.0.0"}, Connection{Name: "c"}, nil, []ModuleSpec{m})
	require.Len(t, doc.Groups, 1)
	assert.Equal(t, Group{Label: "Things", Modules: []string{"listThings"}}, doc.Groups[0])
	body, etag, err := doc.Encode()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(etag, `"`))
	var back map[string]any
	require.NoError(t, json.Unmarshal(body, &back))
	limit := back["modules"].([]any)[0].(map[string]any)["expect"].([]any)[1].(map[string]any)
	assert.Equal(t, map[string]any{"min": 1.0, "max": 500.0}, limit["validate"])
	assert.Equal(t, 10.0, limit["default"])
	assert.Equal(t, "Set the maximum number of things returned during one execution cycle.", limit["help"])

	_, etag2, err := doc.Encode()
	require.NoError(t, err)
	assert.Equal(t, etag, etag2, "the ETag is stable")
}

func TestFieldJSON(t *testing.T) {
	t.Parallel()
	f := Field{Name: "plan", Label: "Plan", Help: "h", Type: TypeSelect, OptionsRPC: "listPlans", Required: true}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"plan","label":"Plan","help":"h","type":"select","options":"rpc://listPlans","required":true}`, string(b))

	arr := Field{Name: "tags", Label: "Tags", Type: TypeArray, Max: Ptr(3), Spec: []Field{{Type: TypeText}}}
	b, err = json.Marshal(arr)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"tags","label":"Tags","type":"array","validate":{"maxItems":3},"spec":{"type":"text"}}`, string(b))

	date := Field{Name: "d", Label: "D", Type: TypeDate, DateOnly: true, Default: false}
	b, err = json.Marshal(date)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"d","label":"D","type":"date","time":false,"default":false}`, string(b))
}

type outputRow struct {
	ID      string            `json:"id"`
	Count   *int64            `json:"count"`
	Tags    []string          `json:"tags"`
	Items   []outputItem      `json:"items"`
	When    string            `json:"when"`
	Skipped string            `json:"-"`
	Meta    map[string]string `json:"meta"`
}

type outputItem struct {
	Name string `json:"name"`
}

type outputEmbed struct {
	outputItem
	Extra  bool   `json:"extra,omitempty"`
	Amount string `json:"amount"`
}

type outputKeys map[string]any

func (outputKeys) OutputNames() []string { return []string{"a", "b"} }

func TestCheckOutput(t *testing.T) {
	t.Parallel()
	good := []Field{
		{Name: "id", Label: "ID", Type: TypeText},
		{Name: "count", Label: "Count", Type: TypeUInteger},
		{Name: "tags", Label: "Tags", Type: TypeArray, Spec: []Field{{Type: TypeText}}},
		{Name: "items", Label: "Items", Type: TypeArray, Spec: []Field{{Name: "name", Label: "Name", Type: TypeText}}},
		{Name: "when", Label: "When", Type: TypeDate},
		{Name: "meta", Label: "Meta", Type: TypeCollection},
	}
	assert.Empty(t, CheckOutput(good, reflectType[outputRow]()))
	assert.Empty(t, CheckOutput(good, reflectType[*outputRow]()), "a pointer checks its element")

	bad := append([]Field{}, good...)
	bad[1].Type = TypeBoolean
	bad[3].Spec = []Field{{Name: "title", Label: "Title", Type: TypeText}}
	bad = append(bad[:4], Field{Name: "missing", Label: "Missing", Type: TypeText}, bad[5])
	msgs := errorTexts(CheckOutput(bad, reflectType[outputRow]()))
	assert.ElementsMatch(t, []string{
		`output "count" is boolean, but manifest.outputRow.Count is *int64`,
		`output "items": output "title" has no Go field with json name "title" in manifest.outputItem`,
		`output "items": go field manifest.outputItem.Name encodes "name", which is not a declared output`,
		`output "missing" has no Go field with json name "missing" in manifest.outputRow`,
		`go field manifest.outputRow.When encodes "when", which is not a declared output`,
	}, msgs)

	embedded := []Field{
		{Name: "name", Label: "Name", Type: TypeText},
		{Name: "extra", Label: "Extra", Type: TypeBoolean},
		{Name: "amount", Label: "Amount", Type: TypeNumber},
	}
	assert.ElementsMatch(t, []string{
		`output "extra": manifest.outputEmbed.Extra is omitempty, but every bundle carries every output (null when unknown)`,
		`output "amount" is number, but manifest.outputEmbed.Amount is string`,
	}, errorTexts(CheckOutput(embedded, reflectType[outputEmbed]())), "embedded structs are flattened")

	keyed := []Field{{Name: "a", Label: "A", Type: TypeText}, {Name: "c", Label: "C", Type: TypeText}}
	assert.ElementsMatch(t, []string{
		`output "c" is not among the keys manifest.outputKeys names`,
		`manifest.outputKeys names key "b", which is not a declared output`,
	}, errorTexts(CheckOutput(keyed, reflectType[outputKeys]())))
	assert.Equal(t, []string{"bundle type map[string]interface {} is neither a struct nor an OutputNamer"},
		errorTexts(CheckOutput(keyed, reflectType[map[string]any]())))
}

func TestCheckModulesHoldsSamplesAndExamplesToTheInterface(t *testing.T) {
	t.Parallel()
	m := goodModule()
	m.Samples = map[string]any{"id": "t1", "extra": 1}
	m.Interface = append(m.Interface, Field{Name: "name", Label: "Name", Type: TypeText})
	err := CheckModules([]ModuleSpec{m})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `module "listThings": sample has no "name" (an output field)`)
	assert.Contains(t, err.Error(), `module "listThings": sample key "extra" is not an output field`)

	ex := goodModule()
	ex.Samples = nil
	ex.Example = Example{Parameters: map[string]any{"limit": 0, "bogus": true}, Output: map[string]any{"id": "t1"}}
	err = CheckModules([]ModuleSpec{ex})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `module "listThings": example parameters: invalid input`)
	assert.Contains(t, err.Error(), "bogus")

	ex.Example.Parameters = map[string]any{"filter": "x", "limit": 2}
	require.NoError(t, CheckModules([]ModuleSpec{ex}))
	assert.Equal(t, map[string]any{"id": "t1"}, ex.Sample(), "the example's output is the sample")
	doc := Build(App{}, Connection{}, nil, []ModuleSpec{ex})
	assert.Equal(t, map[string]any{"id": "t1"}, doc.Modules[0].Samples)
	require.NotNil(t, doc.Modules[0].Example)
}

func errorTexts(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

// TestEveryFieldTypeHasOneCompleteDescriptor: each Make type the connector
// declares is one entry with every part (validation, binding, schema,
// output check), and an unknown type is refused by the checks.
func TestEveryFieldTypeHasOneCompleteDescriptor(t *testing.T) {
	t.Parallel()
	types := []FieldType{TypeText, TypeNumber, TypeUInteger, TypeInteger, TypeBoolean, TypeDate, TypeSelect,
		TypeArray, TypeCollection, TypeEmail, TypeURL, TypePassword, TypeAny}
	assert.Len(t, fieldTypes, len(types))
	for _, ft := range types {
		spec, ok := fieldTypes[ft]
		require.True(t, ok, ft)
		assert.True(t, spec.goType != nil && spec.convert != nil && spec.schema != nil && spec.encodes != nil, ft)
		f := Field{Name: "x", Label: "X", Type: ft, Options: []Option{{Label: "A", Value: "a"}}}
		assert.Equal(t, string(ft), FieldSchema(f, true)["x-make-type"])
	}
	_, msg := convert(&Field{Name: "x", Type: "sprocket"}, "v", "x", &ValidationError{})
	assert.Equal(t, "has an unsupported type", msg)
	assert.Equal(t, anyType, goTypeFor(Field{Type: "sprocket"}))
	assert.False(t, encodes("sprocket", stringType))
}
