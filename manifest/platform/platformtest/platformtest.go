// Package platformtest runs an export in its platform's own runtime: it
// builds and starts the real connector on its sandbox on a loopback port,
// and runs a Node harness (node --test) against it. Only loopback is used.
package platformtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EngineKey is the engine key the test connector requires.
const EngineKey = "platform-test-engine-key-0123456789"

// SandboxToken is the private token of the test connector's sandbox.
const SandboxToken = "sandbox-private-token"

// RepoRoot is the repository's root directory.
func RepoRoot(t testing.TB) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("no caller information")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
}

// Binary is the connector binary: $CONNECTOR_BIN when set (make builds it
// once for both platforms), otherwise built into a temporary directory.
func Binary(t testing.TB) string {
	if bin := os.Getenv("CONNECTOR_BIN"); bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	bin := filepath.Join(t.TempDir(), "connector")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/connector")
	cmd.Dir = RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Export runs `connector export FORMAT --out DIR --public-url URL` with the
// engine key from the environment, as a user would.
func Export(t testing.TB, bin, format, publicURL string) string {
	dir := filepath.Join(t.TempDir(), format)
	cmd := exec.Command(bin, "export", format, "--out", dir, "--public-url", publicURL, "--api-key-env", "PLATFORM_TEST_ENGINE_KEY")
	cmd.Env = append(os.Environ(), "PLATFORM_TEST_ENGINE_KEY="+EngineKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("connector export %s: %v\n%s", format, err, out)
	}
	return dir
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ClosedPort is a loopback URL nothing listens on: endpoints of the
// platforms' own servers point there, so an attempt to reach them fails.
func ClosedPort(t testing.TB) string {
	return "http://127.0.0.1:" + strconv.Itoa(freePort(t))
}

// Start runs the connector on its sandbox on a free loopback port, with an
// engine key required, and returns its URL. The emulator's and the
// connector's rate limits are lifted so that the harnesses' many calls do
// not wait on ProfitWell's 25 requests per 5 seconds.
func Start(t testing.TB, bin string) string {
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		var logs bytes.Buffer
		cmd := exec.Command(bin, "--sandbox", "--addr", addr, "--log-level", "warn",
			"--sandbox-rate-limit=false", "--upstream-rate", "1000", "--upstream-burst", "1000", "--drain-delay", "0s")
		cmd.Env = append(os.Environ(), "CONNECTOR_API_KEYS="+EngineKey)
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		url := "http://" + addr
		if err := waitReady(url, exited); err != nil {
			lastErr = fmt.Errorf("%v\n%s", err, logs.String())
			_ = cmd.Process.Kill()
			continue
		}
		t.Cleanup(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return url
	}
	t.Fatalf("the connector did not start: %v", lastErr)
	return ""
}

func waitReady(url string, exited <-chan error) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("the connector exited: %v", err)
		default:
		}
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready within 15s")
}

// Harness is a Node harness directory with its node_modules installed.
func Harness(t testing.TB, dir string) string {
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
		t.Fatalf("%s has no node_modules: run `make test-platforms` (npm ci) first", dir)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not on PATH (Node 20 or later)")
	}
	return dir
}

// NodeTest runs `node --test [ARGS] FILE` in dir with env added, bounded in
// time, and returns its output and whether it passed.
func NodeTest(t testing.TB, dir, file string, env map[string]string, args ...string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append(append([]string{"--test", "--test-reporter=spec"}, args...), file)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("node --test %s timed out\n%s", file, out)
	}
	return string(out), err == nil
}

// Mutate rewrites a generated JSON file the way a generator bug would.
func Mutate(t testing.TB, path string, mutate func(v map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	mutate(v)
	if data, err = json.Marshal(v); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// ExpectFailure runs a harness against a broken export and fails the test
// unless one of the harness's own tests fails (node's spec reporter marks
// them with ✖) with a message containing want: the harness must catch the
// breakage for what it is, not fail for another reason. Only the harness's
// tests whose names match pattern run (node --test-name-pattern).
func ExpectFailure(t testing.TB, dir, file string, env map[string]string, pattern, want string) {
	t.Helper()
	out, ok := NodeTest(t, dir, file, env, "--test-name-pattern="+pattern)
	if ok {
		t.Fatalf("the harness passed a broken export:\n%s", out)
	}
	if !strings.Contains(out, "✖") || !strings.Contains(out, want) {
		t.Fatalf("the harness did not fail with %q:\n%s", want, out)
	}
}
