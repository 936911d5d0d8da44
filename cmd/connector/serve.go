package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"
	"golang.org/x/net/netutil"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/api/console"
	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/connection/redisstore"
	"github.com/profitwell-connector/connector/modules"
)

// startLogging builds the process logger and starts the profiling server
// when configured; stop stops the latter and flushes the log.
func startLogging(c *config, stdout io.Writer) (logger zerolog.Logger, stop func(), err error) {
	logger, flushLog := newLogger(c, stdout)
	stopDebug, err := startDebug(c, logger)
	if err != nil {
		flushLog()
		return logger, nil, err
	}
	return logger, func() { stopDebug(); flushLog() }, nil
}

// newLogger builds the process logger; flush writes lines still buffered
// (JSON lines are batched, see lineBuffer) and must run before exit.
func newLogger(c *config, w io.Writer) (logger zerolog.Logger, flush func()) {
	level, _ := zerolog.ParseLevel(c.LogLevel)
	flush = func() {}
	if c.LogFormat == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: true}
	} else {
		b := newLineBuffer(w, logBufferSize, logFlushDelay)
		w, flush = b, func() { _ = b.Close() }
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger(), flush
}

// serve runs the HTTP server until ctx ends, then drains and stops.
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, err := parseConfig("connector serve", args, getenv, stderr, false)
	if err != nil {
		return err
	}
	tuneGC(getenv)
	logger, stopLogging, err := startLogging(c, stdout)
	if err != nil {
		return err
	}
	defer stopLogging()

	baseURL := c.ProfitWellURL
	mounts := map[string]http.Handler{}
	if c.Sandbox {
		emu, err := profitwelltest.StartSandbox(profitwelltest.Options{
			Seed: c.SandboxSeed, Tokens: []string{c.SandboxToken}, RateLimit: c.SandboxRateLimit,
		})
		if err != nil {
			return fmt.Errorf("start the sandbox: %w", err)
		}
		defer emu.Close()
		baseURL = emu.URL
		mounts["/_sandbox"] = emu.Sandbox.ControlHandler()
	}
	if c.Console || c.Sandbox {
		mounts[console.Prefix] = console.New(console.Options{Sandbox: c.Sandbox, SandboxToken: c.SandboxToken, EngineAuth: len(c.APIKeys) > 0})
	}

	shared, err := openShared(ctx, c, logger)
	if err != nil {
		return err
	}
	if shared.close != nil {
		defer shared.close()
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if shared.redis != nil {
		registerRedisMetrics(reg, shared.redis)
	}
	client, err := profitwell.New(profitwell.Config{
		BaseURL: baseURL, Registerer: reg, Logger: logger,
		Rate: c.UpstreamRate, Burst: c.UpstreamBurst, Pacer: shared.pacer,
	})
	if err != nil {
		return fmt.Errorf("profitwell client: %w", err)
	}
	defer client.Close()
	cursorKeys := make([][]byte, len(c.CursorKeys))
	for i, k := range c.CursorKeys {
		cursorKeys[i] = []byte(k)
	}
	if len(cursorKeys) == 0 && !c.Sandbox {
		logger.Warn().Msgf("%s is not set: cursors and trigger states are signed with a random key of this process, so other replicas and a restarted process refuse them; give every replica the same key", envName("cursor-keys"))
	}
	registry, err := modules.Default(modules.Options{LimitCap: c.LimitCap, CursorKeys: cursorKeys})
	if err != nil {
		return err
	}
	ready := &atomic.Bool{}
	handler, err := api.NewServer(api.Deps{
		Registry: registry, Client: client, Manifest: modules.Document(registry),
		Logger: logger, Registerer: reg, Gatherer: reg, APIKeys: c.APIKeys, Verifier: shared.verifier,
		Idempotency: shared.idempotency, IdempotencyRetention: c.IdempotencyTTL,
		DefaultTimeout: c.ExecutionTimeout, MaxTimeout: c.MaxExecutionTimeout, Ready: ready, Mounts: mounts,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Addr, err)
	}
	// Each held connection costs its goroutine and buffers (about 20 KiB
	// idle): the cap bounds that memory whatever clients do.
	ln = netutil.LimitListener(ln, c.MaxConnections)
	// baseCtx is canceled when the shutdown timeout passes, which aborts
	// upstream calls still running.
	baseCtx, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      c.MaxExecutionTimeout + 5*time.Second,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          log.New(logWriter{logger}, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	ready.Store(true)

	addr := ln.Addr().String()
	switch {
	case c.Sandbox:
		logger.Warn().Str("addr", addr).Str("sandbox_token", c.SandboxToken).
			Msg("serving against the embedded ProfitWell sandbox; " + engineAuth(c))
		try := logger.Info()
		if len(c.APIKeys) > 0 {
			try.Str("note", "export CONNECTOR_KEY=<one of the engine keys> first")
		}
		try.Msg("try: " + tryCurl(c, localURL(addr)))
	case len(c.APIKeys) == 0 && len(c.SigningSecrets) == 0:
		logger.Warn().Str("addr", addr).Msg("serving WITHOUT engine authentication (--insecure-no-auth)")
	default:
		logger.Info().Str("addr", addr).Str("profitwell_url", baseURL).Int("api_keys", len(c.APIKeys)).
			Int("signing_secrets", len(c.SigningSecrets)).Msg("serving; " + engineAuth(c))
	}

	if c.ShutdownTimeout < c.MaxExecutionTimeout {
		logger.Warn().Dur("shutdown_timeout", c.ShutdownTimeout).Dur("max_execution_timeout", c.MaxExecutionTimeout).
			Msg("--shutdown-timeout is below --max-execution-timeout: on shutdown, long executions are canceled")
	}

	if mounts[console.Prefix] != nil {
		logger.Info().Msgf("console: http://%s%s/", localURL(addr), console.Prefix)
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(c, logger, srv, ready, served, cancelBase)
}

// idleTimeout closes a keep-alive connection idle this long: above the 60 s
// upstream keep-alive timeout of ingress-nginx (so the proxy, not the
// connector, closes a pooled connection first), short enough that idle
// connections do not hold --max-connections slots for long.
const idleTimeout = 75 * time.Second

// cancelGrace is how long executions canceled at the end of the shutdown
// timeout have to write their answer (the canceled error) and their access
// line before the remaining connections are closed.
const cancelGrace = 2 * time.Second

// shutdown turns readiness off, waits the drain delay so load balancers stop
// sending, then lets in-flight requests finish within the shutdown timeout;
// past it, running executions are canceled, answer their canceled error
// within cancelGrace, and the connections left are closed.
func shutdown(c *config, logger zerolog.Logger, srv *http.Server, ready *atomic.Bool, served chan error, cancelBase context.CancelFunc) error {
	ready.Store(false)
	logger.Info().Dur("drain_delay", c.DrainDelay).Msg("shutting down: readiness off, draining")
	time.Sleep(c.DrainDelay)
	ctx, cancel := context.WithTimeout(context.Background(), c.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Warn().Err(err).Msg("in-flight requests did not finish in time; canceling them")
		cancelBase()
		graceCtx, cancelGraceCtx := context.WithTimeout(context.Background(), cancelGrace)
		defer cancelGraceCtx()
		if err := srv.Shutdown(graceCtx); err != nil {
			_ = srv.Close()
		}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info().Msg("stopped")
	return nil
}

// localURL turns a listen address into one curl can reach.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// logWriter sends net/http's own messages (TLS and protocol errors) to the
// structured log.
type logWriter struct{ log zerolog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Warn().Str("source", "net/http").Msg(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}

// sharedState is what replicas share through Redis when it is configured,
// and the signature verifier.
type sharedState struct {
	redis       *redisstore.Store
	pacer       profitwell.Pacer
	idempotency idempotency.Store
	verifier    *api.Verifier
	close       func()
}

// openShared connects Redis when configured (refusing to start if it does
// not answer) and builds the signature verifier.
func openShared(ctx context.Context, c *config, logger zerolog.Logger) (sharedState, error) {
	var st sharedState
	var guard api.ReplayGuard
	if c.RedisURL != "" {
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		store, err := redisstore.Open(pingCtx, c.RedisURL, "connector:", logger)
		if err != nil {
			return st, fmt.Errorf("%s: %w", envName("redis-url"), err)
		}
		st.redis = store
		st.pacer = store.Pacer(c.UpstreamRate, c.UpstreamBurst)
		st.idempotency = store.Idempotency(idempotency.DefaultBudget)
		guard = store.ReplayGuard()
		st.close = func() { _ = store.Close() }
	}
	if len(c.SigningSecrets) > 0 {
		v, err := api.NewVerifier(c.SigningSecrets, guard, nil)
		if err != nil {
			return st, fmt.Errorf("%s: %w", envName("signing-secrets"), err)
		}
		st.verifier = v
	}
	return st, nil
}

// registerRedisMetrics exports the shared store's health.
func registerRedisMetrics(reg prometheus.Registerer, store *redisstore.Store) {
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "connector_redis_up",
			Help: "1 while Redis answers, 0 from the first failure of an outage until it answers again."},
			func() float64 {
				if store.Health().Up {
					return 1
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "connector_redis_outages_total",
			Help: "Redis outages (the breaker opening after a failure)."},
			func() float64 { return float64(store.Health().Outages) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "connector_redis_failed_commands_total",
			Help: "Redis commands that reached a failing Redis."},
			func() float64 { return float64(store.Health().Failed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "connector_redis_skipped_commands_total",
			Help: "Redis commands answered at once without Redis during an outage (local pacing, local replay check, keyed writes refused)."},
			func() float64 { return float64(store.Health().Skipped) }),
	)
}

// engineAuth says how engine requests are authenticated, for the banner.
func engineAuth(c *config) string {
	switch {
	case len(c.APIKeys) > 0 && len(c.SigningSecrets) > 0:
		return "engine authentication is on: API key and signature required"
	case len(c.APIKeys) > 0:
		return "engine authentication is on: API key required"
	case len(c.SigningSecrets) > 0:
		return "engine authentication is on: signature required"
	}
	return "engine authentication is off"
}

// keyPlaceholder stands for the engine key in the printed curl line; the
// key itself is never printed.
const keyPlaceholder = "$CONNECTOR_KEY"

// tryCurl is a first request that works as printed in a POSIX shell (with
// CONNECTOR_KEY exported, set to one of the engine keys, when keys are on).
func tryCurl(c *config, addr string) string {
	line := "curl -s -X POST http://" + addr + "/v1/modules/listPlans/execute -H 'Content-Type: application/json'"
	if len(c.APIKeys) > 0 {
		line += ` -H "Authorization: Bearer ` + keyPlaceholder + `"`
	}
	line += ` -d '{"connection":{"privateToken":"` + c.SandboxToken + `"},"parameters":{"limit":3}}'`
	if len(c.SigningSecrets) > 0 {
		line += " (requests must also be signed: see the README, Signed requests)"
	}
	return line
}
