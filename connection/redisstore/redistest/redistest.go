// Package redistest gives tests a real Redis server on loopback: the one
// named by CONNECTOR_TEST_REDIS_URL (CI starts one), or else a redis-server
// started for the test process on a free port.
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"
)

// EnvURL names an existing Redis for tests.
const EnvURL = "CONNECTOR_TEST_REDIS_URL"

var (
	once     sync.Once
	url      string
	cmd      *exec.Cmd
	dir      string
	startErr error
)

// URL returns the address of a Redis server for tests, starting one if
// needed; it fails the test when none can be had.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(start)
	if startErr != nil {
		t.Fatalf("redis for tests: %v (install Debian's redis-server, or set %s)", startErr, EnvURL)
	}
	return url
}

// Stop stops the server URL started, if any; call it from TestMain.
func Stop() {
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
}

func start() {
	if u := os.Getenv(EnvURL); u != "" {
		url = u
		return
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		startErr = err
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		startErr = err
		return
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	if dir, err = os.MkdirTemp("", "redistest"); err != nil {
		startErr = err
		return
	}
	cmd = exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--protected-mode", "yes")
	if err := cmd.Start(); err != nil {
		startErr = err
		return
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			url = "redis://" + addr + "/0"
			return
		}
	}
	startErr = fmt.Errorf("redis-server did not listen on %s", addr)
}
