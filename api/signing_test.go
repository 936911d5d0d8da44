package api

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The published Standard Webhooks test vector.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func vectorHeader(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set(headerWebhookID, id)
	h.Set(headerWebhookTimestamp, ts)
	h.Set(headerWebhookSignature, sig)
	return h
}

func TestSignMatchesThePublishedVector(t *testing.T) {
	t.Parallel()
	got, err := Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorPayload))
	require.NoError(t, err)
	assert.Equal(t, vectorSignature, got)
}

func TestVerifier(t *testing.T) {
	t.Parallel()
	at := time.Unix(vectorTimestamp, 0)
	ts := strconv.Itoa(vectorTimestamp)
	other := "whsec_" + "c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
	for _, tc := range []struct {
		name    string
		secrets []string
		now     time.Time
		header  http.Header
		body    string
		want    error
	}{
		{name: "the published vector", now: at, header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload},
		{name: "one of several signatures", now: at, header: vectorHeader(vectorID, ts, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc "+vectorSignature), body: vectorPayload},
		{name: "rotated secrets", secrets: []string{other, vectorSecret}, now: at, header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload},
		{name: "within tolerance", now: at.Add(4 * time.Minute), header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload},
		{name: "body changed", now: at, header: vectorHeader(vectorID, ts, vectorSignature), body: `{"test": 2432232315}`, want: errSignatureMismatch},
		{name: "id changed", now: at, header: vectorHeader("msg_other", ts, vectorSignature), body: vectorPayload, want: errSignatureMismatch},
		{name: "wrong secret only", secrets: []string{other}, now: at, header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload, want: errSignatureMismatch},
		{name: "unknown version", now: at, header: vectorHeader(vectorID, ts, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), body: vectorPayload, want: errSignatureMismatch},
		{name: "too old", now: at.Add(6 * time.Minute), header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload, want: errSignatureTimestamp},
		{name: "too new", now: at.Add(-6 * time.Minute), header: vectorHeader(vectorID, ts, vectorSignature), body: vectorPayload, want: errSignatureTimestamp},
		{name: "missing signature", now: at, header: vectorHeader(vectorID, ts, ""), body: vectorPayload, want: errSignatureMissing},
		{name: "missing id", now: at, header: vectorHeader("", ts, vectorSignature), body: vectorPayload, want: errSignatureMissing},
		{name: "bad timestamp", now: at, header: vectorHeader(vectorID, "soon", vectorSignature), body: vectorPayload, want: errSignatureMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := tc.secrets
			if secrets == nil {
				secrets = []string{vectorSecret}
			}
			v, err := NewVerifier(secrets, nil, func() time.Time { return tc.now })
			require.NoError(t, err)
			err = v.Verify(tc.header, []byte(tc.body))
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}
}

func TestVerifierRefusesReplays(t *testing.T) {
	t.Parallel()
	now := time.Unix(vectorTimestamp, 0)
	v, err := NewVerifier([]string{vectorSecret}, nil, func() time.Time { return now })
	require.NoError(t, err)
	h := vectorHeader(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature)
	require.NoError(t, v.Verify(h, []byte(vectorPayload)))
	assert.ErrorIs(t, v.Verify(h, []byte(vectorPayload)), errSignatureReplay)
	// A failed check does not burn the id.
	v2, err := NewVerifier([]string{vectorSecret}, nil, func() time.Time { return now })
	require.NoError(t, err)
	assert.Error(t, v2.Verify(h, []byte("tampered")))
	assert.NoError(t, v2.Verify(h, []byte(vectorPayload)))
}

func TestNewVerifierRefusesBadSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range [][]string{nil, {"whsec_not base64!"}, {"whsec_c2hvcnQ="}} {
		_, err := NewVerifier(s, nil, nil)
		assert.Error(t, err, "%v", s)
	}
}

func TestSignedRequestsThroughTheServer(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + "c2VydmVyLXRlc3Qtc2lnbmluZy1zZWNyZXQ="
	v, err := NewVerifier([]string{secret}, nil, nil)
	require.NoError(t, err)
	key := "engine-key-0123456789"
	h := newHarness(t, harnessOptions{apiKeys: []string{key}, verifier: v})
	body := `{"connection":{"privateToken":"` + testToken + `"},"parameters":{"limit":1}}`
	path := "/v1/modules/listPlans/execute"
	signed := func(id string, ts time.Time, payload string) []string {
		sig, err := Sign(secret, id, ts, []byte(payload))
		require.NoError(t, err)
		return []string{"Authorization", "Bearer " + key, headerWebhookID, id,
			headerWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10), headerWebhookSignature, sig}
	}

	sent := time.Now()
	ok := h.do(http.MethodPost, path, body, signed("msg_1", sent, body)...)
	require.Equal(t, http.StatusOK, ok.Status, string(ok.Body))

	before := len(h.Emu.Requests())
	for name, header := range map[string][]string{
		"unsigned":    {"Authorization", "Bearer " + key},
		"replayed":    signed("msg_1", sent, body), // the same id and timestamp: a new timestamp would be a retry
		"stale":       signed("msg_2", time.Now().Add(-10*time.Minute), body),
		"other body":  signed("msg_3", time.Now(), `{"connection":{}}`),
		"no API key":  signed("msg_4", time.Now(), body)[2:],
		"garbage sig": append(signed("msg_5", time.Now(), body)[:6], headerWebhookSignature, "v1,AAAA"),
	} {
		r := h.do(http.MethodPost, path, body, header...)
		assert.Equal(t, http.StatusUnauthorized, r.Status, name)
		assert.Equal(t, TypeInvalidConfigurationError, r.errorOf(t)["type"], name)
	}
	assert.Equal(t, before, len(h.Emu.Requests()), "refused requests ran nothing")
	assert.Contains(t, string(h.do(http.MethodGet, "/metrics", nil).Body), "connector_signature_failures_total 5")
}

func TestARetriedMessageIsNotAReplay(t *testing.T) {
	t.Parallel()
	now := time.Unix(vectorTimestamp, 0)
	v, err := NewVerifier([]string{vectorSecret}, nil, func() time.Time { return now })
	require.NoError(t, err)
	body := []byte(vectorPayload)
	require.NoError(t, v.Verify(vectorHeader(vectorID, strconv.Itoa(vectorTimestamp), vectorSignature), body))
	later := time.Unix(vectorTimestamp+30, 0)
	sig, err := Sign(vectorSecret, vectorID, later, body)
	require.NoError(t, err)
	assert.NoError(t, v.Verify(vectorHeader(vectorID, strconv.FormatInt(later.Unix(), 10), sig), body),
		"the same id with a new timestamp is a retry, answered by the idempotency store")
}
