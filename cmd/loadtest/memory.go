package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// memorySettings configure `loadtest memory`: the connector binary run as
// the Deployment runs it (its memory limit passed as CONNECTOR_MEMORY_LIMIT,
// so the Go soft limit is derived from it; one CPU through GOMAXPROCS=1),
// and two scenarios, each against a fresh process whose peak RSS (VmHWM) is
// read at the end:
//
//   - idle: IdleConns connections, each sends one unauthenticated
//     GET /healthz and is then held open for Hold;
//   - lists: Tenants tokens each list Rows customers at once (limit Rows,
//     one execution each).
//
// Each peak must stay under 90% of the limit.
type memorySettings struct {
	Connector string
	Limit     int64
	IdleConns int
	Hold      time.Duration
	Tenants   int
	Rows      int
}

func parseMemorySettings(args []string, stderr io.Writer) (memorySettings, error) {
	fs := flag.NewFlagSet("loadtest memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := memorySettings{}
	fs.StringVar(&s.Connector, "connector", "bin/connector", "the connector binary")
	fs.Int64Var(&s.Limit, "limit", 256<<20, "the container's memory limit in bytes (the Deployment's: 256 MiB)")
	fs.IntVar(&s.IdleConns, "idle-conns", 12000, "idle keep-alive connections of the idle scenario")
	fs.DurationVar(&s.Hold, "hold", 5*time.Second, "how long the idle connections are held")
	fs.IntVar(&s.Tenants, "tenants", 24, "tenants listing at once in the lists scenario")
	fs.IntVar(&s.Rows, "rows", 10000, "rows each tenant lists")
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	switch {
	case s.IdleConns < 1 || s.IdleConns > 20000:
		return s, fmt.Errorf("idle-conns must be 1 to 20000, got %d", s.IdleConns)
	case s.Tenants < 1 || s.Tenants > 100 || s.Rows < 1 || s.Rows > 10000:
		return s, errors.New("tenants must be 1 to 100 and rows 1 to 10000")
	case s.Hold <= 0 || s.Hold > time.Minute:
		return s, errors.New("hold must be above 0 and at most 1m")
	}
	return s, nil
}

// runMemory runs both scenarios and reports; it returns the failed checks.
func runMemory(ctx context.Context, s memorySettings, out io.Writer) ([]string, error) {
	raiseFileLimit(uint64(s.IdleConns) + 4096)
	tokens := make([]string, s.Tenants)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("memory-tenant-%02d-token", i)
	}
	emu, err := profitwelltest.Start(profitwelltest.Options{Seed: 3, Tokens: tokens, Customers: s.Rows, Users: -1, RateLimit: false})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	bound := s.Limit * 9 / 10
	fmt.Fprintf(out, "memory: connector %s, limit %d MiB (bound 90%%: %d MiB), GOMAXPROCS=1\n", s.Connector, s.Limit>>20, bound>>20)
	var failures []string

	idle, err := scenario(ctx, s, emu.URL, func(addr string) (string, error) { return idleScenario(ctx, addr, s) })
	if err != nil {
		return nil, fmt.Errorf("idle scenario: %w", err)
	}
	fmt.Fprintf(out, "idle: %s; peak RSS %d MiB\n", idle.detail, idle.peak>>20)
	if idle.peak >= bound {
		failures = append(failures, fmt.Sprintf("idle connections: peak RSS %d MiB is not under %d MiB", idle.peak>>20, bound>>20))
	}
	lists, err := scenario(ctx, s, emu.URL, func(addr string) (string, error) { return listScenario(ctx, addr, s, tokens) })
	if err != nil {
		return nil, fmt.Errorf("lists scenario: %w", err)
	}
	fmt.Fprintf(out, "lists: %s; peak RSS %d MiB\n", lists.detail, lists.peak>>20)
	if lists.peak >= bound {
		failures = append(failures, fmt.Sprintf("large lists: peak RSS %d MiB is not under %d MiB", lists.peak>>20, bound>>20))
	}
	return failures, nil
}

type scenarioResult struct {
	detail string
	peak   int64 // bytes
}

// scenario starts a connector, runs f against it, reads its peak RSS and
// stops it.
func scenario(ctx context.Context, s memorySettings, upstream string, f func(addr string) (string, error)) (scenarioResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return scenarioResult{}, err
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.CommandContext(ctx, s.Connector, "serve", "--addr", addr, "--insecure-no-auth", "--profitwell-url", upstream,
		"--upstream-rate", "10000", "--upstream-burst", "10000", "--drain-delay", "0s", "--log-level", "warn",
		"--max-execution-timeout", "40s")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "CONNECTOR_MEMORY_LIMIT="+strconv.FormatInt(s.Limit, 10))
	cmd.Env = withoutEnv(cmd.Env, "GOMEMLIMIT", "GOGC")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return scenarioResult{}, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return scenarioResult{}, errors.New("the connector did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	detail, err := f(addr)
	if err != nil {
		return scenarioResult{}, err
	}
	peak := procPeakRSS(cmd.Process.Pid) << 10
	if peak == 0 {
		return scenarioResult{}, errors.New("cannot read the connector's VmHWM")
	}
	return scenarioResult{detail: detail, peak: peak}, nil
}

// idleScenario opens the connections, each with one GET /healthz, holds
// them, then closes them. Connections past the connector's cap wait in the
// listen queue, unanswered, which is the cap working.
func idleScenario(ctx context.Context, addr string, s memorySettings) (string, error) {
	var opened, answered, refused atomic.Int64
	conns := make([]net.Conn, s.IdleConns)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d := net.Dialer{Timeout: 3 * time.Second}
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				refused.Add(1)
				return
			}
			conns[i] = c
			opened.Add(1)
			_ = c.SetDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: connector\r\n\r\n"); err != nil {
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				answered.Add(1)
			}
			_ = c.SetDeadline(time.Time{})
		}()
	}
	wg.Wait()
	select {
	case <-time.After(s.Hold):
	case <-ctx.Done():
	}
	for _, c := range conns {
		if c != nil {
			_ = c.Close()
		}
	}
	return fmt.Sprintf("%d connections opened (%d not), %d answered and held %s, the rest waiting for a slot",
		opened.Load(), refused.Load(), answered.Load(), s.Hold), nil
}

// listScenario has every tenant list Rows customers at once.
func listScenario(ctx context.Context, addr string, s memorySettings, tokens []string) (string, error) {
	client := &http.Client{Timeout: 60 * time.Second}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	var ok, rows atomic.Int64
	var mu sync.Mutex
	codes := map[string]int{}
	start := time.Now()
	for _, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"connection":{"privateToken":%q},"parameters":{"limit":%d},"execution":{"timeoutMs":40000}}`, tok, s.Rows)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/modules/listCustomers/execute", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				mu.Lock()
				codes["transport error"]++
				mu.Unlock()
				return
			}
			defer resp.Body.Close()
			var out struct {
				Bundles []json.RawMessage `json:"bundles"`
				Error   struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&out)
			if resp.StatusCode == http.StatusOK {
				ok.Add(1)
				rows.Add(int64(len(out.Bundles)))
				return
			}
			mu.Lock()
			codes[strconv.Itoa(resp.StatusCode)+" "+out.Error.Code]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	detail := fmt.Sprintf("%d of %d tenants listed %d rows in all in %s", ok.Load(), len(tokens), rows.Load(), time.Since(start).Round(time.Millisecond))
	if len(codes) > 0 {
		detail += fmt.Sprintf(" (others: %v)", codes)
	}
	if ok.Load() != int64(len(tokens)) {
		return detail, fmt.Errorf("not every listing answered: %s", detail)
	}
	return detail, nil
}

// procPeakRSS is VmHWM of a process, in KiB (0 when unknown).
func procPeakRSS(pid int) int64 {
	return statusKiB("/proc/"+strconv.Itoa(pid)+"/status", "VmHWM:")
}

func statusKiB(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// raiseFileLimit lifts the soft open-file limit towards n (within the hard
// limit): the idle scenario holds one descriptor per connection.
func raiseFileLimit(n uint64) {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return
	}
	if l.Cur < n {
		l.Cur = min(n, l.Max)
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
