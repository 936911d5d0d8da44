package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/rs/zerolog"
)

// startDebug serves net/http/pprof on its own listener when --debug-addr is
// set, so profiles can be taken from a running process without exposing
// them on the service port. It returns a function that stops it.
// /debug/pprof/cmdline is left out: flags such as --api-keys would show.
func startDebug(c *config, logger zerolog.Logger) (stop func(), err error) {
	if c.DebugAddr == "" {
		return func() {}, nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", c.DebugAddr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", envName("debug-addr"), c.DebugAddr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	logger.Info().Str("debug_addr", ln.Addr().String()).Msg("profiling server on /debug/pprof/")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close()
		}
		<-done
	}, nil
}
