package modules

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// burstSandbox is an emulator whose clock the test moves, holding a few
// customers spread over time and bursts of customers updated in the same
// second. ProfitWell's customer ids are Stripe-style ("cus_" and 14
// characters, profitwell-api.md §6.1) or, for API-created customers, the
// alias the caller chose (up to 36 characters, §4.2): bursts use both.
func burstSandbox(t *testing.T, seed uint64, bursts []int) *sandbox {
	t.Helper()
	var clock atomic.Int64
	start := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	clock.Store(start.UnixMicro())
	now := func() time.Time { return time.UnixMicro(clock.Load()).UTC() }
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: int64(seed), Customers: 120, Users: -1, Now: now, Reference: start.Truncate(24 * time.Hour)})
	client, err := profitwell.New(profitwell.Config{BaseURL: srv.URL, Rate: 100_000, Burst: 100_000})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	reg, err := Default(Options{})
	require.NoError(t, err)
	s := &sandbox{t: t, reg: reg, client: client, emu: srv.Emulator, token: profitwell.NewToken(profitwelltest.DefaultToken)}
	rng := rand.New(rand.NewPCG(seed, 7))
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	id := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[rng.IntN(len(alnum))]
		}
		return string(b)
	}
	session := client.Session(s.token)
	for b, n := range bursts {
		// Bursts a second apart; within one, the same instant (a bulk
		// update) or microseconds apart (a fast import).
		clock.Store(start.Add(time.Duration(b+1) * time.Second).UnixMicro())
		sameInstant := b%2 == 0
		for i := range n {
			alias := "cus_" + id(14)
			if i%3 == 0 {
				alias = id(36)
			}
			if !sameInstant {
				clock.Add(1)
			}
			_, err := session.CreateSubscription(context.Background(), profitwell.CreateSubscription{
				UserAlias: alias, Email: alias + "@example.com", PlanID: "burst", PlanInterval: "month",
				Value: 1000, EffectiveDate: start.Unix(),
			})
			require.NoError(t, err)
		}
	}
	clock.Store(start.Add(time.Duration(len(bursts)+5) * time.Second).UnixMicro())
	return s
}

// TestEveryCursorIsAccepted: across modules, limits and same-second bursts,
// every cursor and state Execute returns is accepted by Execute, and
// following them lists every customer exactly once, in order.
func TestEveryCursorIsAccepted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		bursts []int
		limits []int
	}{
		{[]int{200}, []int{150}}, // 200 customers in one second, limit 150
		{[]int{60, 200}, []int{1, 150, 7}},
		{[]int{maxSeen - 1, maxSeen, maxSeen + 1}, []int{97, 250, 3, 500, 41}},
		{[]int{1100}, []int{150, 251, 600}},
		{[]int{300, 5, 520}, []int{249, 250, 251, 10}},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(tc.bursts, tc.limits), func(t *testing.T) {
			t.Parallel()
			s := burstSandbox(t, uint64(i+1), tc.bursts)
			total := s.emu.CustomerCount(profitwelltest.DefaultToken)
			for _, dir := range []string{"asc", "desc"} {
				want, _ := s.mustRun("listCustomers", map[string]any{"limit": 10000, "direction": dir})
				require.Len(t, want.Bundles, total)
				got, _ := walk(t, s, "listCustomers", map[string]any{"direction": dir}, tc.limits)
				assert.Equal(t, ids(customersOf(t, want)), ids(got), "listCustomers %s, limits %v", dir, tc.limits)
			}
			want, _ := s.mustRun("listCustomers", map[string]any{"limit": 10000})
			var got []profitwell.Customer
			var state json.RawMessage
			for runs := 0; ; runs++ {
				require.Less(t, runs, 500, "the trigger must catch up")
				out, next := poll(t, s, map[string]any{"since": "2000-01-01", "limit": tc.limits[runs%len(tc.limits)]}, state)
				got = append(got, customersOf(t, out)...)
				state = next
				if len(out.Bundles) == 0 {
					break
				}
			}
			assert.Equal(t, ids(customersOf(t, want)), ids(got), "watchCustomers, limits %v", tc.limits)
		})
	}
}

// TestLargestPositionFitsACursor: the largest position the customers pager
// writes fits the cursor the registry accepts.
func TestLargestPositionFitsACursor(t *testing.T) {
	t.Parallel()
	sec := int64(1 << 40)
	ms := int64(-1 << 50)
	for _, pos := range []customersPos{
		{From: 1 << 40, To: 1 << 40, Page: customersWindow, PerPage: customersMaxPage, Sec: &sec, Count: maxSeen,
			Seen: make([]byte, maxSeen*seenHashLen), Min: 1 << 60},
		// The millisecond order of an engine's position: its id is bounded.
		{From: -1 << 40, Min: 1 << 60, ByMilli: true, AfterMs: &ms, AfterID: strings.Repeat("<", maxAfterIDLen)}, // "<" is escaped to 6 bytes,
	} {
		require.True(t, pos.valid())
		at, err := json.Marshal(pos)
		require.NoError(t, err)
		assert.LessOrEqual(t, len(at), maxPositionLen)
		seal, err := newSealer(nil)
		require.NoError(t, err)
		c := seal.seal(cursorBinding("listCustomers", "x", nil), at)
		assert.LessOrEqual(t, len(c), maxCursorLen)
		_, err = seal.open(cursorBinding("listCustomers", "x", nil), c)
		assert.NoError(t, err)
	}
	long := customersPos{ByMilli: true, AfterMs: &ms, AfterID: strings.Repeat("x", maxAfterIDLen+1)}
	assert.False(t, long.valid(), "an id longer than an engine may send is not a position")
}
