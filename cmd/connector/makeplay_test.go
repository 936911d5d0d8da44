package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file models how Make runs a custom app, rule by rule, so that tests
// can run the exported app as Make would and not as a friendlier engine
// would. Every rule names its source; dev.make/… stands for
// https://developers.make.com/custom-apps-documentation/… (the collected
// rules and quotes are in the project's reference notes on Make's runtime).
// It reuses the IML evaluator of export_test.go.

// Caps per module execution. Source: dev.make/component-blocks/api/pagination.md
// ("Max Request Count 100", "Max Pagination Request Count 50",
// "Max Past Record 3200", "Max Call Timeout 40 s").
const (
	makeMaxRequests           = 100
	makeMaxPaginationRequests = 50
	makeMaxPastRecords        = 3200
	makeCallTimeout           = 40 * time.Second
)

// makeDate is a date as Make holds one: a JavaScript date, so milliseconds,
// passed to requests "as ISO with milliseconds and universal a time zone
// YYYY-MM-DDThh:mm:ss.sssZ" (dev.make/block-elements/parameters/date.md).
type makeDate time.Time

func newMakeDate(t time.Time) makeDate { return makeDate(time.UnixMilli(t.UnixMilli()).UTC()) }

func (d makeDate) String() string { return time.Time(d).UTC().Format("2006-01-02T15:04:05.000Z") }

func (d makeDate) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// parseMakeDate reads a date the way a JavaScript Date does: fractional
// seconds past the millisecond are dropped.
func parseMakeDate(v any) (makeDate, bool) {
	s, ok := v.(string)
	if !ok {
		return makeDate{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return makeDate{}, false
	}
	return newMakeDate(t), true
}

// makeError is an error Make raises for a module.
type makeError struct {
	Type, Message string
	Status        int
}

func (e *makeError) Error() string { return e.Type + ": " + e.Message }

// makePlayer runs the components of an exported app.
type makePlayer struct {
	t      *testing.T
	dir    string
	base   map[string]any
	common map[string]any
	client *http.Client
	// now is Make's clock ("now": "Current date and time with
	// milliseconds in UTC timezone", dev.make/app-components/rpcs.md).
	now func() makeDate
}

func newMakePlayer(t *testing.T, dir string) *makePlayer {
	m := &makePlayer{t: t, dir: dir, client: &http.Client{Timeout: makeCallTimeout},
		now: func() makeDate { return newMakeDate(time.Now()) }}
	t.Cleanup(m.client.CloseIdleConnections)
	m.base = m.file("general/base.iml.json")
	m.common = m.file("general/common.json")
	return m
}

// readAppJSON reads one JSON file of an exported app.
func readAppJSON[T any](t *testing.T, dir, path string) T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(raw, &v), path)
	return v
}

func (m *makePlayer) file(path string) map[string]any {
	m.t.Helper()
	return readAppJSON[map[string]any](m.t, m.dir, path)
}

func (m *makePlayer) fields(path string) []map[string]any {
	m.t.Helper()
	return readAppJSON[[]map[string]any](m.t, m.dir, path)
}

// deepMerge returns over merged onto under: objects key by key, anything
// else replaced.
func deepMerge(under, over any) any {
	u, ok1 := under.(map[string]any)
	o, ok2 := over.(map[string]any)
	if !ok1 || !ok2 {
		return over
	}
	out := make(map[string]any, len(u)+len(o))
	for k, v := range u {
		out[k] = v
	}
	for k, v := range o {
		if prev, ok := out[k]; ok {
			out[k] = deepMerge(prev, v)
		} else {
			out[k] = v
		}
	}
	return out
}

// withBase applies the Base to a module's or RPC's communication: "If a
// module doesn't define a setting, it follows what's in the Base. However,
// if a module specifies a different value for the same setting … this
// overrides what's present in the Base" (dev.make/app-components/base.md);
// a partial url "is appended to the baseUrl defined in the app's Base"
// (dev.make/component-blocks/api/making-requests.md). A connection's
// request does not inherit the Base
// (dev.make/app-components/connections/basic-connection.md).
func (m *makePlayer) withBase(comm map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range comm {
		out[k] = v
	}
	if u, _ := out["url"].(string); strings.HasPrefix(u, "/") {
		out["url"] = strings.TrimRight(m.base["baseUrl"].(string), "/") + u
	}
	for _, key := range []string{"headers", "qs", "response", "log"} {
		if bv, ok := m.base[key]; ok {
			if mv, ok := out[key]; ok {
				out[key] = deepMerge(bv, mv)
			} else {
				out[key] = bv
			}
		}
	}
	return out
}

// refuseMissing is Make refusing an empty required field before it runs
// the module ("BundleValidationError: Missing value of required parameter
// 'x'"; practitioner evidence, not in the developer docs).
func refuseMissing(fields []map[string]any, values map[string]any) *makeError {
	for _, f := range fields {
		if req, _ := f["required"].(bool); !req {
			continue
		}
		name, _ := f["name"].(string)
		if v, ok := values[name]; !ok || v == nil || v == "" {
			return &makeError{Type: "BundleValidationError", Message: fmt.Sprintf("Missing value of required parameter '%s'.", name)}
		}
	}
	return nil
}

// makeExchange is one request Make sent and what came back.
type makeExchange struct {
	status  int
	headers map[string]any
	body    any
}

// send evaluates one request directive against vars and performs it. The
// client's timeout is Make's call timeout.
func (m *makePlayer) send(req, vars map[string]any) makeExchange {
	m.t.Helper()
	e := iml{vars: vars}
	method, _ := req["method"].(string)
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if b, ok := req["body"]; ok {
		raw, err := json.Marshal(e.eval(m.t, b))
		require.NoError(m.t, err)
		body = bytes.NewReader(raw)
	}
	u := fmt.Sprint(e.eval(m.t, req["url"]))
	if qs, ok := req["qs"].(map[string]any); ok && len(qs) > 0 {
		vals := make([]string, 0, len(qs))
		for k, v := range e.eval(m.t, qs).(map[string]any) {
			vals = append(vals, k+"="+fmt.Sprint(v))
		}
		sort.Strings(vals)
		u += "?" + strings.Join(vals, "&")
	}
	hreq, err := http.NewRequest(method, u, body)
	require.NoError(m.t, err)
	hreq.Header.Set("Content-Type", "application/json")
	if h, ok := req["headers"].(map[string]any); ok {
		for k, v := range e.eval(m.t, h).(map[string]any) {
			hreq.Header.Set(k, fmt.Sprint(v))
		}
	}
	resp, err := m.client.Do(hreq)
	require.NoError(m.t, err, "a call longer than Make's %s fails", makeCallTimeout)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(m.t, err)
	x := makeExchange{status: resp.StatusCode, headers: map[string]any{}}
	for k := range resp.Header {
		x.headers[strings.ToLower(k)] = resp.Header.Get(k)
	}
	require.NoError(m.t, json.Unmarshal(raw, &x.body), string(raw))
	return x
}

// checkResponse applies response.error and response.valid. "Make identifies
// any HTTP status in the range 400 - 599 as an error", with per-status
// entries and type RuntimeError by default
// (dev.make/component-blocks/api/handling-responses/error.md). Without
// valid "the response is considered always valid when the status code is
// between 200 and 399"; a false valid stops the module, its message taken
// from valid.message, error.<status>.message, error.message, then
// "Response marked as invalid." (…/handling-responses/valid.md).
func (m *makePlayer) checkResponse(resp map[string]any, x makeExchange, vars map[string]any) *makeError {
	e := iml{vars: vars}
	errDir, _ := resp["error"].(map[string]any)
	pick := func(key string) any {
		if byStatus, ok := errDir[strconv.Itoa(x.status)].(map[string]any); ok {
			if v, ok := byStatus[key]; ok {
				return v
			}
		}
		return errDir[key]
	}
	if x.status >= 400 && x.status <= 599 {
		me := &makeError{Type: "RuntimeError", Status: x.status}
		if v := pick("type"); v != nil {
			me.Type = fmt.Sprint(e.eval(m.t, v))
		}
		if v := pick("message"); v != nil {
			me.Message = fmt.Sprint(e.eval(m.t, v))
		}
		return me
	}
	if valid, ok := resp["valid"]; ok {
		cond, msg := valid, any(nil)
		if vm, ok := valid.(map[string]any); ok {
			cond, msg = vm["condition"], vm["message"]
		}
		if !truthy(e.eval(m.t, cond)) {
			me := &makeError{Type: "RuntimeError", Status: x.status, Message: "Response marked as invalid."}
			if msg == nil {
				msg = pick("message")
			}
			if msg != nil {
				me.Message = fmt.Sprint(e.eval(m.t, msg))
			}
			if v := pick("type"); v != nil {
				me.Type = fmt.Sprint(e.eval(m.t, v))
			}
			return me
		}
	}
	return nil
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil, undefinedT:
		return false
	case string:
		return x != "" && x != "false"
	case float64:
		return x != 0
	case int:
		return x != 0
	}
	return true
}

// makeTriggerState is all Make keeps of a polling trigger between runs: the
// date and id of the last item it emitted, offered to the next run's request
// as data.lastDate and data.lastID (dev.make/app-components/modules/trigger.md).
// The epoch choice sets it before the first run
// (dev.make/component-blocks/epoch.md).
type makeTriggerState struct {
	lastDate *makeDate
	lastID   string
}

func (s *makeTriggerState) data() map[string]any {
	d := map[string]any{}
	if s.lastDate != nil {
		d["lastDate"] = *s.lastDate
	}
	if s.lastID != "" {
		d["lastID"] = s.lastID
	}
	return d
}

// makeItem is one output bundle and, for a trigger, its date and id.
type makeItem struct {
	out  any
	date makeDate
	id   string
}

// processed tells whether a trigger already emitted an item: "The trigger
// sorts all items by their date and id fields and returns only
// unprocessed items" (dev.make/app-components/modules/trigger.md), read as
// the order by (date, id), with a date-only position (a start date chosen
// in the epoch) keeping the items at or after it.
func (s *makeTriggerState) processed(it makeItem) bool {
	if s.lastDate == nil {
		return false
	}
	ld, d := time.Time(*s.lastDate), time.Time(it.date)
	if s.lastID == "" {
		return d.Before(ld)
	}
	return d.Before(ld) || (d.Equal(ld) && it.id <= s.lastID)
}

func lessItem(a, b makeItem) int {
	if c := time.Time(a.date).Compare(time.Time(b.date)); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// makeRun is what one module execution cost and output.
type makeRun struct {
	items      []makeItem
	requests   int // requests sent, pagination included
	pagination int // pagination requests
	records    int // records read across pages
	err        *makeError
}

// execute runs one module execution: the request, then pagination, under
// Make's rules and caps. trig is nil for a search or action.
//
//   - Pagination: the pagination request is merged with the original:
//     url and method override, headers and qs merge, and body "overrides
//     the original request body no matter the value of mergeWithParent";
//     its condition sees the last response ("body", "headers")
//     (dev.make/component-blocks/api/pagination.md).
//   - "The pagination stops automatically after the response with 0
//     records or once the condition response.limit is met", and at the caps
//     (same page); limit is "the maximum number of items that are returned
//     by the module" (…/handling-responses/limit.md).
//   - iterate "must point to an array"; output is processed for each item
//     (…/handling-responses/iterate.md, …/output.md).
//   - A trigger counts only unprocessed items toward the limit; with order
//     desc, a page holding a processed item means no newer page is left
//     (order "is needed to correctly determine if there are more pages to
//     be fetched or not"); items are handed on in ascending order
//     (dev.make/app-components/modules/trigger.md).
func (m *makePlayer) execute(comm map[string]any, vars map[string]any, trig *makeTriggerState) makeRun {
	m.t.Helper()
	req := m.withBase(comm)
	resp, _ := req["response"].(map[string]any)
	var tdir map[string]any
	if trig != nil {
		tdir, _ = resp["trigger"].(map[string]any)
		require.NotNil(m.t, tdir, "a trigger needs response.trigger")
		vars["data"] = trig.data()
	}
	limit := -1
	if l, ok := resp["limit"]; ok {
		switch v := (iml{vars: vars}).eval(m.t, l).(type) {
		case int:
			limit = v
		case float64:
			limit = int(v)
		case string:
			n, err := strconv.Atoi(v)
			require.NoError(m.t, err, "limit %q", v)
			limit = n
		}
	}
	order, _ := tdir["order"].(string)
	pag, _ := req["pagination"].(map[string]any)
	var run makeRun
	cur := req
	for {
		x := m.send(cur, vars)
		run.requests++
		rv := map[string]any{}
		for k, v := range vars {
			rv[k] = v
		}
		rv["body"], rv["headers"] = x.body, x.headers
		if run.err = m.checkResponse(resp, x, rv); run.err != nil {
			return run
		}
		var page []any
		if it, ok := resp["iterate"]; ok {
			list, ok := (iml{vars: rv}).eval(m.t, it).([]any)
			require.True(m.t, ok, "iterate must point to an array: %v", x.body)
			page = list
		} else {
			page = []any{nil}
		}
		run.records += len(page)
		sawProcessed := false
		for _, item := range page {
			iv := map[string]any{}
			for k, v := range rv {
				iv[k] = v
			}
			iv["item"] = item
			out := resp["output"]
			if out == nil {
				out = "{{item}}"
				if _, ok := resp["iterate"]; !ok {
					out = "{{body}}"
				}
			}
			mi := makeItem{out: (iml{vars: iv}).eval(m.t, out)}
			if tdir != nil {
				d, ok := parseMakeDate((iml{vars: iv}).eval(m.t, tdir["date"]))
				require.True(m.t, ok, "trigger.date must give a date")
				mi.date, mi.id = d, fmt.Sprint((iml{vars: iv}).eval(m.t, tdir["id"]))
				if trig.processed(mi) {
					sawProcessed = true
					continue
				}
			}
			run.items = append(run.items, mi)
		}
		switch {
		case len(page) == 0,
			limit >= 0 && len(run.items) >= limit,
			run.records >= makeMaxPastRecords,
			tdir != nil && order == "desc" && sawProcessed,
			pag == nil,
			run.pagination == makeMaxPaginationRequests,
			run.requests == makeMaxRequests:
			return m.finish(run, limit, tdir, order, trig)
		}
		if cond, ok := pag["condition"]; ok && !truthy((iml{vars: rv}).eval(m.t, cond)) {
			return m.finish(run, limit, tdir, order, trig)
		}
		next := map[string]any{}
		for k, v := range req {
			if k != "pagination" && k != "response" {
				next[k] = v
			}
		}
		for k, v := range pag {
			switch k {
			case "condition", "mergeWithParent":
			case "headers", "qs":
				if merge, ok := pag["mergeWithParent"].(bool); !ok || merge {
					next[k] = deepMerge(req[k], v)
				} else {
					next[k] = v
				}
			default: // url, method, body: override
				next[k] = v
			}
		}
		if u, _ := next["url"].(string); strings.HasPrefix(u, "/") {
			next["url"] = strings.TrimRight(m.base["baseUrl"].(string), "/") + u
		}
		vars = rv
		cur = next
		run.pagination++
	}
}

// finish cuts to the limit and, for a trigger, hands items on oldest first
// and stores the last one's date and id.
func (m *makePlayer) finish(run makeRun, limit int, tdir map[string]any, order string, trig *makeTriggerState) makeRun {
	if tdir != nil && order != "desc" {
		slices.SortStableFunc(run.items, lessItem)
	}
	if limit >= 0 && len(run.items) > limit {
		run.items = run.items[:limit]
	}
	if tdir != nil {
		slices.SortStableFunc(run.items, lessItem)
		if n := len(run.items); n > 0 {
			d := run.items[n-1].date
			trig.lastDate, trig.lastID = &d, run.items[n-1].id
		}
	}
	return run
}

// makeEpoch is a choice of the epoch panel: for a date trigger "All",
// "Since specific date", "From now on", or "Choose where to start"
// (dev.make/component-blocks/epoch.md).
type makeEpoch struct {
	kind  string   // all, since, now, choose
	since makeDate // for since
	pick  int      // for choose: the index of the item the user picks
}

// startTrigger sets Make's stored position from an epoch choice. "From now
// on" is Make's now; a specific date is the date the user picked; "Choose
// where to start" runs the epoch request (its overrides "merged with
// trigger configuration") and takes the picked item's date, the only date
// the epoch's output carries ("label" and "date").
func (m *makePlayer) startTrigger(dir string, ep makeEpoch, vars map[string]any) (*makeTriggerState, []map[string]any) {
	m.t.Helper()
	st := &makeTriggerState{}
	switch ep.kind {
	case "all":
	case "since":
		d := ep.since
		st.lastDate = &d
	case "now":
		d := m.now()
		st.lastDate = &d
	case "choose":
		comm := deepMerge(m.file(dir+".communication.iml.json"), m.file(dir+".epoch.iml.json")).(map[string]any)
		vars["data"] = map[string]any{}
		run := m.execute(comm, vars, nil)
		require.Nil(m.t, run.err)
		var listed []map[string]any
		for _, it := range run.items {
			listed = append(listed, it.out.(map[string]any))
		}
		require.Greater(m.t, len(listed), ep.pick)
		d, ok := parseMakeDate(listed[ep.pick]["date"])
		require.True(m.t, ok, "an epoch item's date: %v", listed[ep.pick])
		st.lastDate = &d
		return st, listed
	default:
		m.t.Fatalf("unknown epoch %q", ep.kind)
	}
	return st, nil
}

// runTrigger runs one scheduled execution of a trigger module (dir is its
// files' prefix, e.g. modules/watch-customers/watch-customers): Make refuses
// missing required fields, then executes with its stored position.
func (m *makePlayer) runTrigger(dir string, params, conn map[string]any, st *makeTriggerState) makeRun {
	m.t.Helper()
	if err := refuseMissing(m.fields(dir+".static-params.iml.json"), params); err != nil {
		return makeRun{err: err}
	}
	vars := map[string]any{"parameters": params, "connection": conn, "common": m.common, "now": time.Time(m.now())}
	return m.execute(m.file(dir+".communication.iml.json"), vars, st)
}

// TestMakePlayerFollowsMakeRules holds the model above to the rules it
// cites, against a stub service, so the Make-play tests cannot pass on a
// friendlier Make by mistake.
func TestMakePlayerFollowsMakeRules(t *testing.T) {
	type seen struct {
		query, both, base string
		body              map[string]any
	}
	var (
		mu  sync.Mutex
		got []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, seen{query: r.URL.RawQuery, both: r.Header.Get("X-Both"), base: r.Header.Get("X-Base"), body: body})
		page := 1
		if p, ok := body["page"].(float64); ok {
			page = int(p)
		}
		per, more := 10, true
		switch r.URL.Path {
		case "/empty":
			if page == 2 {
				per = 0
			}
		case "/cond":
			more = page < 3
		case "/big":
			per = 100
		case "/bad":
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"msg":"bad input"}`)
			return
		case "/invalid":
			fmt.Fprint(w, `{"ok":false,"msg":"not ok"}`)
			return
		}
		items := make([]int, per)
		for i := range items {
			items[i] = page*1000 + i
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items, "more": more, "next": page + 1, "ok": true})
	}))
	defer srv.Close()
	dir := t.TempDir()
	write := func(name string, v any) {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), raw, 0o644))
	}
	write("general/base.iml.json", map[string]any{
		"baseUrl": srv.URL, "headers": map[string]any{"X-Base": "b", "X-Both": "base"},
		"response": map[string]any{"error": map[string]any{"type": "DataError", "message": "{{body.msg}}"}},
	})
	write("general/common.json", map[string]any{})
	m := newMakePlayer(t, dir)
	comm := func(path string, resp map[string]any) map[string]any {
		r := map[string]any{"iterate": "{{body.items}}", "limit": "{{parameters.limit}}"}
		for k, v := range resp {
			r[k] = v
		}
		return map[string]any{
			"url": path, "method": "POST", "headers": map[string]any{"X-Both": "module"},
			"qs": map[string]any{"a": "1"}, "body": map[string]any{"page": 1, "keep": "x"}, "response": r,
			"pagination": map[string]any{"qs": map[string]any{"p": "{{body.next}}"}, "body": map[string]any{"page": "{{body.next}}"},
				"condition": "{{body.more}}"},
		}
	}
	run := func(path string, limit int, resp map[string]any) makeRun {
		mu.Lock()
		got = nil
		mu.Unlock()
		return m.execute(comm(path, resp), map[string]any{"parameters": map[string]any{"limit": limit}}, nil)
	}

	r := run("/items", 25, nil)
	require.Nil(t, r.err)
	assert.Len(t, r.items, 25, "limit cuts the output")
	assert.Equal(t, 3, r.requests, "and stops the pagination once reached")
	mu.Lock()
	second := got[1]
	mu.Unlock()
	assert.Equal(t, seen{query: "a=1&p=2", both: "module", base: "b", body: map[string]any{"page": float64(2)}}, second,
		"qs and headers merge with the request and the Base; the body is replaced")

	r = run("/items", 10000, nil)
	assert.Equal(t, 1+makeMaxPaginationRequests, r.requests, "at most 50 pagination requests")
	r = run("/big", 10000, nil)
	assert.Equal(t, makeMaxPastRecords, r.records, "at most 3,200 records")
	r = run("/cond", 10000, nil)
	assert.Equal(t, 3, r.requests, "the condition reads the last response")
	r = run("/empty", 10000, nil)
	assert.Equal(t, 2, r.requests, "a page without records ends the pagination")

	r = run("/bad", 10, nil)
	require.NotNil(t, r.err)
	assert.Equal(t, makeError{Type: "DataError", Message: "bad input", Status: 400}, *r.err, "the Base's error directive")
	r = run("/bad", 10, map[string]any{"error": map[string]any{"400": map[string]any{"type": "InvalidConfigurationError"}}})
	assert.Equal(t, "InvalidConfigurationError", r.err.Type, "a per-status entry")
	assert.Equal(t, "bad input", r.err.Message)
	r = run("/invalid", 10, map[string]any{"valid": "{{body.ok}}"})
	require.NotNil(t, r.err)
	assert.Equal(t, "not ok", r.err.Message, "an invalid response takes error.message")
	r = run("/invalid", 10, map[string]any{"valid": "{{body.ok}}", "error": map[string]any{"message": ""}})
	assert.Equal(t, "", r.err.Message)
	assert.Equal(t, "Response marked as invalid.", (&makePlayer{t: t}).checkResponse(map[string]any{"valid": false},
		makeExchange{status: 200}, map[string]any{}).Message, "the last resort message")

	// Triggers: processed items are dropped by date then id; a date alone
	// keeps items at or after it.
	d := newMakeDate(time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC))
	st := &makeTriggerState{lastDate: &d, lastID: "b"}
	assert.True(t, st.processed(makeItem{date: d, id: "a"}))
	assert.True(t, st.processed(makeItem{date: d, id: "b"}))
	assert.False(t, st.processed(makeItem{date: d, id: "c"}))
	assert.False(t, (&makeTriggerState{lastDate: &d}).processed(makeItem{date: d, id: "a"}))
	later, ok := parseMakeDate("2026-01-02T03:04:05.006999Z")
	require.True(t, ok)
	assert.Equal(t, d, later, "dates keep milliseconds only")
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	assert.JSONEq(t, `"2026-01-02T03:04:05.006Z"`, string(raw), "dates go out as ISO 8601 with milliseconds")
	assert.Equal(t, "BundleValidationError", refuseMissing([]map[string]any{{"name": "limit", "required": true}}, map[string]any{"limit": ""}).Type)
}
