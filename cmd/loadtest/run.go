package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/modules"
)

const (
	loadToken        = "loadtest-private-token"
	executionTimeout = 5 * time.Second // timeoutMs of every execution
	maxExecution     = 25 * time.Second
	goroutineSlack   = 5
	heapSlack        = 64 << 20
)

// rig is the emulator and the connector on loopback, and the engine's
// HTTP client.
type rig struct {
	emu    *profitwelltest.Server
	client *profitwell.Client
	srv    *http.Server
	served chan error
	url    string
	key    string
	hc     *http.Client
	logs   *levelCounter
}

// levelCounter discards log lines, counting warnings and errors.
type levelCounter struct{ warn, error atomic.Int64 }

func (l *levelCounter) Write(p []byte) (int, error) {
	switch {
	case bytes.Contains(p, []byte(`"level":"error"`)):
		l.error.Add(1)
	case bytes.Contains(p, []byte(`"level":"warn"`)):
		l.warn.Add(1)
	}
	return len(p), nil
}

func startRig(s settings) (*rig, error) {
	emu, err := profitwelltest.Start(profitwelltest.Options{Seed: s.Seed, Tokens: []string{loadToken}, RateLimit: false})
	if err != nil {
		return nil, err
	}
	r := &rig{emu: emu, logs: &levelCounter{}}
	logger := zerolog.New(r.logs).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	reg := prometheus.NewRegistry()
	// Pacing raised so it never waits (the emulator's limit is off too); a
	// short open circuit so a burst of injected 5xx cannot stall the run.
	r.client, err = profitwell.New(profitwell.Config{
		BaseURL: emu.URL, Registerer: reg, Logger: logger,
		Rate: 1e6, Burst: 1_000_000, BreakerOpenFor: time.Second,
	})
	if err != nil {
		_ = emu.Close()
		return nil, err
	}
	registry, err := modules.Default(modules.Options{})
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	r.key = "lt-" + hex.EncodeToString(key)
	handler, err := api.NewServer(api.Deps{
		Registry: registry, Client: r.client, Manifest: modules.Document(registry),
		Logger: logger, Registerer: reg, Gatherer: reg, APIKeys: []string{r.key},
		DefaultTimeout: maxExecution, MaxTimeout: maxExecution,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r.url = "http://" + ln.Addr().String()
	r.srv = &http.Server{ // as cmd/connector/serve.go
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      maxExecution + 5*time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	r.served = make(chan error, 1)
	go func() { r.served <- r.srv.Serve(ln) }()
	r.hc = &http.Client{
		Timeout: maxExecution + 10*time.Second,
		Transport: &http.Transport{
			MaxIdleConns: 2 * s.Concurrency, MaxIdleConnsPerHost: 2 * s.Concurrency,
			IdleConnTimeout: 30 * time.Second, DisableCompression: true,
		},
	}
	return r, nil
}

func (r *rig) close() {
	r.hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	<-r.served
	r.client.Close()
	_ = r.emu.Close()
}

// answer is one HTTP answer of the connector, decoded.
type answer struct {
	status   int
	typ      string // error type; "" for 2xx
	code     string
	replayed bool
	body     []byte
	err      error // no answer, or not in the contract's shape
}

func (r *rig) post(ctx context.Context, module string, params map[string]any, idemKey string) answer {
	body, _ := json.Marshal(map[string]any{
		"connection": map[string]any{"privateToken": loadToken},
		"parameters": params,
		"execution":  map[string]any{"timeoutMs": executionTimeout.Milliseconds()},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+"/v1/modules/"+module+"/execute", bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.key)
	if idemKey != "" {
		req.Header.Set(api.IdempotencyHeader, idemKey)
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{status: resp.StatusCode, err: err}
	}
	a := answer{status: resp.StatusCode, body: raw, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	if resp.StatusCode == http.StatusOK {
		var ok struct {
			Bundles []json.RawMessage `json:"bundles"`
		}
		if json.Unmarshal(raw, &ok) != nil || ok.Bundles == nil {
			a.err = fmt.Errorf("200 without bundles: %.200s", raw)
		}
		return a
	}
	var e struct {
		Error struct {
			Type string `json:"type"`
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &e) != nil || e.Error.Type == "" || e.Error.Code == "" {
		a.err = fmt.Errorf("%d not in the error shape: %.200s", resp.StatusCode, raw)
	}
	a.typ, a.code = e.Error.Type, e.Error.Code
	return a
}

// The operations of the mix.
const (
	opCreate = iota
	opCreateRepeat
	opListCustomers10
	opListCustomers250
	opGetPlan
	opListSubscriptions
	opChurn
	opUnchurn
	opRawGet
	opCount
)

var opNames = [opCount]string{"createSubscription", "createSubscription (same key again)", "listCustomers limit 10",
	"listCustomers limit 250", "getPlan", "listSubscriptions", "churnSubscription", "unchurnSubscription", "makeApiCall GET"}

type sample struct {
	op  uint8
	dur time.Duration
	a   answer
}

// aliasOutcome is what the engine saw for one subscription alias.
type aliasOutcome struct {
	succeeded bool // a 200, executed or replayed
	unknown   bool // OUTCOME_UNKNOWN
	other     []string
}

// worker is one closed-loop engine.
type worker struct {
	id       int
	r        *rig
	rng      *mrand.Rand
	created  []string // own subscriptions, not churned
	churned  []string
	samples  []sample
	aliases  map[string]*aliasOutcome
	n        int
	mismatch []string // repeats with the same key that got another 200 body
	sent     *atomic.Int64
	maxSent  int64
}

// record keeps a sample; of the body only the start of an error answer.
func (w *worker) record(op int, start time.Time, a answer) {
	if a.status == http.StatusOK {
		a.body = nil
	} else if len(a.body) > 200 {
		a.body = bytes.Clone(a.body[:200])
	}
	w.samples = append(w.samples, sample{op: uint8(op), dur: time.Since(start), a: a})
}

// take reserves n requests of the global bound.
func (w *worker) take(n int64) bool {
	if w.sent.Add(n) > w.maxSent {
		w.sent.Add(-n)
		return false
	}
	return true
}

// run sends until end; requests in flight then finish (ctx is only the
// hard stop).
func (w *worker) run(ctx context.Context, end time.Time) {
	for time.Now().Before(end) && ctx.Err() == nil {
		roll := w.rng.Float64()
		switch {
		case roll < 0.25:
			w.create(ctx)
		case roll < 0.45:
			op, limit := opListCustomers10, 10
			if w.rng.IntN(4) == 0 {
				op, limit = opListCustomers250, 250
			}
			w.do(ctx, op, "listCustomers", map[string]any{"limit": limit})
		case roll < 0.60:
			plans := []string{"starter", "growth", "pro", "enterprise", "annual-pro"}
			w.do(ctx, opGetPlan, "getPlan", map[string]any{"planId": plans[w.rng.IntN(len(plans))]})
		case roll < 0.70:
			users := []string{"user_002", "user_003", "user_004", "user_006", "user_007", "user_008"}
			w.do(ctx, opListSubscriptions, "listSubscriptions", map[string]any{"userIdOrAlias": users[w.rng.IntN(len(users))], "limit": 10})
		case roll < 0.85:
			w.churnOrUnchurn(ctx)
		default:
			w.do(ctx, opRawGet, "makeApiCall", map[string]any{"url": "/plans/", "method": "GET"})
		}
		if w.sent.Load() >= w.maxSent {
			return
		}
	}
}

func (w *worker) do(ctx context.Context, op int, module string, params map[string]any) answer {
	if !w.take(1) {
		return answer{}
	}
	start := time.Now()
	a := w.r.post(ctx, module, params, "")
	w.record(op, start, a)
	return a
}

func (w *worker) create(ctx context.Context) {
	w.n++
	alias := fmt.Sprintf("lt-%02d-%06d", w.id, w.n)
	params := map[string]any{
		"userAlias": "u" + alias, "subscriptionAlias": alias, "email": alias + "@load.example",
		"planId": "pro", "planInterval": "month", "value": 4900, "effectiveDate": "2026-01-01",
	}
	key := "idem-" + alias
	out := &aliasOutcome{}
	w.aliases[alias] = out
	note := func(a answer) {
		switch {
		case a.err != nil:
		case a.status == http.StatusOK:
			out.succeeded = true
		case a.code == "OUTCOME_UNKNOWN":
			out.unknown = true
		default:
			out.other = append(out.other, a.typ+"/"+a.code)
		}
	}
	roll := w.rng.Float64()
	if roll < 0.05 && w.take(2) { // the same key twice, concurrently
		var wg sync.WaitGroup
		var answers [2]answer
		var starts [2]time.Time
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				starts[i] = time.Now()
				answers[i] = w.r.post(ctx, "createSubscription", params, key)
			}()
		}
		wg.Wait()
		for i, a := range answers {
			op := opCreate
			if i == 1 {
				op = opCreateRepeat
			}
			w.record(op, starts[i], a)
			note(a)
		}
		w.compare(alias, answers[0], answers[1])
	} else {
		if !w.take(1) {
			return
		}
		start := time.Now()
		first := w.r.post(ctx, "createSubscription", params, key)
		w.record(opCreate, start, first)
		note(first)
		if roll < 0.15 && w.take(1) { // the same key again, once the first answered
			start = time.Now()
			again := w.r.post(ctx, "createSubscription", params, key)
			w.record(opCreateRepeat, start, again)
			note(again)
			w.compare(alias, first, again)
		}
	}
	if out.succeeded {
		w.created = append(w.created, alias)
	}
}

// compare: two 200 answers under one key must be the same answer.
func (w *worker) compare(alias string, a, b answer) {
	if a.status == http.StatusOK && b.status == http.StatusOK && !bytes.Equal(a.body, b.body) {
		w.mismatch = append(w.mismatch, alias)
	}
}

func (w *worker) churnOrUnchurn(ctx context.Context) {
	if len(w.churned) > 0 && (len(w.created) == 0 || w.rng.IntN(2) == 0) {
		alias := w.churned[0]
		w.churned = w.churned[1:]
		w.do(ctx, opUnchurn, "unchurnSubscription", map[string]any{"subscriptionIdOrAlias": alias})
		return
	}
	if len(w.created) == 0 {
		w.do(ctx, opGetPlan, "getPlan", map[string]any{"planId": "pro"})
		return
	}
	alias := w.created[0]
	w.created = w.created[1:]
	a := w.do(ctx, opChurn, "churnSubscription", map[string]any{
		"subscriptionIdOrAlias": alias, "effectiveDate": "2027-06-30", "churnType": "voluntary",
	})
	if a.status == http.StatusOK {
		w.churned = append(w.churned, alias)
	}
}

// injectFaults queues one emulator fault every 200 ms, in turn, until ctx
// ends; it returns how many it queued.
func injectFaults(ctx context.Context, emu *profitwelltest.Emulator) int {
	kinds := []profitwelltest.Fault{
		{Kind: profitwelltest.FaultLatency, Latency: 300 * time.Millisecond, Times: 8},
		{Kind: profitwelltest.FaultServerError, Times: 2},
		{Kind: profitwelltest.FaultReset, Times: 1},
		{Kind: profitwelltest.FaultTruncated, Times: 1},
		{Kind: profitwelltest.FaultRateLimit, RetryAfter: 1, Times: 2},
	}
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			emu.ClearFaults()
			return n
		case <-t.C:
			emu.InjectFault(kinds[n%len(kinds)])
			n++
		}
	}
}

// state is a process snapshot after the connections went idle and closed.
type state struct {
	goroutines int
	heapInuse  uint64
}

func snapshot(r *rig, settle time.Duration) state {
	r.hc.CloseIdleConnections() // engine -> connector
	r.client.Close()            // connector -> emulator (idle connections only)
	deadline := time.Now().Add(settle)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return state{goroutines: runtime.NumGoroutine(), heapInuse: ms.HeapInuse}
}

// heapSampler records the largest live heap seen until stop is called.
func heapSampler() (stop func() uint64) {
	done := make(chan struct{})
	var peak uint64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak
	}
}

// report is the outcome of a run.
type report struct {
	Failures []string
}

func run(ctx context.Context, s settings, out io.Writer) (*report, error) {
	rep := &report{}
	fail := func(format string, args ...any) { rep.Failures = append(rep.Failures, fmt.Sprintf(format, args...)) }
	r, err := startRig(s)
	if err != nil {
		return nil, err
	}
	defer r.close()

	// Warm up every path once, then take the baseline.
	for _, m := range []struct {
		module string
		params map[string]any
	}{
		{"listCustomers", map[string]any{"limit": 250}}, {"getPlan", map[string]any{"planId": "pro"}},
		{"listSubscriptions", map[string]any{"userIdOrAlias": "user_002"}}, {"makeApiCall", map[string]any{"url": "/plans/"}},
	} {
		if a := r.post(ctx, m.module, m.params, ""); a.err != nil || a.status != http.StatusOK {
			return nil, fmt.Errorf("warm-up %s: %d %v %s", m.module, a.status, a.err, a.body)
		}
	}
	before := snapshot(r, s.Settle)
	upstreamBefore := len(r.emu.Emulator.Requests())

	fmt.Fprintf(out, "machine:  %s\n", machine())
	fmt.Fprintf(out, "settings: concurrency %d, duration %s, faults %v, max requests %d, seed %d, execution timeout %s\n",
		s.Concurrency, s.Duration, onOff(s.Faults), s.MaxRequests, s.Seed, executionTimeout)

	loadCtx, stopLoad := context.WithTimeout(ctx, s.Duration)
	defer stopLoad()
	stopHeap := heapSampler()
	faults := make(chan int, 1)
	if s.Faults {
		go func() { faults <- injectFaults(loadCtx, r.emu.Emulator) }()
	} else {
		faults <- 0
	}
	var sent atomic.Int64
	workers := make([]*worker, s.Concurrency)
	var wg sync.WaitGroup
	started := time.Now()
	for i := range workers {
		workers[i] = &worker{id: i, r: r, rng: mrand.New(mrand.NewPCG(uint64(s.Seed), uint64(i))),
			aliases: map[string]*aliasOutcome{}, sent: &sent, maxSent: int64(s.MaxRequests)}
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			w.run(ctx, started.Add(s.Duration))
		}(workers[i])
	}
	wg.Wait()
	elapsed := time.Since(started)
	stopLoad()
	injected := <-faults
	peakHeap := stopHeap()
	r.emu.Emulator.ClearFaults()

	// Tally.
	perOp := make([][]time.Duration, opCount)
	byType := map[string]int{}
	statuses := map[int]int{}
	var lost []string
	replays, executions := 0, 0
	aliases := map[string]*aliasOutcome{}
	var mismatches []string
	for _, w := range workers {
		for _, sm := range w.samples {
			executions++
			perOp[sm.op] = append(perOp[sm.op], sm.dur)
			a := sm.a
			if a.err != nil {
				if len(lost) < 5 {
					lost = append(lost, fmt.Sprintf("%s: %v", opNames[sm.op], a.err))
				}
				byType["(no answer)"]++
				continue
			}
			statuses[a.status]++
			if a.replayed {
				replays++
			}
			if a.status != http.StatusOK {
				byType[a.typ+" "+a.code]++
				if a.status >= 500 && a.typ != api.TypeConnectionError && a.typ != api.TypeModuleTimeoutError {
					fail("%s answered %d %s %s: %.200s", opNames[sm.op], a.status, a.typ, a.code, a.body)
				}
			}
		}
		for k, v := range w.aliases {
			aliases[k] = v
		}
		mismatches = append(mismatches, w.mismatch...)
		w.samples = nil
	}
	if executions == 0 {
		return nil, errors.New("no request was sent")
	}
	if n := byType["(no answer)"]; n > 0 {
		fail("%d requests got no answer in the contract's shape, e.g. %s", n, strings.Join(lost, "; "))
	}
	if len(mismatches) > 0 {
		fail("%d repeats under the same Idempotency-Key got another answer, e.g. %s", len(mismatches), mismatches[0])
	}

	// Exactly once upstream.
	var succeeded, unknown, unknownPresent, otherFailed, missing, twice int
	otherCodes := map[string]int{}
	var examples []string
	for alias, o := range aliases {
		n := r.emu.Emulator.SubscriptionsWithAlias(loadToken, alias)
		switch {
		case n > 1:
			twice++
			examples = append(examples, fmt.Sprintf("%s exists %d times", alias, n))
		case o.succeeded:
			succeeded++
			if n != 1 {
				missing++
				examples = append(examples, fmt.Sprintf("%s succeeded but exists %d times", alias, n))
			}
		case o.unknown:
			unknown++
			unknownPresent += n
		default:
			otherFailed++
			for _, o := range o.other {
				otherCodes[o]++
			}
		}
	}
	if twice > 0 || missing > 0 {
		slices.Sort(examples)
		fail("creates not exactly once upstream: %d duplicated, %d lost, e.g. %s", twice, missing, examples[0])
	}
	upstreamRequests := len(r.emu.Emulator.Requests()) - upstreamBefore

	// The latency table, before the samples are dropped.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tcount\tp50 ms\tp99 ms\tmax ms\t")
	var total []time.Duration
	for op := range opCount {
		d := perOp[op]
		if len(d) == 0 {
			continue
		}
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t\n", opNames[op], len(d), ms(pct(d, 50)), ms(pct(d, 99)), ms(d[len(d)-1]))
		total = append(total, d...)
	}
	slices.Sort(total)
	fmt.Fprintf(tw, "all\t%d\t%.1f\t%.1f\t%.1f\t\n", len(total), ms(pct(total, 50)), ms(pct(total, 99)), ms(total[len(total)-1]))
	_ = tw.Flush()
	perOp, total = nil, nil
	for _, w := range workers {
		w.aliases, w.created, w.churned = nil, nil, nil
	}
	aliasCount := len(aliases)
	aliases = nil

	after := snapshot(r, s.Settle)
	if after.goroutines > before.goroutines+goroutineSlack {
		fail("goroutines: %d before, %d after (more than %d more)", before.goroutines, after.goroutines, goroutineSlack)
	}
	if limit := max(2*before.heapInuse, before.heapInuse+heapSlack); after.heapInuse > limit {
		fail("heap in use: %s before, %s after (limit %s)", mib(before.heapInuse), mib(after.heapInuse), mib(limit))
	}

	// Print.
	fmt.Fprintf(out, "\nexecutions: %d in %s (%.0f/s), idempotent replays %d, upstream requests %d, faults injected %d\n",
		executions, elapsed.Round(time.Millisecond), float64(executions)/elapsed.Seconds(), replays, upstreamRequests, injected)
	fmt.Fprintf(out, "log lines: %d warn, %d error\n\n", r.logs.warn.Load(), r.logs.error.Load())
	_, _ = out.Write(table.Bytes())

	fmt.Fprintln(out, "\nanswers by status:")
	for _, st := range sortedKeys(statuses) {
		fmt.Fprintf(out, "  %d  %d\n", st, statuses[st])
	}
	fmt.Fprintln(out, "errors by type and code:")
	if len(byType) == 0 {
		fmt.Fprintln(out, "  (none)")
	}
	for _, k := range sortedKeys(byType) {
		fmt.Fprintf(out, "  %-48s %d\n", k, byType[k])
	}
	fmt.Fprintf(out, "\ncreates: %d aliases; %d succeeded (each exists exactly once upstream: %v); %d OUTCOME_UNKNOWN (%d of them exist upstream); %d refused otherwise\n",
		aliasCount, succeeded, missing == 0 && twice == 0, unknown, unknownPresent, otherFailed)
	for _, k := range sortedKeys(otherCodes) {
		fmt.Fprintf(out, "  refused: %-40s %d\n", k, otherCodes[k])
	}
	fmt.Fprintf(out, "peak RSS (VmHWM): %s\n", mib(uint64(peakRSS())<<10))
	fmt.Fprintf(out, "goroutines: %d before, %d after\n", before.goroutines, after.goroutines)
	fmt.Fprintf(out, "heap in use: %s before, %s after (post-GC); peak live heap %s\n", mib(before.heapInuse), mib(after.heapInuse), mib(peakHeap))
	return rep, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func sortedKeys[K int | string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
