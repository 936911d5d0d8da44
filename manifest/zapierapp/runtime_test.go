//go:build platforms

package zapierapp_test

import (
	"path/filepath"
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
// the connector on its sandbox (testdata/harness/zapier.test.js).
func TestZapierAppInZapierRuntime(t *testing.T) {
	harness := platformtest.Harness(t, filepath.Join("testdata", "harness"))
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
	harness := platformtest.Harness(t, filepath.Join("testdata", "harness"))
	bin := platformtest.Binary(t)
	url := platformtest.Start(t, bin)
	type mutant struct {
		mutate  func(def map[string]any)
		pattern string // the harness's tests that must catch it
		want    string
	}
	mutants := map[string]mutant{
		"createPlan loses its name field": {pattern: "manifest|creates: plans", want: "inputs of createPlan", mutate: func(def map[string]any) {
			op := def["app"].(map[string]any)["creates"].(map[string]any)["createPlan"].(map[string]any)["operation"].(map[string]any)
			fields := op["inputFields"].([]any)
			op["inputFields"] = fields[:1]
			delete(def["operations"].(map[string]any)["createPlan"].(map[string]any)["inputs"].(map[string]any), "name")
		}},
		"listPlans loses canPaginate": {pattern: "manifest|triggers: every list", want: "listPlans pages", mutate: func(def map[string]any) {
			op := def["app"].(map[string]any)["triggers"].(map[string]any)["listPlans"].(map[string]any)["operation"].(map[string]any)
			delete(op, "canPaginate")
		}},
	}
	for name, m := range mutants {
		t.Run(name, func(t *testing.T) {
			app := platformtest.Export(t, bin, "zapier", url)
			platformtest.Mutate(t, filepath.Join(app, zapierapp.DefinitionFile), m.mutate)
			platformtest.ExpectFailure(t, harness, "zapier.test.js", zapierEnv(t, app, url), m.pattern, m.want)
		})
	}
}
