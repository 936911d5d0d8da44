package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// Offline modules for fuzzing the HTTP layer: they validate and bind like
// real ones but never call ProfitWell, so every answer comes from the
// connector itself.

type fakeEchoParams struct {
	Name   string     `param:"name"`
	Count  int64      `param:"count"`
	Colour string     `param:"colour"`
	When   *time.Time `param:"when"`
	Tags   []any      `param:"tags"`
	Flag   bool       `param:"flag"`
}

type fakeListParams struct {
	Query string `param:"query"`
	Limit int    `param:"limit"`
}

type fakeWatchParams struct {
	Limit int `param:"limit"`
}

var fakeOutput = []manifest.Field{{Name: "id", Label: "ID", Type: manifest.TypeText}}

func fakeSpec(name string, kind manifest.Kind, expect, params []manifest.Field, readOnly bool) manifest.ModuleSpec {
	return manifest.ModuleSpec{
		Name: name, Label: name, Description: "Offline test module.", Group: "Test", Kind: kind,
		Annotations: manifest.Annotations{ReadOnly: readOnly},
		Parameters:  params, Expect: expect, Interface: fakeOutput, Samples: map[string]any{"id": "x"},
	}
}

// fakeModules are an action with every common field type, a list cut by
// the runner and a trigger with a state.
func fakeModules() []modules.Module {
	echo := &modules.Action[fakeEchoParams]{
		Def: fakeSpec("fakeEcho", manifest.KindAction, []manifest.Field{
			{Name: "name", Label: "Name", Help: "h", Type: manifest.TypeText, Required: true, Max: manifest.Ptr(36)},
			{Name: "count", Label: "Count", Help: "h", Type: manifest.TypeInteger, Min: manifest.Ptr(0), Max: manifest.Ptr(100)},
			{Name: "colour", Label: "Colour", Help: "h", Type: manifest.TypeSelect, Default: "red",
				Options: []manifest.Option{{Label: "Red", Value: "red"}, {Label: "Blue", Value: "blue"}}},
			{Name: "when", Label: "When", Help: "h", Type: manifest.TypeDate},
			{Name: "tags", Label: "Tags", Help: "h", Type: manifest.TypeArray, Max: manifest.Ptr(5), Spec: []manifest.Field{{Type: manifest.TypeText, Max: manifest.Ptr(20)}}},
			{Name: "flag", Label: "Flag", Help: "h", Type: manifest.TypeBoolean},
		}, nil, false),
		Run: func(ctx context.Context, _ modules.Env, p fakeEchoParams) (any, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return map[string]any{"id": p.Name, "count": p.Count, "colour": p.Colour, "tags": p.Tags, "flag": p.Flag}, nil
		},
	}
	list := &modules.List[fakeListParams]{
		Def: fakeSpec("fakeList", manifest.KindSearch, []manifest.Field{
			{Name: "query", Label: "Query", Help: "h", Type: manifest.TypeText, Max: manifest.Ptr(50)},
			manifest.LimitField("things"),
		}, nil, true),
		All: func(ctx context.Context, _ modules.Env, p fakeListParams) ([]any, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			out := make([]any, 25)
			for i := range out {
				out[i] = map[string]any{"id": fmt.Sprintf("%s-%02d", p.Query, i)}
			}
			return out, nil
		},
	}
	watch := &modules.Trigger[fakeWatchParams, modules.Offset]{
		Def:         fakeSpec("fakeWatch", manifest.KindTrigger, nil, []manifest.Field{manifest.LimitField("things")}, true),
		MaxPageSize: 10,
		Start: func(context.Context, modules.Env, fakeWatchParams) (modules.Offset, error) {
			return modules.Offset{}, nil
		},
		Page: func(ctx context.Context, _ modules.Env, _ fakeWatchParams, req modules.PageRequest[modules.Offset]) (modules.Page[modules.Offset], error) {
			if err := ctx.Err(); err != nil {
				return modules.Page[modules.Offset]{}, err
			}
			n := min(req.Size, 1000-req.At.N)
			items := make([]any, n)
			for i := range items {
				items[i] = map[string]any{"id": strconv.Itoa(req.At.N + i)}
			}
			return modules.Page[modules.Offset]{Items: items, Next: modules.Offset{N: req.At.N + n}, Done: req.At.N+n >= 1000}, nil
		},
	}
	return []modules.Module{echo, list, watch}
}

// fakeServer is the real API server over the offline modules; its client
// points at a closed port and is never used.
func fakeServer(tb testing.TB, d Deps) *Server {
	tb.Helper()
	reg, err := modules.NewRegistry(modules.Options{LimitCap: 100}, fakeModules(), nil)
	require.NoError(tb, err)
	client, err := profitwell.New(profitwell.Config{BaseURL: "http://127.0.0.1:1"})
	require.NoError(tb, err)
	tb.Cleanup(client.Close)
	d.Registry, d.Client, d.Manifest = reg, client, modules.Document(reg)
	if d.DefaultTimeout == 0 {
		d.DefaultTimeout = 5 * time.Second
	}
	srv, err := NewServer(d)
	require.NoError(tb, err)
	return srv
}

// knownErrorTypes are the contract's error types.
var knownErrorTypes = map[string]bool{
	TypeDataError: true, TypeInvalidAccessTokenError: true, TypeDuplicateDataError: true, TypeRateLimitError: true,
	TypeConnectionError: true, TypeModuleTimeoutError: true, TypeInvalidConfigurationError: true, TypeRuntimeError: true,
}

// checkErrorEnvelope asserts the one shape of every non-2xx answer and
// returns its error object.
func checkErrorEnvelope(t *testing.T, status int, header http.Header, body []byte) map[string]any {
	t.Helper()
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q", status, ct)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil || len(env) != 1 || env["error"] == nil {
		t.Fatalf("status %d: not an error envelope: %s", status, body)
	}
	var e map[string]any
	if err := json.Unmarshal(env["error"], &e); err != nil {
		t.Fatalf("error is not an object: %s", body)
	}
	typ, _ := e["type"].(string)
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	_, retryable := e["retryable"].(bool)
	_, retryAfter := e["retryAfterMs"].(float64)
	if !knownErrorTypes[typ] || code == "" || msg == "" || !retryable || !retryAfter {
		t.Fatalf("error object lacks type, code, message, retryable or retryAfterMs: %s", body)
	}
	if e["requestId"] != header.Get("X-Request-Id") || header.Get("X-Request-Id") == "" {
		t.Fatalf("requestId %v does not match X-Request-Id %q", e["requestId"], header.Get("X-Request-Id"))
	}
	if fields, ok := e["fields"].([]any); ok {
		for _, f := range fields {
			m, _ := f.(map[string]any)
			if name, _ := m["name"].(string); name == "" {
				t.Fatalf("a field problem without a name: %s", body)
			}
		}
	}
	return e
}

// envelopeKeys are the exact member names of the execute envelope and of
// its execution object.
var envelopeKeys = map[string]bool{"connection": true, "parameters": true, "cursor": true, "state": true, "execution": true}
var executionKeys = map[string]bool{"id": true, "cycle": true, "timeoutMs": true}

// FuzzExecuteEnvelope sends arbitrary bytes as the body of an execution
// through the real handler (offline modules). The answer is 200 or a typed
// 4xx, never a 5xx or a panic, and always has the contract's shape; a body
// that decodeJSON accepts uses only the envelope's exact member names and
// survives re-encoding unchanged. Seeds: testdata/fuzz/FuzzExecuteEnvelope.
func FuzzExecuteEnvelope(f *testing.F) {
	conn := `"connection":{"privateToken":"` + testToken + `"}`
	for _, s := range []string{
		`{` + conn + `,"parameters":{"name":"a","count":3,"colour":"BLUE","when":"2025-01-31","tags":["x"],"flag":"yes"}}`,
		`{` + conn + `,"parameters":{"limit":2,"query":"q"},"cursor":"eyJtIjoiZmFrZUxpc3QifQ"}`,
		`{` + conn + `,"parameters":{"limit":5},"state":{"module":"fakeWatch","position":{"n":990}}}`,
		`{` + conn + `,"execution":{"id":"run-1","cycle":1,"timeoutMs":40000}}`,
		`{"connection":{"privateToken":"x"},"parameters":{"a":{"b":[1,2,{"c":null}]}}}`,
		`{` + conn + `,"parameters":{"name":"\u0000"}}`,
		`[]`, `null`, `{}x`, `{"a":1,"a":2}`, "",
	} {
		for mod := range uint8(4) {
			f.Add([]byte(s), mod)
		}
	}
	srv := fakeServer(f, Deps{Logger: zerolog.Nop()})
	names := []string{"fakeEcho", "fakeList", "fakeWatch", "noSuchModule"}
	f.Fuzz(func(t *testing.T, body []byte, mod uint8) {
		name := names[int(mod)%len(names)]
		req := httptest.NewRequest(http.MethodPost, "/v1/modules/"+name+"/execute", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)

		status := rec.Code
		if status >= 500 || (status != http.StatusOK && status < 400) {
			t.Fatalf("%s: status %d for %q: %s", name, status, body, rec.Body.Bytes())
		}
		if status != http.StatusOK {
			e := checkErrorEnvelope(t, status, rec.Header(), rec.Body.Bytes())
			if e["type"] == TypeRuntimeError {
				t.Fatalf("a RuntimeError for %q: %s", body, rec.Body.Bytes())
			}
		} else {
			var ok executeResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &ok); err != nil || ok.Bundles == nil ||
				ok.Meta.Module != name || ok.Meta.Returned != len(ok.Bundles) {
				t.Fatalf("bad success answer for %q: %s", body, rec.Body.Bytes())
			}
		}

		var first executeRequest
		if decodeJSON(body, &first) != nil {
			return
		}
		checkExactKeys(t, body)
		if why := referenceRefusal(body); why != "" {
			t.Fatalf("accepted %q, which has %s", body, why)
		}
		again, err := json.Marshal(first)
		if err != nil {
			t.Fatalf("re-encode %q: %v", body, err)
		}
		var second executeRequest
		if err := decodeJSON(again, &second); err != nil {
			t.Fatalf("re-encoded %q as %s, which is refused: %v", body, again, err)
		}
		first.State, second.State = compactJSON(t, first.State), compactJSON(t, second.State)
		if !reflect.DeepEqual(first, second) {
			t.Fatalf("round trip changed %q:\n%#v\n%#v", body, first, second)
		}
	})
}

// checkExactKeys fails when an accepted body names an envelope member in
// another case: encoding/json would match it case-insensitively, so
// "Cursor" and "cursor" could both be read, the last one silently winning.
func checkExactKeys(t *testing.T, body []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		t.Fatalf("accepted %q, which is not an object", body)
	}
	for k, v := range top {
		if !envelopeKeys[k] {
			t.Fatalf("accepted %q with envelope member %q", body, k)
		}
		var exec map[string]json.RawMessage
		if k == "execution" && json.Unmarshal(v, &exec) == nil {
			for ek := range exec {
				if !executionKeys[ek] {
					t.Fatalf("accepted %q with execution member %q", body, ek)
				}
			}
		}
	}
}

// compactJSON normalises a state for comparison; absent and null mean the
// same (no state).
// referenceRefusal walks body with encoding/json's own tokenizer (keys
// unescaped) and names what decodeJSON must refuse: a duplicate key in one
// object, or nesting deeper than maxJSONDepth. "" when there is none.
func referenceRefusal(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object, wantKey bool
		keys            map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				if len(stack) >= maxJSONDepth {
					return "nesting deeper than the maximum"
				}
				if top != nil && top.object {
					top.wantKey = true
				}
				stack = append(stack, &frame{object: d == '{', wantKey: d == '{', keys: map[string]bool{}})
			} else {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if !top.wantKey {
			top.wantKey = true
			continue
		}
		key := tok.(string)
		if top.keys[key] {
			return fmt.Sprintf("the key %q twice in one object", key)
		}
		top.keys[key], top.wantKey = true, false
	}
}

func compactJSON(t *testing.T, raw json.RawMessage) json.RawMessage {
	t.Helper()
	if raw == nil || string(raw) == "null" {
		return nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		t.Fatalf("state %q is not JSON: %v", raw, err)
	}
	return buf.Bytes()
}

// signatureErrors are the only errors Verify may return.
var signatureErrors = []error{errSignatureMissing, errSignatureTimestamp, errSignatureMismatch, errSignatureReplay, errSignatureMalformed}

// FuzzVerifySignature feeds arbitrary webhook headers and bodies to the
// verifier, whose secrets are random and never shown to the fuzzer. A
// request is accepted only when one of its signatures is the real HMAC
// (the target itself adds it when inject is odd); with a valid signature
// the verdict follows the id, timestamp and size rules exactly; a second
// delivery of an accepted message is a replay; every refusal is one of the
// known sentinel errors. Seeds: testdata/fuzz/FuzzVerifySignature.
func FuzzVerifySignature(f *testing.F) {
	now := time.Unix(vectorTimestamp, 0)
	ts := strconv.Itoa(vectorTimestamp)
	for _, s := range []struct {
		id, ts, sig, body string
		inject            uint8
	}{
		{vectorID, ts, vectorSignature, vectorPayload, 0},
		{vectorID, ts, "", vectorPayload, 1},
		{vectorID, ts, "v1,abc v2,def", vectorPayload, 3},
		{"msg_1", strconv.Itoa(vectorTimestamp - 299), "v1a,xyz", "{}", 1},
		{"msg_2", strconv.Itoa(vectorTimestamp + 301), "", "{}", 1},
		{"msg.dot", ts, "", "", 1},
		{"msg_3", "+" + ts, "v1,====", "\xff", 1},
		{"msg_4", ts + ".0", "v1,", "body", 1},
		{"msg_5", ts, strings.Repeat("v1,AAAA ", 600), "body", 1},
		{"", ts, "v1,x", "", 1},
		{"msg_6", "", "v1,x", "", 1},
	} {
		f.Add(s.id, s.ts, s.sig, []byte(s.body), s.inject)
	}
	keys := [][]byte{make([]byte, 32), make([]byte, 24)}
	secrets := make([]string, len(keys))
	for i, k := range keys {
		_, err := rand.Read(k)
		require.NoError(f, err)
		secrets[i] = "whsec_" + base64.StdEncoding.EncodeToString(k)
	}
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, inject uint8) {
		v, err := NewVerifier(secrets, nil, func() time.Time { return now })
		require.NoError(t, err)
		var real []byte
		if inject%2 == 1 {
			key := keys[int(inject/2)%len(keys)]
			real = sign(key, id, ts, body)
			sig = strings.TrimSpace(sig + " v1," + base64.StdEncoding.EncodeToString(real))
		}
		h := http.Header{}
		h.Set(headerWebhookID, id)
		h.Set(headerWebhookTimestamp, ts)
		h.Set(headerWebhookSignature, sig)
		err = v.Verify(h, body)
		if err != nil && !isSignatureError(err) {
			t.Fatalf("unknown error %v", err)
		}
		knowsKey := false
		for _, key := range keys {
			if carriesSignature(sig, sign(key, id, ts, body)) {
				knowsKey = true
			}
		}
		if err == nil && !knowsKey {
			t.Fatalf("accepted id %q ts %q sig %q body %q without a real signature", id, ts, sig, body)
		}
		if knowsKey {
			if want := expectedVerdict(id, ts, sig, now); !errors.Is(err, want) && (want != nil || err != nil) {
				t.Fatalf("id %q ts %q sig %q: got %v, want %v", id, ts, sig, err, want)
			}
		}
		if err == nil {
			if again := v.Verify(h, body); !errors.Is(again, errSignatureReplay) {
				t.Fatalf("the same message twice: %v, want a replay", again)
			}
		}
	})
}

func isSignatureError(err error) bool {
	for _, e := range signatureErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// carriesSignature reports whether one v1 entry of the header decodes to
// mac.
func carriesSignature(header string, mac []byte) bool {
	for _, c := range strings.Fields(header) {
		version, enc, ok := strings.Cut(c, ",")
		if !ok || version != "v1" {
			continue
		}
		if got, err := base64.StdEncoding.DecodeString(enc); err == nil && hmac.Equal(got, mac) {
			return true
		}
	}
	return false
}

// expectedVerdict is the documented outcome of a correctly signed message.
func expectedVerdict(id, ts, sig string, now time.Time) error {
	switch {
	case id == "" || ts == "" || sig == "":
		return errSignatureMissing
	case len(id) > 256 || len(sig) > maxSignatureHeader || strings.ContainsAny(id, ".\r\n"):
		return errSignatureMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errSignatureMalformed
	}
	if d := time.Unix(sec, 0).Sub(now); d < -signatureTolerance || d > signatureTolerance {
		return errSignatureTimestamp
	}
	return nil
}
