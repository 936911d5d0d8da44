package modules

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

type fuzzListParams struct {
	Query string `param:"query"`
	Limit int    `param:"limit"`
}

func fuzzListSpec(name string) manifest.ModuleSpec {
	return manifest.ModuleSpec{
		Name: name, Label: name, Description: "Offline list for fuzzing.", Group: "Test", Kind: manifest.KindSearch,
		Annotations: manifest.Annotations{ReadOnly: true},
		Expect: []manifest.Field{
			{Name: "query", Label: "Query", Help: "h", Type: manifest.TypeText},
			manifest.LimitField("things"),
		},
		Interface: []manifest.Field{{Name: "id", Label: "ID", Type: manifest.TypeText}},
		Samples:   map[string]any{"id": "x"},
	}
}

// fuzzRegistry holds two offline lists: one that comes in one piece (the
// runner continues it by offset) and one paged by a position of its own.
func fuzzRegistry(tb testing.TB) *Registry {
	tb.Helper()
	all := &List[fuzzListParams]{
		Def: fuzzListSpec("fuzzAll"),
		All: func(_ context.Context, _ Env, p fuzzListParams) ([]any, error) {
			out := make([]any, 23)
			for i := range out {
				out[i] = fmt.Sprintf("%s-%d", p.Query, i)
			}
			return out, nil
		},
	}
	paged := &Paged[fuzzListParams, Offset]{
		Def:         fuzzListSpec("fuzzPaged"),
		MaxPageSize: 4,
		Page: PageNumbers(4, func(_ context.Context, _ Env, p fuzzListParams, page, perPage int) ([]any, error) {
			var items []any
			for i := (page - 1) * perPage; i < 30 && len(items) < perPage; i++ {
				items = append(items, fmt.Sprintf("%s-%d", p.Query, i))
			}
			return items, nil
		}),
	}
	reg, err := NewRegistry(Options{}, []Module{all, paged}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return reg
}

// fuzzQuery is one query of the offline lists.
type fuzzQuery struct {
	module, token, text string
}

func (q fuzzQuery) binding() string {
	return cursorBinding(q.module, q.token, manifest.Values{"query": q.text, "limit": int64(5)})
}

func (q fuzzQuery) execute(reg *Registry, cursor string, limit int) (Output, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return reg.Execute(ctx, Env{Now: time.Now}, Request{
		Module: q.module, TokenHash: q.token, Cursor: cursor,
		Parameters: map[string]any{"query": q.text, "limit": limit},
	})
}

// isCursorError reports whether err is a DataError on the field "cursor"
// alone.
func isCursorError(err error) bool {
	var verr *manifest.ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) == 0 {
		return false
	}
	for _, p := range verr.Problems {
		if p.Name != "cursor" {
			return false
		}
	}
	return true
}

// FuzzCursor sends arbitrary cursors to the sealer and, through
// Registry.Execute, to two offline lists. A cursor is refused with a
// DataError on "cursor", or accepted because this registry sealed it for
// exactly this module and query: positions sealed under another key, or
// altered, are refused; no cursor ever works for another module, connection
// or set of parameters; every cursor Execute returns is accepted; nothing
// panics. Seeds: testdata/fuzz/FuzzCursor, plus real cursors made here.
func FuzzCursor(f *testing.F) {
	reg := fuzzRegistry(f)
	forger, err := newSealer(nil)
	if err != nil {
		f.Fatal(err)
	}
	queries := []fuzzQuery{
		{"fuzzAll", "tokenhash-a", "a"}, {"fuzzPaged", "tokenhash-a", "a"},
		{"fuzzAll", "tokenhash-b", "a"}, {"fuzzAll", "tokenhash-a", "b"},
	}
	for i, q := range queries {
		out, err := q.execute(reg, "", 5)
		if err != nil || out.NextCursor == "" {
			f.Fatalf("%v: %v", q, err)
		}
		f.Add(out.NextCursor, uint8(i))
		f.Add(out.NextCursor+"A", uint8(i))
		f.Add(forger.seal(q.binding(), []byte(`{"o":-1,"n":-1}`)), uint8(i))
		f.Add(forger.seal(q.binding(), []byte(`{"o":9223372036854775807,"n":1e9}`)), uint8(i))
		f.Add(reg.seal.seal(q.binding(), []byte(`"x"`)), uint8(i))
	}
	for _, s := range []string{"", "x", "!!!!", "e30", "bnVsbA", "e30.AAAAAAAAAAAAAAAAAAAAAA", "eyJtIjoiIiwiZiI6IiIsInAiOjF9"} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, cursor string, which uint8) {
		q := queries[int(which)%len(queries)]
		_, err := reg.seal.open(q.binding(), cursor)
		if _, ferr := forger.open(q.binding(), cursor); ferr == nil && err == nil {
			t.Fatalf("cursor %q opens under two keys", cursor)
		}
		// The same string for every other query is refused.
		for _, other := range queries {
			if other == q {
				continue
			}
			if _, oerr := reg.seal.open(other.binding(), cursor); oerr == nil && err == nil {
				t.Fatalf("cursor %q works for %v and %v", cursor, q, other)
			}
		}

		limit := 1 + int(which)%7
		out, xerr := q.execute(reg, cursor, limit)
		switch {
		case xerr != nil && !isCursorError(xerr):
			t.Fatalf("cursor %q: execute error %v is not a DataError on cursor", cursor, xerr)
		case xerr != nil && cursor != "" && err != nil && !errors.Is(xerr, ErrBadCursor):
			t.Fatalf("cursor %q: execute error %v does not wrap ErrBadCursor", cursor, xerr)
		case xerr == nil && cursor != "" && err != nil:
			t.Fatalf("cursor %q refused by the sealer (%v) but accepted by Execute", cursor, err)
		case xerr == nil:
			if len(out.Bundles) > limit {
				t.Fatalf("cursor %q: %d bundles for limit %d", cursor, len(out.Bundles), limit)
			}
			if out.NextCursor != "" {
				if _, err := q.execute(reg, out.NextCursor, limit); err != nil {
					t.Fatalf("next cursor %q of %q is refused: %v", out.NextCursor, cursor, err)
				}
			}
		}
		if cursor == "" || err != nil {
			return // an empty cursor is no cursor; a foreign one may be another query's
		}
		for _, other := range queries {
			if other == q {
				continue
			}
			if _, oerr := other.execute(reg, cursor, limit); oerr == nil || !isCursorError(oerr) {
				t.Fatalf("cursor %q of %v is not refused by %v: %v", cursor, q, other, oerr)
			}
		}
	})
}
