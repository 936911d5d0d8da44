// Command bench measures the connector's overhead against calling the
// ProfitWell emulator directly and through a bare reverse proxy.
//
// Usage:
//
//	bench [-connector bin/connector] [-out file.json]   run every scenario (make bench)
//	bench proxy -addr HOST:PORT -target URL             serve a bare httputil.ReverseProxy
//
// The first form starts three processes on loopback: the emulator
// (`connector sandbox --sandbox-rate-limit=false`), a bare reverse proxy in
// front of it (this binary in proxy mode) and the connector in front of it
// (pacing raised so it never limits). It then drives each path with the same
// closed-loop load (keep-alive, warm-up, a fixed number of operations) at
// each concurrency, and prints a table; with -out (or BENCH_OUT) it also
// writes the results as JSON. See docs/BENCHMARKS.md.
//
// Environment: BENCH_OUT (JSON file), BENCH_OPS (operations per cell, all
// scenarios), BENCH_CONCURRENCY (e.g. "1,8"), BENCH_SCENARIOS (e.g.
// "getPlan,listCustomers250"), BENCH_ROUNDS (rounds each cell's operations
// are cut into, run in turn on each path; default 20), BENCH_CONNECTOR_ARGS (extra
// flags for the connector, e.g. "--log-level warn"), BENCH_PROXY_DEBUG_ADDR
// (serve net/http/pprof of the proxy there, e.g. "127.0.0.1:6062").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "proxy" {
		if err := runProxy(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "bench proxy:", err)
			os.Exit(1)
		}
		return
	}
	if err := runBench(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runProxy serves httputil.ReverseProxy in front of -target: the baseline
// of "a connector that does nothing". Its transport keeps as many idle
// connections per host as the connector's client does (64), so neither
// pays for reconnections.
func runProxy(args []string) error {
	fs := flag.NewFlagSet("bench proxy", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	target := fs.String("target", "", "upstream base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-target must be a URL, got %q", *target)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = tr
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	fmt.Printf("proxy listening on %s\n", ln.Addr())
	if dbg := os.Getenv("BENCH_PROXY_DEBUG_ADDR"); dbg != "" {
		// Profiles of the baseline, to compare with the connector's
		// (--debug-addr): net/http/pprof on its own listener.
		go func() { _ = http.ListenAndServe(dbg, pprofMux()) }() //nolint:gosec // loopback, benchmark only
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	return mux
}
