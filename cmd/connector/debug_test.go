package main

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDebugServer(t *testing.T) {
	addr, logs, stop := startServe(t, []string{"--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s",
		"--debug-addr", "127.0.0.1:0"}, nil)
	dbg, ok := logs.find("debug_addr")
	require.True(t, ok, "the profiling address is logged:\n%s", logs)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	get := func(url string) (int, string) {
		resp, err := client.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := get("http://" + localURL(dbg) + "/debug/pprof/")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "goroutine")
	code, _ = get("http://" + localURL(dbg) + "/debug/pprof/heap")
	assert.Equal(t, http.StatusOK, code)
	code, _ = get("http://" + localURL(dbg) + "/debug/pprof/cmdline")
	assert.Equal(t, http.StatusNotFound, code, "the command line (which may hold keys) is not served")
	code, _ = get("http://" + addr + "/debug/pprof/")
	assert.Equal(t, http.StatusNotFound, code, "profiles stay off the service port")
	require.NoError(t, stop())
}

func TestDebugServerOffByDefault(t *testing.T) {
	_, logs, stop := startServe(t, []string{"--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}, nil)
	require.NoError(t, stop())
	_, ok := logs.find("debug_addr")
	assert.False(t, ok)
}

func TestDebugAddrMustBeHostPort(t *testing.T) {
	_, err := parseConfig("connector serve", []string{"--debug-addr", "6060"}, env(nil), io.Discard, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "debug-addr")
	_, err = parseConfig("connector serve", nil, env(map[string]string{"CONNECTOR_DEBUG_ADDR": "6060"}), io.Discard, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CONNECTOR_DEBUG_ADDR")
}
