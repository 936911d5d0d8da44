package api

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/makeapp/makeschema"
	"github.com/profitwell-connector/connector/modules"
)

var update = flag.Bool("update", false, "rewrite golden files")

const goldenManifest = "testdata/manifest.golden.json"

func TestManifestGolden(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	r := h.do(http.MethodGet, "/v1/manifest", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	// The golden file is generated with the default limit cap.
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	body, _, err := modules.Document(registry).Encode()
	require.NoError(t, err)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(goldenManifest, body, 0o644))
	}
	want, err := os.ReadFile(goldenManifest)
	require.NoError(t, err, "run `make golden` to create it")
	assert.Equal(t, string(want), string(body), "the manifest changed: review, then `make golden`")
	// What the server serves is the same document, apart from the
	// configured limit cap.
	served := strings.ReplaceAll(string(r.Body), `"max": 1000`, `"max": 10000`)
	assert.Equal(t, string(want), served)
}

func TestManifestETag(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	first := h.do(http.MethodGet, "/v1/manifest", nil)
	etag := first.Header.Get("ETag")
	require.NotEmpty(t, etag)
	again := h.do(http.MethodGet, "/v1/manifest", nil, "If-None-Match", etag)
	assert.Equal(t, http.StatusNotModified, again.Status)
	assert.Empty(t, again.Body)
	other := h.do(http.MethodGet, "/v1/manifest", nil, "If-None-Match", `"other"`)
	assert.Equal(t, http.StatusOK, other.Status)
}

// TestManifestFieldsValidateAgainstMakeSchema checks every parameters,
// expect and interface array, the RPCs' and the connection's parameters
// against Make's parameters.json.
func TestManifestFieldsValidateAgainstMakeSchema(t *testing.T) {
	t.Parallel()
	schemas, err := makeschema.Load()
	require.NoError(t, err)
	schema := schemas["parameters.json"]
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	body, _, err := modules.Document(registry).Encode()
	require.NoError(t, err)
	var doc struct {
		Connection struct{ Parameters any } `json:"connection"`
		RPCs       []struct {
			Name       string
			Parameters any
		} `json:"rpcs"`
		Modules []struct {
			Name                          string
			Parameters, Expect, Interface any
		} `json:"modules"`
	}
	require.NoError(t, json.Unmarshal(body, &doc))
	check := func(where string, arr any) {
		raw, err := json.Marshal(arr)
		require.NoError(t, err)
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		require.NoError(t, err)
		assert.NoError(t, schema.Validate(inst), where)
	}
	check("connection", doc.Connection.Parameters)
	for _, r := range doc.RPCs {
		check("rpc "+r.Name, r.Parameters)
	}
	require.NotEmpty(t, doc.Modules)
	for _, m := range doc.Modules {
		check(m.Name+".parameters", m.Parameters)
		check(m.Name+".expect", m.Expect)
		check(m.Name+".interface", m.Interface)
	}
	// The check can fail: a property Make does not know is refused.
	bad, err := jsonschema.UnmarshalJSON(strings.NewReader(`[{"name":"x","type":"text","unit":"cents"}]`))
	require.NoError(t, err)
	assert.Error(t, schema.Validate(bad))
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{apiKeys: []string{"engine-key-0123456789"}})
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/healthz", nil).Status, "no engine key needed")
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/readyz", nil).Status)
	h.Ready.Store(false)
	assert.Equal(t, http.StatusServiceUnavailable, h.do(http.MethodGet, "/readyz", nil).Status)
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/healthz", nil).Status, "liveness ignores readiness")
}

func TestEngineAuthentication(t *testing.T) {
	t.Parallel()
	keys := []string{"old-engine-key-0123456789", "new-engine-key-0123456789"}
	h := newHarness(t, harnessOptions{apiKeys: keys})
	for name, header := range map[string][]string{
		"missing":      nil,
		"wrong":        {"Authorization", "Bearer nope-nope-nope-nope"},
		"wrong scheme": {"Authorization", "Basic " + keys[0]},
		"bare key":     {"Authorization", keys[0]},
	} {
		r := h.do(http.MethodGet, "/v1/manifest", nil, header...)
		assert.Equal(t, http.StatusUnauthorized, r.Status, name)
		assert.Equal(t, TypeInvalidConfigurationError, r.errorOf(t)["type"], name)
	}
	before := len(h.Emu.Requests())
	r := h.do(http.MethodPost, "/v1/modules/listPlans/execute", map[string]any{"connection": map[string]any{"privateToken": testToken}})
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	assert.Equal(t, before, len(h.Emu.Requests()), "a refused request touches nothing upstream")
	for _, k := range keys {
		assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/v1/manifest", nil, "Authorization", "Bearer "+k).Status, "both rotation keys work")
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.do(http.MethodGet, "/healthz", nil, "X-Request-Id", "engine-run-42")
	assert.Equal(t, "engine-run-42", r.Header.Get("X-Request-Id"))
	r = h.do(http.MethodGet, "/healthz", nil, "X-Request-Id", strings.Repeat("x", 65))
	assert.Len(t, r.Header.Get("X-Request-Id"), 24, "a long id is replaced")
	r = h.do(http.MethodGet, "/healthz", nil, "X-Request-Id", "bad id<script>")
	assert.NotContains(t, r.Header.Get("X-Request-Id"), "<")
	r = h.do(http.MethodGet, "/nowhere", nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, r.Header.Get("X-Request-Id"), r.errorOf(t)["requestId"], "errors carry the request id")
}

func TestVerifyConnection(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	ok := h.do(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": map[string]any{"privateToken": testToken}})
	require.Equal(t, http.StatusOK, ok.Status, string(ok.Body))
	assert.Equal(t, true, ok.JSON["verified"])
	md := ok.JSON["metadata"].(map[string]any)
	assert.NotEmpty(t, md["label"])
	assert.NotEmpty(t, md["accountId"])

	bad := h.do(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": map[string]any{"privateToken": "wrong-token-123"}})
	assert.Equal(t, http.StatusUnauthorized, bad.Status)
	assert.Equal(t, TypeInvalidAccessTokenError, bad.errorOf(t)["type"])
	assert.NotContains(t, string(bad.Body), "wrong-token-123")

	missing := h.do(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": map[string]any{}})
	assert.Equal(t, http.StatusBadRequest, missing.Status)
	assert.Equal(t, map[string]string{"connection.privateToken": "is required"}, missing.fields(t))

	spaced := h.do(http.MethodPost, "/v1/connection/verify", map[string]any{"connection": map[string]any{"privateToken": "has a space in it"}})
	assert.Equal(t, map[string]string{"connection.privateToken": "does not have the expected format"}, spaced.fields(t))
}

func TestBadRequestsAreTypedDataErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{maxBody: 4096})
	path := "/v1/modules/listPlans/execute"
	conn := `"connection":{"privateToken":"` + testToken + `"}`
	for _, tc := range []struct {
		name   string
		body   string
		header []string
		status int
		field  string
		msg    string
	}{
		{name: "not JSON", body: `{`, status: 400, field: "body", msg: "is not valid JSON"},
		{name: "empty", body: ``, status: 400, field: "body", msg: "is empty; send a JSON object"},
		{name: "trailing data", body: `{` + conn + `} {}`, status: 400, field: "body", msg: "must hold exactly one JSON object"},
		{name: "unknown envelope key", body: `{` + conn + `,"params":{}}`, status: 400, field: "params", msg: "is not a field of the request"},
		{name: "wrong type", body: `{` + conn + `,"cursor":5}`, status: 400, field: "cursor", msg: "must be a string"},
		{name: "array body", body: `[]`, status: 400, field: "body", msg: "must be an object"},
		{name: "unknown parameter", body: `{` + conn + `,"parameters":{"limti":5}}`, status: 400, field: "limti", msg: "is not a parameter of this module"},
		{name: "bad limit", body: `{` + conn + `,"parameters":{"limit":"many"}}`, status: 400, field: "limit", msg: "must be a whole number"},
		{name: "limit over cap", body: `{` + conn + `,"parameters":{"limit":1001}}`, status: 400, field: "limit", msg: "must be at most 1000"},
		{name: "tiny timeout", body: `{` + conn + `,"execution":{"timeoutMs":5}}`, status: 400, field: "execution.timeoutMs", msg: "must be at least 100"},
		{name: "no connection", body: `{}`, status: 400, field: "connection.privateToken", msg: "is required"},
		{name: "too large", body: `{"x":"` + strings.Repeat("a", 5000) + `"}`, status: 413},
		{name: "not JSON content", body: `{}`, header: []string{"Content-Type", "text/plain"}, status: 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(http.MethodPost, path, tc.body, tc.header...)
			require.Equal(t, tc.status, r.Status, string(r.Body))
			e := r.errorOf(t)
			assert.Equal(t, TypeDataError, e["type"])
			assert.Equal(t, false, e["retryable"])
			if tc.field != "" {
				assert.Equal(t, map[string]string{tc.field: tc.msg}, r.fields(t))
			}
		})
	}
	assert.Empty(t, h.Emu.Requests(), "no bad request reached ProfitWell")
}

func TestUnknownModulesAndRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.execute("noSuchModule", nil)
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, TypeInvalidConfigurationError, r.errorOf(t)["type"])
	assert.Equal(t, "UNKNOWN_MODULE", r.errorOf(t)["code"])
	r = h.do(http.MethodPost, "/v1/rpc/noSuchRPC", map[string]any{"connection": map[string]any{"privateToken": testToken}})
	assert.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, "UNKNOWN_RPC", r.errorOf(t)["code"])
	r = h.do(http.MethodGet, "/v1/modules/listPlans/execute", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
}

func TestUpstreamFailuresAreTyped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{timeout: 300 * time.Millisecond})
	for _, tc := range []struct {
		name      string
		fault     profitwelltest.Fault
		status    int
		typ       string
		retryable bool
	}{
		{name: "throttled, long wait", fault: profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 30, Times: 3}, status: 429, typ: TypeRateLimitError, retryable: true},
		{name: "server error", fault: profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Times: -1}, status: 503, typ: TypeConnectionError, retryable: true},
		{name: "slow", fault: profitwelltest.Fault{Kind: profitwelltest.FaultLatency, Latency: 2 * time.Second, Times: -1}, status: 504, typ: TypeModuleTimeoutError, retryable: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.Emu.ClearFaults()
			h.Emu.InjectFault(tc.fault)
			defer h.Emu.ClearFaults()
			start := time.Now()
			r := h.execute("getPlan", map[string]any{"planId": "anything"})
			require.Equal(t, tc.status, r.Status, string(r.Body))
			e := r.errorOf(t)
			assert.Equal(t, tc.typ, e["type"])
			assert.Equal(t, tc.retryable, e["retryable"])
			assert.Less(t, time.Since(start), 300*time.Millisecond+200*time.Millisecond, "answers within the deadline")
			if tc.typ == TypeRateLimitError {
				assert.Equal(t, "30", r.Header.Get("Retry-After"))
				assert.EqualValues(t, 30000, e["retryAfterMs"])
			}
		})
	}
}

func TestPanicsBecomeRuntimeErrors(t *testing.T) {
	t.Parallel()
	type noParams struct{}
	boom := &modules.Action[noParams]{
		Def: manifest.ModuleSpec{
			Name: "boom", Label: "Boom", Description: "Panics.", Group: "Test", Kind: manifest.KindAction,
			Interface: []manifest.Field{{Name: "x", Label: "X", Type: manifest.TypeText}},
			Samples:   map[string]any{"x": "y"},
		},
		Run: func(context.Context, modules.Env, noParams) (any, error) {
			panic("secret-in-panic " + testToken)
		},
	}
	failing := &modules.Action[noParams]{
		Def: manifest.ModuleSpec{
			Name: "failing", Label: "Failing", Description: "Fails.", Group: "Test", Kind: manifest.KindAction,
			Interface: []manifest.Field{{Name: "x", Label: "X", Type: manifest.TypeText}},
			Samples:   map[string]any{"x": "y"},
		},
		Run: func(context.Context, modules.Env, noParams) (any, error) {
			return nil, errors.New("internal detail that must stay in the log")
		},
	}
	reg, err := modules.NewRegistry(modules.Options{}, []modules.Module{boom, failing}, nil)
	require.NoError(t, err)
	h := newHarness(t, harnessOptions{registry: reg})
	r := h.execute("boom", nil)
	require.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Equal(t, TypeRuntimeError, r.errorOf(t)["type"])
	assert.NotContains(t, string(r.Body), "secret-in-panic")
	assert.NotContains(t, h.Logs.String(), "secret-in-panic", "the panic value is never logged")
	assert.Contains(t, h.Logs.String(), `"panic_type":"string"`)

	r = h.execute("failing", nil)
	require.Equal(t, http.StatusInternalServerError, r.Status)
	assert.NotContains(t, string(r.Body), "internal detail")
	assert.Contains(t, h.Logs.String(), "internal detail that must stay in the log")
	// The server still serves.
	assert.Equal(t, http.StatusOK, h.do(http.MethodGet, "/healthz", nil).Status)
}

func TestHostileBodiesAreRefusedCleanly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	path := "/v1/modules/listPlans/execute"
	conn := `"connection":{"privateToken":"` + testToken + `"}`
	deep := strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70)
	for _, tc := range []struct {
		name  string
		body  string
		field string
		msg   string
	}{
		{name: "invalid UTF-8", body: "{" + conn + `,"cursor":"` + "\xff\xfe" + `"}`, field: "body", msg: "must be valid UTF-8"},
		{name: "duplicate envelope key", body: "{" + conn + `,` + conn + `}`, field: "connection", msg: "appears twice in the same object"},
		{name: "duplicate parameter", body: "{" + conn + `,"parameters":{"limit":1,"limit":2}}`, field: "parameters.limit", msg: "appears twice in the same object"},
		{name: "duplicate nested key", body: "{" + conn + `,"execution":{"id":"a","id":"b"}}`, field: "execution.id", msg: "appears twice in the same object"},
		{name: "deep nesting", body: "{" + conn + `,"parameters":{"x":` + deep + `}}`, field: "body", msg: "is nested more than 64 levels deep"},
		{name: "huge limit", body: "{" + conn + `,"parameters":{"limit":1e300}}`, field: "limit", msg: "must be a whole number"},
		{name: "negative limit", body: "{" + conn + `,"parameters":{"limit":-1}}`, field: "limit", msg: "must not be negative"},
		{name: "token with a newline", body: `{"connection":{"privateToken":"abc\r\ndefgh"}}`, field: "connection.privateToken", msg: "must not contain control characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(http.MethodPost, path, tc.body)
			require.Equal(t, http.StatusBadRequest, r.Status, string(r.Body))
			assert.Equal(t, TypeDataError, r.errorOf(t)["type"])
			assert.Equal(t, map[string]string{tc.field: tc.msg}, r.fields(t))
		})
	}
	// Same keys in different objects are fine.
	ok := h.do(http.MethodPost, path, `{`+conn+`,"parameters":{"limit":2},"execution":{"id":"limit"}}`)
	assert.Equal(t, http.StatusOK, ok.Status, string(ok.Body))
	assert.Empty(t, h.Emu.Requests()[1:], "only the good request reached ProfitWell")
}

func TestAccessLogCarriesModuleAndExecution(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	r := h.execute("listPlans", map[string]any{"limit": 1}, map[string]any{"execution": map[string]any{"id": "run-7", "cycle": 1}})
	require.Equal(t, http.StatusOK, r.Status)
	id := r.Header.Get("X-Request-Id")
	var access map[string]any
	for _, line := range strings.Split(h.Logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["message"] == "request" && m["request_id"] == id {
			access = m
		}
	}
	require.NotNil(t, access, "an access line for the request")
	assert.Equal(t, "listPlans", access["module"])
	assert.Equal(t, "run-7", access["execution_id"])
	assert.Equal(t, "/v1/modules/{name}/execute", access["route"])
	assert.EqualValues(t, 200, access["status"])

	h.execute("no<such>module", nil)
	assert.Contains(t, h.Logs.String(), `"module":"(unknown)"`)
	assert.NotContains(t, h.Logs.String(), "no<such>module", "caller-chosen names stay out of the log")
}
