package main

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// startProcess starts the connector as its own process (the test binary
// acting as it) on a free loopback port without engine keys; exited
// receives its exit.
func startProcess(t *testing.T, args ...string) (addr string, cmd *exec.Cmd, logs *logSink, exited chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr = ln.Addr().String()
	require.NoError(t, ln.Close())
	logs = &logSink{}
	cmd = exec.Command(os.Args[0], append([]string{"--addr", addr, "--insecure-no-auth"}, args...)...)
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited = make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return addr, cmd, logs, exited
}

// TestSIGTERMDrainsAndExits signals the real process while executions are
// running: readiness turns 503 at once, the running executions complete, new
// connections are refused once the drain delay is over, and it exits 0.
func TestSIGTERMDrainsAndExits(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 5})
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, PathPrefix: "/v2/plans/",
		Latency: 1500 * time.Millisecond, Times: -1})
	addr, cmd, logs, exited := startProcess(t, "--profitwell-url", emu.URL, "--drain-delay", "700ms", "--shutdown-timeout", "10s")

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(path string) (int, error) {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	require.Eventually(t, func() bool { s, err := get("/readyz"); return err == nil && s == 200 }, 10*time.Second, 20*time.Millisecond)

	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := client.Post("http://"+addr+"/v1/modules/listPlans/execute", "application/json",
				strings.NewReader(`{"connection":{"privateToken":"`+profitwelltest.DefaultToken+`"}}`))
			if !assert.NoError(t, err) {
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		}()
	}
	time.Sleep(300 * time.Millisecond) // the executions are running upstream
	signaled := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))

	// The signal is handled asynchronously: readiness turns 503 within
	// moments, while connections are still accepted (the drain delay).
	assert.Eventually(t, func() bool {
		status, err := get("/readyz")
		return err == nil && status == http.StatusServiceUnavailable
	}, 500*time.Millisecond, 5*time.Millisecond, "readiness turns 503 at once")
	assert.Less(t, time.Since(signaled), 600*time.Millisecond)

	wg.Wait()
	assert.Equal(t, []int{200, 200, 200, 200}, statuses, "in-flight executions complete")

	_, err := get("/healthz")
	var opErr *net.OpError
	require.True(t, errors.As(err, &opErr), "after the drain new connections are refused, got %v", err)

	select {
	case err := <-exited:
		assert.NoError(t, err, "exit status 0")
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not exit")
	}
	assert.Contains(t, logs.String(), "shutting down")
	assert.Contains(t, logs.String(), `"stopped"`)
}

// TestShutdownPastTheTimeoutAnswersEveryone: an execution still running when
// the shutdown timeout passes is canceled, answers its canceled error (the
// upstream call was cut: 504 ModuleTimeoutError, retryable for a read) and
// logs its access line before the connection closes; the process exits 0.
func TestShutdownPastTheTimeoutAnswersEveryone(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 5})
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, PathPrefix: "/v2/plans/",
		Latency: 20 * time.Second, Times: -1})
	addr, cmd, logs, exited := startProcess(t, "--profitwell-url", emu.URL, "--drain-delay", "0s", "--shutdown-timeout", "300ms", "--execution-timeout", "30s")

	client := &http.Client{Timeout: 15 * time.Second}
	defer client.CloseIdleConnections()
	require.Eventually(t, func() bool {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)

	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/modules/listPlans/execute",
			strings.NewReader(`{"connection":{"privateToken":"`+profitwelltest.DefaultToken+`"}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", "cut-by-shutdown")
		resp, err := client.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(300 * time.Millisecond) // the execution is waiting on ProfitWell (20 s of latency)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))

	r := <-done
	require.NoError(t, r.err, "the running execution gets an answer, not a closed connection")
	assert.Equal(t, http.StatusGatewayTimeout, r.status)
	var body struct{ Error map[string]any }
	require.NoError(t, json.Unmarshal([]byte(r.body), &body), r.body)
	assert.Equal(t, "ModuleTimeoutError", body.Error["type"])
	assert.Equal(t, true, body.Error["retryable"])
	assert.Equal(t, "cut-by-shutdown", body.Error["requestId"])

	select {
	case err := <-exited:
		assert.NoError(t, err, "exit status 0")
	case <-time.After(10 * time.Second):
		t.Fatal("the process did not exit")
	}
	var access map[string]any
	for _, l := range logs.lines {
		if l["request_id"] == "cut-by-shutdown" && l["message"] == "request" {
			access = l
		}
	}
	require.NotNil(t, access, "the canceled execution's access line is logged:\n%s", logs)
	assert.Equal(t, float64(http.StatusGatewayTimeout), access["status"])
}

// The default shutdown timeout outlasts the longest execution, with margin,
// so a default deployment never cancels an execution that would have ended.
func TestShutdownDefaultsOutlastExecutions(t *testing.T) {
	c, err := parseConfig("connector serve", []string{"--insecure-no-auth"}, env(nil), io.Discard, false)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, c.ShutdownTimeout, c.MaxExecutionTimeout+5*time.Second)
}
