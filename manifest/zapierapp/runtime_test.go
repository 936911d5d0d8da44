//go:build platforms

package zapierapp_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/profitwell-connector/connector/manifest/platform/platformtest"
	"github.com/profitwell-connector/connector/manifest/zapierapp"
)

// zapierEnv is the harness's environment: the app, the connector, and
// Zapier's own endpoints on a closed loopback port. NODE_ENV=test makes
// core fail on bad outputs instead of only logging them (constants.js,
// IS_TESTING); ZAPIER_DEPLOY_KEY only lets core's RPC client call the
// loopback stand-in for z.cursor (create-rpc-client.js wants a token or a
// deploy key).
func zapierEnv(t *testing.T, appDir, connector string) map[string]string {
	closed := platformtest.ClosedPort(t)
	return map[string]string{
		"NODE_ENV":             "test",
		"ZAPIER_APP_DIR":       appDir,
		"CONNECTOR_URL":        connector,
		"CONNECTOR_API_KEY":    platformtest.EngineKey,
		"SANDBOX_TOKEN":        platformtest.SandboxToken,
		"ZAPIER_BASE_ENDPOINT": closed,
		"LOGGING_ENDPOINT":     closed,
		"ZAPIER_DEPLOY_KEY":    "loopback-cursor-stand-in",
	}
}

// TestZapierAppInZapierRuntime exports the app with `connector export
// zapier` and runs every operation through zapier-platform-core against
// the connector on its sandbox (harness/zapier.test.js).
func TestZapierAppInZapierRuntime(t *testing.T) {
	harness := platformtest.Harness(t, "harness")
	bin := platformtest.Binary(t)
	url := platformtest.Start(t, bin)
	app := platformtest.Export(t, bin, "zapier", url)
	out, ok := platformtest.NodeTest(t, harness, "zapier.test.js", zapierEnv(t, app, url))
	if !ok {
		t.Fatalf("the Zapier harness failed:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestZapierHarnessCatchesABrokenExport mutates the generated app the way
// a generator bug would and expects the harness to fail: a dropped input
// field, and a list trigger that no longer pages (without canPaginate core
// gives it no z.cursor).
func TestZapierHarnessCatchesABrokenExport(t *testing.T) {
	harness := platformtest.Harness(t, "harness")
	bin := platformtest.Binary(t)
	url := platformtest.Start(t, bin)
	mutants := map[string]func(def map[string]any){
		"createPlan loses its name field": func(def map[string]any) {
			op := def["app"].(map[string]any)["creates"].(map[string]any)["createPlan"].(map[string]any)["operation"].(map[string]any)
			fields := op["inputFields"].([]any)
			op["inputFields"] = fields[:1]
			delete(def["operations"].(map[string]any)["createPlan"].(map[string]any)["inputs"].(map[string]any), "name")
		},
		"listPlans loses canPaginate": func(def map[string]any) {
			op := def["app"].(map[string]any)["triggers"].(map[string]any)["listPlans"].(map[string]any)["operation"].(map[string]any)
			delete(op, "canPaginate")
		},
	}
	for name, mutate := range mutants {
		t.Run(name, func(t *testing.T) {
			app := platformtest.Export(t, bin, "zapier", url)
			path := filepath.Join(app, zapierapp.DefinitionFile)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var def map[string]any
			if err := json.Unmarshal(data, &def); err != nil {
				t.Fatal(err)
			}
			mutate(def)
			if data, err = json.Marshal(def); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			out, ok := platformtest.NodeTest(t, harness, "zapier.test.js", zapierEnv(t, app, url))
			if ok {
				t.Fatalf("the harness passed a broken app:\n%s", out)
			}
			if !strings.Contains(out, "✖") {
				t.Fatalf("the harness failed without a failing test:\n%s", out)
			}
		})
	}
}
