package modules

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/manifest"
)

// numbersParams drives the fake list modules below.
type numbersParams struct {
	Total int `param:"total"`
	Limit int `param:"limit"`
}

func numbersSpec(name string) manifest.ModuleSpec {
	return manifest.ModuleSpec{
		Name: name, Label: "Numbers", Description: "Counts.", Group: "Test", Kind: manifest.KindSearch,
		Expect: []manifest.Field{
			{Name: "total", Label: "Total", Help: "How many exist.", Type: manifest.TypeUInteger, Required: true},
			manifest.LimitField("numbers"),
		},
		Interface: []manifest.Field{{Name: "n", Label: "N", Type: manifest.TypeUInteger}},
		Samples:   map[string]any{"n": 1},
	}
}

// pagedNumbers is a list of 0..total-1 over an endpoint paged by page
// number, with pages of up to 4, that records every page request it serves.
type pagedNumbers struct {
	*Paged[numbersParams, Offset]
	requests []PageRequest[Offset]
	pages    [][2]int // page number and page size of every upstream call
	calls    atomic.Int32
	delay    time.Duration
}

func newPagedNumbers() *pagedNumbers {
	pn := &pagedNumbers{}
	byNumber := PageNumbers(4, func(ctx context.Context, _ Env, p numbersParams, page, perPage int) ([]any, error) {
		pn.pages = append(pn.pages, [2]int{page, perPage})
		if pn.delay > 0 {
			select {
			case <-time.After(pn.delay):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		var items []any
		for i := (page - 1) * perPage; i < p.Total && len(items) < perPage; i++ {
			items = append(items, map[string]any{"n": i})
		}
		return items, nil
	})
	pn.Paged = &Paged[numbersParams, Offset]{
		Def:         numbersSpec("pagedNumbers"),
		MaxPageSize: 4,
		Page: func(ctx context.Context, env Env, p numbersParams, req PageRequest[Offset]) (Page[Offset], error) {
			pn.requests = append(pn.requests, req)
			pn.calls.Add(1)
			return byNumber(ctx, env, p, req)
		},
	}
	return pn
}

var allNumbers = &List[numbersParams]{
	Def: numbersSpec("allNumbers"),
	All: func(_ context.Context, _ Env, p numbersParams) ([]any, error) {
		out := make([]any, p.Total)
		for i := range out {
			out[i] = map[string]any{"n": i}
		}
		return out, nil
	},
}

func newTestRegistry(t *testing.T, mods ...Module) *Registry {
	t.Helper()
	r, err := NewRegistry(Options{LimitCap: 100}, mods, nil)
	require.NoError(t, err)
	return r
}

func ns(out Output) []int {
	got := make([]int, len(out.Bundles))
	for i, b := range out.Bundles {
		got[i] = b.(map[string]any)["n"].(int)
	}
	return got
}

func seq(from, to int) []int {
	out := []int{}
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestPagedListReturnsExactlyLimitWithMinimalPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		total, limit int
		wantSizes    []int // the Size of every page request
		wantMore     bool
	}{
		{total: 10, limit: 3, wantSizes: []int{3}, wantMore: true},
		{total: 10, limit: 4, wantSizes: []int{4}, wantMore: true},
		{total: 10, limit: 9, wantSizes: []int{4, 4, 1}, wantMore: true},
		{total: 10, limit: 50, wantSizes: []int{4, 4, 4}, wantMore: false},
		{total: 8, limit: 50, wantSizes: []int{4, 4, 4}, wantMore: false}, // the empty page ends it
		{total: 0, limit: 5, wantSizes: []int{4}, wantMore: false},
	} {
		t.Run(fmt.Sprintf("total=%d,limit=%d", tc.total, tc.limit), func(t *testing.T) {
			t.Parallel()
			pn := newPagedNumbers()
			r := newTestRegistry(t, pn)
			out, err := r.Execute(context.Background(), Env{}, Request{
				Module: "pagedNumbers", Parameters: map[string]any{"total": tc.total, "limit": tc.limit},
			})
			require.NoError(t, err)
			want := min(tc.total, tc.limit)
			assert.Equal(t, seq(0, want), ns(out))
			var sizes []int
			for _, rq := range pn.requests {
				sizes = append(sizes, rq.Size)
			}
			assert.Equal(t, tc.wantSizes, sizes)
			assert.Equal(t, tc.wantMore, out.HasMore)
			assert.Equal(t, tc.wantMore, out.NextCursor != "")
		})
	}
}

func TestCursorContinuesWithNothingSkippedOrRepeated(t *testing.T) {
	t.Parallel()
	for _, mod := range []Module{newPagedNumbers(), allNumbers} {
		t.Run(mod.Spec().Name, func(t *testing.T) {
			t.Parallel()
			r := newTestRegistry(t, mod)
			var got []int
			cursor := ""
			for calls := 0; calls < 20; calls++ {
				out, err := r.Execute(context.Background(), Env{}, Request{
					Module: mod.Spec().Name, TokenHash: "tok", Cursor: cursor,
					Parameters: map[string]any{"total": 23, "limit": 5},
				})
				require.NoError(t, err)
				got = append(got, ns(out)...)
				if !out.HasMore {
					break
				}
				cursor = out.NextCursor
			}
			assert.Equal(t, seq(0, 23), got)
		})
	}
}

func TestCursorFromElsewhereIsADataError(t *testing.T) {
	t.Parallel()
	pn := newPagedNumbers()
	r := newTestRegistry(t, pn, allNumbers)
	first, err := r.Execute(context.Background(), Env{}, Request{
		Module: "pagedNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 20, "limit": 5},
	})
	require.NoError(t, err)
	require.NotEmpty(t, first.NextCursor)

	for name, req := range map[string]Request{
		"another token":     {Module: "pagedNumbers", TokenHash: "other", Parameters: map[string]any{"total": 20, "limit": 5}},
		"another query":     {Module: "pagedNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 21, "limit": 5}},
		"another module":    {Module: "allNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 20, "limit": 5}},
		"garbage":           {Module: "pagedNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 20}, Cursor: "%%%not-base64"},
		"valid base64 junk": {Module: "pagedNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 20}, Cursor: "e30"},
		"too long":          {Module: "pagedNumbers", TokenHash: "tok", Parameters: map[string]any{"total": 20}, Cursor: string(make([]byte, 5000))},
	} {
		if req.Cursor == "" {
			req.Cursor = first.NextCursor
		}
		_, err := r.Execute(context.Background(), Env{}, req)
		var verr *manifest.ValidationError
		require.ErrorAs(t, err, &verr, name)
		assert.Equal(t, "cursor", verr.Problems[0].Name, name)
		assert.ErrorIs(t, err, ErrBadCursor, name)
	}

	// The limit may change between calls: the cursor still continues.
	out, err := r.Execute(context.Background(), Env{}, Request{
		Module: "pagedNumbers", TokenHash: "tok", Cursor: first.NextCursor,
		Parameters: map[string]any{"total": 20, "limit": 7},
	})
	require.NoError(t, err)
	assert.Equal(t, seq(5, 12), ns(out))
}

func TestPagedListStopsBeforeTheDeadlineWithACursor(t *testing.T) {
	t.Parallel()
	pn := newPagedNumbers()
	pn.delay = 40 * time.Millisecond
	r := newTestRegistry(t, pn)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	out, err := r.Execute(ctx, Env{}, Request{Module: "pagedNumbers", Parameters: map[string]any{"total": 100, "limit": 100}})
	require.NoError(t, err)
	assert.NotEmpty(t, out.Bundles)
	assert.Less(t, len(out.Bundles), 100)
	assert.True(t, out.HasMore)
	assert.NotEmpty(t, out.NextCursor)
	assert.NoError(t, ctx.Err(), "it stopped before the deadline")
}

func TestPagedListFailsWhenNothingFitsTheDeadline(t *testing.T) {
	t.Parallel()
	pn := newPagedNumbers()
	pn.delay = time.Second
	r := newTestRegistry(t, pn)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Execute(ctx, Env{}, Request{Module: "pagedNumbers", Parameters: map[string]any{"total": 10}})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestPagedListGuards(t *testing.T) {
	t.Parallel()
	tooMany := &Paged[numbersParams, int]{
		Def: numbersSpec("tooMany"), MaxPageSize: 2,
		Page: func(context.Context, Env, numbersParams, PageRequest[int]) (Page[int], error) {
			return Page[int]{Items: []any{1, 2, 3}}, nil
		},
	}
	endless := &Paged[numbersParams, int]{
		Def: numbersSpec("endless"), MaxPageSize: 2,
		Page: func(context.Context, Env, numbersParams, PageRequest[int]) (Page[int], error) {
			return Page[int]{Next: 1}, nil
		},
	}
	failing := &Paged[numbersParams, int]{
		Def: numbersSpec("failing"), MaxPageSize: 2,
		Page: func(context.Context, Env, numbersParams, PageRequest[int]) (Page[int], error) {
			return Page[int]{}, errors.New("boom")
		},
	}
	r := newTestRegistry(t, tooMany, endless, failing)
	_, err := r.Execute(context.Background(), Env{}, Request{Module: "tooMany", Parameters: map[string]any{"total": 1}})
	assert.ErrorContains(t, err, "page of 3 items for a request of 2")
	_, err = r.Execute(context.Background(), Env{}, Request{Module: "endless", Parameters: map[string]any{"total": 1}})
	assert.ErrorContains(t, err, "pages without reaching the end")
	_, err = r.Execute(context.Background(), Env{}, Request{Module: "failing", Parameters: map[string]any{"total": 1}})
	assert.ErrorContains(t, err, "boom")
}

func TestAllListCutsToTheLimit(t *testing.T) {
	t.Parallel()
	r := newTestRegistry(t, allNumbers)
	out, err := r.Execute(context.Background(), Env{}, Request{Module: "allNumbers", Parameters: map[string]any{"total": 12, "limit": 10}})
	require.NoError(t, err)
	assert.Equal(t, seq(0, 10), ns(out))
	assert.True(t, out.HasMore)
	out, err = r.Execute(context.Background(), Env{}, Request{Module: "allNumbers", Parameters: map[string]any{"total": 12, "limit": 12}})
	require.NoError(t, err)
	assert.Len(t, out.Bundles, 12)
	assert.False(t, out.HasMore)
	assert.Empty(t, out.NextCursor)
}

// TestPageNumbersServesAnySizeAtAnyOffset: over an endpoint paged by page
// number and size (ProfitWell's customers API: page from 1, per_page up to a
// maximum, profitwell-api.md §6.1), a list continued with changing limits
// lists every item once, in order, never asks for a page larger than the
// maximum, and asks for exactly the page size the limit needs when the
// offset allows it.
func TestPageNumbersServesAnySizeAtAnyOffset(t *testing.T) {
	t.Parallel()
	for _, limits := range [][]int{{1}, {3}, {4}, {5, 2, 7}, {3, 3, 4, 1}, {100}} {
		pn := newPagedNumbers()
		r := newTestRegistry(t, pn)
		var got []int
		cursor := ""
		for call := 0; ; call++ {
			require.Less(t, call, 100)
			out, err := r.Execute(context.Background(), Env{}, Request{Module: "pagedNumbers", TokenHash: "tok", Cursor: cursor,
				Parameters: map[string]any{"total": 23, "limit": limits[call%len(limits)]}})
			require.NoError(t, err)
			got = append(got, ns(out)...)
			if !out.HasMore {
				break
			}
			cursor = out.NextCursor
		}
		assert.Equal(t, seq(0, 23), got, "limits %v", limits)
		for _, pg := range pn.pages {
			assert.LessOrEqual(t, pg[1], 4, "limits %v", limits)
			assert.GreaterOrEqual(t, pg[0], 1, "limits %v", limits)
		}
	}
	pn := newPagedNumbers()
	r := newTestRegistry(t, pn)
	out, err := r.Execute(context.Background(), Env{}, Request{Module: "pagedNumbers", Parameters: map[string]any{"total": 23, "limit": 10}})
	require.NoError(t, err)
	assert.Equal(t, seq(0, 10), ns(out))
	assert.Equal(t, [][2]int{{1, 4}, {2, 4}, {5, 2}}, pn.pages, "offset 8 with 2 to go: page 5 of 2")
}
