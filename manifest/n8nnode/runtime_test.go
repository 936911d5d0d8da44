//go:build platforms

package n8nnode_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profitwell-connector/connector/manifest/n8nnode"
	"github.com/profitwell-connector/connector/manifest/platform/platformtest"
)

func n8nEnv(t *testing.T, pkg, connector string) map[string]string {
	return map[string]string{
		"N8N_PACKAGE_DIR":   pkg,
		"CONNECTOR_URL":     connector,
		"CONNECTOR_API_KEY": platformtest.EngineKey,
		"SANDBOX_TOKEN":     platformtest.SandboxToken,
		// n8n-core keeps its instance settings (an encryption key) here.
		"N8N_USER_FOLDER": t.TempDir(),
		// n8n-core's optional diagnostics and version checks stay off.
		"N8N_DIAGNOSTICS_ENABLED":           "false",
		"N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
	}
}

// TestN8nNodeInN8nRuntime exports the node package with `connector export
// n8n` and runs a workflow of every operation, the credential test and the
// load-options methods through n8n-core (testdata/harness/n8n.test.js).
func TestN8nNodeInN8nRuntime(t *testing.T) {
	harness := platformtest.Harness(t, filepath.Join("testdata", "harness"))
	bin := platformtest.Binary(t)
	url := platformtest.Start(t, bin)
	pkg := platformtest.Export(t, bin, "n8n", url)
	out, ok := platformtest.NodeTest(t, harness, "n8n.test.js", n8nEnv(t, pkg, url))
	if !ok {
		t.Fatalf("the n8n harness failed:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestN8nHarnessCatchesABrokenExport mutates the generated description the
// way a generator bug would and expects the harness to fail: a dropped
// parameter, and pagination whose next body is only the cursor (n8n
// replaces the body, so the connection and parameters would be lost).
func TestN8nHarnessCatchesABrokenExport(t *testing.T) {
	harness := platformtest.Harness(t, filepath.Join("testdata", "harness"))
	bin := platformtest.Binary(t)
	url := platformtest.Start(t, bin)
	operationOf := func(desc map[string]any, module string) map[string]any {
		for _, p := range desc["properties"].([]any) {
			p := p.(map[string]any)
			if p["name"] != "operation" {
				continue
			}
			for _, o := range p["options"].([]any) {
				if o := o.(map[string]any); o["value"] == module {
					return o
				}
			}
		}
		t.Fatalf("no operation %s", module)
		return nil
	}
	type mutant struct {
		mutate  func(desc map[string]any)
		pattern string // the harness's tests that must catch it
		want    string
	}
	mutants := map[string]mutant{
		"createPlan loses its name parameter": {pattern: "manifest", want: "createPlan.name has no parameter", mutate: func(desc map[string]any) {
			var kept []any
			for _, p := range desc["properties"].([]any) {
				p := p.(map[string]any)
				show, _ := p["displayOptions"].(map[string]any)
				if p["name"] == "name" && strings.Contains(jsonString(t, show), "createPlan") {
					continue
				}
				kept = append(kept, p)
			}
			desc["properties"] = kept
		}},
		"listPlans pages with the cursor alone": {pattern: "every operation", want: "List All Plans failed", mutate: func(desc map[string]any) {
			pagination := operationOf(desc, "listPlans")["routing"].(map[string]any)["operations"].(map[string]any)["pagination"].(map[string]any)
			pagination["properties"].(map[string]any)["request"] = map[string]any{"body": "={{ { cursor: $response.body.meta ? $response.body.meta.nextCursor : undefined } }}"}
		}},
	}
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			pkg := platformtest.Export(t, bin, "n8n", url)
			platformtest.Mutate(t, filepath.Join(pkg, filepath.FromSlash(n8nnode.DescriptionFile)), func(generated map[string]any) {
				m.mutate(generated["description"].(map[string]any))
			})
			platformtest.ExpectFailure(t, harness, "n8n.test.js", n8nEnv(t, pkg, url), m.pattern, m.want)
		})
	}
}

func jsonString(t *testing.T, v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
