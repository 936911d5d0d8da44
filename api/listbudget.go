package api

import (
	"context"
	"encoding/json"

	"golang.org/x/sync/semaphore"

	"github.com/profitwell-connector/connector/manifest"
)

// DefaultListRows is how many list rows may be in flight at once, in all
// executions together, unless configured: with about 2 KiB per row on the
// way (decoded, converted and encoded), 40 000 rows keep large listings
// near 80 MiB, well inside a 256 MiB pod.
const DefaultListRows = 40_000

// RowBudget bounds the memory of large listings: a list execution reserves
// its limit in rows before it runs and gives them back when its answer is
// written; one that cannot get them waits, within its deadline. Small
// executions weigh little, so only large answers ever wait.
type RowBudget struct {
	sem *semaphore.Weighted
	max int64
}

// NewRowBudget returns a budget of rows in flight.
func NewRowBudget(rows int64) *RowBudget {
	return &RowBudget{sem: semaphore.NewWeighted(rows), max: rows}
}

// acquire reserves the rows of one execution: its limit parameter (or the
// list default) for a list module, nothing otherwise.
func (b *RowBudget) acquire(ctx context.Context, params map[string]any) (release func(), err error) {
	v, ok := params[manifest.LimitName]
	if b == nil || !ok {
		return func() {}, nil
	}
	n := int64(manifest.DefaultLimit)
	if l, ok := v.(json.Number); ok { // request bodies decode numbers so
		if i, err := l.Int64(); err == nil {
			n = i
		}
	}
	n = min(max(n, 1), b.max)
	if err := b.sem.Acquire(ctx, n); err != nil {
		return nil, err
	}
	return func() { b.sem.Release(n) }, nil
}
