package zapierapp_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/platform"
	"github.com/profitwell-connector/connector/manifest/zapierapp"
	"github.com/profitwell-connector/connector/modules"
)

func document(t *testing.T) manifest.Document {
	t.Helper()
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	return modules.Document(registry)
}

func build(t *testing.T, opts zapierapp.Options) (map[string][]byte, map[string]any) {
	t.Helper()
	files, err := zapierapp.Build(document(t), opts)
	require.NoError(t, err)
	byPath := map[string][]byte{}
	for _, f := range files {
		byPath[f.Path] = f.Data
	}
	var def map[string]any
	require.NoError(t, json.Unmarshal(byPath[zapierapp.DefinitionFile], &def))
	return byPath, def
}

func obj(v any, path ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

// TestEveryModuleMapsToItsZapierOperation checks the mapping rules on the
// whole registry: lists and triggers are paging triggers with primary
// fields, read actions searches, the rest creates; every input, output,
// option and RPC is carried over.
func TestEveryModuleMapsToItsZapierOperation(t *testing.T) {
	t.Parallel()
	doc := document(t)
	files, def := build(t, zapierapp.Options{PublicURL: "https://connector.example.com/"})
	require.ElementsMatch(t, []string{"definition.json", "index.js", "package.json", "README.md"}, keys(files))
	app := obj(def, "app")
	ops := obj(def, "operations")
	assert.Equal(t, "https://connector.example.com", obj(def, "connector")["publicUrl"])
	assert.Equal(t, zapierapp.CoreVersion, app["platformVersion"])
	for _, m := range doc.Modules {
		group := "creates"
		switch {
		case m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger:
			group = "triggers"
		case m.Type == manifest.KindAction && m.CRUD == manifest.CRUDRead:
			group = "searches"
		}
		entry := obj(app, group, m.Name)
		require.NotNil(t, entry, "%s is one of the %s", m.Name, group)
		op := obj(entry, "operation")
		assert.Equal(t, "https://connector.example.com/v1/modules/"+m.Name+"/execute", obj(op, "perform")["url"])
		assert.Equal(t, m.Name, obj(ops, m.Name)["module"])
		inputs := map[string]map[string]any{}
		for _, f := range op["inputFields"].([]any) {
			inputs[f.(map[string]any)["key"].(string)] = f.(map[string]any)
		}
		conv := obj(ops, m.Name, "inputs")
		for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
			zf, ok := inputs[f.Name]
			require.True(t, ok, "%s.%s is an input field", m.Name, f.Name)
			assert.Equal(t, f.Required, zf["required"], "%s.%s", m.Name, f.Name)
			assert.Contains(t, conv, f.Name, "%s.%s is sent", m.Name, f.Name)
			if f.OptionsRPC != "" {
				dyn := zf["dynamic"].(string)
				assert.Equal(t, zapierapp.RPCTriggerPrefix+f.OptionsRPC+".id.name", dyn)
				assert.NotNil(t, obj(app, "triggers", strings.Split(dyn, ".")[0]), "the dropdown's trigger exists")
			}
			if len(f.Options) > 0 {
				assert.Len(t, zf["choices"], len(f.Options), "%s.%s", m.Name, f.Name)
			}
			if f.Default != nil {
				assert.Equal(t, fmt.Sprint(f.Default), zf["default"])
			}
		}
		assert.Len(t, inputs, len(m.Parameters)+len(m.Expect), "%s has no extra inputs", m.Name)
		outputs := map[string]bool{}
		for _, f := range op["outputFields"].([]any) {
			outputs[f.(map[string]any)["key"].(string)] = true
		}
		for _, f := range m.Interface {
			assert.True(t, outputs[f.Name], "%s output %s", m.Name, f.Name)
		}
		assert.JSONEq(t, jsonOf(t, m.Samples), jsonOf(t, op["sample"]), m.Name)
		if group == "triggers" {
			assert.Equal(t, true, op["canPaginate"], m.Name)
			primary, err := platform.PrimaryKey(m, nil)
			require.NoError(t, err)
			for _, f := range op["outputFields"].([]any) {
				f := f.(map[string]any)
				assert.Equal(t, contains(primary, f["key"].(string)), f["primary"] == true, "%s.%s primary", m.Name, f["key"])
			}
		}
	}
	for _, r := range doc.RPCs {
		trig := obj(app, "triggers", zapierapp.RPCTriggerPrefix+r.Name)
		require.NotNil(t, trig, r.Name)
		assert.Equal(t, true, obj(trig, "display")["hidden"])
		assert.Equal(t, "https://connector.example.com/v1/rpc/"+r.Name, obj(trig, "operation", "perform")["url"])
	}
	auth := obj(app, "authentication")
	assert.Equal(t, "custom", auth["type"])
	assert.Equal(t, "https://connector.example.com/v1/connection/verify", obj(auth, "test")["url"])
	field := auth["fields"].([]any)[0].(map[string]any)
	assert.Equal(t, "privateToken", field["key"])
	assert.Equal(t, "password", field["type"])
}

func TestEngineKeyIsWrittenOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	files, def := build(t, zapierapp.Options{})
	assert.Equal(t, "", obj(def, "connector")["apiKey"])
	assert.Equal(t, zapierapp.APIKeyEnv, obj(def, "connector")["apiKeyEnv"])
	assert.Contains(t, string(files[zapierapp.ReadmeFile]), "zapier env:set")
	files, def = build(t, zapierapp.Options{APIKey: "engine-key-0123456789"})
	assert.Equal(t, "engine-key-0123456789", obj(def, "connector")["apiKey"])
	assert.Contains(t, string(files[zapierapp.ReadmeFile]), "out of version control")
	for path, data := range files {
		if path != zapierapp.DefinitionFile {
			assert.NotContains(t, string(data), "engine-key-0123456789", path)
		}
	}
}

func TestBadOptionsAreRefused(t *testing.T) {
	t.Parallel()
	doc := document(t)
	for _, opts := range []zapierapp.Options{
		{PublicURL: "ftp://connector"},
		{TriggerLookbackDays: -1},
		{TriggerLookbackDays: 4000},
		{PrimaryKeys: map[string][]string{"listPlans": {"missing"}}},
	} {
		_, err := zapierapp.Build(doc, opts)
		assert.Error(t, err, "%+v", opts)
	}
	broken := document(t)
	for i, m := range broken.Modules {
		if m.Name == "listPlans" {
			broken.Modules[i].Samples = map[string]any{"name": "no id"}
		}
	}
	_, err := zapierapp.Build(broken, zapierapp.Options{})
	assert.ErrorContains(t, err, `lacks the primary key field "id"`)
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	return string(data)
}
