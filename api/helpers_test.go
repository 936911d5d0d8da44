package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/modules"
)

const testToken = profitwelltest.DefaultToken

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a connector in front of an emulator, both on loopback.
type harness struct {
	t       *testing.T
	URL     string
	Emu     *profitwelltest.Emulator
	Logs    *syncBuffer
	Ready   *atomic.Bool
	Metrics *prometheus.Registry
	client  *http.Client
}

type harnessOptions struct {
	apiKeys  []string
	tokens   []string
	registry *modules.Registry
	timeout  time.Duration
	maxBody  int64
	verifier *Verifier
	// upstream, when set, puts something (a fault proxy) between the
	// client and the emulator: it gets the emulator's URL and returns the
	// URL the client uses.
	upstream func(emulatorURL string) string
	// breakerFailures and breakerOpenFor tune the client's breaker.
	breakerFailures int
	breakerOpenFor  time.Duration
}

func newHarness(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	tokens := o.tokens
	if tokens == nil {
		tokens = []string{testToken}
	}
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 7, Tokens: tokens})
	logs := &syncBuffer{}
	logger := zerolog.New(logs).Level(zerolog.DebugLevel)
	reg := prometheus.NewRegistry()
	base := emu.URL
	if o.upstream != nil {
		base = o.upstream(emu.URL)
	}
	client, err := profitwell.New(profitwell.Config{
		BaseURL: base, Registerer: reg, Logger: logger,
		Rate: 1000, Burst: 1000, BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond,
		BreakerFailures: o.breakerFailures, BreakerOpenFor: o.breakerOpenFor,
	})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	registry := o.registry
	if registry == nil {
		registry, err = modules.Default(modules.Options{LimitCap: 1000})
		require.NoError(t, err)
	}
	ready := &atomic.Bool{}
	ready.Store(true)
	timeout := o.timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	srv, err := NewServer(Deps{
		Registry: registry, Client: client, Manifest: modules.Document(registry),
		Logger: logger, Registerer: reg, Gatherer: reg, APIKeys: o.apiKeys, Verifier: o.verifier,
		DefaultTimeout: timeout, MaxTimeout: 2 * timeout, Ready: ready, MaxBodyBytes: o.maxBody,
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	hc := ts.Client()
	t.Cleanup(hc.CloseIdleConnections)
	return &harness{t: t, URL: ts.URL, Emu: emu.Emulator, Logs: logs, Ready: ready, Metrics: reg, client: hc}
}

// reply is an answer, decoded.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any
}

func (h *harness) do(method, path string, body any, header ...string) reply {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(h.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, h.URL+path, rd)
	require.NoError(h.t, err)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := h.client.Do(req)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(h.t, json.Unmarshal(raw, &r.JSON), string(raw))
	}
	return r
}

// execute runs a module with the sandbox token.
func (h *harness) execute(module string, params map[string]any, extra ...map[string]any) reply {
	h.t.Helper()
	body := map[string]any{"connection": map[string]any{"privateToken": testToken}, "parameters": params}
	for _, e := range extra {
		for k, v := range e {
			body[k] = v
		}
	}
	return h.do(http.MethodPost, "/v1/modules/"+module+"/execute", body)
}

// errorOf returns the error object of an answer.
func (r reply) errorOf(t *testing.T) map[string]any {
	t.Helper()
	e, ok := r.JSON["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.Body)
	return e
}

// fields returns an error's field problems as name -> message.
func (r reply) fields(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, _ := r.errorOf(t)["fields"].([]any)
	for _, f := range list {
		m := f.(map[string]any)
		out[m["name"].(string)] = m["message"].(string)
	}
	return out
}

func (r reply) bundles() []map[string]any {
	list, _ := r.JSON["bundles"].([]any)
	out := make([]map[string]any, len(list))
	for i, b := range list {
		out[i] = b.(map[string]any)
	}
	return out
}

func (r reply) meta() map[string]any {
	m, _ := r.JSON["meta"].(map[string]any)
	return m
}
