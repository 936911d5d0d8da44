package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// The secrets canary: a ProfitWell private token, an engine API key and a
// signing secret, each made of a marker and fresh random bytes, go through a
// broad suite of traffic (every module with good and bad parameters, RPCs,
// verify, bad tokens and keys, upstream faults, an upstream that echoes the
// Authorization header back in bodies, headers and error pages, panicking
// modules). None of them may then appear, raw or in base64 or hex form, in
// the debug log, net/http's error log, /metrics, or any answer's body or
// headers.

func canaryValue(t *testing.T, prefix string) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return prefix + hex.EncodeToString(b)
}

// secretForms are the spellings of s a leak could take.
func secretForms(s string) []string {
	b := []byte(s)
	return []string{
		s,
		s[strings.LastIndex(s, "_")+1:], // the random part alone
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		hex.EncodeToString(b), strings.ToUpper(hex.EncodeToString(b)),
	}
}

// echoingUpstream serves the emulator, except under /v2/echo/ and for the
// plans "echo-*", where it sends the Authorization header it received back
// in every way an API might: JSON bodies (plain and \u-escaped), an HTML
// error page, headers, a redirect and a 401.
func echoingUpstream(emu *profitwelltest.Emulator) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		var escaped strings.Builder
		for _, c := range auth {
			fmt.Fprintf(&escaped, `\u%04x`, c)
		}
		echo := func(status int, ctype, body string) {
			w.Header().Set("Content-Type", ctype)
			w.Header().Set("X-Echo-Authorization", auth)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
		switch p := r.URL.Path; {
		case strings.HasSuffix(p, "/echo-400/"):
			echo(400, "application/json", `{"detail":"Invalid token `+auth+`","plan_id":["Token `+auth+` cannot do that."]}`)
		case strings.HasSuffix(p, "/echo-escaped/"):
			echo(400, "application/json", `{"detail":"Invalid token `+escaped.String()+`"}`)
		case strings.HasSuffix(p, "/echo-401/"):
			echo(401, "application/json", `{"detail":"Invalid token: `+auth+`"}`)
		case strings.HasSuffix(p, "/echo-500/"):
			echo(500, "text/html", `<h1>Server Error</h1><pre>Authorization: `+auth+`</pre>`)
		case strings.HasSuffix(p, "/echo-302/"):
			w.Header().Set("Location", "https://elsewhere.example/?token="+auth)
			w.WriteHeader(http.StatusFound)
		case strings.HasSuffix(p, "/echo-200/"):
			echo(200, "application/json", `{"you_sent":"`+auth+`","escaped":"`+escaped.String()+`"}`)
		default:
			emu.ServeHTTP(w, r)
		}
	})
}

// canaryRig is the connector over an echoing emulator, recording every
// answer.
type canaryRig struct {
	t       *testing.T
	url     string
	client  *http.Client
	emu     *profitwelltest.Emulator
	logs    *syncBuffer
	answers bytes.Buffer // every status line, header and body received
	token   string
	key     string
	sent    atomic.Int64
}

func newCanaryRig(t *testing.T, token, key string, verifier *Verifier) *canaryRig {
	t.Helper()
	emu := profitwelltest.New(profitwelltest.Options{Seed: 11, Tokens: []string{token}, Customers: 40, Users: 12})
	up := httptest.NewServer(echoingUpstream(emu))
	t.Cleanup(up.Close)
	logs := &syncBuffer{}
	logger := zerolog.New(logs).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	reg := prometheus.NewRegistry()
	client, err := profitwell.New(profitwell.Config{
		BaseURL: up.URL, Registerer: reg, Logger: logger,
		Rate: 1000, Burst: 1000, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		BreakerFailures: -1, // the echoed 5xx pages would open it and stop the suite
	})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	registry, err := modules.NewRegistry(modules.Options{LimitCap: 1000}, append(modules.All(), panickingModules(token)...), modules.AllRPCs())
	require.NoError(t, err)
	srv, err := NewServer(Deps{
		Registry: registry, Client: client, Manifest: modules.Document(registry),
		Logger: logger, Registerer: reg, Gatherer: reg, APIKeys: []string{key}, Verifier: verifier,
		DefaultTimeout: 2 * time.Second, MaxTimeout: 3 * time.Second,
	})
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(logs, "net/http: ", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	hc := ts.Client()
	t.Cleanup(hc.CloseIdleConnections)
	return &canaryRig{t: t, url: ts.URL, client: hc, emu: emu, logs: logs, token: token, key: key}
}

// panickingModules panic with the token in the panic value: as a string,
// inside an error and inside a struct holding a profitwell.Token.
func panickingModules(token string) []modules.Module {
	type none struct{}
	mk := func(name string, value func() any) modules.Module {
		return &modules.Action[none]{
			Def: manifest.ModuleSpec{
				Name: name, Label: name, Description: "Panics.", Group: "Test", Kind: manifest.KindAction,
				Interface: []manifest.Field{{Name: "x", Label: "X", Type: manifest.TypeText}}, Samples: map[string]any{"x": "y"},
			},
			Run: func(context.Context, modules.Env, none) (any, error) { panic(value()) },
		}
	}
	return []modules.Module{
		mk("panicString", func() any { return "token is " + token }),
		mk("panicError", func() any { return fmt.Errorf("wrapped: %w", errors.New("token "+token)) }),
		mk("panicToken", func() any { return struct{ T profitwell.Token }{profitwell.NewToken(token)} }),
	}
}

// send posts (or gets) and records the whole answer. header is name/value
// pairs; Authorization defaults to the canary engine key.
func (c *canaryRig) send(method, path string, body any, header ...string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.url+path, rd)
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	c.sent.Add(1)
	fmt.Fprintf(&c.answers, "%s %s -> %d\n", method, path, resp.StatusCode)
	require.NoError(c.t, resp.Header.Write(&c.answers))
	c.answers.Write(raw)
	c.answers.WriteString("\n")
	return resp.StatusCode, raw
}

func (c *canaryRig) execute(module string, params map[string]any, extra ...any) (int, []byte) {
	c.t.Helper()
	body := map[string]any{"connection": map[string]any{"privateToken": c.token}, "parameters": params}
	var header []string
	for i := 0; i+1 < len(extra); i += 2 {
		k := extra[i].(string)
		if k == "header" {
			header = append(header, extra[i+1].([]string)...)
			continue
		}
		body[k] = extra[i+1]
	}
	return c.send(http.MethodPost, "/v1/modules/"+module+"/execute", body, header...)
}

// assertNoLeak searches every sink for every form of every secret.
func (c *canaryRig) assertNoLeak(secrets ...string) {
	c.t.Helper()
	_, metrics := c.send(http.MethodGet, "/metrics", nil)
	require.Contains(c.t, string(metrics), "connector_module_executions_total", "metrics were scraped")
	sinks := map[string]string{"log": c.logs.String(), "metrics": string(metrics), "answers": c.answers.String()}
	for _, secret := range secrets {
		for _, form := range secretForms(secret) {
			for sink, text := range sinks {
				if i := strings.Index(text, form); i >= 0 {
					c.t.Errorf("the %s holds %q (a form of a secret): …%s…", sink, form, text[max(0, i-300):min(len(text), i+len(form)+100)])
				}
			}
		}
	}
}

func TestSecretsCanary(t *testing.T) {
	t.Parallel()
	token := canaryValue(t, "pwtok_CANARY_")
	key := canaryValue(t, "engine_CANARY_")
	c := newCanaryRig(t, token, key, nil)
	ok := func(module string, params map[string]any, extra ...any) []byte {
		t.Helper()
		status, body := c.execute(module, params, extra...)
		require.Equal(t, http.StatusOK, status, "%s: %s", module, body)
		return body
	}
	refused := func(module string, params map[string]any, extra ...any) {
		t.Helper()
		status, body := c.execute(module, params, extra...)
		require.GreaterOrEqual(t, status, 400, "%s: %s", module, body)
	}

	// Every module, once with good parameters and once with bad ones.
	var listed struct {
		Bundles []struct {
			CustomerID string `json:"customer_id"`
		} `json:"bundles"`
	}
	require.NoError(t, json.Unmarshal(ok("listCustomers", map[string]any{"limit": 3}), &listed))
	require.NotEmpty(t, listed.Bundles)
	customer := listed.Bundles[0].CustomerID
	good := []struct {
		module string
		params map[string]any
	}{
		{"listSubscriptions", map[string]any{"userIdOrAlias": "user_002", "limit": 3}},
		{"createSubscription", map[string]any{"userAlias": "canary-user", "subscriptionAlias": "canary-sub", "email": "canary@example.com",
			"planId": "pro", "planInterval": "month", "value": 4900, "effectiveDate": "2026-01-01"}},
		{"updateSubscription", map[string]any{"subscriptionIdOrAlias": "canary-sub", "planId": "growth", "planInterval": "month", "value": 9900, "effectiveDate": "2026-02-01"}},
		{"churnSubscription", map[string]any{"subscriptionIdOrAlias": "canary-sub", "effectiveDate": "2026-12-31"}},
		{"unchurnSubscription", map[string]any{"subscriptionIdOrAlias": "canary-sub"}},
		{"updateUser", map[string]any{"userIdOrAlias": "canary-user", "email": "canary2@example.com"}},
		{"listPlans", map[string]any{"limit": 2}},
		{"getPlan", map[string]any{"planId": "pro"}},
		{"createPlan", map[string]any{"planId": "canary-plan", "name": "Canary"}},
		{"updatePlan", map[string]any{"planId": "canary-plan", "name": "Canary 2"}},
		{"listCustomers", map[string]any{"limit": 2, "direction": "desc"}},
		{"getCustomer", map[string]any{"customerId": customer}},
		{"watchCustomers", map[string]any{"since": "2000-01-01", "limit": 2}},
		{"excludeCustomer", map[string]any{"customerId": customer}},
		{"getMonthlyMetrics", map[string]any{"limit": 2}},
		{"getDailyMetrics", map[string]any{"limit": 2}},
		{"getCompanySettings", map[string]any{}},
		{"makeApiCall", map[string]any{"url": "/plans/"}},
		{"deleteUser", map[string]any{"userIdOrAlias": "canary-user"}},
	}
	covered := map[string]bool{}
	for _, g := range good {
		ok(g.module, g.params)
		refused(g.module, map[string]any{"bogus": token, "limit": "many " + token, "planId": token + "\r\n"})
		covered[g.module] = true
	}
	for _, m := range modules.All() {
		assert.True(t, covered[m.Spec().Name], "module %s is in the canary suite", m.Spec().Name)
	}
	// A cursor and a state, continued.
	var page struct {
		Meta struct {
			NextCursor string `json:"nextCursor"`
		} `json:"meta"`
		State json.RawMessage `json:"state"`
	}
	require.NoError(t, json.Unmarshal(ok("listCustomers", map[string]any{"limit": 2}), &page))
	ok("listCustomers", map[string]any{"limit": 2}, "cursor", page.Meta.NextCursor)
	require.NoError(t, json.Unmarshal(ok("watchCustomers", map[string]any{"since": "2000-01-01", "limit": 2}), &page))
	ok("watchCustomers", map[string]any{"limit": 2}, "state", page.State)
	refused("listCustomers", map[string]any{"limit": 2}, "cursor", token)
	refused("watchCustomers", map[string]any{"limit": 2}, "state", map[string]any{"module": token})
	// Idempotent writes: executed, replayed, and a key reused.
	ok("createPlan", map[string]any{"planId": "canary-idem", "name": "Idem"}, "header", []string{IdempotencyHeader, "canary-key-1"})
	ok("createPlan", map[string]any{"planId": "canary-idem", "name": "Idem"}, "header", []string{IdempotencyHeader, "canary-key-1"})
	refused("createPlan", map[string]any{"planId": "canary-idem-2", "name": "Idem"}, "header", []string{IdempotencyHeader, "canary-key-1"})

	// RPCs and verification.
	conn := map[string]any{"privateToken": token}
	for _, rpc := range []string{"listPlans", "searchCustomers", "listMetricPlanIds"} {
		status, body := c.send(http.MethodPost, "/v1/rpc/"+rpc, map[string]any{"connection": conn, "query": "a"})
		require.Equal(t, http.StatusOK, status, "%s: %s", rpc, body)
	}
	status, body := c.send(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": conn})
	require.Equal(t, http.StatusOK, status, string(body))
	c.send(http.MethodGet, "/v1/manifest", nil)

	// Bad tokens that contain the canary, and bad engine keys.
	for _, bad := range []any{token + "x", token + " ", " " + token, "Bearer " + token, token + "\r\n", strings.Repeat(token, 20), []any{token}} {
		status, _ := c.send(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": map[string]any{"privateToken": bad}})
		assert.GreaterOrEqual(t, status, 400)
		status, _ = c.send(http.MethodPost, "/v1/modules/getPlan/execute", map[string]any{"connection": map[string]any{"privateToken": bad}, "parameters": map[string]any{"planId": "pro"}})
		assert.GreaterOrEqual(t, status, 400)
	}
	for _, auth := range []string{"Bearer " + key + "x", "Basic " + key, key, "Bearer " + token} {
		status, _ := c.send(http.MethodPost, "/v1/modules/getPlan/execute", map[string]any{"connection": conn, "parameters": map[string]any{"planId": "pro"}}, "Authorization", auth)
		assert.Equal(t, http.StatusUnauthorized, status)
	}

	// An upstream that echoes the Authorization header it received.
	for _, plan := range []string{"echo-400", "echo-escaped", "echo-401", "echo-500", "echo-302", "echo-200"} {
		c.execute("getPlan", map[string]any{"planId": plan})
		c.execute("updatePlan", map[string]any{"planId": plan, "name": "x"})
		c.execute("makeApiCall", map[string]any{"url": "/echo/" + plan + "/"})
		c.execute("makeApiCall", map[string]any{"url": "/echo/" + plan + "/", "method": "POST", "body": map[string]any{"a": 1}})
	}
	status, body = c.send(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": conn})
	require.Equal(t, http.StatusOK, status, string(body))

	// Upstream faults, on a read, a write and a raw call.
	for _, fault := range []profitwelltest.Fault{
		{Kind: profitwelltest.FaultServerError, Times: 5},
		{Kind: profitwelltest.FaultReset, Times: 5},
		{Kind: profitwelltest.FaultTruncated, Times: 5},
		{Kind: profitwelltest.FaultRateLimit, RetryAfter: 30, Times: 5},
		{Kind: profitwelltest.FaultRateLimitNoRetry, Times: 5},
		{Kind: profitwelltest.FaultLatency, Latency: 500 * time.Millisecond, Times: 5},
	} {
		c.emu.ClearFaults()
		c.emu.InjectFault(fault)
		timeout := map[string]any{"timeoutMs": 300}
		c.execute("getPlan", map[string]any{"planId": "pro"}, "execution", timeout)
		c.execute("createPlan", map[string]any{"planId": "canary-fault-" + string(fault.Kind), "name": "F"}, "execution", timeout)
		c.execute("makeApiCall", map[string]any{"url": "/plans/"}, "execution", timeout)
		c.send(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": conn})
	}
	c.emu.ClearFaults()

	// Panics whose values hold the token.
	for _, m := range []string{"panicString", "panicError", "panicToken"} {
		status, _ := c.execute(m, nil)
		assert.Equal(t, http.StatusInternalServerError, status)
	}
	require.Contains(t, c.logs.String(), "panic while serving a request", "the panics were logged")
	require.Contains(t, c.logs.String(), `"level":"debug"`, "debug lines were captured")
	require.Greater(t, c.sent.Load(), int64(100), "the suite ran")

	c.assertNoLeak(token, key)
}

// TestSigningSecretCanary sends signed, badly signed and replayed requests
// to a server whose signing secret is a canary.
func TestSigningSecretCanary(t *testing.T) {
	t.Parallel()
	raw := canaryValue(t, "whsec_CANARY_")
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(raw))
	verifier, err := NewVerifier([]string{secret}, nil, nil)
	require.NoError(t, err)
	token := canaryValue(t, "pwtok_CANARY_")
	key := canaryValue(t, "engine_CANARY_")
	c := newCanaryRig(t, token, key, verifier)
	body := `{"connection":{"privateToken":"` + token + `"},"parameters":{"planId":"pro"}}`
	signed := func(id string, at time.Time, payload string) []string {
		sig, err := Sign(secret, id, at, []byte(payload))
		require.NoError(t, err)
		return []string{headerWebhookID, id, headerWebhookTimestamp, fmt.Sprint(at.Unix()), headerWebhookSignature, sig}
	}
	status, answer := c.send(http.MethodPost, "/v1/modules/getPlan/execute", body, signed("msg_1", time.Now(), body)...)
	require.Equal(t, http.StatusOK, status, string(answer))
	for _, h := range [][]string{
		signed("msg_1", time.Now(), body),                                                            // replay
		signed("msg_2", time.Now().Add(-time.Hour), body),                                            // stale
		signed("msg_3", time.Now(), body+" "),                                                        // another body
		{headerWebhookID, "msg_4", headerWebhookTimestamp, "x", headerWebhookSignature, "v1," + raw}, // the secret as a signature
		nil, // unsigned
	} {
		status, _ := c.send(http.MethodPost, "/v1/modules/getPlan/execute", body, h...)
		assert.Equal(t, http.StatusUnauthorized, status)
	}
	c.assertNoLeak(raw, secret, token, key)
}
