package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelopeSeeds are bodies engines send, plus corner cases of each rule.
var envelopeSeeds = []string{
	`{"connection":{"privateToken":"sandbox-private-token"},"parameters":{"planId":"pro"}}`,
	`{"connection":{"privateToken":"t0k3n-abcdef"},"parameters":{"limit":10,"email":"a@b.co","direction":"DESC"},"cursor":"eyJ4IjoxfQ",` +
		`"execution":{"id":"run-1","cycle":2,"timeoutMs":40000}}`,
	` { "connection" : { "privateToken" : "x" } , "parameters" : { "a" : [ 1 , -2.5e3 , true , false , null , "s" , { } , [ ] ] } } `,
	`{"connection":null,"parameters":null,"cursor":null,"state":null,"execution":null}`,
	`{"state":{"module":"watchCustomers","position":{"n":990,"ids":["a","b"]}}}`,
	`{"state":"opaque"}`, `{"state":12}`, `{"state": [1, {"a": 2}] }`,
	`{"parameters":{"name":"caf\u00e9 \"q\" \\ \/ \n","ünï":"ß"}}`,
	`{"parameters":{"big":123456789012345678901234567890,"neg":-0,"exp":1E+2}}`,
	`{"execution":{"id":null,"cycle":null,"timeoutMs":null}}`,
	`{"execution":{"cycle":1.5}}`, `{"execution":{"cycle":1e2}}`, `{"execution":{"timeoutMs":99999999999999999999}}`,
	`{"execution":{"id":"a","id":"b"}}`, `{"execution":{"ID":"a"}}`, `{"execution":{"other":1}}`, `{"execution":[]}`,
	`{"cursor":1}`, `{"cursor":"a","cursor":"b"}`, `{"Cursor":"a"}`, `{"\u0063ursor":"a"}`,
	`{"parameters":{"a":1,"a":2}}`, `{"parameters":[]}`, `{"parameters":"x"}`, `{"connection":{"privateToken":1}}`,
	`{"unknown":1}`, `{}`, `{} `, `{}x`, `{}{}`, `[]`, `null`, `"x"`, ``, ` `, `{`, `{"a"`, `{"cursor":}`,
	`{"parameters":{"a":[1,]}}`, `{"parameters":{"a":01}}`, `{"parameters":{"a":tru}}`, `{"parameters":{"a":"\x"}}`,
	"{\"parameters\":{\"a\":\"\xff\"}}", "{\"parameters\":{\"a\":\"\x01\"}}", `{"parameters":{"s":"\ud800"}}`,
	`{"query":"q","parameters":{}}`,
	`{"parameters":` + strings.Repeat(`{"a":`, 70) + `1` + strings.Repeat(`}`, 70) + `}`,
	`{"parameters":` + strings.Repeat(`[`, 62) + strings.Repeat(`]`, 62) + `}`,
}

// newTargets are fresh values of every type the fast path decodes.
func newTargets() []any { return []any{&executeRequest{}, &verifyRequest{}, &rpcRequest{}} }

// TestEnvelopeFastPathAcceptsUsualBodies: the bodies engines send do take
// the fast path (a fast path that always declined would pass the fuzz test).
func TestEnvelopeFastPathAcceptsUsualBodies(t *testing.T) {
	for _, body := range envelopeSeeds[:11] {
		var req executeRequest
		assert.True(t, decodeEnvelope([]byte(body), &req), "%s", body)
	}
	var rpc rpcRequest
	assert.True(t, decodeEnvelope([]byte(`{"connection":{"privateToken":"x"},"query":"ab","cursor":"c"}`), &rpc))
	assert.Equal(t, "ab", rpc.Query)
	var v verifyRequest
	assert.True(t, decodeEnvelope([]byte(`{"connection":{"privateToken":"x"}}`), &v))
	assert.Equal(t, map[string]any{"privateToken": "x"}, v.Connection)
}

func TestEnvelopeFastPathValues(t *testing.T) {
	var req executeRequest
	require.True(t, decodeEnvelope([]byte(`{"connection":{"privateToken":"t"},"parameters":{"n":1.50,"l":[true,null],"o":{"k":"v"}},`+
		`"cursor":"c","state":{"a": 1},"execution":{"id":"e","cycle":3,"timeoutMs":500}}`), &req))
	assert.Equal(t, executeRequest{
		Connection: map[string]any{"privateToken": "t"},
		Parameters: map[string]any{"n": json.Number("1.50"), "l": []any{true, nil}, "o": map[string]any{"k": "v"}},
		Cursor:     "c",
		State:      json.RawMessage(`{"a": 1}`),
		Execution:  &executionInfo{ID: "e", Cycle: 3, TimeoutMs: 500},
	}, req)
}

// TestEnvelopeFastPathDeclines: what the strict path refuses, the fast path
// leaves to it, and the value is reset for it.
func TestEnvelopeFastPathDeclines(t *testing.T) {
	for _, body := range []string{`{"cursor":"a","cursor":"b"}`, `{"parameters":{"a":1,"a":2}}`, `{"Cursor":"a"}`,
		`{"connection":{"privateToken":"x"},"execution":{"cycle":1.5}}`, `{"connection":{"privateToken":"x"}}x`, "{\"cursor\":\"\xff\"}"} {
		req := executeRequest{}
		assert.False(t, decodeEnvelope([]byte(body), &req), "%s", body)
		assert.Equal(t, executeRequest{}, req, "%s", body)
		assert.Error(t, decodeJSON([]byte(body), &executeRequest{}), "%s", body)
	}
}

func TestEnvelopeFastPathMatchesStrictOnSeeds(t *testing.T) {
	for _, body := range envelopeSeeds {
		compareEnvelopePaths(t, []byte(body))
	}
}

// FuzzEnvelopeFastPath: whenever the fast path accepts a body, the strict
// path accepts it too and decodes exactly the same values.
func FuzzEnvelopeFastPath(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { compareEnvelopePaths(t, body) })
}

func compareEnvelopePaths(t *testing.T, body []byte) {
	t.Helper()
	fast, strict := newTargets(), newTargets()
	for i := range fast {
		if !decodeEnvelope(body, fast[i]) {
			if !reflect.DeepEqual(fast[i], strict[i]) {
				t.Fatalf("declined %q but left values in %T: %#v", body, fast[i], fast[i])
			}
			continue
		}
		if err := strictDecode(body, strict[i]); err != nil {
			t.Fatalf("fast path accepted %q as %T, the strict path refuses it: %v", body, fast[i], err)
		}
		if !reflect.DeepEqual(fast[i], strict[i]) {
			t.Fatalf("paths differ on %q as %T:\nfast   %#v\nstrict %#v", body, fast[i], fast[i], strict[i])
		}
	}
}
