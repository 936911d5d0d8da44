package main

import (
	"errors"
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

// TestSIGTERMDrainsAndExits signals the real process while executions are
// running: readiness turns 503 at once, the running executions complete, new
// connections are refused once the drain delay is over, and it exits 0.
func TestSIGTERMDrainsAndExits(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 5})
	emu.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultLatency, PathPrefix: "/v2/plans/",
		Latency: 1500 * time.Millisecond, Times: -1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	logs := &logSink{}
	cmd := exec.Command(os.Args[0], "--addr", addr, "--insecure-no-auth", "--profitwell-url", emu.URL,
		"--drain-delay", "700ms", "--shutdown-timeout", "10s")
	cmd.Env = append(os.Environ(), asBinaryEnv+"=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

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

	_, err = get("/healthz")
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
