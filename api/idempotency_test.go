package api

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// upstreamCalls counts the emulator's requests of one method and path.
func upstreamCalls(h *harness, method, path string) int {
	n := 0
	for _, r := range h.Emu.Requests() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func TestIdempotentWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	create := func(planID, name, key string) reply {
		body := map[string]any{"connection": map[string]any{"privateToken": testToken},
			"parameters": map[string]any{"planId": planID, "name": name}}
		return h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, key)
	}

	first := create("idem-plan", "Idem", "key-1")
	require.Equal(t, http.StatusOK, first.Status, string(first.Body))
	again := create("idem-plan", "Idem", "key-1")
	assert.Equal(t, http.StatusOK, again.Status, "the stored answer, not a duplicate error")
	assert.Equal(t, string(first.Body), string(again.Body))
	assert.Equal(t, "true", again.Header.Get(replayedHeader))
	assert.Equal(t, 1, upstreamCalls(h, http.MethodPost, "/v2/plans/"), "one upstream call")

	other := create("idem-plan-2", "Other", "key-1")
	assert.Equal(t, http.StatusUnprocessableEntity, other.Status)
	assert.Equal(t, "IDEMPOTENCY_KEY_REUSED", other.errorOf(t)["code"])
	assert.Equal(t, TypeDataError, other.errorOf(t)["type"])

	// Without a key a repeat is a real second call (and a duplicate).
	dup := create("idem-plan", "Idem", "")
	assert.Equal(t, http.StatusConflict, dup.Status)
	assert.Equal(t, TypeDuplicateDataError, dup.errorOf(t)["type"])

	// A refusal is final and replayed too.
	refused := create("idem-plan", "Idem", "key-2")
	assert.Equal(t, http.StatusConflict, refused.Status)
	replayed := create("idem-plan", "Idem", "key-2")
	assert.Equal(t, http.StatusConflict, replayed.Status)
	assert.Equal(t, "true", replayed.Header.Get(replayedHeader))

	bad := create("x", "y", "bad key with spaces")
	assert.Equal(t, map[string]string{IdempotencyHeader: "must be 1 to 255 printable ASCII characters"}, bad.fields(t))
}

func TestConcurrentDuplicatesMakeOneUpstreamCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, Method: http.MethodPost, Latency: 150 * time.Millisecond, Times: -1})
	body := map[string]any{"connection": map[string]any{"privateToken": testToken},
		"parameters": map[string]any{"planId": "concurrent", "name": "Concurrent"}}
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "same-key").Status
		}()
	}
	wg.Wait()
	for _, s := range statuses {
		assert.Equal(t, http.StatusOK, s)
	}
	assert.Equal(t, 1, upstreamCalls(h, http.MethodPost, "/v2/plans/"))
}

func TestTransientFailuresAreNotStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	// A 429 is ProfitWell refusing before it processes anything, so the
	// write provably did not happen and a retry may run it.
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 600, Method: http.MethodPost, Times: 1})
	body := map[string]any{"connection": map[string]any{"privateToken": testToken},
		"parameters": map[string]any{"planId": "flaky", "name": "Flaky"}}
	failed := h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "retry-me")
	require.Equal(t, http.StatusTooManyRequests, failed.Status, string(failed.Body))
	ok := h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "retry-me")
	assert.Equal(t, http.StatusOK, ok.Status, "the retry runs again")
	assert.Empty(t, ok.Header.Get(replayedHeader))
}

// ProfitWell applied the create and the answer was cut (the emulator's
// truncated fault serves the request, then sends half the body). Nothing
// may run it again under its key: 20 concurrent duplicates and a later
// retry all get the first answer, each with its own request id, and the
// key never stores the DuplicateDataError a second create would get.
func TestOutcomeUnknownWritesAreReplayedNotRunAgain(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultTruncated, Method: http.MethodPost, Times: 1})
	body := map[string]any{"connection": map[string]any{"privateToken": testToken},
		"parameters": map[string]any{"planId": "cut-answer", "name": "Cut"}}
	var wg sync.WaitGroup
	replies := make([]reply, 20)
	for i := range replies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			replies[i] = h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "cut-key",
				"X-Request-Id", "dup-"+strconv.Itoa(i))
		}()
	}
	wg.Wait()
	for i, r := range replies {
		require.Equal(t, http.StatusServiceUnavailable, r.Status, string(r.Body))
		assert.Equal(t, "OUTCOME_UNKNOWN", r.errorOf(t)["code"])
		assert.Equal(t, "dup-"+strconv.Itoa(i), r.errorOf(t)["requestId"], "each answer carries its own request id")
	}
	retry := h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "cut-key", "X-Request-Id", "the-retry")
	assert.Equal(t, http.StatusServiceUnavailable, retry.Status)
	assert.Equal(t, "OUTCOME_UNKNOWN", retry.errorOf(t)["code"], "never DuplicateDataError for the key that created it")
	assert.Equal(t, "the-retry", retry.errorOf(t)["requestId"])
	assert.Equal(t, "true", retry.Header.Get(replayedHeader))
	assert.Equal(t, 1, upstreamCalls(h, http.MethodPost, "/v2/plans/"), "one upstream write for 21 requests")
}

func TestIdempotencyKeysAreScopedPerToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{tokens: []string{testToken, "second-sandbox-token"}})
	for i, tok := range []string{testToken, "second-sandbox-token"} {
		body := map[string]any{"connection": map[string]any{"privateToken": tok},
			"parameters": map[string]any{"planId": "scoped-" + strconv.Itoa(i), "name": "Scoped"}}
		r := h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, IdempotencyHeader, "shared-key")
		assert.Equal(t, http.StatusOK, r.Status, string(r.Body))
		assert.Empty(t, r.Header.Get(replayedHeader))
	}
}

func TestReadsIgnoreIdempotencyKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	body := map[string]any{"connection": map[string]any{"privateToken": testToken}, "parameters": map[string]any{"limit": 1}}
	for range 2 {
		r := h.do(http.MethodPost, "/v1/modules/listPlans/execute", body, IdempotencyHeader, "read-key")
		assert.Equal(t, http.StatusOK, r.Status)
		assert.Empty(t, r.Header.Get(replayedHeader))
	}
	assert.Equal(t, 2, upstreamCalls(h, http.MethodGet, "/v2/plans/"))
}

// An engine retrying a signed message keeps its webhook-id and signs a new
// timestamp: the retry gets the first answer. A webhook-id is whatever the
// engine chose (Standard Webhooks does not restrict it); one with a space is
// used as the key too, never refused as a bad Idempotency-Key the engine did
// not send.
func TestSignedWebhookIDIsTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + "aWRlbXBvdGVuY3ktc2lnbmluZy1zZWNyZXQ="
	v, err := NewVerifier([]string{secret}, nil, nil)
	require.NoError(t, err)
	h := newHarness(t, harnessOptions{verifier: v})
	for i, id := range []string{"msg_retry", "msg with space"} {
		body := `{"connection":{"privateToken":"` + testToken + `"},"parameters":{"planId":"signed-plan-` + strconv.Itoa(i) + `","name":"Signed"}}`
		send := func(ts time.Time) reply {
			sig, err := Sign(secret, id, ts, []byte(body))
			require.NoError(t, err)
			return h.do(http.MethodPost, "/v1/modules/createPlan/execute", body, headerWebhookID, id,
				headerWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10), headerWebhookSignature, sig)
		}
		first := send(time.Now().Add(-time.Minute))
		require.Equal(t, http.StatusOK, first.Status, "%s: %s", id, first.Body)
		retry := send(time.Now())
		assert.Equal(t, http.StatusOK, retry.Status, "%s: %s", id, retry.Body)
		assert.Equal(t, "true", retry.Header.Get(replayedHeader), id)
		assert.Equal(t, i+1, upstreamCalls(h, http.MethodPost, "/v2/plans/"), id)
	}
}
