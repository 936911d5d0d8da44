package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// openAPIValidator loads the document the server serves into libopenapi
// and its validator.
func openAPIValidator(t *testing.T, h *harness) (validator.Validator, map[string]any) {
	t.Helper()
	r := h.do(http.MethodGet, "/v1/openapi.json", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	doc, err := libopenapi.NewDocument(r.Body)
	require.NoError(t, err)
	_, err = doc.BuildV3Model()
	require.NoError(t, err)
	v, errs := validator.NewValidator(doc)
	require.Empty(t, errs)
	return v, r.JSON
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString(e.Error())
		for _, se := range e.SchemaValidationErrors {
			b.WriteString("\n  " + se.FieldPath + " (" + se.KeywordLocation + "): " + se.Reason)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestOpenAPIDocumentIsValid checks the served document against the OpenAPI
// 3.1 specification and that every module has its operation.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	v, doc := openAPIValidator(t, h)
	ok, errs := v.ValidateDocument()
	require.True(t, ok, describe(errs))
	assert.Equal(t, "3.1.0", doc["openapi"])

	registry, err := modules.Default(modules.Options{LimitCap: 1000})
	require.NoError(t, err)
	paths := doc["paths"].(map[string]any)
	for _, m := range registry.Specs() {
		op, ok := paths["/v1/modules/"+m.Name+"/execute"].(map[string]any)
		require.True(t, ok, m.Name)
		assert.Equal(t, "execute_"+m.Name, op["post"].(map[string]any)["operationId"])
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/v1/manifest", "/v1/openapi.json",
		"/v1/connection/verify", "/v1/rpc/{name}", "/v1/modules/{name}/execute"} {
		assert.Contains(t, paths, p)
	}

	// The same document is served every time, and it needs the engine key.
	again := h.do(http.MethodGet, "/v1/openapi.json", nil)
	assert.Equal(t, doc, again.JSON)
	hk := newHarness(t, harnessOptions{apiKeys: []string{"engine-key-0123456789"}})
	assert.Equal(t, http.StatusUnauthorized, hk.do(http.MethodGet, "/v1/openapi.json", nil).Status)
}

// TestOpenAPIRequestSchemasFollowTheFields checks the generated schemas
// against the fields they come from.
func TestOpenAPIRequestSchemasFollowTheFields(t *testing.T) {
	t.Parallel()
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	raw, err := json.Marshal(OpenAPI(modules.Document(registry)))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	prop := func(schema, name string) map[string]any {
		return schemas[schema].(map[string]any)["properties"].(map[string]any)[name].(map[string]any)
	}
	tests := []struct {
		schema, field string
		want          map[string]any
	}{
		{"listPlansParameters", "limit", map[string]any{"type": "integer", "minimum": 1.0, "maximum": 10000.0, "default": 10.0}},
		{"createSubscriptionParameters", "planInterval", map[string]any{"type": "string", "enum": []any{"month", "year"}}},
		{"createSubscriptionParameters", "planCurrency", map[string]any{"default": "usd"}},
		{"createSubscriptionParameters", "planId", map[string]any{"type": "string"}},
		{"createSubscriptionParameters", "effectiveDate", map[string]any{"type": []any{"string", "integer"}}},
		{"listCustomersParameters", "email", map[string]any{"type": "string", "format": "email"}},
		{"makeApiCallParameters", "method", map[string]any{"enum": []any{"GET", "POST", "PUT", "PATCH", "DELETE"}, "default": "GET"}},
		{"makeApiCallParameters", "headers", map[string]any{"type": "array"}},
		{"Connection", "privateToken", map[string]any{"type": "string", "minLength": 8.0, "maxLength": 512.0, "writeOnly": true}},
	}
	for _, tc := range tests {
		t.Run(tc.schema+"."+tc.field, func(t *testing.T) {
			got := prop(tc.schema, tc.field)
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], k)
			}
		})
	}
	for _, m := range registry.Specs() {
		s := schemas[m.Name+"Parameters"].(map[string]any)
		assert.Equal(t, false, s["additionalProperties"], m.Name)
		assert.Len(t, s["properties"], len(m.Inputs()), m.Name)
		var want []any
		for _, f := range m.Inputs() {
			if f.Required && f.Default == nil {
				want = append(want, f.Name)
			}
		}
		if len(want) == 0 {
			assert.NotContains(t, s, "required", m.Name)
		} else {
			assert.Equal(t, want, s["required"], m.Name)
		}
		req := schemas[m.Name+"ExecuteRequest"].(map[string]any)["properties"].(map[string]any)
		_, cursor := req["cursor"]
		_, state := req["state"]
		assert.Equal(t, m.Kind == manifest.KindSearch, cursor, m.Name)
		assert.Equal(t, m.Kind == manifest.KindTrigger, state, m.Name)
	}
}

type liveCase struct {
	name   string
	method string
	path   string
	body   any
	status int
}

// invalidOnPurpose names the live cases whose request breaks the document
// on purpose: the server and the document must both refuse it.
var invalidOnPurpose = map[string]bool{"validation error": true, "unknown parameter": true}

// TestLiveAnswersMatchOpenAPI sends real requests to a running connector (in
// front of the emulator) and validates each request and each answer against
// the served document.
func TestLiveAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	v, _ := openAPIValidator(t, h)
	conn := map[string]any{"privateToken": testToken}
	exec := func(params map[string]any, extra ...map[string]any) map[string]any {
		b := map[string]any{"connection": conn, "parameters": params}
		for _, e := range extra {
			for k, val := range e {
				b[k] = val
			}
		}
		return b
	}
	tests := []liveCase{
		{"action create", "POST", "/v1/modules/createPlan/execute", exec(map[string]any{"planId": "oas-plan", "name": "OpenAPI"}), 200},
		{"action read", "POST", "/v1/modules/getPlan/execute", exec(map[string]any{"planId": "oas-plan"}), 200},
		{"action update", "POST", "/v1/modules/updatePlan/execute", exec(map[string]any{"planId": "oas-plan", "name": "Renamed"}), 200},
		{"action without parameters", "POST", "/v1/modules/getCompanySettings/execute", map[string]any{"connection": conn}, 200},
		{"search", "POST", "/v1/modules/listPlans/execute", exec(map[string]any{"limit": 2}), 200},
		{"search customers", "POST", "/v1/modules/listCustomers/execute", exec(map[string]any{"limit": 3, "direction": "desc"}), 200},
		{"search subscriptions", "POST", "/v1/modules/listSubscriptions/execute", exec(map[string]any{"userIdOrAlias": "nobody-here", "limit": 2}), 400},
		{"search metrics", "POST", "/v1/modules/getMonthlyMetrics/execute", exec(map[string]any{"metrics": []string{"active_customers"}, "limit": 2}), 200},
		{"trigger", "POST", "/v1/modules/watchCustomers/execute", exec(map[string]any{"since": "2000-01-01", "limit": 2}), 200},
		{"universal", "POST", "/v1/modules/makeApiCall/execute", exec(map[string]any{"url": "/plans/", "method": "GET"}), 200},
		{"duplicate", "POST", "/v1/modules/createPlan/execute", exec(map[string]any{"planId": "oas-plan", "name": "Again"}), 409},
		{"validation error", "POST", "/v1/modules/createPlan/execute", exec(map[string]any{"planId": "x"}), 400},
		{"unknown parameter", "POST", "/v1/modules/listPlans/execute", exec(map[string]any{"colour": "red"}), 400},
		{"bad token", "POST", "/v1/modules/listPlans/execute", map[string]any{"connection": map[string]any{"privateToken": "wrong-token-0123"}, "parameters": map[string]any{"limit": 1}}, 401},
		{"unknown module", "POST", "/v1/modules/frobnicate/execute", exec(map[string]any{}), 404},
		{"verify", "POST", "/v1/connection/verify", map[string]any{"connection": conn}, 200},
		{"rpc", "POST", "/v1/rpc/listPlans", map[string]any{"connection": conn}, 200},
		{"rpc search", "POST", "/v1/rpc/searchCustomers", map[string]any{"connection": conn, "query": "a"}, 200},
		{"manifest", "GET", "/v1/manifest", nil, 200},
		{"healthz", "GET", "/healthz", nil, 200},
		{"readyz", "GET", "/readyz", nil, 200},
	}
	// Continue the search and the trigger with what they returned.
	first := h.execute("listPlans", map[string]any{"limit": 2})
	tests = append(tests, liveCase{"search with cursor", "POST", "/v1/modules/listPlans/execute",
		exec(map[string]any{"limit": 2}, map[string]any{"cursor": first.meta()["nextCursor"]}), 200})
	w := h.execute("watchCustomers", map[string]any{"since": "2000-01-01", "limit": 1})
	tests = append(tests, liveCase{"trigger with state", "POST", "/v1/modules/watchCustomers/execute",
		exec(map[string]any{"since": "2000-01-01", "limit": 1}, map[string]any{"state": w.JSON["state"]}), 200})

	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var raw []byte
			if tc.body != nil {
				var err error
				raw, err = json.Marshal(tc.body)
				require.NoError(t, err)
			}
			newReq := func(base string) *http.Request {
				var body io.Reader
				if raw != nil {
					body = bytes.NewReader(raw)
				}
				req, err := http.NewRequest(tc.method, base+tc.path, body)
				require.NoError(t, err)
				if raw != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer any-key-the-sandbox-accepts")
				return req
			}
			resp, err := h.client.Do(newReq(h.URL))
			require.NoError(t, err)
			respBody, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode, string(respBody))

			ok, errs := v.ValidateHttpRequestSync(newReq(""))
			assert.Equal(t, !invalidOnPurpose[tc.name], ok, "request: %s", describe(errs))
			resp.Body = io.NopCloser(bytes.NewReader(respBody))
			ok, errs = v.ValidateHttpResponse(newReq(""), resp)
			assert.True(t, ok, "answer %s: %s", respBody, describe(errs))
		})
	}
}

// TestOpenAPIValidationCanFail shows that the document refuses what the
// connector must not send or accept, so the checks above are not vacuous.
func TestOpenAPIValidationCanFail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	v, _ := openAPIValidator(t, h)
	post := func(path, body string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer engine-key-0123456789")
		return req
	}
	conn := `"connection":{"privateToken":"` + testToken + `"}`
	badRequests := map[string]string{
		"unknown parameter":   `{` + conn + `,"parameters":{"planId":"x","name":"y","colour":"red"}}`,
		"missing required":    `{` + conn + `,"parameters":{"planId":"x"}}`,
		"cursor on an action": `{` + conn + `,"parameters":{"planId":"x","name":"y"},"cursor":"abc"}`,
		"no connection":       `{"parameters":{"planId":"x","name":"y"}}`,
	}
	for name, body := range badRequests {
		ok, _ := v.ValidateHttpRequestSync(post("/v1/modules/createPlan/execute", body))
		assert.False(t, ok, name)
	}
	ok, _ := v.ValidateHttpRequestSync(post("/v1/modules/listPlans/execute", `{`+conn+`,"parameters":{"limit":0}}`))
	assert.False(t, ok, "limit below its minimum")
	ok, _ = v.ValidateHttpRequestSync(post("/v1/modules/createSubscription/execute",
		`{`+conn+`,"parameters":{"email":"a@b.co","planId":"p","planInterval":"week","value":1,"effectiveDate":"2026-01-01"}}`))
	assert.False(t, ok, "a value outside the options")

	badAnswers := map[string]string{
		"no meta":             `{"bundles":[]}`,
		"two bundles":         `{"bundles":[{"id":"a","name":"b"},{"id":"c","name":"d"}],"meta":{"module":"createPlan","returned":2,"hasMore":false,"upstreamRequests":1}}`,
		"other module":        `{"bundles":[{"id":"a","name":"b"}],"meta":{"module":"getPlan","returned":1,"hasMore":false,"upstreamRequests":1}}`,
		"error of no type":    `{"error":{"type":"OopsError","code":"X","message":"m","retryable":false,"retryAfterMs":0,"requestId":"r"}}`,
		"error without type":  `{"error":{"code":"X","message":"m","retryable":false,"retryAfterMs":0,"requestId":"r"}}`,
		"unknown meta fields": `{"bundles":[{"id":"a","name":"b"}],"meta":{"module":"createPlan","returned":1,"hasMore":false,"upstreamRequests":1,"extra":1}}`,
	}
	for name, body := range badAnswers {
		status := http.StatusOK
		if strings.Contains(body, `"error"`) {
			status = http.StatusBadRequest
		}
		resp := &http.Response{
			StatusCode: status, Header: http.Header{"Content-Type": []string{"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)),
		}
		ok, _ := v.ValidateHttpResponse(post("/v1/modules/createPlan/execute", `{}`), resp)
		assert.False(t, ok, name)
	}
}

// TestOpenAPIExamplesMatchTheirSchemas: every module's operation shows its
// runnable example, and the example's parameters and output are a valid
// request and a valid answer of that operation; a bundle missing a declared
// field is not (every bundle carries every output).
func TestOpenAPIExamplesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	v, doc := openAPIValidator(t, h)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	post := func(path string, body any) *http.Request {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, path, bytes.NewReader(raw))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer engine-key-0123456789")
		return req
	}
	answer := func(req *http.Request, bundle map[string]any, m manifest.ModuleSpec) *http.Response {
		body := map[string]any{"bundles": []any{bundle}, "meta": map[string]any{
			"module": m.Name, "returned": 1, "hasMore": false, "upstreamRequests": 1,
		}}
		if m.Kind == manifest.KindTrigger {
			body["state"] = map[string]any{}
		}
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		return &http.Response{StatusCode: http.StatusOK, Request: req, Body: io.NopCloser(bytes.NewReader(raw)),
			Header: http.Header{"Content-Type": {"application/json"}}}
	}
	for _, m := range registry.Specs() {
		params, bundle, _, _ := moduleSchemaNames(m.Name)
		assert.Equal(t, []any{jsonValue(t, m.Example.Parameters)}, schemas[params].(map[string]any)["examples"], m.Name)
		assert.Equal(t, []any{jsonValue(t, m.Example.Output)}, schemas[bundle].(map[string]any)["examples"], m.Name)

		req := post(executePath(m.Name), map[string]any{"connection": map[string]any{"privateToken": testToken}, "parameters": m.Example.Parameters})
		ok, errs := v.ValidateHttpRequestSync(req)
		assert.True(t, ok, "%s example request: %s", m.Name, describe(errs))
		out := answer(req, m.Example.Output, m)
		ok, errs = v.ValidateHttpResponse(req, out)
		assert.True(t, ok, "%s example answer: %s", m.Name, describe(errs))

		partial := map[string]any{}
		for k, val := range m.Example.Output {
			partial[k] = val
		}
		delete(partial, m.Interface[0].Name)
		ok, _ = v.ValidateHttpResponse(req, answer(req, partial, m))
		assert.False(t, ok, "%s: a bundle without %q is refused", m.Name, m.Interface[0].Name)
	}
}

func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(raw, &out))
	return out
}
