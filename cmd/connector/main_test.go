package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/profitwell-connector/connector/connection/redisstore/redistest"
)

// TestMain runs the tests, or, when a test starts this binary with
// asBinaryEnv set, the connector itself (so tests can signal a real process).
func TestMain(m *testing.M) {
	if os.Getenv(asBinaryEnv) == "1" {
		main()
		return
	}
	code := m.Run()
	redistest.Stop()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// asBinaryEnv makes the test binary behave as the connector.
const asBinaryEnv = "CONNECTOR_TEST_RUN_AS_BINARY"

// logSink collects JSON log lines and finds fields in them.
type logSink struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raw.Write(p)
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			s.lines = append(s.lines, m)
		}
	}
	return len(p), nil
}

func (s *logSink) find(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if v, ok := l[key].(string); ok {
			return v, true
		}
	}
	return "", false
}

// snapshot returns the decoded lines so far.
func (s *logSink) snapshot() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.lines...)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// startServe runs the command in-process and returns its address.
func startServe(t *testing.T, args []string, vars map[string]string) (addr string, logs *logSink, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &logSink{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, env(vars), logs, io.Discard) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a, ok := logs.find("addr"); ok {
			return localURL(a), logs, func() error { cancel(); return <-done }
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("connector stopped early: %v\n%s", err, logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("connector did not start:\n%s", logs)
	return "", nil, nil
}

func TestServeSandboxEndToEnd(t *testing.T) {
	addr, logs, stop := startServe(t, []string{"--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}, nil)
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	resp, err := client.Post("http://"+addr+"/v1/modules/listPlans/execute", "application/json",
		strings.NewReader(`{"connection":{"privateToken":"sandbox-private-token"},"parameters":{"limit":3}}`))
	require.NoError(t, err)
	var out struct {
		Bundles []map[string]any
		Meta    map[string]any
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, out.Bundles, 3)
	assert.Equal(t, true, out.Meta["hasMore"])

	resp, err = client.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	require.NoError(t, stop())
	text := logs.String()
	assert.Contains(t, text, "sandbox-private-token", "the sandbox token is logged for newcomers")
	assert.Contains(t, text, "try: curl")
	assert.Contains(t, text, `"route":"/v1/modules/{name}/execute"`)
	assert.Contains(t, text, "stopped")
}

func TestServeRefusesToStartWithoutKeys(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"--addr", "127.0.0.1:0"}, env(nil), io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CONNECTOR_API_KEYS")
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"--insecure-no-auth"}, env(map[string]string{
		"CONNECTOR_ADDR":              "nonsense",
		"CONNECTOR_EXECUTION_TIMEOUT": "soon",
		"CONNECTOR_PROFITWELL_URL":    "ftp://x",
		"CONNECTOR_LOG_LEVEL":         "loud",
		"CONNECTOR_API_KEYS":          "short",
	}), io.Discard, io.Discard)
	require.Error(t, err)
	for _, want := range []string{"CONNECTOR_ADDR", "CONNECTOR_EXECUTION_TIMEOUT", "CONNECTOR_PROFITWELL_URL", "CONNECTOR_LOG_LEVEL", "CONNECTOR_API_KEYS"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "short", "a bad key's value is not echoed")

	err = run(context.Background(), []string{"--limit-cap", "0", "--insecure-no-auth"}, env(nil), io.Discard, io.Discard)
	assert.ErrorContains(t, err, "limit-cap")
	err = run(context.Background(), []string{"frobnicate"}, env(nil), io.Discard, io.Discard)
	assert.ErrorContains(t, err, `unknown command "frobnicate"`)
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	t.Parallel()
	c, err := parseConfig("test", []string{"--log-level", "debug", "--sandbox"}, env(map[string]string{
		"CONNECTOR_LOG_LEVEL": "warn", "CONNECTOR_LIMIT_CAP": "500",
	}), io.Discard, false)
	require.NoError(t, err)
	assert.Equal(t, "debug", c.LogLevel)
	assert.Equal(t, 500, c.LimitCap)
	assert.True(t, c.Sandbox)
}

func TestSandboxCommandServesTheEmulator(t *testing.T) {
	addr, _, stop := startServe(t, []string{"sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}, nil)
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/plans/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "sandbox-private-token")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// A connector pointed at it with --profitwell-url serves from it.
	caddr, _, cstop := startServe(t, []string{"--addr", "127.0.0.1:0", "--insecure-no-auth", "--drain-delay", "0s",
		"--profitwell-url", "http://" + addr}, nil)
	resp, err = client.Post("http://"+caddr+"/v1/connection/verify", "application/json",
		strings.NewReader(`{"connection":{"privateToken":"sandbox-private-token"}}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, cstop())
	require.NoError(t, stop())
}

// TestSandboxRateLimitSetting: the sandbox enforces ProfitWell's burst of 25
// by default; --sandbox-rate-limit=false (benchmarks) lifts it.
func TestSandboxRateLimitSetting(t *testing.T) {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	statuses := func(addr string, n int) map[int]int {
		got := map[int]int{}
		for range n {
			req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/api-status/", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "sandbox-private-token")
			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			got[resp.StatusCode]++
		}
		return got
	}
	addr, _, stop := startServe(t, []string{"sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s"}, nil)
	assert.Positive(t, statuses(addr, 40)[http.StatusTooManyRequests], "rate limited by default")
	require.NoError(t, stop())

	addr, _, stop = startServe(t, []string{"sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s", "--sandbox-rate-limit=false"}, nil)
	assert.Equal(t, map[int]int{http.StatusOK: 40}, statuses(addr, 40), "no limit with --sandbox-rate-limit=false")
	require.NoError(t, stop())
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"version"}, env(nil), &out, io.Discard))
	assert.Regexp(t, `^\d+\.\d+\.\d+\n$`, out.String())
	out.Reset()
	require.NoError(t, run(context.Background(), []string{"help"}, env(nil), &out, io.Discard))
	assert.Contains(t, out.String(), "connector sandbox")
}

// With engine keys in sandbox mode the banner says authentication is on,
// and the printed curl line, run as printed by a POSIX shell with
// CONNECTOR_KEY exported, answers 200; the key itself is never printed.
func TestSandboxBannerWithKeys(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to run the printed line: %v", err)
	}
	const key = "banner-engine-key-0123456789"
	_, logs, stop := startServe(t, []string{"--sandbox", "--addr", "127.0.0.1:0", "--drain-delay", "0s", "--api-keys", key}, nil)
	defer func() { require.NoError(t, stop()) }()
	var line string
	require.Eventually(t, func() bool {
		for _, l := range logs.snapshot() {
			if m, _ := l["message"].(string); strings.HasPrefix(m, "try: ") {
				line = strings.TrimPrefix(m, "try: ")
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond)
	text := logs.String()
	assert.Contains(t, text, "engine authentication is on")
	assert.NotContains(t, text, "engine authentication is off")
	assert.NotContains(t, text, key, "the key is never printed")
	assert.Contains(t, line, "$CONNECTOR_KEY")

	run := func(keyEnv string) map[string]any {
		cmd := exec.Command("sh", "-c", line)
		cmd.Env = append(os.Environ(), "CONNECTOR_KEY="+keyEnv)
		out, err := cmd.Output()
		require.NoError(t, err, line)
		var body map[string]any
		require.NoError(t, json.Unmarshal(out, &body), string(out))
		return body
	}
	ok := run(key)
	assert.Len(t, ok["bundles"], 3, "the printed line works as printed: %v", ok)
	refused := run("wrong-engine-key-0123456789")
	assert.Equal(t, "ENGINE_UNAUTHORIZED", refused["error"].(map[string]any)["code"], "the key in CONNECTOR_KEY is what authenticates")
}
