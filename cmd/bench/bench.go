package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

const token = profitwelltest.DefaultToken

// Paths of a cell.
const (
	pathDirect    = "direct"
	pathProxy     = "proxy"
	pathConnector = "connector"
)

var paths = []string{pathDirect, pathProxy, pathConnector}

// call is one HTTP request of an operation.
type call struct {
	method, path string
	body         []byte
}

// scenario is one kind of operation, as a client of ProfitWell (direct and
// proxy) and as an engine of the connector.
type scenario struct {
	name string
	ops  int // default operations per cell
	// upstream is what a client fetching the data itself sends, in order.
	upstream []call
	// execute is the connector's module and parameters.
	module string
	params string
	// rows is how many items an operation returns (0: not checked).
	rows int
	// upstreamRequests the connector must report per execution.
	upstreamRequests int
}

func (sc *scenario) calls(path string) []call {
	if path != pathConnector {
		return sc.upstream
	}
	body := fmt.Sprintf(`{"connection":{"privateToken":%q},"parameters":%s}`, token, sc.params)
	return []call{{method: http.MethodPost, path: "/v1/modules/" + sc.module + "/execute", body: []byte(body)}}
}

func scenarios(planID string) []*scenario {
	get := func(p string) call { return call{method: http.MethodGet, path: p} }
	page := func(n int) call {
		return get("/v2/customers/?direction=asc&page=" + strconv.Itoa(n) + "&per_page=250")
	}
	return []*scenario{
		{name: "getPlan", ops: 12000, upstream: []call{get("/v2/plans/" + url.PathEscape(planID) + "/")},
			module: "getPlan", params: fmt.Sprintf(`{"planId":%q}`, planID), rows: 1, upstreamRequests: 1},
		{name: "listPlans10", ops: 12000, upstream: []call{get("/v2/plans/")},
			module: "listPlans", params: `{"limit":10}`, upstreamRequests: 1},
		{name: "listCustomers250", ops: 4000, upstream: []call{page(1)},
			module: "listCustomers", params: `{"limit":250}`, rows: 250, upstreamRequests: 1},
		{name: "listCustomers1000", ops: 1200, upstream: []call{page(1), page(2), page(3), page(4)},
			module: "listCustomers", params: `{"limit":1000}`, rows: 1000, upstreamRequests: 4},
	}
}

// result is one cell: a path, a scenario and a concurrency.
type result struct {
	Scenario     string  `json:"scenario"`
	Path         string  `json:"path"`
	Concurrency  int     `json:"concurrency"`
	Ops          int     `json:"ops"`
	OpsPerS      float64 `json:"ops_per_s"`
	P50us        float64 `json:"p50_us"`
	P99us        float64 `json:"p99_us"`
	CPUusPerOp   float64 `json:"cpu_us_per_op"`
	PeakRSSKB    int64   `json:"peak_rss_kb"`
	FrontCPUus   float64 `json:"front_cpu_us_per_op"`    // the proxy or connector process alone
	EmuCPUus     float64 `json:"emulator_cpu_us_per_op"` // the emulator alone
	EmuPeakRSSKB int64   `json:"emulator_peak_rss_kb"`
	RespBytes    float64 `json:"response_bytes_per_op"`
	HeapPerOp    float64 `json:"heap_bytes_per_op,omitempty"`        // connector only: Go heap allocated per execution
	UpstreamReqs float64 `json:"upstream_requests_per_op,omitempty"` // connector only: meta.upstreamRequests
}

type ratio struct {
	Scenario    string  `json:"scenario"`
	Concurrency int     `json:"concurrency"`
	OpsPerS     float64 `json:"connector_over_proxy_ops_per_s"`
	P50         float64 `json:"connector_over_proxy_p50"`
	DirectOps   float64 `json:"connector_over_direct_ops_per_s"`
	ProxyDirect float64 `json:"proxy_over_direct_ops_per_s"`
}

type target struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Limit string  `json:"limit"`
	Met   bool    `json:"met"`
}

type report struct {
	Machine map[string]any `json:"machine"`
	Results []result       `json:"results"`
	Ratios  []ratio        `json:"ratios"`
	Targets []target       `json:"targets"`
}

type env struct {
	emu, proxy, conn *proc
	base             map[string]string // path -> base URL
}

func runBench(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	connBin := fs.String("connector", "bin/connector", "connector binary")
	out := fs.String("out", os.Getenv("BENCH_OUT"), "write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opsOverride, err := envInt("BENCH_OPS", 0)
	if err != nil {
		return err
	}
	rounds, err := envInt("BENCH_ROUNDS", defaultRounds)
	if err != nil || rounds < 1 {
		return fmt.Errorf("BENCH_ROUNDS must be a whole number above 0")
	}
	concs := []int{1, 8}
	if v := os.Getenv("BENCH_CONCURRENCY"); v != "" {
		concs = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 || n > 256 {
				return fmt.Errorf("BENCH_CONCURRENCY: %q is not a concurrency from 1 to 256", s)
			}
			concs = append(concs, n)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logDir, err := os.MkdirTemp("", "connector-bench-")
	if err != nil {
		return err
	}
	e, err := startAll(self, *connBin, logDir)
	if err != nil {
		return err
	}
	defer e.stopAll()

	planID, err := firstPlan(e.base[pathDirect])
	if err != nil {
		return err
	}
	all := scenarios(planID)
	if v := os.Getenv("BENCH_SCENARIOS"); v != "" {
		want := map[string]bool{}
		for _, s := range strings.Split(v, ",") {
			want[strings.TrimSpace(s)] = true
		}
		var keep []*scenario
		for _, sc := range all {
			if want[sc.name] {
				keep = append(keep, sc)
			}
		}
		if len(keep) == 0 {
			return fmt.Errorf("BENCH_SCENARIOS: none of %q", v)
		}
		all = keep
	}

	rep := report{Machine: machine()}
	fmt.Printf("connector bench: %s, %v CPUs, %s; load %s\n", rep.Machine["cpu"], rep.Machine["nproc"],
		rep.Machine["go"], rep.Machine["loadavg_before"])
	fmt.Printf("logs in %s\n\n", logDir)
	for _, sc := range all {
		if err := e.check(sc); err != nil {
			return err
		}
		ops := sc.ops
		if opsOverride > 0 {
			ops = opsOverride
		}
		for _, c := range concs {
			res, err := e.cell(sc, c, ops, rounds)
			if err != nil {
				return err
			}
			rep.Results = append(rep.Results, res...)
			rep.Ratios = append(rep.Ratios, ratioOf(sc.name, c, res))
		}
	}
	rep.Machine["loadavg_after"] = loadavg()
	rep.Targets = targets(rep)
	printTable(os.Stdout, rep)
	if *out != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			return err
		}
		fmt.Printf("\nwrote %s\n", *out)
	}
	return nil
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s must be a whole number, got %q", name, v)
	}
	return n, nil
}

func startAll(self, connBin, logDir string) (*env, error) {
	e := &env{base: map[string]string{}}
	var err error
	fail := func(err error) (*env, error) { e.stopAll(); return nil, err }
	e.emu, err = start("emulator", connBin, filepath.Join(logDir, "emulator.log"),
		"sandbox", "--addr", "{addr}", "--sandbox-rate-limit=false", "--drain-delay", "0s")
	if err != nil {
		return fail(err)
	}
	emuURL := "http://" + e.emu.addr
	if err := e.emu.waitReady(emuURL+"/v2/api-status/", token, http.StatusOK); err != nil {
		return fail(err)
	}
	e.proxy, err = start("proxy", self, filepath.Join(logDir, "proxy.log"), "proxy", "-addr", "{addr}", "-target", emuURL)
	if err != nil {
		return fail(err)
	}
	connArgs := []string{"serve", "--addr", "{addr}", "--profitwell-url", emuURL, "--insecure-no-auth", "--drain-delay", "0s",
		"--upstream-rate", "10000", "--upstream-burst", "100000"}
	e.conn, err = start("connector", connBin, filepath.Join(logDir, "connector.log"),
		append(connArgs, strings.Fields(os.Getenv("BENCH_CONNECTOR_ARGS"))...)...)
	if err != nil {
		return fail(err)
	}
	e.base[pathDirect] = emuURL
	e.base[pathProxy] = "http://" + e.proxy.addr
	e.base[pathConnector] = "http://" + e.conn.addr
	if err := e.proxy.waitReady(e.base[pathProxy]+"/v2/api-status/", token, http.StatusOK); err != nil {
		return fail(err)
	}
	if err := e.conn.waitReady(e.base[pathConnector]+"/readyz", "", http.StatusOK); err != nil {
		return fail(err)
	}
	return e, nil
}

func (e *env) stopAll() {
	e.conn.stop()
	e.proxy.stop()
	e.emu.stop()
}

// front is the process a path's client talks to.
func (e *env) front(path string) *proc {
	switch path {
	case pathProxy:
		return e.proxy
	case pathConnector:
		return e.conn
	}
	return nil
}

func firstPlan(base string) (string, error) {
	body, _, err := do(http.DefaultClient, base, call{method: http.MethodGet, path: "/v2/plans/"}, nil)
	if err != nil {
		return "", err
	}
	var plans []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &plans); err != nil || len(plans) == 0 {
		return "", fmt.Errorf("emulator has no plans (%v)", err)
	}
	return plans[0].ID, nil
}

// check runs one operation on every path and verifies the answers, so a
// broken path fails the bench instead of measuring errors.
func (e *env) check(sc *scenario) error {
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for _, path := range paths {
		rows := 0
		for _, c := range sc.calls(path) {
			body, _, err := do(client, e.base[path], c, nil)
			if err != nil {
				return fmt.Errorf("%s %s: %w", sc.name, path, err)
			}
			if path == pathConnector {
				var out struct {
					Bundles []json.RawMessage `json:"bundles"`
					Meta    struct {
						UpstreamRequests int `json:"upstreamRequests"`
					} `json:"meta"`
				}
				if err := json.Unmarshal(body, &out); err != nil {
					return fmt.Errorf("%s connector: %w", sc.name, err)
				}
				if out.Meta.UpstreamRequests != sc.upstreamRequests {
					return fmt.Errorf("%s connector: %d upstream requests, want %d", sc.name, out.Meta.UpstreamRequests, sc.upstreamRequests)
				}
				rows += len(out.Bundles)
				continue
			}
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				return fmt.Errorf("%s %s: %w", sc.name, path, err)
			}
			if list, ok := v.([]any); ok {
				rows += len(list)
			} else {
				rows++
			}
		}
		if sc.rows > 0 && rows != sc.rows {
			return fmt.Errorf("%s %s: %d rows, want %d", sc.name, path, rows, sc.rows)
		}
	}
	return nil
}

// do sends one call and reads the whole answer into buf (reused).
func do(client *http.Client, base string, c call, buf *bytes.Buffer) ([]byte, int, error) {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, base+c.path, body)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json")
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("%s %s: status %d: %.300s", c.method, c.path, resp.StatusCode, buf.Bytes())
	}
	return buf.Bytes(), buf.Len(), nil
}

// defaultRounds is how many rounds a cell is cut into. Short rounds, run in
// turn, make a drift in the machine's speed (other work, a noisy neighbour)
// weigh on every path alike: at c = 8, five runs with 20 rounds spread
// getPlan's connector/proxy ops/s with a standard deviation of 0.016, five
// with 5 rounds in between them 0.050 (docs/BENCHMARKS.md).
const defaultRounds = 20

// minOpsPerWorker keeps rounds long enough that the moments a round starts
// and ends with fewer than conc operations in flight stay a small part of it.
const minOpsPerWorker = 20

// cell measures one scenario at one concurrency on every path. The
// operations are cut into rounds run in turn on each path (direct, proxy,
// connector, direct, ...), so that load from outside the bench weighs on
// every path alike; each path's figures are the sums over its rounds.
func (e *env) cell(sc *scenario, conc, ops, rounds int) ([]result, error) {
	rounds = max(1, min(rounds, ops/(conc*minOpsPerWorker)))
	slices := make([]*sample, len(paths))
	for i, path := range paths {
		slices[i] = &sample{path: path, lat: make([]time.Duration, 0, ops)}
		if err := e.warmUp(sc, path, conc, ops); err != nil {
			return nil, err
		}
	}
	for r := range rounds {
		n := ops / rounds
		if r == rounds-1 {
			n = ops - (rounds-1)*(ops/rounds)
		}
		for i, path := range paths {
			if err := e.measure(sc, path, conc, n, slices[i]); err != nil {
				return nil, err
			}
		}
	}
	out := make([]result, len(paths))
	for i, sm := range slices {
		out[i] = sm.result(sc.name, conc)
		tot := int64(0)
		for _, v := range sm.stat {
			tot += v
		}
		fmt.Fprintf(os.Stderr, "  stat %s user %.1f%% sys %.1f%% idle %.1f%% softirq %.1f%% steal %.1f%%\n", sm.path, 100*float64(sm.stat[0]+sm.stat[1])/float64(tot), 100*float64(sm.stat[2])/float64(tot), 100*float64(sm.stat[3]+sm.stat[4])/float64(tot), 100*float64(sm.stat[6])/float64(tot), 100*float64(sm.stat[7])/float64(tot))
		fmt.Fprintf(os.Stderr, "  %-18s c=%-2d %-9s %8.0f ops/s  p50 %7.0f µs  p99 %7.0f µs  cpu %6.1f µs/op\n",
			sc.name, conc, sm.path, out[i].OpsPerS, out[i].P50us, out[i].P99us, out[i].CPUusPerOp)
	}
	return out, nil
}

// sample accumulates one path's rounds of a cell.
type sample struct {
	path                string
	lat                 []time.Duration
	elapsed             time.Duration
	emuCPU, frontCPU    time.Duration
	emuRSS, frontRSS    int64
	stat                [8]int64
	respBytes, upstream int64
	heap                float64
	heapOK              bool
}

func (sm *sample) result(name string, conc int) result {
	ops := len(sm.lat)
	lat := append([]time.Duration(nil), sm.lat...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(ops) }
	r := result{
		Scenario: name, Path: sm.path, Concurrency: conc, Ops: ops,
		OpsPerS:      float64(ops) / sm.elapsed.Seconds(),
		P50us:        us(lat[ops/2]),
		P99us:        us(lat[min(ops-1, ops*99/100)]),
		EmuCPUus:     per(sm.emuCPU),
		CPUusPerOp:   per(sm.emuCPU),
		EmuPeakRSSKB: sm.emuRSS,
		PeakRSSKB:    sm.emuRSS,
		RespBytes:    float64(sm.respBytes) / float64(ops),
	}
	if sm.path != pathDirect {
		r.FrontCPUus = per(sm.frontCPU)
		r.CPUusPerOp += r.FrontCPUus
		r.PeakRSSKB = sm.frontRSS
	}
	if sm.path == pathConnector {
		r.UpstreamReqs = float64(sm.upstream) / float64(ops)
		if sm.heapOK {
			r.HeapPerOp = sm.heap / float64(ops)
		}
	}
	return r
}

// client is a keep-alive client for conc workers.
func newClient(conc int) (*http.Client, *http.Transport) {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, DisableCompression: true,
		IdleConnTimeout: time.Minute}
	return &http.Client{Transport: tr, Timeout: time.Minute}, tr
}

// warmUp runs a tenth of the operations (at least 4 per worker) unmeasured:
// connections, caches, heap.
func (e *env) warmUp(sc *scenario, path string, conc, ops int) error {
	return e.load(sc, path, conc, max(ops/10, 4*conc), nil, nil)
}

// load runs n operations with conc workers in a closed loop over keep-alive
// connections (a fresh client per call: each round reconnects once, every
// path alike). With lat, it records each operation's latency in lat[i]
// and adds to sm's byte and upstream counts.
func (e *env) load(sc *scenario, path string, conc, n int, lat []time.Duration, sm *sample) error {
	base := e.base[path]
	calls := sc.calls(path)
	client, tr := newClient(conc)
	defer tr.CloseIdleConnections()
	var firstErr atomic.Pointer[error]
	var respBytes, upstream atomic.Int64
	var next atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for {
				i := next.Add(1) - 1
				if i >= int64(n) || firstErr.Load() != nil {
					return
				}
				t0 := time.Now()
				size := 0
				for _, c := range calls {
					body, n, err := do(client, base, c, &buf)
					if err != nil {
						firstErr.CompareAndSwap(nil, &err)
						return
					}
					size += n
					if lat != nil && path == pathConnector {
						upstream.Add(int64(upstreamRequests(body)))
					}
				}
				if lat != nil {
					lat[i] = time.Since(t0)
					respBytes.Add(int64(size))
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return fmt.Errorf("%s %s c=%d: %w", sc.name, path, conc, *p)
	}
	if sm != nil {
		sm.respBytes += respBytes.Load()
		sm.upstream += upstream.Load()
	}
	return nil
}

// measure runs one round of n operations on path and adds it to sm: wall
// time, latencies, the CPU time of the serving processes, their peak RSS
// and, for the connector, its Go heap allocation.
func (e *env) measure(sc *scenario, path string, conc, n int, sm *sample) error {
	front := e.front(path)
	servers := []*proc{e.emu}
	if front != nil {
		servers = append(servers, front)
	}
	// The heap is read on /metrics outside the CPU window: a scrape costs
	// the connector milliseconds of CPU that are the bench's, not an
	// execution's.
	heap0 := e.heapAllocated(path)
	cpu0 := make([]time.Duration, len(servers))
	for i, p := range servers {
		p.resetPeakRSS()
		c, err := p.cpuTime()
		if err != nil {
			return err
		}
		cpu0[i] = c
	}
	lat := make([]time.Duration, n)
	st0 := procStat()
	start := time.Now()
	if err := e.load(sc, path, conc, n, lat, sm); err != nil {
		return err
	}
	sm.elapsed += time.Since(start)
	st1 := procStat()
	for k := range st1 {
		sm.stat[k] += st1[k] - st0[k]
	}
	for i, p := range servers {
		c, err := p.cpuTime()
		if err != nil {
			return err
		}
		if i == 0 {
			sm.emuCPU += c - cpu0[i]
			sm.emuRSS = max(sm.emuRSS, p.peakRSS())
		} else {
			sm.frontCPU += c - cpu0[i]
			sm.frontRSS = max(sm.frontRSS, p.peakRSS())
		}
	}
	heap1 := e.heapAllocated(path)
	if path == pathConnector && heap0 >= 0 && heap1 >= heap0 {
		sm.heap += heap1 - heap0
		sm.heapOK = true
	}
	sm.lat = append(sm.lat, lat...)
	return nil
}

func us(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

var upstreamKey = []byte(`"upstreamRequests":`)

// upstreamRequests reads meta.upstreamRequests near the end of an execute
// answer (meta follows the bundles) without decoding the bundles.
func upstreamRequests(body []byte) int {
	tail := body[max(0, len(body)-512):]
	i := bytes.LastIndex(tail, upstreamKey)
	if i < 0 {
		return 0
	}
	rest := tail[i+len(upstreamKey):]
	n := 0
	for _, b := range rest {
		if b < '0' || b > '9' {
			break
		}
		n = n*10 + int(b-'0')
	}
	return n
}

// heapAllocated is the connector's cumulative Go heap allocation
// (go_memstats_alloc_bytes_total on /metrics), or -1 for other paths.
func (e *env) heapAllocated(path string) float64 {
	if path != pathConnector {
		return -1
	}
	body, _, err := do(http.DefaultClient, e.base[pathConnector], call{method: http.MethodGet, path: "/metrics"}, nil)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "go_memstats_alloc_bytes_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func ratioOf(name string, conc int, res []result) ratio {
	by := map[string]result{}
	for _, r := range res {
		by[r.Path] = r
	}
	d, p, c := by[pathDirect], by[pathProxy], by[pathConnector]
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return round3(a / b)
	}
	return ratio{Scenario: name, Concurrency: conc,
		OpsPerS: div(c.OpsPerS, p.OpsPerS), P50: div(c.P50us, p.P50us),
		DirectOps: div(c.OpsPerS, d.OpsPerS), ProxyDirect: div(p.OpsPerS, d.OpsPerS)}
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// targets checks the goals against this run.
func targets(rep report) []target {
	var out []target
	find := func(sc, path string, c int) (result, bool) {
		for _, r := range rep.Results {
			if r.Scenario == sc && r.Path == path && r.Concurrency == c {
				return r, true
			}
		}
		return result{}, false
	}
	for _, q := range rep.Ratios {
		switch {
		case (q.Scenario == "getPlan" || q.Scenario == "listPlans10") && q.Concurrency == 8:
			out = append(out,
				target{Name: q.Scenario + " c=8 connector/proxy ops/s", Value: q.OpsPerS, Limit: ">= 0.9", Met: q.OpsPerS >= 0.9},
				target{Name: q.Scenario + " c=8 connector/proxy p50", Value: q.P50, Limit: "<= 1.15", Met: q.P50 <= 1.15})
			// The connector's own CPU per execution against the proxy's per
			// request: both serve one request and make one upstream call.
			c, okc := find(q.Scenario, pathConnector, 8)
			p, okp := find(q.Scenario, pathProxy, 8)
			if okc && okp && p.FrontCPUus > 0 {
				x := round3(c.FrontCPUus / p.FrontCPUus)
				out = append(out, target{Name: q.Scenario + " c=8 connector/proxy CPU per request", Value: x, Limit: "<= 1", Met: x <= 1})
			}
		case q.Scenario == "listCustomers250" && q.Concurrency == 8:
			out = append(out, target{Name: q.Scenario + " c=8 connector/proxy ops/s", Value: q.OpsPerS, Limit: ">= 0.5", Met: q.OpsPerS >= 0.5})
		case q.Scenario == "listCustomers1000":
			if r, ok := find(q.Scenario, pathConnector, q.Concurrency); ok {
				c := strconv.Itoa(q.Concurrency)
				out = append(out, target{Name: q.Scenario + " c=" + c + " upstream requests/execution", Value: r.UpstreamReqs, Limit: "== 4", Met: r.UpstreamReqs == 4})
				if r.HeapPerOp > 0 && r.RespBytes > 0 {
					x := round3(r.HeapPerOp / r.RespBytes)
					out = append(out, target{Name: q.Scenario + " c=" + c + " heap/response bytes", Value: x, Limit: "<= 2", Met: x <= 2})
				}
			}
		}
	}
	return out
}

func printTable(w io.Writer, rep report) {
	fmt.Fprintf(w, "\n| scenario | c | path | ops | ops/s | p50 µs | p99 µs | CPU µs/op (front + emulator) | peak RSS MiB | response B/op | heap B/op |\n")
	fmt.Fprintf(w, "|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rep.Results {
		cpu := fmt.Sprintf("%.1f", r.CPUusPerOp)
		if r.Path != pathDirect {
			cpu = fmt.Sprintf("%.1f (%.1f + %.1f)", r.CPUusPerOp, r.FrontCPUus, r.EmuCPUus)
		}
		heap := ""
		if r.HeapPerOp > 0 {
			heap = fmt.Sprintf("%.0f", r.HeapPerOp)
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %.0f | %.0f | %.0f | %s | %.1f | %.0f | %s |\n",
			r.Scenario, r.Concurrency, r.Path, r.Ops, r.OpsPerS, r.P50us, r.P99us, cpu,
			float64(r.PeakRSSKB)/1024, r.RespBytes, heap)
	}
	fmt.Fprintf(w, "\n| scenario | c | connector/proxy ops/s | connector/proxy p50 | connector/direct ops/s | proxy/direct ops/s |\n|---|---|---|---|---|---|\n")
	for _, q := range rep.Ratios {
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f | %.3f |\n", q.Scenario, q.Concurrency, q.OpsPerS, q.P50, q.DirectOps, q.ProxyDirect)
	}
	fmt.Fprintf(w, "\n| target | value | goal | met |\n|---|---|---|---|\n")
	for _, t := range rep.Targets {
		met := "yes"
		if !t.Met {
			met = "NO"
		}
		fmt.Fprintf(w, "| %s | %.3f | %s | %s |\n", t.Name, t.Value, t.Limit, met)
	}
}

func machine() map[string]any {
	m := map[string]any{
		"nproc":          runtime.NumCPU(),
		"gomaxprocs":     runtime.GOMAXPROCS(0),
		"go":             runtime.Version(),
		"os_arch":        runtime.GOOS + "/" + runtime.GOARCH,
		"loadavg_before": loadavg(),
		"time":           time.Now().UTC().Format(time.RFC3339),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m["kernel"] = strings.TrimSpace(string(b))
	}
	return m
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func procStat() (out [8]int64) {
	b, _ := os.ReadFile("/proc/stat")
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i := 0; i < 8 && i+1 < len(f); i++ {
		out[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	return out
}
