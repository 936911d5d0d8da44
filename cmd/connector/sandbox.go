package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
)

// sandbox runs the ProfitWell emulator alone, so that an engine under
// development or several connector replicas (--profitwell-url) share one.
func sandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig("connector sandbox", args, getenv, stderr, true)
	if err != nil {
		return err
	}
	logger, stopLogging, err := startLogging(c, stdout)
	if err != nil {
		return err
	}
	defer stopLogging()
	emu := profitwelltest.NewSandbox(profitwelltest.Options{
		Seed: c.SandboxSeed, Tokens: []string{c.SandboxToken}, RateLimit: c.SandboxRateLimit,
	})
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := localURL(ln.Addr().String())
	logger.Info().Str("addr", ln.Addr().String()).Str("sandbox_token", c.SandboxToken).
		Msgf("ProfitWell sandbox ready; point a connector at it with --profitwell-url http://%s", addr)
	logger.Info().Msgf("try: curl -s http://%s/v2/plans/ -H 'Authorization: %s'", addr, c.SandboxToken)
	logger.Info().Msgf("faults on demand: curl -s -X POST http://%s%sfaults -H 'Authorization: %s' -d '{\"kind\":\"status\",\"status\":503}'", addr, profitwelltest.SandboxPrefix, c.SandboxToken)
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(c, logger, srv, &atomic.Bool{}, served, func() {})
}
