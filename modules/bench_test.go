package modules

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/profitwell-connector/connector/manifest"
)

// BenchmarkListRunner is the list runner (parameters binding, the paging
// loop, cut and cursor) over pre-fetched pages of 250 items: what an
// execution costs besides upstream I/O, decoding and encoding.
func BenchmarkListRunner(b *testing.B) {
	for _, limit := range []int{250, 1000} {
		b.Run(strconv.Itoa(limit), func(b *testing.B) {
			pages := make([]Page[int], 4)
			for p := range pages {
				items := make([]any, 250)
				for i := range items {
					items[i] = map[string]any{"id": fmt.Sprintf("cus_%d_%d", p, i)}
				}
				pages[p] = Page[int]{Items: items, Next: p + 1}
			}
			l := &Paged[listPlansParams, int]{
				Def:         manifest.ModuleSpec{Name: "benchList", Kind: manifest.KindSearch, Expect: []manifest.Field{manifest.LimitField("items")}},
				MaxPageSize: 250,
				Page: func(_ context.Context, _ Env, _ listPlansParams, req PageRequest[int]) (Page[int], error) {
					return pages[req.At%len(pages)], nil
				},
			}
			in := input{values: manifest.Values{manifest.LimitName: int64(limit)}, limit: limit}
			env := Env{Now: time.Now}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := l.run(ctx, env, in)
				if err != nil || len(out.Bundles) != limit {
					b.Fatalf("%d bundles, %v", len(out.Bundles), err)
				}
			}
		})
	}
}

// BenchmarkValidate is manifest.Validate (defaults, conversions, rules) of
// two modules' parameters as an engine sends them (JSON numbers, strings).
func BenchmarkValidate(b *testing.B) {
	reg, err := Default(Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		module string
		params map[string]any
	}{
		{"getPlan", map[string]any{"planId": "pro"}},
		{"listCustomers", map[string]any{"email": "jane@example.com", "updatedFrom": "2025-01-01T00:00:00Z",
			"direction": "DESC", "limit": json.Number("250")}},
	} {
		b.Run(c.module, func(b *testing.B) {
			spec, _ := reg.Spec(c.module)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := manifest.Validate(spec.Inputs(), c.params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
