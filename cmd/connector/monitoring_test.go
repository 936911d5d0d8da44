package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

const (
	rulesFile     = "../../deploy/monitoring/connector.rules.yaml"
	dashboardFile = "../../deploy/monitoring/dashboard.json"
)

// notExportedByTheConnector are series the rules and dashboard may use that
// come from Prometheus itself, not from /metrics.
var notExportedByTheConnector = map[string]bool{"up": true}

var (
	promStrings   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promMatchers  = regexp.MustCompile(`\{[^}]*\}`)
	promRanges    = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping  = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promNotMetric = map[string]bool{
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
		"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true,
	}
)

// metricNames returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges, grouping clauses,
// function calls and keywords are taken out.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, " ")
	s = promRanges.ReplaceAllString(s, " ")
	s = promGrouping.ReplaceAllString(s, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(s, -1) {
		name := s[loc[0]:loc[1]]
		rest := strings.TrimLeft(s[loc[1]:], " \t\n")
		if strings.HasPrefix(rest, "(") || promNotMetric[strings.ToLower(name)] {
			continue
		}
		if loc[0] > 0 && (s[loc[0]-1] == '$' || s[loc[0]-1] == '.' || (s[loc[0]-1] >= '0' && s[loc[0]-1] <= '9')) {
			continue // a dashboard variable, or the unit of a number like 1e3
		}
		out = append(out, name)
	}
	return out
}

func TestMetricNamesFromPromQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`rate(connector_http_requests_total{route="/readyz",status="503"}[5m])`, []string{"connector_http_requests_total"}},
		{`sum by (outcome) (rate(a_total{outcome=~"x|y"}[5m])) / scalar(sum(rate(a_total[5m])) > 0) > 0.05`, []string{"a_total", "a_total"}},
		{`histogram_quantile(0.99, sum by (le, module) (rate(h_bucket[$__rate_interval])))`, []string{"h_bucket"}},
		{`max by (namespace, pod) (g) > 0 and on (pod) other_metric`, []string{"g", "other_metric"}},
		{`changes(up{job=~"profitwell-connector.*"}[15m]) > 2`, []string{"up"}},
		{`sum without (instance) (x) unless y offset 5m`, []string{"x", "y"}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, metricNames(tc.expr), tc.expr)
	}
}

// exportedNames scrapes /metrics and returns every series name it can
// serve: histogram families as their _bucket, _sum and _count series.
func exportedNames(t *testing.T, body string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "#" || f[1] != "TYPE" {
			continue
		}
		switch f[3] {
		case "histogram":
			names[f[2]+"_bucket"], names[f[2]+"_sum"], names[f[2]+"_count"] = true, true, true
		case "summary":
			names[f[2]], names[f[2]+"_sum"], names[f[2]+"_count"] = true, true, true
		default:
			names[f[2]] = true
		}
	}
	require.NoError(t, sc.Err())
	return names
}

// monitoringExprs returns every PromQL expression of the rules and the
// dashboard, by where it is.
func monitoringExprs(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	raw, err := os.ReadFile(rulesFile)
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Record, Expr string
			}
		}
	}
	require.NoError(t, yaml.Unmarshal(raw, &rules))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out["rule "+r.Alert+r.Record] = r.Expr
		}
	}
	raw, err = os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(raw, &dash))
	for _, p := range dash.Panels {
		for i, tg := range p.Targets {
			out["panel "+p.Title+" #"+string(rune('A'+i))] = tg.Expr
		}
	}
	return out
}

// TestMonitoringUsesOnlyExportedMetrics starts the real server (in front of
// an emulator that injects a 5xx, so that retries are counted), sends some
// traffic, scrapes /metrics and checks that every metric the alerting rules
// and the dashboard name is one the connector exports.
func TestMonitoringUsesOnlyExportedMetrics(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 4, Tokens: []string{profitwelltest.DefaultToken}})
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Method: http.MethodGet, PathPrefix: "/v2/plans/"})
	addr, _, stop := startServe(t, []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s",
		"--profitwell-url", emu.URL}, nil)
	defer func() { require.NoError(t, stop()) }()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	post := func(path, body string) {
		resp, err := client.Post("http://"+addr+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
	}
	conn := `"connection":{"privateToken":"` + profitwelltest.DefaultToken + `"}`
	post("/v1/modules/listPlans/execute", `{`+conn+`,"parameters":{"limit":2}}`)
	post("/v1/modules/createPlan/execute", `{`+conn+`,"parameters":{"planId":"x"}}`)
	post("/v1/modules/listCustomers/execute", `{`+conn+`,"parameters":{"limit":3}}`)
	post("/v1/rpc/listPlans", `{`+conn+`}`)
	post("/v1/connection/verify", `{`+conn+`}`)
	for _, path := range []string{"/readyz", "/healthz"} {
		resp, err := client.Get("http://" + addr + path)
		require.NoError(t, err)
		resp.Body.Close()
	}
	resp, err := client.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	var body strings.Builder
	_, err = bufio.NewReader(resp.Body).WriteTo(&body)
	resp.Body.Close()
	require.NoError(t, err)
	exported := exportedNames(t, body.String())
	require.True(t, exported["connector_upstream_retries_total"], "the injected 5xx was retried")

	exprs := monitoringExprs(t)
	require.Greater(t, len(exprs), 20, "the rules and the dashboard were read")
	used := map[string]bool{}
	for where, expr := range exprs {
		names := metricNames(expr)
		assert.NotEmpty(t, names, "%s: no metric in %q", where, expr)
		for _, n := range names {
			used[n] = true
			if notExportedByTheConnector[n] {
				continue
			}
			assert.True(t, exported[n], "%s names %s, which /metrics does not export", where, n)
		}
	}
	var list []string
	for n := range used {
		list = append(list, n)
	}
	sort.Strings(list)
	t.Logf("metrics used by the rules and the dashboard: %s", strings.Join(list, ", "))
	for _, want := range []string{"connector_module_executions_total", "connector_upstream_circuit_open",
		"connector_module_execution_duration_seconds_bucket", "connector_http_requests_total", "up"} {
		assert.True(t, used[want], "the monitoring covers %s", want)
	}
}
