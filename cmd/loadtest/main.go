// Command loadtest is the bounded load and soak check of `make loadtest`
// (docs/RELIABILITY.md, "Load and soak").
//
// Everything runs in this one process, on loopback: the ProfitWell emulator
// (its own rate limit off: the aim is to load the connector, and ProfitWell's
// 25 requests / 5 s per account would cap the run at 5 requests a second;
// 429s come from the fault schedule instead, and the connector's pacing is
// raised so that it never waits), the connector's API server wired as
// `connector serve` wires it (same http.Server timeouts, JSON logs at info
// level, engine API key, default registry, circuit breaker on), and a closed
// loop of LOAD_CONCURRENCY workers that, for LOAD_DURATION, send a mix of
// module executions:
//
//	createSubscription  25%  unique aliases, an Idempotency-Key each; 10% repeated
//	                         at once with the same key, 5% sent twice concurrently
//	listCustomers       20%  limit 10 (3 in 4) or 250
//	getPlan             15%
//	listSubscriptions   10%
//	churn / unchurn     15%  on the worker's own created subscriptions
//	makeApiCall GET     15%  /plans/
//
// With LOAD_FAULTS on, a scheduler injects an emulator fault every 200 ms,
// in turn: 300 ms latency (8 requests), a 500 HTML page (2), a TCP reset
// (1), a truncated answer (1, the write applied but its answer lost), a 429
// with Retry-After: 1 (2).
//
// It prints executions, errors by type and code, p50 / p99 latency (overall
// and per operation), peak RSS, goroutines and heap in use before and after,
// and checks, exiting 1 when one fails:
//
//   - nothing lost: every request got an HTTP answer in the contract's shape;
//   - no 5xx but ConnectionError and ModuleTimeoutError (from the faults);
//   - every alias whose create succeeded, or was replayed, exists exactly
//     once upstream; aliases whose create ended OUTCOME_UNKNOWN exist 0 or 1
//     times (reported); none exists twice;
//   - a repeat with the same Idempotency-Key that got 200 got the same body;
//   - goroutines after (idle connections closed, settled) within 5 of before;
//   - heap in use after (post-GC) within max(2 × before, before + 64 MiB):
//     the idempotency store and the emulator's ledger legitimately keep
//     what the run wrote.
//
// Settings: LOAD_CONCURRENCY (16), LOAD_DURATION (20s), LOAD_FAULTS (on),
// LOAD_MAX_REQUESTS (400000, a hard bound), LOAD_SEED (1); the same as flags
// -concurrency, -duration, -faults, -max-requests, -seed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type settings struct {
	Concurrency int
	Duration    time.Duration
	Faults      bool
	MaxRequests int
	Seed        int64
	Settle      time.Duration
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "memory" {
		mainMemory(os.Args[2:])
		return
	}
	s, err := parseSettings(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Duration+5*time.Minute) // a hard stop
	defer cancel()
	rep, err := run(ctx, s, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	if len(rep.Failures) > 0 {
		fmt.Println("\nFAIL")
		for _, f := range rep.Failures {
			fmt.Println("  -", f)
		}
		os.Exit(1)
	}
	fmt.Println("\nPASS")
}

// mainMemory runs `loadtest memory` (memory.go).
func mainMemory(args []string) {
	s, err := parseMemorySettings(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadtest memory:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hard stop
	defer cancel()
	failures, err := runMemory(ctx, s, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest memory:", err)
		os.Exit(2)
	}
	if len(failures) > 0 {
		fmt.Println("\nFAIL")
		for _, f := range failures {
			fmt.Println("  -", f)
		}
		os.Exit(1)
	}
	fmt.Println("\nPASS")
}

func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	conc := fs.Int("concurrency", 0, "workers sending requests (env LOAD_CONCURRENCY, default 16)")
	dur := fs.Duration("duration", 0, "how long to send (env LOAD_DURATION, default 20s)")
	faults := fs.String("faults", "", "inject upstream faults: on or off (env LOAD_FAULTS, default on)")
	maxReq := fs.Int("max-requests", 0, "hard bound on requests (env LOAD_MAX_REQUESTS, default 400000)")
	seed := fs.Int64("seed", 0, "seed of the operation mix and the emulator (env LOAD_SEED, default 1)")
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	s := settings{Settle: 2 * time.Second, Concurrency: *conc, Duration: *dur, MaxRequests: *maxReq, Seed: *seed}
	var err error
	if s.Concurrency == 0 {
		if s.Concurrency, err = strconv.Atoi(env("LOAD_CONCURRENCY", "16")); err != nil {
			return s, fmt.Errorf("LOAD_CONCURRENCY: %w", err)
		}
	}
	if s.Duration == 0 {
		if s.Duration, err = time.ParseDuration(env("LOAD_DURATION", "20s")); err != nil {
			return s, fmt.Errorf("LOAD_DURATION: %w", err)
		}
	}
	f := *faults
	if f == "" {
		f = env("LOAD_FAULTS", "on")
	}
	switch strings.ToLower(f) {
	case "on", "true", "1", "yes":
		s.Faults = true
	case "off", "false", "0", "no":
	default:
		return s, fmt.Errorf("LOAD_FAULTS must be on or off, got %q", f)
	}
	if s.MaxRequests == 0 {
		if s.MaxRequests, err = strconv.Atoi(env("LOAD_MAX_REQUESTS", "400000")); err != nil {
			return s, fmt.Errorf("LOAD_MAX_REQUESTS: %w", err)
		}
	}
	if s.Seed == 0 {
		if s.Seed, err = strconv.ParseInt(env("LOAD_SEED", "1"), 10, 64); err != nil {
			return s, fmt.Errorf("LOAD_SEED: %w", err)
		}
	}
	switch {
	case s.Concurrency < 1 || s.Concurrency > 1024:
		return s, fmt.Errorf("concurrency must be 1 to 1024, got %d", s.Concurrency)
	case s.Duration <= 0 || s.Duration > time.Hour:
		return s, fmt.Errorf("duration must be above 0 and at most 1h, got %s", s.Duration)
	case s.MaxRequests < 1 || s.MaxRequests > 10_000_000:
		return s, fmt.Errorf("max requests must be 1 to 10000000, got %d", s.MaxRequests)
	}
	return s, nil
}

// machine describes where the run happened.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = ", load average " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s %s/%s%s", runtime.NumCPU(), model, runtime.Version(), runtime.GOOS, runtime.GOARCH, load)
}

// peakRSS is VmHWM from /proc/self/status, in KiB (0 when unknown).
func peakRSS() int64 { return statusKiB("/proc/self/status", "VmHWM:") }
