package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/connection/redisstore/redistest"
)

// TestRedisOutageIsNotTheCallersFault kills the Redis two replicas share
// (one verifying signatures, one not) while they serve. A killed
// redis-server refuses connections on its port (ECONNREFUSED), which
// go-redis reports as a dial error on every command
// (https://redis.io/docs/latest/develop/reference/clients/ on client
// failure handling). Then: reads answer (signed or not), a signature is
// never refused for want of the replay check (a replay is still caught by
// the replica's own guard), keyed writes answer a retryable
// ConnectionError, each replica logs one warning for the outage, and after
// the first failure no request waits on Redis until the breaker probes
// again.
func TestRedisOutageIsNotTheCallersFault(t *testing.T) {
	redisURL, killRedis := redistest.Private(t)
	token := fmt.Sprintf("outage-token-%d", time.Now().UnixNano())
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 12, Tokens: []string{token}})
	secret := "whsec_" + "b3V0YWdlLXNpZ25pbmctc2VjcmV0LTEyMzQ="
	base := []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s", "--profitwell-url", emu.URL,
		"--redis-url", redisURL, "--execution-timeout", "5s"}
	signed, signedLogs, stopSigned := startServe(t, append(base, "--signing-secrets", secret), nil)
	plain, plainLogs, stopPlain := startServe(t, base, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	type answer struct {
		status int
		body   map[string]any
		took   time.Duration
	}
	msg := 0
	send := func(addr, module, params string, header map[string]string) answer {
		body := `{"connection":{"privateToken":"` + token + `"},"parameters":` + params + `}`
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/modules/"+module+"/execute", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		if addr == signed && header["webhook-signature"] == "" {
			msg++
			id, ts := "msg_outage_"+strconv.Itoa(msg), time.Now()
			sig, err := api.Sign(secret, id, ts, []byte(body))
			require.NoError(t, err)
			req.Header.Set("webhook-id", id)
			req.Header.Set("webhook-timestamp", strconv.FormatInt(ts.Unix(), 10))
			req.Header.Set("webhook-signature", sig)
		}
		start := time.Now()
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return answer{status: resp.StatusCode, body: out, took: time.Since(start)}
	}
	metric := func(addr, name string) float64 {
		resp, err := client.Get("http://" + addr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, err := strconv.ParseFloat(v, 64)
				require.NoError(t, err)
				return f
			}
		}
		t.Fatalf("no metric %s", name)
		return 0
	}

	require.Equal(t, http.StatusOK, send(signed, "listPlans", `{"limit":1}`, nil).status)
	require.Equal(t, http.StatusOK, send(plain, "listPlans", `{"limit":1}`, nil).status)
	assert.Equal(t, 1.0, metric(signed, "connector_redis_up"))

	killRedis()
	died := time.Now()
	first := send(signed, "listPlans", `{"limit":1}`, nil)
	firstAnswer := time.Since(died)
	require.Equal(t, http.StatusOK, first.status, "a signed read answers with Redis dead: %v", first.body)

	var reads []answer
	for range 10 {
		reads = append(reads, send(signed, "listPlans", `{"limit":1}`, nil), send(plain, "listPlans", `{"limit":1}`, nil))
	}
	for _, a := range reads {
		assert.Equal(t, http.StatusOK, a.status, "reads work: %v", a.body)
	}

	// A signed message sent twice is still refused: the replica's own
	// replay guard stands in for Redis's.
	body := `{"connection":{"privateToken":"` + token + `"},"parameters":{"limit":1}}`
	ts := time.Now()
	sig, err := api.Sign(secret, "msg_outage_replayed", ts, []byte(body))
	require.NoError(t, err)
	replayHeader := map[string]string{"webhook-id": "msg_outage_replayed", "webhook-timestamp": strconv.FormatInt(ts.Unix(), 10), "webhook-signature": sig}
	assert.Equal(t, http.StatusOK, send(signed, "listPlans", `{"limit":1}`, replayHeader).status)
	replayed := send(signed, "listPlans", `{"limit":1}`, replayHeader)
	assert.Equal(t, http.StatusUnauthorized, replayed.status, "a replay is still refused")

	// Keyed writes: a retryable ConnectionError, signed or not; nothing
	// reaches ProfitWell.
	for _, w := range []answer{
		send(signed, "createPlan", `{"planId":"outage-a","name":"A"}`, nil),
		send(plain, "createPlan", `{"planId":"outage-b","name":"B"}`, map[string]string{"Idempotency-Key": "outage-key"}),
	} {
		require.Equal(t, http.StatusServiceUnavailable, w.status, "%v", w.body)
		e := w.body["error"].(map[string]any)
		assert.Equal(t, "ConnectionError", e["type"])
		assert.Equal(t, true, e["retryable"])
	}
	for _, r := range emu.Emulator.Requests() {
		assert.NotEqual(t, http.MethodPost, r.Method, "no keyed write ran without its idempotency store")
	}
	elapsed := time.Since(died)

	// One warning per outage and replica, however many requests.
	for _, logs := range []*logSink{signedLogs, plainLogs} {
		assert.Equal(t, 1, strings.Count(logs.String(), `"message":"redis unavailable:`), logs.String())
	}
	assert.NotContains(t, signedLogs.String(), "SIGNATURE_INVALID\",\"error\":\"replay check")
	assert.Equal(t, 0.0, metric(signed, "connector_redis_up"))
	assert.Equal(t, 1.0, metric(signed, "connector_redis_outages_total"))
	// Commands that reached the dead Redis: the first failure, then at
	// most one probe per breaker period (2 s) elapsed.
	probes := 1 + int(elapsed/(2*time.Second))
	waited := metric(signed, "connector_redis_failed_commands_total")
	assert.LessOrEqual(t, waited, float64(probes), "requests did not wait on the dead Redis")
	assert.Positive(t, metric(signed, "connector_redis_skipped_commands_total"))
	var slowest time.Duration
	for _, a := range reads {
		slowest = max(slowest, a.took)
	}
	t.Logf("Redis killed: first answer after %v; %v Redis commands reached the dead server in %v (the rest answered without it); slowest later read %v",
		firstAnswer.Round(time.Millisecond), waited, elapsed.Round(time.Millisecond), slowest.Round(time.Millisecond))

	require.NoError(t, stopSigned())
	require.NoError(t, stopPlain())
}
