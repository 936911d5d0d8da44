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
