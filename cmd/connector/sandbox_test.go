package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// startConnectorProcess runs this test binary as the connector (a real process) with
// args, on a loopback port it picks itself, and returns the address it
// logged.
func startConnectorProcess(t *testing.T, args ...string) string {
	t.Helper()
	logs := &logSink{}
	cmd := exec.Command(os.Args[0], append(args, "--addr", "127.0.0.1:0", "--drain-delay", "0s")...)
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if a, ok := logs.find("addr"); ok {
			return localURL(a)
		}
		select {
		case <-exited:
			t.Fatalf("%v exited early:\n%s", args, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%v did not start:\n%s", args, logs)
	return ""
}

type httpAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a httpAnswer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), "%s", a.body)
	return m
}

func send(t *testing.T, client *http.Client, method, url, auth, body string) httpAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return httpAnswer{resp.StatusCode, resp.Header, b}
}

// TestSandboxFaultsEndToEnd runs `connector sandbox` and a connector pointed
// at it, each its own process, injects each kind of fault through the
// sandbox's control API and checks the connector's typed error against the
// README's error table.
func TestSandboxFaultsEndToEnd(t *testing.T) {
	token := profitwelltest.DefaultToken
	pw := "http://" + startConnectorProcess(t, "sandbox", "--sandbox-rate-limit=false")
	conn := "http://" + startConnectorProcess(t, "--insecure-no-auth", "--profitwell-url", pw)
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()

	fault := func(body string) httpAnswer {
		return send(t, client, http.MethodPost, pw+"/_sandbox/faults", token, body)
	}
	execute := func(module, params string, extra string) httpAnswer {
		return send(t, client, http.MethodPost, conn+"/v1/modules/"+module+"/execute", "",
			`{"connection":{"privateToken":"`+token+`"},"parameters":`+params+extra+`}`)
	}
	errorOf := func(a httpAnswer) map[string]any {
		e, _ := a.json(t)["error"].(map[string]any)
		require.NotNil(t, e, "%d %s", a.status, a.body)
		return e
	}

	// The control API answers only to the sandbox token, as ProfitWell's
	// own API does (the bare token as Authorization).
	assert.Equal(t, http.StatusUnauthorized, send(t, client, http.MethodPost, pw+"/_sandbox/faults", "", `{"kind":"reset"}`).status)
	assert.Equal(t, http.StatusUnauthorized, send(t, client, http.MethodGet, pw+"/_sandbox/requests", "wrong-token-123", "").status)

	// Bad input names the field; nothing is queued.
	for body, field := range map[string]string{
		`{"kind":"boom"}`:                                       "kind",
		`{"kind":"status","status":200}`:                        "status",
		`{"kind":"status"}`:                                     "status",
		`{"kind":"reset","status":503}`:                         "status",
		`{"kind":"status","status":503,"times":0}`:              "times",
		`{"kind":"latency"}`:                                    "latencyMs",
		`{"kind":"status","status":503,"method":"BREW"}`:        "method",
		`{"kind":"reset","pathPrefix":"v2/plans"}`:              "pathPrefix",
		`{"kind":"status","status":"503"}`:                      "status",
		`{"kind":"status","status":503,"colour":"red"}`:         "colour",
		`{"kind":"truncate","apply":false}`:                     "apply",
		`{"kind":"latency","latencyMs":5,"apply":false}`:        "apply",
		`{"kind":"status","status":503,"retryAfterSeconds":-1}`: "retryAfterSeconds",
	} {
		a := fault(body)
		assert.Equal(t, http.StatusBadRequest, a.status, body)
		assert.Contains(t, a.json(t), field, "%s → %s", body, a.body)
	}
	list := send(t, client, http.MethodGet, pw+"/_sandbox/faults", token, "")
	assert.JSONEq(t, `[]`, string(list.body))

	// status 503 with Retry-After on every plan read: the read is retried
	// (3 attempts), then a retryable ConnectionError.
	a := fault(`{"method":"GET","pathPrefix":"/v2/plans/","kind":"status","status":503,"retryAfterSeconds":1,"times":3}`)
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	assert.NotEmpty(t, a.json(t)["id"])
	a = execute("listPlans", `{"limit":2}`, "")
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	e := errorOf(a)
	assert.Equal(t, "ConnectionError", e["type"])
	assert.Equal(t, "UPSTREAM_UNAVAILABLE", e["code"])
	assert.Equal(t, true, e["retryable"])

	// status 429 with a Retry-After past the deadline: a RateLimitError at
	// once, with the wait as Retry-After.
	require.Equal(t, http.StatusCreated, fault(`{"pathPrefix":"/v2/plans/","kind":"status","status":429,"retryAfterSeconds":60}`).status)
	a = execute("listPlans", `{"limit":2}`, "")
	assert.Equal(t, http.StatusTooManyRequests, a.status)
	assert.Equal(t, "RateLimitError", errorOf(a)["type"])
	assert.NotEmpty(t, a.header.Get("Retry-After"))

	// truncate once on a read: the read is retried and succeeds.
	require.Equal(t, http.StatusCreated, fault(`{"method":"GET","pathPrefix":"/v2/plans/","kind":"truncate"}`).status)
	a = execute("listPlans", `{"limit":2}`, "")
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.EqualValues(t, 2, a.json(t)["meta"].(map[string]any)["upstreamRequests"])

	// reset on a PUT, applied (the default): the change is made, the
	// answer lost, and the connector says the outcome is unknown.
	require.Equal(t, http.StatusOK, execute("createPlan", `{"planId":"fault-plan","name":"Before"}`, "").status)
	require.Equal(t, http.StatusCreated, fault(`{"method":"PUT","pathPrefix":"/v2/plans/","kind":"reset"}`).status)
	a = execute("updatePlan", `{"planId":"fault-plan","name":"Applied"}`, "")
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	e = errorOf(a)
	assert.Equal(t, "ConnectionError", e["type"])
	assert.Equal(t, "OUTCOME_UNKNOWN", e["code"])
	assert.Equal(t, false, e["retryable"])
	plan := func() string {
		a := execute("getPlan", `{"planId":"fault-plan"}`, "")
		require.Equal(t, http.StatusOK, a.status, "%s", a.body)
		return a.json(t)["bundles"].([]any)[0].(map[string]any)["name"].(string)
	}
	assert.Equal(t, "Applied", plan())

	// reset on a PUT with apply false: the same answer, nothing changed.
	require.Equal(t, http.StatusCreated, fault(`{"method":"PUT","pathPrefix":"/v2/plans/","kind":"reset","apply":false}`).status)
	a = execute("updatePlan", `{"planId":"fault-plan","name":"Not applied"}`, "")
	assert.Equal(t, "OUTCOME_UNKNOWN", errorOf(a)["code"])
	assert.Equal(t, "Applied", plan())

	// status 503 on a PUT, not applied by default: a failed write that
	// ProfitWell reported, so it did not happen.
	require.Equal(t, http.StatusCreated, fault(`{"method":"PUT","kind":"status","status":503}`).status)
	a = execute("updatePlan", `{"planId":"fault-plan","name":"Refused"}`, "")
	assert.Equal(t, http.StatusServiceUnavailable, a.status)
	assert.Equal(t, "Applied", plan())

	// latency past the execution's deadline: a ModuleTimeoutError.
	require.Equal(t, http.StatusCreated, fault(`{"pathPrefix":"/v2/company/","kind":"latency","latencyMs":1500,"times":5}`).status)
	a = execute("getCompanySettings", `{}`, `,"execution":{"timeoutMs":300}`)
	assert.Equal(t, http.StatusGatewayTimeout, a.status, "%s", a.body)
	assert.Equal(t, "ModuleTimeoutError", errorOf(a)["type"])

	// DELETE removes every fault.
	assert.Equal(t, http.StatusNoContent, send(t, client, http.MethodDelete, pw+"/_sandbox/faults", token, "").status)
	assert.Equal(t, http.StatusOK, execute("getCompanySettings", `{}`, "").status)

	// The request log: oldest first, with the status actually answered
	// (0 for a reset connection), the control API left out.
	a = send(t, client, http.MethodGet, pw+"/_sandbox/requests", token, "")
	require.Equal(t, http.StatusOK, a.status)
	var reqs []profitwelltest.SandboxRequest
	require.NoError(t, json.Unmarshal(a.body, &reqs))
	var seen []string
	for i, r := range reqs {
		assert.False(t, strings.HasPrefix(r.Path, "/_sandbox"), r.Path)
		if i > 0 {
			assert.False(t, r.At.Before(reqs[i-1].At), "oldest first")
		}
		seen = append(seen, r.Method+" "+r.Path+" "+http.StatusText(r.Status))
	}
	assert.Equal(t, []string{
		"GET /v2/plans/ Service Unavailable", "GET /v2/plans/ Service Unavailable", "GET /v2/plans/ Service Unavailable",
		"GET /v2/plans/ Too Many Requests",
		"GET /v2/plans/ OK", "GET /v2/plans/ OK", // truncated, then retried
		"POST /v2/plans/ Created",
		"PUT /v2/plans/fault-plan/ ", "GET /v2/plans/fault-plan/ OK",
		"PUT /v2/plans/fault-plan/ ", "GET /v2/plans/fault-plan/ OK",
		"PUT /v2/plans/fault-plan/ Service Unavailable", "GET /v2/plans/fault-plan/ OK",
	}, seen[:13])

	// Reset seeds the data again: the plan created above is gone.
	assert.Equal(t, http.StatusNoContent, send(t, client, http.MethodPost, pw+"/_sandbox/reset", token, "").status)
	a = execute("getPlan", `{"planId":"fault-plan"}`, "")
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "NOT_FOUND", errorOf(a)["code"])
}

// TestEmbeddedSandboxControlAPI checks that `--sandbox` serves the same
// control API under the connector's own address.
func TestEmbeddedSandboxControlAPI(t *testing.T) {
	conn := "http://" + startConnectorProcess(t, "--sandbox")
	client := &http.Client{Timeout: 20 * time.Second}
	defer client.CloseIdleConnections()
	token := profitwelltest.DefaultToken
	assert.Equal(t, http.StatusUnauthorized, send(t, client, http.MethodPost, conn+"/_sandbox/faults", "", `{"kind":"reset"}`).status)
	a := send(t, client, http.MethodPost, conn+"/_sandbox/faults", token, `{"method":"GET","pathPrefix":"/v2/company/","kind":"status","status":401}`)
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	a = send(t, client, http.MethodPost, conn+"/v1/modules/getCompanySettings/execute", "",
		`{"connection":{"privateToken":"`+token+`"},"parameters":{}}`)
	assert.Equal(t, http.StatusUnauthorized, a.status)
	assert.Contains(t, string(a.body), "InvalidAccessTokenError")
	a = send(t, client, http.MethodGet, conn+"/_sandbox/requests", token, "")
	require.Equal(t, http.StatusOK, a.status)
	assert.Contains(t, string(a.body), `"path":"/v2/company/settings/","query":"","status":401`)
	assert.Equal(t, http.StatusNotFound, send(t, client, http.MethodGet, conn+"/_sandbox/nothing", token, "").status)
}

// TestConsoleIsServedWithSandboxOrConsoleFlag checks where /console is on:
// by default with --sandbox, in serve mode only with --console.
func TestConsoleIsServedWithSandboxOrConsoleFlag(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Customers: -1, Users: -1})
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	for _, tc := range []struct {
		args   []string
		status int
	}{
		{[]string{"--insecure-no-auth", "--profitwell-url", emu.URL}, http.StatusNotFound},
		{[]string{"--insecure-no-auth", "--profitwell-url", emu.URL, "--console"}, http.StatusOK},
		{[]string{"--sandbox"}, http.StatusOK},
	} {
		addr, _, stop := startServe(t, append(tc.args, "--addr", "127.0.0.1:0", "--drain-delay", "0s"), nil)
		a := send(t, client, http.MethodGet, "http://"+addr+"/console/", "", "")
		assert.Equal(t, tc.status, a.status, "%v", tc.args)
		if a.status == http.StatusOK {
			assert.Contains(t, string(a.body), `<script src="app.js" defer></script>`)
			assert.Contains(t, a.header.Get("Content-Security-Policy"), "connect-src 'self'")
		}
		client.CloseIdleConnections()
		require.NoError(t, stop())
	}
}
