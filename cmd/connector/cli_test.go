package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/modules"
)

// runCLI runs the command in-process and returns its exit code and output.
func runCLI(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, env(vars), &out, &errOut)
	code = 0
	if err != nil {
		code = exitCode(err)
	}
	return code, out.String(), errOut.String(), err
}

// TestEveryCommandHasHelpWithExamples runs each subcommand with --help as a
// new user would: exit 0, examples and the flag list.
func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args      []string
		wantFlags []string
	}{
		{[]string{"--help"}, []string{"-addr", "-sandbox", "-api-keys"}},
		{[]string{"serve", "--help"}, []string{"-addr", "-limit-cap"}},
		{[]string{"sandbox", "-h"}, []string{"-addr", "-sandbox-seed"}},
		{[]string{"manifest", "--help"}, []string{"-limit-cap"}},
		{[]string{"call", "--help"}, []string{"-json", "-token-env", "-profitwell-url", "-cursor"}},
		{[]string{"call", "listPlans", "--help"}, []string{"-json"}},
		{[]string{"export", "make", "--help"}, []string{"-out", "-public-url", "-api-key-env", "-make-app-id"}},
		{[]string{"export", "--help"}, nil},
		{[]string{"version", "--help"}, nil},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr, err := runCLI(t, nil, tc.args...)
			require.ErrorIs(t, err, flag.ErrHelp)
			assert.Equal(t, 0, code)
			help := stdout + stderr
			assert.Contains(t, help, "Usage: connector")
			assert.Contains(t, help, "xample", "help shows examples")
			for _, f := range tc.wantFlags {
				assert.Contains(t, help, f)
			}
		})
	}
}

func TestHelpCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"help"}, "connector call MODULE"},
		{[]string{"help", "call"}, "connector call listPlans limit=3"},
		{[]string{"help", "export", "make"}, "--public-url"},
		{[]string{"help", "sandbox"}, "connector sandbox --addr"},
	}
	for _, tc := range tests {
		code, stdout, _, err := runCLI(t, nil, tc.args...)
		require.NoError(t, err)
		assert.Equal(t, 0, code)
		assert.Contains(t, stdout, tc.want)
	}
	_, _, _, err := runCLI(t, nil, "help", "frobnicate")
	assert.ErrorContains(t, err, "no help")
}

func TestManifestCommand(t *testing.T) {
	t.Parallel()
	code, stdout, _, err := runCLI(t, nil, "manifest")
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	want, _, err := modules.Document(registry).Encode()
	require.NoError(t, err)
	assert.Equal(t, string(want), stdout)

	_, stdout, _, err = runCLI(t, nil, "manifest", "--limit-cap", "500")
	require.NoError(t, err)
	assert.Contains(t, stdout, `"max": 500`)
	_, _, _, err = runCLI(t, nil, "manifest", "extra")
	assert.ErrorContains(t, err, "unexpected argument")
}

func TestParseValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want any
	}{
		{"3", json.Number("3")},
		{"4900", json.Number("4900")},
		{"true", true},
		{"null", nil},
		{`"quoted"`, "quoted"},
		{"plain text", "plain text"},
		{"2026-01-01", "2026-01-01"},
		{"pro-monthly", "pro-monthly"},
		{"", ""},
		{`["a","b"]`, []any{"a", "b"}},
		{`[{"key":"Accept","value":"*/*"}]`, []any{map[string]any{"key": "Accept", "value": "*/*"}}},
		{`{"a":1}`, map[string]any{"a": json.Number("1")}},
		{`[1,`, `[1,`},
		{"a=b", "a=b"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, parseValue(tc.in), tc.in)
	}
	params, err := parseParams([]string{"url=/plans/?a=b", "limit=2"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"url": "/plans/?a=b", "limit": json.Number("2")}, params, "only the first = splits")
	for _, bad := range [][]string{{"novalue"}, {"=x"}, {"a=1", "a=2"}} {
		_, err := parseParams(bad)
		assert.Error(t, err, bad)
	}
}

type callAnswer struct {
	Bundles []map[string]any `json:"bundles"`
	Meta    map[string]any   `json:"meta"`
	State   json.RawMessage  `json:"state"`
	Error   map[string]any   `json:"error"`
}

func callJSON(t *testing.T, vars map[string]string, args ...string) (callAnswer, error) {
	t.Helper()
	_, stdout, _, err := runCLI(t, vars, append([]string{"call"}, append(args, "--json")...)...)
	var a callAnswer
	require.NoError(t, json.Unmarshal([]byte(stdout), &a), stdout)
	return a, err
}

func TestCallAgainstTheEmbeddedSandbox(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(t *testing.T, a callAnswer)
	}{
		{"search", []string{"listPlans", "limit=2"}, false, func(t *testing.T, a callAnswer) {
			assert.Len(t, a.Bundles, 2)
			assert.Equal(t, true, a.Meta["hasMore"])
		}},
		{"action with a JSON list", []string{"getMonthlyMetrics", `metrics=["recurring_revenue"]`, "limit=1"}, false, func(t *testing.T, a callAnswer) {
			require.Len(t, a.Bundles, 1)
			assert.Contains(t, a.Bundles[0], "recurring_revenue")
		}},
		{"create", []string{"createPlan", "planId=cli-plan", "name=From the CLI"}, false, func(t *testing.T, a callAnswer) {
			require.Len(t, a.Bundles, 1)
			assert.Equal(t, "cli-plan", a.Bundles[0]["id"])
		}},
		{"flags between arguments", []string{"--timeout", "10s", "listPlans", "--sandbox-seed", "3", "limit=1"}, false, func(t *testing.T, a callAnswer) {
			assert.Len(t, a.Bundles, 1)
		}},
		{"raw call with nested JSON", []string{"makeApiCall", "url=/plans/", "method=GET", `headers=[{"key":"Accept","value":"application/json"}]`}, false, func(t *testing.T, a callAnswer) {
			require.Len(t, a.Bundles, 1)
			assert.Equal(t, float64(200), a.Bundles[0]["statusCode"])
		}},
		{"validation error", []string{"createPlan", "planId=x", "colour=red"}, true, func(t *testing.T, a callAnswer) {
			assert.Equal(t, "DataError", a.Error["type"])
			assert.Len(t, a.Error["fields"], 2, "name is required, colour is unknown")
		}},
		{"unknown module", []string{"frobnicate"}, true, func(t *testing.T, a callAnswer) {
			assert.Equal(t, "InvalidConfigurationError", a.Error["type"])
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, err := callJSON(t, nil, tc.args...)
			if tc.wantErr {
				require.ErrorIs(t, err, errCallFailed)
				assert.Equal(t, 1, exitCode(err))
			} else {
				require.NoError(t, err)
			}
			tc.check(t, a)
		})
	}
}

func TestCallReadableOutput(t *testing.T) {
	t.Parallel()
	code, stdout, _, err := runCLI(t, nil, "call", "listPlans", "limit=2")
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "Bundle 1:\n  id: ")
	assert.Contains(t, stdout, "Bundle 2:\n")
	assert.NotContains(t, stdout, "Bundle 3:")
	assert.Contains(t, stdout, "2 bundles from listPlans (1 ProfitWell request).")
	assert.Contains(t, stdout, "More available: add --cursor ")

	code, stdout, _, err = runCLI(t, nil, "call", "createPlan", "planId=x")
	require.ErrorIs(t, err, errCallFailed)
	assert.Equal(t, 1, code)
	assert.Contains(t, stdout, "DataError (VALIDATION_FAILED, HTTP 400)")
	assert.Contains(t, stdout, "  name: is required")
}

// TestCallContinuesWithCursorAndState pages a search with its cursor and a
// trigger with its state, as the printed hints say.
func TestCallContinuesWithCursorAndState(t *testing.T) {
	t.Parallel()
	first, err := callJSON(t, nil, "listPlans", "limit=2")
	require.NoError(t, err)
	cursor, _ := first.Meta["nextCursor"].(string)
	require.NotEmpty(t, cursor)
	next, err := callJSON(t, nil, "listPlans", "limit=2", "--cursor", cursor)
	require.NoError(t, err)
	require.NotEmpty(t, next.Bundles)
	assert.NotEqual(t, first.Bundles[0]["id"], next.Bundles[0]["id"])
	assert.NotEqual(t, first.Bundles[1]["id"], next.Bundles[0]["id"])

	w1, err := callJSON(t, nil, "watchCustomers", "since=2000-01-01", "limit=1")
	require.NoError(t, err)
	require.Len(t, w1.Bundles, 1)
	require.NotEmpty(t, w1.State)
	w2, err := callJSON(t, nil, "watchCustomers", "since=2000-01-01", "limit=1", "--state", string(w1.State))
	require.NoError(t, err)
	require.Len(t, w2.Bundles, 1)
	assert.NotEqual(t, w1.Bundles[0]["customer_id"], w2.Bundles[0]["customer_id"], "the state moves on")

	_, _, _, err = runCLI(t, nil, "call", "watchCustomers", "--state", "{not json")
	assert.ErrorContains(t, err, "--state")
}

// TestCallWithATokenFromTheEnvironment points the command at an emulator
// standing in for ProfitWell with a token only the environment holds.
func TestCallWithATokenFromTheEnvironment(t *testing.T) {
	t.Parallel()
	const real = "real-looking-token-0123456789"
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 5, Tokens: []string{real}})
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
		want    string
	}{
		{"good token", map[string]string{"PW_TOKEN": real}, []string{"--token-env", "PW_TOKEN"}, "", ""},
		{"wrong token", map[string]string{"PW_TOKEN": "wrong-token-0123456789"}, []string{"--token-env", "PW_TOKEN"}, "", "InvalidAccessTokenError"},
		{"missing variable", nil, []string{"--token-env", "PW_TOKEN"}, "PW_TOKEN is empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"call", "listPlans", "limit=1", "--profitwell-url", emu.URL}, tc.args...)
			_, stdout, _, err := runCLI(t, tc.vars, args...)
			switch {
			case tc.wantErr != "":
				assert.ErrorContains(t, err, tc.wantErr)
			case tc.want != "":
				require.ErrorIs(t, err, errCallFailed)
				assert.Contains(t, stdout, tc.want)
				assert.NotContains(t, stdout, "wrong-token", "the token is never echoed")
			default:
				require.NoError(t, err)
				assert.Contains(t, stdout, "1 bundle from listPlans")
			}
		})
	}
}

func TestCallRefusesBadArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"call"}, "needs a module name"},
		{[]string{"call", "listPlans", "limit"}, "must be key=value"},
		{[]string{"call", "listPlans", "--timeout", "1ms"}, "--timeout"},
		{[]string{"call", "listPlans", "--nope"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		_, _, _, err := runCLI(t, nil, tc.args...)
		assert.ErrorContains(t, err, tc.want, tc.args)
		assert.False(t, errors.Is(err, flag.ErrHelp))
	}
}

func TestExportMakeCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vars    map[string]string
		args    []string
		wantErr string
		check   func(t *testing.T, dir, stdout string)
	}{
		{"defaults", nil, nil, "", func(t *testing.T, dir, stdout string) {
			assert.FileExists(t, filepath.Join(dir, "makecomapp.json"))
			assert.FileExists(t, filepath.Join(dir, "modules/list-plans/list-plans.communication.iml.json"))
			base, err := os.ReadFile(filepath.Join(dir, "general/base.iml.json"))
			require.NoError(t, err)
			assert.Contains(t, string(base), `"baseUrl": "http://localhost:8080"`)
			assert.Contains(t, stdout, "Deploy to Make")
			assert.Contains(t, stdout, `set "apiKey"`)
		}},
		{"public URL, key from the environment, origin", map[string]string{"ENGINE_KEY": "engine-key-0123456789"},
			[]string{"--public-url", "https://pw.example.com", "--api-key-env", "ENGINE_KEY", "--make-app-id", "profitwell-a1b2"}, "",
			func(t *testing.T, dir, stdout string) {
				common, err := os.ReadFile(filepath.Join(dir, "general/common.json"))
				require.NoError(t, err)
				assert.Contains(t, string(common), "engine-key-0123456789")
				project, err := os.ReadFile(filepath.Join(dir, "makecomapp.json"))
				require.NoError(t, err)
				assert.Contains(t, string(project), `"appId": "profitwell-a1b2"`)
				assert.Contains(t, string(project), `"baseUrl": "https://eu1.make.com/api"`)
				assert.Contains(t, stdout, "keep them out of version control")
			}},
		{"empty key variable", nil, []string{"--api-key-env", "ENGINE_KEY"}, "ENGINE_KEY is empty", nil},
		{"bad public URL", nil, []string{"--public-url", "ftp://x"}, "public URL", nil},
		{"bad app id", nil, []string{"--make-app-id", "Bad_Id"}, "app id", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "app")
			args := append([]string{"export", "make", "--out", dir}, tc.args...)
			_, stdout, _, err := runCLI(t, tc.vars, args...)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, dir, stdout)
		})
	}
}

func TestExportMakeRefusesToOverwriteUnlessForced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep"), 0o644))
	_, _, _, err := runCLI(t, nil, "export", "make", "--out", dir)
	assert.ErrorContains(t, err, "not empty")
	_, _, _, err = runCLI(t, nil, "export", "make", "--out", dir, "--force")
	require.NoError(t, err)
	kept, err := os.ReadFile(filepath.Join(dir, "mine.txt"))
	require.NoError(t, err)
	assert.Equal(t, "keep", string(kept), "other files are left alone")

	for _, args := range [][]string{{"export"}, {"export", "pipedream"}, {"export", "make"}, {"export", "zapier"}, {"export", "n8n"}} {
		_, _, _, err := runCLI(t, nil, args...)
		assert.Error(t, err, args)
	}
}
