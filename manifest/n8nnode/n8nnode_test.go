package n8nnode_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/n8nnode"
	"github.com/profitwell-connector/connector/modules"
)

func document(t *testing.T) manifest.Document {
	t.Helper()
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	return modules.Document(registry)
}

func build(t *testing.T, opts n8nnode.Options) map[string][]byte {
	t.Helper()
	files, err := n8nnode.Build(document(t), opts)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range files {
		out[f.Path] = f.Data
	}
	return out
}

func decode(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var v map[string]any
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

// shownFor is the module's parameters: those whose displayOptions name its
// operation.
func shownFor(props []any, module string) []map[string]any {
	var out []map[string]any
	for _, p := range props {
		p := p.(map[string]any)
		show, _ := p["displayOptions"].(map[string]any)
		show, _ = show["show"].(map[string]any)
		ops, _ := show["operation"].([]any)
		for _, o := range ops {
			if o == module {
				out = append(out, p)
			}
		}
	}
	return out
}

func find(props []map[string]any, name string) map[string]any {
	for _, p := range props {
		if p["name"] == name {
			return p
		}
	}
	return nil
}

// TestEveryModuleIsAnOperation checks the mapping on the whole registry:
// a resource per group, an operation per module posting to its execute
// endpoint, every input sent as parameters.<name> (required ones
// top-level, the others under Additional Fields), lists with Return All,
// Limit and pagination that keeps the first request's body.
func TestEveryModuleIsAnOperation(t *testing.T) {
	t.Parallel()
	doc := document(t)
	files := build(t, n8nnode.Options{PublicURL: "https://connector.example.com"})
	gen := decode(t, files[n8nnode.DescriptionFile])
	desc := gen["description"].(map[string]any)
	assert.Equal(t, "https://connector.example.com", desc["requestDefaults"].(map[string]any)["baseURL"])
	props := desc["properties"].([]any)
	opsByModule := map[string]map[string]any{}
	resources := map[string]string{}
	for _, p := range props {
		p := p.(map[string]any)
		if p["name"] != "operation" {
			continue
		}
		res := p["displayOptions"].(map[string]any)["show"].(map[string]any)["resource"].([]any)[0].(string)
		for _, o := range p["options"].([]any) {
			o := o.(map[string]any)
			opsByModule[o["value"].(string)] = o
			resources[o["value"].(string)] = res
		}
	}
	for _, g := range doc.Groups {
		for _, name := range g.Modules {
			assert.NotEmpty(t, resources[name], "%s has a resource", name)
			assert.Equal(t, resources[g.Modules[0]], resources[name], "the modules of %s share a resource", g.Label)
		}
	}
	for _, m := range doc.Modules {
		op := opsByModule[m.Name]
		require.NotNil(t, op, "%s is an operation", m.Name)
		routing := op["routing"].(map[string]any)
		assert.Equal(t, "/v1/modules/"+m.Name+"/execute", routing["request"].(map[string]any)["url"])
		mine := shownFor(props, m.Name)
		additional := []map[string]any{}
		if a := find(mine, "additionalFields"); a != nil {
			for _, o := range a["options"].([]any) {
				additional = append(additional, o.(map[string]any))
			}
		}
		isList := m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger
		for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
			if isList && f.Name == manifest.LimitName {
				require.NotNil(t, find(mine, "returnAll"), m.Name)
				for _, name := range []string{"limit", "pageSize"} {
					p := find(mine, name)
					require.NotNil(t, p, "%s.%s", m.Name, name)
					assert.Equal(t, "parameters.limit", p["routing"].(map[string]any)["send"].(map[string]any)["property"])
				}
				pagination := routing["operations"].(map[string]any)["pagination"].(map[string]any)
				body := pagination["properties"].(map[string]any)["request"].(map[string]any)["body"].(string)
				assert.Contains(t, body, "$request.body", "%s: n8n replaces the body, so the next one starts from the first", m.Name)
				continue
			}
			p := find(mine, f.Name)
			if !f.Required {
				assert.Nil(t, p, "%s.%s is optional: under Additional Fields", m.Name, f.Name)
				p = find(additional, f.Name)
			}
			require.NotNil(t, p, "%s.%s is a parameter", m.Name, f.Name)
			assert.Equal(t, "parameters."+f.Name, p["routing"].(map[string]any)["send"].(map[string]any)["property"])
			if f.OptionsRPC != "" {
				assert.Equal(t, f.OptionsRPC, p["typeOptions"].(map[string]any)["loadOptionsMethod"])
				assert.Contains(t, gen["loadOptions"], f.OptionsRPC)
			}
			if len(f.Options) > 0 {
				assert.Len(t, p["options"], len(f.Options))
			}
		}
	}
	for _, r := range doc.RPCs {
		assert.Equal(t, "/v1/rpc/"+r.Name, gen["loadOptions"].(map[string]any)[r.Name])
	}
}

func TestPackageAndCredential(t *testing.T) {
	t.Parallel()
	files := build(t, n8nnode.Options{PublicURL: "https://connector.example.com", APIKey: "engine-key-0123456789"})
	pkg := decode(t, files[n8nnode.PackageFile])
	assert.Contains(t, pkg["keywords"], "n8n-community-node-package")
	n8n := pkg["n8n"].(map[string]any)
	for _, list := range []string{"nodes", "credentials"} {
		for _, p := range n8n[list].([]any) {
			assert.Contains(t, files, p.(string), "package.json names a file of the package")
		}
	}
	cred := decode(t, files[n8nnode.CredentialJSON])
	assert.Equal(t, n8nnode.CredentialName, cred["name"])
	test := cred["test"].(map[string]any)["request"].(map[string]any)
	assert.Equal(t, "/v1/connection/verify", test["url"])
	assert.Equal(t, "https://connector.example.com", test["baseURL"])
	var engineDefault any
	for _, p := range cred["properties"].([]any) {
		p := p.(map[string]any)
		if p["name"] == n8nnode.EngineKeyField {
			engineDefault = p["default"]
		}
		assert.Equal(t, map[string]any{"password": true}, p["typeOptions"], "%s is a password field", p["name"])
	}
	assert.Equal(t, "engine-key-0123456789", engineDefault)
	for path, data := range files {
		if path != n8nnode.CredentialJSON {
			assert.NotContains(t, string(data), "engine-key-0123456789", path)
		}
	}
	_, err := n8nnode.Build(document(t), n8nnode.Options{PublicURL: "https://user:pw@connector"})
	assert.Error(t, err)
	assert.True(t, strings.HasPrefix(string(files[n8nnode.NodeFile]), "'use strict';"))
}
