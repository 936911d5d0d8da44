package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// The exported Watch Customers, run as Make runs it (makeplay_test.go), on an
// account with more than 5,000 customers changed in the window: every epoch
// choice, Limit 1 and 10, several runs with changes made between them. Each
// run must emit exactly the oldest changes Make has not processed, so across
// runs every change is emitted once and none is skipped or stalls behind
// Make's caps.

const watchDir = "modules/watch-customers/watch-customers"

// pwChange is one customer version ProfitWell lists: a change.
type pwChange struct {
	key   string // customer_id@updated_on
	item  makeItem
	email string
	name  string
}

// listAll reads every customer ProfitWell lists for token, straight from the
// emulator (the truth the trigger is held to).
func listAll(t *testing.T, client *http.Client, pwURL, token string) []pwChange {
	t.Helper()
	var out []pwChange
	for page := 1; page < 400; page++ {
		req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/v2/customers/?page=%d&per_page=250", pwURL, page), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		var rows []map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&rows))
		resp.Body.Close()
		for _, r := range rows {
			d, ok := parseMakeDate(r["updated_on"])
			require.True(t, ok)
			c := pwChange{key: fmt.Sprint(r["customer_id"], "@", r["updated_on"]), item: makeItem{date: d, id: r["customer_id"].(string)}}
			c.email, _ = r["email"].(string)
			first, _ := r["first_name"].(string)
			last, _ := r["last_name"].(string)
			c.name = strings.TrimSpace(first + " " + last)
			out = append(out, c)
		}
		if len(rows) < 250 {
			return out
		}
	}
	t.Fatal("too many pages")
	return nil
}

// expectedNext is what a correct run emits: the oldest changes Make has not
// processed, at most limit, in Make's (date, id) order.
func expectedNext(truth []pwChange, st *makeTriggerState, limit int) []string {
	var todo []pwChange
	for _, c := range truth {
		if !st.processed(c.item) {
			todo = append(todo, c)
		}
	}
	slices.SortStableFunc(todo, func(a, b pwChange) int { return lessItem(a.item, b.item) })
	var keys []string
	for _, c := range todo[:min(limit, len(todo))] {
		keys = append(keys, c.key)
	}
	return keys
}

func emittedKeys(run makeRun) []string {
	var keys []string
	for _, it := range run.items {
		b := it.out.(map[string]any)
		keys = append(keys, fmt.Sprint(b["customer_id"], "@", b["updated_on"]))
	}
	return keys
}

func TestMakePlaysWatchCustomers(t *testing.T) {
	const key = "engine-key-for-make-0123456789"
	tokens := []string{"tok-boundary", "tok-checks"}
	epochs := []string{"all", "since", "now", "choose"}
	for _, limit := range []int{1, 10} {
		for _, ep := range epochs {
			tokens = append(tokens, fmt.Sprintf("tok-%s-%d", ep, limit))
		}
	}
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 11, Customers: 5100, Tokens: tokens})
	emu := srv.Emulator
	// ProfitWell's pacing is modelled by the connector's own tests; here the
	// connector may call the emulator as fast as it likes, so that the
	// figures are Make's and the run takes seconds.
	addr, _, stop := startServe(t, []string{"--profitwell-url", srv.URL, "--api-keys", key, "--addr", "127.0.0.1:0",
		"--drain-delay", "0s", "--upstream-rate", "10000", "--upstream-burst", "10000"}, nil)
	defer func() { require.NoError(t, stop()) }()
	dir := t.TempDir()
	_, _, _, err := runCLI(t, map[string]string{"KEY": key}, "export", "make", "--out", dir, "--public-url", "http://"+addr, "--api-key-env", "KEY", "--force")
	require.NoError(t, err)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	upstream := func() int { return len(emu.Requests()) }

	for _, limit := range []int{1, 10} {
		for _, ep := range epochs {
			t.Run(fmt.Sprintf("%s, limit %d", ep, limit), func(t *testing.T) {
				token := fmt.Sprintf("tok-%s-%d", ep, limit)
				m := newMakePlayer(t, dir)
				conn := map[string]any{"privateToken": token}
				params := map[string]any{"limit": limit}
				truth := listAll(t, client, srv.URL, token)
				require.GreaterOrEqual(t, len(truth), 5000)
				epoch := makeEpoch{kind: ep, pick: 20}
				if ep == "since" {
					epoch.since = newMakeDate(emu.Reference().AddDate(-1, 0, 0))
				}
				vars := map[string]any{"parameters": params, "connection": conn, "common": m.common, "now": time.Now()}
				st, listed := m.startTrigger(watchDir, epoch, vars)
				if ep == "choose" {
					assertEpochPanel(t, listed, truth)
				}
				window := 0
				for _, c := range truth {
					if !st.processed(c.item) {
						window++
					}
				}
				emitted := map[string]int{}
				var order []makeItem
				var lines []string
				for run := range 6 {
					if run > 0 {
						// Changes between runs: a customer already emitted, one
						// not reached yet, one of the users.
						ids := []string{truth[len(truth)/2].item.id, "spiderman 1a"}
						if len(order) > 0 {
							ids = append(ids, order[0].id)
						}
						require.NoError(t, emu.TouchCustomers(token, ids))
						truth = listAll(t, client, srv.URL, token)
					}
					want := expectedNext(truth, st, limit)
					before := upstream()
					r := m.runTrigger(watchDir, params, conn, st)
					require.Nil(t, r.err)
					got := emittedKeys(r)
					assert.Equal(t, want, got, "run %d emits the oldest changes Make has not processed", run+1)
					for i, k := range got {
						emitted[k]++
						order = append(order, r.items[i])
					}
					lines = append(lines, fmt.Sprintf("run %d: %d Make request(s), %d upstream, %d bundle(s)", run+1, r.requests, upstream()-before, len(got)))
				}
				dupes := 0
				for _, n := range emitted {
					dupes += n - 1
				}
				assert.Zero(t, dupes, "no change emitted twice")
				assert.True(t, slices.IsSortedFunc(order, lessItem), "emitted in Make's order, nothing skipped behind")
				t.Logf("%d changes in the window; %s", window, strings.Join(lines, "; "))
			})
		}
	}

	t.Run("all, drained at limit 10: every change once", func(t *testing.T) {
		token := "tok-all-10"
		m := newMakePlayer(t, dir)
		conn := map[string]any{"privateToken": token}
		params := map[string]any{"limit": 10}
		st, _ := m.startTrigger(watchDir, makeEpoch{kind: "all"}, nil)
		emitted := map[string]int{}
		runs, maxRequests, maxUpstream := 0, 0, 0
		for ; runs < 700; runs++ {
			before := upstream()
			r := m.runTrigger(watchDir, params, conn, st)
			require.Nil(t, r.err)
			maxRequests, maxUpstream = max(maxRequests, r.requests), max(maxUpstream, upstream()-before)
			if len(r.items) == 0 {
				break
			}
			for _, k := range emittedKeys(r) {
				emitted[k]++
			}
		}
		truth := listAll(t, client, srv.URL, token)
		missed, dupes := 0, 0
		for _, c := range truth {
			if emitted[c.key] == 0 {
				missed++
			}
		}
		for _, n := range emitted {
			dupes += n - 1
		}
		t.Logf("%d changes, %d runs, at most %d Make request(s) and %d upstream request(s) a run; missed %d, duplicated %d",
			len(truth), runs, maxRequests, maxUpstream, missed, dupes)
		assert.Zero(t, missed, "missed changes")
		assert.Zero(t, dupes, "duplicated changes")
		assert.Less(t, runs, 700, "the trigger catches up")
	})

	t.Run("from now on: the boundary inside one second", func(t *testing.T) {
		token := "tok-boundary"
		m := newMakePlayer(t, dir)
		conn := map[string]any{"privateToken": token}
		truth := listAll(t, client, srv.URL, token)
		const rounds = 20
		sameSecond := 0
		for i := range rounds {
			before, after := truth[2*i].item.id, truth[2*i+1].item.id
			require.NoError(t, emu.TouchCustomers(token, []string{before}))
			changedAt := time.Now()
			// The user picks "From now on" after the change: Make's now has
			// milliseconds, so the pick lands in a later millisecond.
			time.Sleep(time.Millisecond)
			st, _ := m.startTrigger(watchDir, makeEpoch{kind: "now"}, nil)
			require.NoError(t, emu.TouchCustomers(token, []string{after}))
			if changedAt.Unix() == time.Now().Unix() {
				sameSecond++
			}
			r := m.runTrigger(watchDir, map[string]any{"limit": 10}, conn, st)
			require.Nil(t, r.err)
			var ids []string
			for _, it := range r.items {
				ids = append(ids, it.id)
			}
			assert.Equal(t, []string{after}, ids, "round %d: only the change after the start", i)
		}
		t.Logf("%d of %d rounds made both changes in the same second", sameSecond, rounds)
		assert.Greater(t, sameSecond, rounds/2)
	})

	t.Run("all with Start From: the first run starts there", func(t *testing.T) {
		m := newMakePlayer(t, dir)
		truth := listAll(t, client, srv.URL, "tok-checks")
		since := truth[100].item.date
		st, _ := m.startTrigger(watchDir, makeEpoch{kind: "all"}, nil)
		// Make passes a date parameter as ISO 8601 with milliseconds.
		r := m.runTrigger(watchDir, map[string]any{"limit": 3, "since": since}, map[string]any{"privateToken": "tok-checks"}, st)
		require.Nil(t, r.err)
		assert.Equal(t, expectedNext(truth, &makeTriggerState{lastDate: &since}, 3), emittedKeys(r))
	})

	t.Run("required fields and errors", func(t *testing.T) {
		m := newMakePlayer(t, dir)
		st, _ := m.startTrigger(watchDir, makeEpoch{kind: "all"}, nil)
		before := upstream()
		r := m.runTrigger(watchDir, map[string]any{}, map[string]any{"privateToken": "tok-checks"}, st)
		require.NotNil(t, r.err)
		assert.Equal(t, "BundleValidationError", r.err.Type, "Make refuses an empty Limit before sending")
		assert.Zero(t, r.requests)
		assert.Equal(t, before, upstream())

		r = m.runTrigger(watchDir, map[string]any{"limit": 1}, map[string]any{"privateToken": "wrong-token-0123456789"}, st)
		require.NotNil(t, r.err)
		assert.Equal(t, "InvalidAccessTokenError", r.err.Type, "the Base's error directive types the failure")
		assert.Nil(t, st.lastDate, "a failed run moves nothing")
	})
}

// assertEpochPanel holds the "Choose where to start" list to the newest
// changes first, at most 300 (Make's advice, dev.make/best-practices/trigger-modules.md),
// labelled by email or, without one, by name (by id without either), each
// with its date.
func assertEpochPanel(t *testing.T, listed []map[string]any, truth []pwChange) {
	t.Helper()
	require.NotEmpty(t, listed)
	assert.LessOrEqual(t, len(listed), 300)
	newest := slices.Clone(truth)
	slices.SortStableFunc(newest, func(a, b pwChange) int { return -lessItem(a.item, b.item) })
	for i, it := range listed[:min(len(listed), 50)] {
		d, ok := parseMakeDate(it["date"])
		require.True(t, ok, "item %d has a date", i)
		assert.Equal(t, newest[i].item.date, d, "item %d: newest first", i)
		want := newest[i].email
		if want == "" {
			want = newest[i].name
		}
		if want == "" {
			want = newest[i].item.id
		}
		assert.Equal(t, want, strings.TrimSpace(fmt.Sprint(it["label"])), "item %d: labelled by email or name", i)
	}
}
