package modules

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
)

// afterReference is the position after the first n rows as first written:
// every row read in order, the anchor reset whenever the second changes.
func afterReference(cp *customersPage, n int) customersPos {
	next := customersPos{From: cp.base.From, To: cp.base.To, Sec: cp.base.Sec, Count: cp.base.Count, Seen: append([]byte(nil), cp.base.Seen...)}
	if n == len(cp.rows) {
		next.Page, next.PerPage = cp.page+1, cp.perPage
	}
	for i := range cp.rows[:n] {
		sec := customerUpdated(&cp.rows[i]).Unix()
		if next.Sec == nil || *next.Sec != sec {
			next.Sec, next.Count, next.Seen = &sec, 0, nil
		}
		if next.remembers() && next.Count < maxSeen {
			next.Seen = append(next.Seen, customerHash(&cp.rows[i])...)
		} else {
			next.Seen = nil
		}
		next.Count++
	}
	return next
}

// TestAfterReadsOnlyTheLastSecond: after, which reads only the last run of
// rows in one second, writes the same positions as reading every row.
func TestAfterReadsOnlyTheLastSecond(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for trial := range 3000 {
		rows := make([]profitwell.CustomerRow, rng.IntN(12))
		sec := 0
		for i := range rows {
			sec += rng.IntN(3) // runs of equal seconds, ascending
			if rng.IntN(4) == 0 {
				sec -= rng.IntN(2) // and some going back (desc or odd data)
			}
			updated := base.Add(time.Duration(sec)*time.Second + time.Duration(rng.IntN(1000))*time.Microsecond).Format(time.RFC3339Nano)
			if rng.IntN(15) == 0 {
				updated = "" // null or unreadable: second 0
			}
			rows[i] = profitwell.CustomerRow{CustomerID: fmt.Sprintf("c%d", i), UpdatedOn: updated}
		}
		cp := &customersPage{rows: rows, page: 3, perPage: len(rows)}
		if rng.IntN(2) == 0 {
			s := base.Unix() + int64(rng.IntN(3))
			cp.base.Sec = &s
			cp.base.Count = rng.IntN(4)
			for k := range cp.base.Count {
				cp.base.Seen = append(cp.base.Seen, customerHash(&profitwell.CustomerRow{CustomerID: fmt.Sprint("old", k)})...)
			}
		}
		for n := 0; n <= len(rows); n++ {
			want, err := json.Marshal(afterReference(cp, n))
			require.NoError(t, err)
			got, err := json.Marshal(cp.after(n))
			require.NoError(t, err)
			require.JSONEq(t, string(want), string(got), "trial %d, n %d", trial, n)
		}
	}
}

// TestAfterCountsPastMaxSeen: a page of rows all in one second remembers at
// most maxSeen of them one by one; past that it only counts them.
func TestAfterCountsPastMaxSeen(t *testing.T) {
	t.Parallel()
	rows := make([]profitwell.CustomerRow, maxSeen+50)
	for i := range rows {
		rows[i] = profitwell.CustomerRow{CustomerID: fmt.Sprint(i), UpdatedOn: "2025-01-01T00:00:00Z"}
	}
	cp := &customersPage{rows: rows, page: 1, perPage: customersMaxPage}
	at := cp.after(maxSeen)
	require.Len(t, at.Seen, maxSeen*seenHashLen)
	require.True(t, at.valid())
	at = cp.after(len(rows))
	require.Empty(t, at.Seen)
	require.Equal(t, len(rows), at.Count)
	require.True(t, at.valid())
	require.Equal(t, afterReference(cp, len(rows)), at)
}
