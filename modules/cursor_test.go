package modules

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func keyOf(c byte) []byte { return []byte(strings.Repeat(string(c), MinCursorKeyLen)) }

// TestCursorsAreAuthenticated: a cursor is accepted only by a registry
// holding the key that sealed it (rotation: the first key signs, every key
// verifies), and any change to it is a DataError on "cursor".
func TestCursorsAreAuthenticated(t *testing.T) {
	t.Parallel()
	pn := newPagedNumbers()
	reg := func(keys ...[]byte) *Registry {
		r, err := NewRegistry(Options{CursorKeys: keys}, []Module{pn}, nil)
		require.NoError(t, err)
		return r
	}
	a, b, rotated, other := reg(keyOf('a')), reg(keyOf('a')), reg(keyOf('b'), keyOf('a')), reg(keyOf('c'))
	exec := func(r *Registry, cursor string) (Output, error) {
		return r.Execute(context.Background(), Env{}, Request{Module: "pagedNumbers", TokenHash: "tok", Cursor: cursor,
			Parameters: map[string]any{"total": 20, "limit": 5}})
	}
	first, err := exec(a, "")
	require.NoError(t, err)
	out, err := exec(b, first.NextCursor)
	require.NoError(t, err, "a replica with the same key continues")
	assert.Equal(t, seq(5, 10), ns(out))
	out, err = exec(rotated, first.NextCursor)
	require.NoError(t, err, "an old key still verifies")
	_, err = exec(a, out.NextCursor)
	assert.Equal(t, map[string]string{"cursor": "belongs to another module, connection or set of parameters"}, fieldProblems(t, err),
		"a registry without the new key refuses what it signs")

	pos, tag, ok := strings.Cut(first.NextCursor, ".")
	require.True(t, ok)
	raw, err := base64.RawURLEncoding.DecodeString(pos)
	require.NoError(t, err)
	forged := strings.Replace(string(raw), "5", "15", 1)
	require.NotEqual(t, string(raw), forged)
	for name, cursor := range map[string]string{
		"another key":         other.seal.seal(cursorBinding("pagedNumbers", "tok", nil), raw),
		"position changed":    base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + tag,
		"tag changed":         pos + "." + strings.ToUpper(tag[:1]) + strings.ToLower(tag[1:]),
		"tag missing":         pos,
		"tag truncated":       pos + "." + tag[:10],
		"unsigned, as of old": base64.RawURLEncoding.EncodeToString([]byte(`{"m":"pagedNumbers","f":"x","p":{"n":15}}`)),
	} {
		_, err := exec(a, cursor)
		assert.Contains(t, fieldProblems(t, err), "cursor", name)
		assert.ErrorIs(t, err, ErrBadCursor, name)
	}

	_, err = NewRegistry(Options{CursorKeys: [][]byte{[]byte("short")}}, []Module{pn}, nil)
	assert.ErrorContains(t, err, "cursor keys must each be at least 32 bytes")
	assert.NotContains(t, err.Error(), "short", "a key is never echoed")
}

// TestTriggerStatesAreAuthenticated: a trigger's state is accepted only as
// written; any change, or a state of another module, is a DataError naming
// "state".
func TestTriggerStatesAreAuthenticated(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	_, state := poll(t, s, map[string]any{"since": "2000-01-01", "limit": 3}, nil)
	var st triggerState
	require.NoError(t, json.Unmarshal(state, &st))
	pos, tag, _ := strings.Cut(st.Position, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(pos)
	forgedPos := strings.Replace(string(raw), `"f":`, `"f":1`, 1)
	require.NotEqual(t, string(raw), forgedPos)
	mk := func(module, position string) string {
		b, _ := json.Marshal(triggerState{Module: module, Position: position})
		return string(b)
	}
	for name, bad := range map[string]string{
		"position changed":    mk("watchCustomers", base64.RawURLEncoding.EncodeToString([]byte(forgedPos))+"."+tag),
		"tag changed":         mk("watchCustomers", pos+"."+strings.Repeat("A", len(tag))),
		"not sealed":          mk("watchCustomers", "garbage"),
		"unsigned, as of old": `{"module":"watchCustomers","position":{"f":1}}`,
		"another module":      mk("listCustomers", st.Position),
		"extra member":        `{"module":"watchCustomers","position":"` + st.Position + `","x":1}`,
	} {
		_, err := s.reg.Execute(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now}, Request{
			Module: "watchCustomers", TokenHash: s.token.Hash(), Parameters: map[string]any{}, State: json.RawMessage(bad),
		})
		assert.Contains(t, fieldProblems(t, err), "state", name)
		assert.NotContains(t, fieldProblems(t, err), "cursor", name)
	}
	out, _ := poll(t, s, map[string]any{"since": "2000-01-01", "limit": 3}, state)
	assert.Len(t, out.Bundles, 3, "the state as written continues")
}

// TestEngineAfterStatesAreCheckedStrictly: the engine's own position form
// ({"module", "after": {"date", "id"}}, which Make composes and so cannot
// sign) is taken unsigned but checked field by field; every problem is a
// DataError naming "state", and a trigger without a Resume hook refuses the
// form altogether.
func TestEngineAfterStatesAreCheckedStrictly(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	_, state := poll(t, s, map[string]any{"since": "2000-01-01", "limit": 3}, nil)
	var st triggerState
	require.NoError(t, json.Unmarshal(state, &st))
	date := `"date":"2026-01-01T00:00:00.123Z"`
	for name, bad := range map[string]string{
		"beside a signed position": `{"module":"watchCustomers","position":"` + st.Position + `","after":{` + date + `}}`,
		"another module":           `{"module":"listCustomers","after":{` + date + `}}`,
		"no module":                `{"after":{` + date + `}}`,
		"id without a date":        `{"module":"watchCustomers","after":{"id":"cus_1"}}`,
		"date not ISO 8601":        `{"module":"watchCustomers","after":{"date":"01/02/2026"}}`,
		"date without a zone":      `{"module":"watchCustomers","after":{"date":"2026-01-01T00:00:00"}}`,
		"date not a string":        `{"module":"watchCustomers","after":{"date":1767225600}}`,
		"id with a control":        `{"module":"watchCustomers","after":{` + date + `,"id":"cus\n1"}}`,
		"id too long":              `{"module":"watchCustomers","after":{` + date + `,"id":"` + strings.Repeat("x", maxEngineIDLen+1) + `"}}`,
		"unknown member":           `{"module":"watchCustomers","after":{` + date + `,"x":1}}`,
		"after not an object":      `{"module":"watchCustomers","after":"2026-01-01"}`,
	} {
		_, err := s.reg.Execute(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now}, Request{
			Module: "watchCustomers", TokenHash: s.token.Hash(), Parameters: map[string]any{}, State: json.RawMessage(bad),
		})
		assert.Contains(t, fieldProblems(t, err), "state", name)
	}

	// A well-formed engine position runs, and the state it answers with is
	// a signed position that continues where the run stopped.
	first, next := poll(t, s, map[string]any{"limit": 2}, json.RawMessage(`{"module":"watchCustomers","after":{}}`))
	require.Len(t, first.Bundles, 2)
	require.NoError(t, json.Unmarshal(next, &st))
	assert.NotEmpty(t, st.Position)
	second, _ := poll(t, s, map[string]any{"limit": 2}, next)
	require.Len(t, second.Bundles, 2)
	assert.NotEqual(t, ids(customersOf(t, first)), ids(customersOf(t, second)))

	// A trigger without Resume takes only its signed states.
	plain := newWatchCustomers(customersWindow)
	plain.Resume = nil
	reg, err := NewRegistry(Options{}, []Module{plain}, nil)
	require.NoError(t, err)
	_, err = reg.Execute(context.Background(), Env{PW: s.client.Session(s.token), Now: time.Now}, Request{
		Module: "watchCustomers", TokenHash: s.token.Hash(), Parameters: map[string]any{},
		State: json.RawMessage(`{"module":"watchCustomers","after":{` + date + `}}`),
	})
	assert.Contains(t, fieldProblems(t, err), "state")
}
