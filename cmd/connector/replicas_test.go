package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/connection/redisstore/redistest"
)

// TestReplicasShareRedis runs two connector replicas against one ProfitWell
// and one Redis, as behind a load balancer: an idempotency key sent to both
// runs once, and a token's request budget is shared, not doubled.
func TestReplicasShareRedis(t *testing.T) {
	redisURL := redistest.URL(t)
	// A token and a key of this run only: the Redis may be shared with
	// earlier runs (CONNECTOR_TEST_REDIS_URL, go test -count).
	token := fmt.Sprintf("replica-token-%d", time.Now().UnixNano())
	key := "replica-key-" + token
	cutToken := "cut-" + token
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 11, Tokens: []string{token, cutToken}})
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, Method: http.MethodPost, Latency: 200 * time.Millisecond, Times: -1})
	args := []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s", "--profitwell-url", emu.URL,
		"--redis-url", redisURL, "--upstream-rate", "0.2", "--upstream-burst", "4", "--execution-timeout", "400ms"}
	a, _, stopA := startServe(t, args, nil)
	b, _, stopB := startServe(t, args, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	postAs := func(token, addr, module, params, key string) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/modules/"+module+"/execute",
			strings.NewReader(`{"connection":{"privateToken":"`+token+`"},"parameters":`+params+`}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := client.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	post := func(addr, module, params, key string) int { return postAs(token, addr, module, params, key) }

	// The same key on both replicas at once: one upstream create.
	// across sends n requests at once, alternating between the replicas.
	across := func(n int, send func(addr string) int) []int {
		var wg sync.WaitGroup
		statuses := make([]int, n)
		for i := range statuses {
			addr := a
			if i%2 == 1 {
				addr = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = send(addr)
			}()
		}
		wg.Wait()
		return statuses
	}
	statuses := across(4, func(addr string) int {
		return post(addr, "createPlan", `{"planId":"replicated","name":"Replicated"}`, key)
	})
	assert.Equal(t, []int{200, 200, 200, 200}, statuses)
	creates := 0
	for _, r := range emu.Emulator.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v2/plans/" {
			creates++
		}
	}
	assert.Equal(t, 1, creates, "one upstream call across both replicas")

	// The token's burst of 4 is shared: the create took one slot, three
	// reads take the rest, and then neither replica has a slot before the
	// deadline (each alone would still have some).
	for _, addr := range []string{a, b, a} {
		assert.Equal(t, http.StatusOK, post(addr, "listPlans", `{"limit":1}`, ""))
	}
	assert.Equal(t, http.StatusTooManyRequests, post(b, "listPlans", `{"limit":1}`, ""))
	assert.Equal(t, http.StatusTooManyRequests, post(a, "listPlans", `{"limit":1}`, ""))

	// A create ProfitWell applied whose answer was cut (outcome unknown),
	// sent 20 times at once to both replicas: one upstream write, every
	// duplicate answered with the stored outcome.
	emu.Emulator.ClearFaults()
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultTruncated, Method: http.MethodPost, Times: 1})
	cut := across(20, func(addr string) int {
		return postAs(cutToken, addr, "createPlan", `{"planId":"replicated-cut","name":"Cut"}`, "cut-"+key)
	})
	for _, s := range cut {
		assert.Equal(t, http.StatusServiceUnavailable, s)
	}
	creates = 0
	for _, r := range emu.Emulator.Requests() {
		if r.Method == http.MethodPost && r.Path == "/v2/plans/" {
			creates++
		}
	}
	assert.Equal(t, 2, creates, "the cut create ran once across both replicas")

	require.NoError(t, stopA())
	require.NoError(t, stopB())
}
