package api

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// proxyMode is what the fault proxy does to the next connections.
type proxyMode int

const (
	proxyPass     proxyMode = iota
	proxyReset              // read the request, then reset the connection without forwarding it
	proxyTruncate           // forward, then cut the answer after its headers and a few body bytes
	proxyDelay              // wait before forwarding
)

// faultProxy is a TCP proxy in front of the emulator that can delay, reset
// and truncate connections; each fault applies to a number of connections.
type faultProxy struct {
	ln      net.Listener
	target  string
	mu      sync.Mutex
	mode    proxyMode
	times   int
	delay   time.Duration
	conns   atomic.Int32
	wg      sync.WaitGroup
	closing atomic.Bool
}

func newFaultProxy(t *testing.T, targetURL string) *faultProxy {
	t.Helper()
	u, err := url.Parse(targetURL)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &faultProxy{ln: ln, target: u.Host}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { p.closing.Store(true); _ = ln.Close(); p.wg.Wait() })
	return p
}

func (p *faultProxy) URL() string { return "http://" + p.ln.Addr().String() }

// set applies mode to the next n connections.
func (p *faultProxy) set(mode proxyMode, n int, delay time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode, p.times, p.delay = mode, n, delay
}

func (p *faultProxy) next() (proxyMode, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.times <= 0 {
		return proxyPass, 0
	}
	p.times--
	return p.mode, p.delay
}

func (p *faultProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.conns.Add(1)
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.handle(c)
		}()
	}
}

// handle serves one request per connection (the client reconnects for the
// next), which keeps faults per request.
func (p *faultProxy) handle(c net.Conn) {
	defer c.Close()
	mode, delay := p.next()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	if mode == proxyReset {
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		return
	}
	if mode == proxyDelay {
		time.Sleep(delay)
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	req.Close = true
	if err := req.Write(up); err != nil {
		return
	}
	if mode == proxyTruncate {
		resp, err := http.ReadResponse(bufio.NewReader(up), req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		head := "HTTP/1.1 " + resp.Status + "\r\nContent-Type: application/json\r\nContent-Length: 10000\r\nConnection: close\r\n\r\n"
		_, _ = io.WriteString(c, head)
		_, _ = io.CopyN(c, resp.Body, 5)
		return
	}
	_, _ = io.Copy(c, up)
}

func TestDeadlinePassesAsModuleTimeoutOnTime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, Latency: 3 * time.Second, Times: -1})
	start := time.Now()
	r := h.execute("getPlan", map[string]any{"planId": "pro"}, map[string]any{"execution": map[string]any{"timeoutMs": 300}})
	elapsed := time.Since(start)
	require.Equal(t, http.StatusGatewayTimeout, r.Status, string(r.Body))
	assert.Equal(t, TypeModuleTimeoutError, r.errorOf(t)["type"])
	assert.Less(t, elapsed, 300*time.Millisecond+100*time.Millisecond, "within deadline + 100 ms")
}

func TestRetryAfterIsWaitedOutOrReturned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 1, Times: 1})
	start := time.Now()
	r := h.execute("getPlan", map[string]any{"planId": "pro"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Body))
	assert.GreaterOrEqual(t, time.Since(start), time.Second, "the short Retry-After was waited out")
	assert.EqualValues(t, 2, r.meta()["upstreamRequests"])

	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 120, Times: 1})
	r = h.execute("getPlan", map[string]any{"planId": "pro"})
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, TypeRateLimitError, r.errorOf(t)["type"])
	assert.EqualValues(t, 120000, r.errorOf(t)["retryAfterMs"])
	assert.Equal(t, "120", r.Header.Get("Retry-After"))
}

func TestReadsAreRetriedAndWritesNeverReplayed(t *testing.T) {
	t.Parallel()
	var proxy *faultProxy
	h := newHarness(t, harnessOptions{upstream: func(u string) string { proxy = newFaultProxy(t, u); return proxy.URL() }})
	posts := func() int { return upstreamCalls(h, http.MethodPost, "/v2/plans/") }

	for _, tc := range []struct {
		name  string
		fault func()
	}{
		{"5xx", func() { h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Times: 1}) }},
		{"reset", func() { proxy.set(proxyReset, 1, 0) }},
		{"truncated", func() { proxy.set(proxyTruncate, 1, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fault()
			r := h.execute("getPlan", map[string]any{"planId": "pro"})
			require.Equal(t, http.StatusOK, r.Status, "a read is retried: %s", r.Body)
			assert.EqualValues(t, 2, r.meta()["upstreamRequests"])

			before := posts()
			tc.fault()
			w := h.execute("createPlan", map[string]any{"planId": "w-" + tc.name, "name": "W"})
			require.Equal(t, http.StatusServiceUnavailable, w.Status, string(w.Body))
			e := w.errorOf(t)
			assert.Equal(t, TypeConnectionError, e["type"])
			assert.Equal(t, "OUTCOME_UNKNOWN", e["code"], "a write whose outcome is unknown says so")
			assert.Equal(t, false, e["retryable"])
			assert.LessOrEqual(t, posts()-before, 1, "never replayed")
		})
	}
}

func TestCircuitBreakerOpensAndRecoversAndIgnoresTenantErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{tokens: []string{testToken, "tenant-b-token"}, breakerFailures: 3, breakerOpenFor: 300 * time.Millisecond})
	metric := func() string {
		for _, line := range strings.Split(string(h.do(http.MethodGet, "/metrics", nil).Body), "\n") {
			if strings.HasPrefix(line, "connector_upstream_circuit_open ") {
				return strings.TrimPrefix(line, "connector_upstream_circuit_open ")
			}
		}
		return ""
	}
	// One tenant's 429s and 4xx never open it.
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 60, Times: 6})
	for range 6 {
		assert.Equal(t, http.StatusTooManyRequests, h.execute("getPlan", map[string]any{"planId": "pro"}).Status)
	}
	for range 6 {
		assert.Equal(t, http.StatusBadRequest, h.execute("getPlan", map[string]any{"planId": "no-such-plan"}).Status)
	}
	assert.Equal(t, "0", metric())

	// Consecutive 5xx open it; then calls fail fast without reaching ProfitWell.
	h.Emu.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultServerError, Times: -1})
	for range 3 {
		assert.Equal(t, http.StatusServiceUnavailable, h.execute("createPlan", map[string]any{"planId": "cb", "name": "x"}).Status)
	}
	assert.Equal(t, "1", metric())
	before := len(h.Emu.Requests())
	refused := h.execute("createPlan", map[string]any{"planId": "cb", "name": "x"})
	assert.Equal(t, http.StatusServiceUnavailable, refused.Status)
	assert.Equal(t, before, len(h.Emu.Requests()), "an open circuit sends nothing")
	// The circuit is this tenant's and this endpoint's: another tenant's
	// call and this tenant's other endpoints still reach ProfitWell.
	other := h.do(http.MethodPost, "/v1/modules/getPlan/execute", map[string]any{
		"connection": map[string]any{"privateToken": "tenant-b-token"}, "parameters": map[string]any{"planId": "pro"}})
	assert.Equal(t, TypeConnectionError, other.errorOf(t)["type"])
	assert.Greater(t, len(h.Emu.Requests()), before, "another tenant is not refused by this one's circuit")
	before = len(h.Emu.Requests())
	h.execute("getPlan", map[string]any{"planId": "pro"})
	assert.Greater(t, len(h.Emu.Requests()), before, "another endpoint of the tenant is not refused")

	// It recovers once ProfitWell does.
	h.Emu.ClearFaults()
	time.Sleep(350 * time.Millisecond)
	assert.Equal(t, http.StatusOK, h.execute("getPlan", map[string]any{"planId": "pro"}).Status)
	assert.Equal(t, http.StatusOK, h.execute("createPlan", map[string]any{"planId": "cb", "name": "x"}).Status)
	assert.Equal(t, http.StatusOK, h.do(http.MethodPost, "/v1/modules/getPlan/execute", map[string]any{
		"connection": map[string]any{"privateToken": "tenant-b-token"}, "parameters": map[string]any{"planId": "pro"}}).Status)
	assert.Equal(t, "0", metric(), "each circuit closed by its probe")
}
