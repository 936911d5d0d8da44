package profitwelltest

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Server is an Emulator listening on a loopback TCP port.
type Server struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (no trailing
	// slash; append "/v2/...").
	URL string
	// Emulator is the handler being served, for fault injection and
	// inspection.
	Emulator *Emulator
	// Sandbox is set by StartSandbox: the Emulator behind its control API
	// (after a reset, Sandbox.Emulator() is the one served).
	Sandbox *Sandbox

	handler http.Handler

	srv    *http.Server
	done   chan struct{}
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup

	closeOnce sync.Once
	closeErr  error
}

// Start serves a new Emulator (see New) on 127.0.0.1 with an ephemeral port.
func Start(opts Options) (*Server, error) {
	emu := New(opts)
	return start(emu, emu)
}

// StartSandbox serves a new Sandbox (see NewSandbox) like Start: the
// emulator with its control API under /_sandbox/.
func StartSandbox(opts Options) (*Server, error) {
	sb := NewSandbox(opts)
	s, err := start(sb.Emulator(), sb)
	if s != nil {
		s.Sandbox = sb
	}
	return s, err
}

func start(emu *Emulator, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		Emulator: emu,
		handler:  h,
		done:     make(chan struct{}),
		cancel:   cancel,
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(s.serve),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    1 << 16,
		ErrorLog:          log.New(io.Discard, "", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		panic(http.ErrAbortHandler)
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()
	s.handler.ServeHTTP(w, r)
}

// Close stops the server: the listener and every connection are closed,
// pending latency faults are cancelled, and Close waits for the serving
// goroutines to finish. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		err := s.srv.Close()
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		<-s.done
		s.inflight.Wait()
		s.closeErr = err
	})
	return s.closeErr
}

// NewTestServer starts a Server and closes it when t ends. It fails t if the
// server cannot start.
func NewTestServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("profitwelltest: start emulator: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
