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
	"strings"
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

// Private starts a redis-server of the test's own, which the test may kill
// (an outage); it is stopped when the test ends. It skips nothing: without
// redis-server the test fails.
func Private(t testing.TB) (url string, kill func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis for tests: %v (install Debian's redis-server)", err)
	}
	d := t.TempDir()
	var c *exec.Cmd
	for try := 0; try < 5 && c == nil; try++ {
		url, c, err = startIn(bin, d)
	}
	if c == nil {
		t.Fatalf("redis for tests: %v", err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			_ = c.Process.Kill()
			_ = c.Wait()
		})
	}
	t.Cleanup(kill)
	return url, kill
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
	if dir, err = os.MkdirTemp("", "redistest"); err != nil {
		startErr = err
		return
	}
	// A free port is found by listening and closing; another process can
	// take it in between, and then the server that answers there is not
	// ours. Each try checks the answering server's pid.
	for try := 0; try < 5; try++ {
		if url, cmd, startErr = startIn(bin, dir); startErr == nil {
			return
		}
	}
}

// startIn starts redis-server on a free port with its files in dir and
// returns its URL once the server answering there is the one started.
func startIn(bin, dir string) (string, *exec.Cmd, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	c := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", dir, "--protected-mode", "yes")
	if err := c.Start(); err != nil {
		return "", nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		pid, err := serverPID(addr)
		if err != nil {
			continue
		}
		if pid != c.Process.Pid {
			break // another process's server holds the port
		}
		return "redis://" + addr + "/0", c, nil
	}
	_ = c.Process.Kill()
	_ = c.Wait()
	return "", nil, fmt.Errorf("redis-server did not start on %s", addr)
}

// serverPID asks the Redis server at addr for its process id.
func serverPID(addr string) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")); err != nil {
		return 0, err
	}
	buf := make([]byte, 0, 8192)
	tmp := make([]byte, 4096)
	for {
		n, err := conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if i := strings.Index(string(buf), "process_id:"); i >= 0 {
			rest := string(buf[i+len("process_id:"):])
			if j := strings.Index(rest, "\r\n"); j >= 0 {
				return strconv.Atoi(rest[:j])
			}
		}
		if err != nil {
			return 0, err
		}
	}
}
