package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/connection"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// Micro benchmarks of the execute path (make bench-micro; compare runs with
// benchstat). docs/BENCHMARKS.md tells how they relate to `make bench`.

// discardWriter is a ResponseWriter that keeps nothing but the size, so the
// benchmarks measure the connector, not a recorder's copying.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { d.n += len(b); return len(b), nil }
func (d *discardWriter) WriteHeader(code int)        { d.status = code }

func (d *discardWriter) reset() {
	clear(d.h)
	d.status, d.n = 0, 0
}

var benchRequests = map[string]string{
	"small": `{"connection":{"privateToken":"sandbox-private-token"},"parameters":{"planId":"pro-monthly"},` +
		`"execution":{"id":"run-1","cycle":1,"timeoutMs":40000}}`,
	"list": `{"connection":{"privateToken":"sandbox-private-token"},"parameters":{"email":"jane@example.com",` +
		`"updatedFrom":"2025-01-01T00:00:00Z","direction":"DESC","limit":"250"},"cursor":"",` +
		`"execution":{"id":"run-1","cycle":1,"timeoutMs":40000}}`,
}

var benchModules = map[string]string{"small": "getPlan", "list": "listCustomers"}

// BenchmarkExecuteDecodeValidate is the CPU an execution spends before its
// first upstream call: the strict envelope decode, the token and
// manifest.Validate of the parameters (defaults, conversions, rules).
func BenchmarkExecuteDecodeValidate(b *testing.B) {
	reg, err := modules.Default(modules.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"small", "list"} {
		b.Run(name, func(b *testing.B) {
			body := []byte(benchRequests[name])
			spec, ok := reg.Spec(benchModules[name])
			if !ok {
				b.Fatal("no module")
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				var req executeRequest
				if err := decodeJSON(body, &req); err != nil {
					b.Fatal(err)
				}
				if _, err := connection.Token(req.Connection); err != nil {
					b.Fatal(err)
				}
				if _, err := manifest.Validate(spec.Inputs(), req.Parameters); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// customerBundles are n customers as the listCustomers module returns them:
// rows of emulator pages, passed through.
func customerBundles(b *testing.B, n int) []any {
	b.Helper()
	up := httptest.NewServer(profitwelltest.New(profitwelltest.Options{Seed: 7, Customers: max(n, 1000)}))
	defer up.Close()
	client, err := profitwell.New(profitwell.Config{BaseURL: up.URL, Rate: 1e9, Burst: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	session := client.Session(profitwell.NewToken(profitwelltest.DefaultToken))
	var rows []profitwell.CustomerRow
	for page := 1; len(rows) < n; page++ {
		got, err := session.ListCustomerRows(context.Background(), profitwell.CustomerQuery{Page: page, PerPage: 250})
		if err != nil || len(got) == 0 {
			b.Fatalf("emulator page %d: %v", page, err)
		}
		rows = append(rows, got...)
	}
	out := make([]any, n)
	for i := range out {
		out[i] = &rows[i]
	}
	return out
}

// BenchmarkWriteBundles writes an execute answer of 10, 250 and 1000
// customer bundles into a discarding ResponseWriter.
func BenchmarkWriteBundles(b *testing.B) {
	for _, n := range []int{10, 250, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			res := executeResponse{Bundles: customerBundles(b, n), Meta: executeMeta{
				Module: "listCustomers", Returned: n, HasMore: true, NextCursor: strings.Repeat("c", 120), UpstreamRequests: 4,
			}}
			w := &discardWriter{h: http.Header{}}
			writeExecute(w, res)
			b.SetBytes(int64(w.n))
			b.ReportAllocs()
			for b.Loop() {
				w.reset()
				writeExecute(w, res)
			}
		})
	}
}

// cachingUpstream serves the emulator's answers, each computed once, so a
// benchmark's allocations are the connector's, not the emulator's.
type cachingUpstream struct {
	emu   *profitwelltest.Emulator
	mu    sync.Mutex
	cache map[string][]byte
}

func (u *cachingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.URL.RequestURI()
	u.mu.Lock()
	body, ok := u.cache[key]
	u.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		u.emu.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		body = rec.Body.Bytes()
		u.mu.Lock()
		u.cache[key] = body
		u.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// BenchmarkExecute runs whole executions through the server's handler
// (routing, middleware, decode, validation, module, client over loopback,
// encoding) against a caching emulator. heap/resp is the Go heap allocated
// per execution over the size of the answer it writes.
func BenchmarkExecute(b *testing.B) {
	up := httptest.NewServer(&cachingUpstream{
		emu:   profitwelltest.New(profitwelltest.Options{Seed: 7, Customers: 1000}),
		cache: map[string][]byte{},
	})
	defer up.Close()
	client, err := profitwell.New(profitwell.Config{BaseURL: up.URL, Rate: 1e9, Burst: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	reg, err := modules.Default(modules.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Deps{Registry: reg, Client: client, Manifest: modules.Document(reg),
		Logger: zerolog.Nop(), DefaultTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	planID := "pro"
	for _, c := range []struct{ name, module, params string }{
		{"getPlan", "getPlan", `{"planId":"` + planID + `"}`},
		{"listPlans10", "listPlans", `{"limit":10}`},
		{"listCustomers250", "listCustomers", `{"limit":250}`},
		{"listCustomers1000", "listCustomers", `{"limit":1000}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			w, exec := executor(b, srv, c.module, c.params)
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				exec()
				n++
			}
			runtime.ReadMemStats(&m1)
			heap := float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)
			b.ReportMetric(float64(w.n), "resp-B")
			b.ReportMetric(heap/float64(w.n), "heap/resp")
		})
	}
}

// memoryTransport answers upstream requests from a cachingUpstream without
// any I/O, so BenchmarkExecuteNoIO measures the connector's own CPU.
type memoryTransport struct{ up *cachingUpstream }

func (t memoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := &discardRecorder{h: http.Header{}}
	t.up.ServeHTTP(rec, r)
	if r.Body != nil {
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: rec.status, Status: http.StatusText(rec.status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: rec.h, Body: io.NopCloser(bytes.NewReader(rec.body)), ContentLength: int64(len(rec.body)), Request: r,
	}, nil
}

// discardRecorder keeps the status, headers and body of a cached answer.
type discardRecorder struct {
	h      http.Header
	status int
	body   []byte
}

func (d *discardRecorder) Header() http.Header { return d.h }
func (d *discardRecorder) Write(b []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.body = b
	return len(b), nil
}
func (d *discardRecorder) WriteHeader(code int) { d.status = code }

// BenchmarkExecuteNoIO is the connector's own work per execution: the whole
// handler chain as served (JSON access log at info, metrics, every
// middleware) and the client's logic, with the upstream answered from
// memory and the answer discarded. What `make bench` adds on top is
// net/http's server and transport, which a bare proxy pays too.
func BenchmarkExecuteNoIO(b *testing.B) {
	up := &cachingUpstream{emu: profitwelltest.New(profitwelltest.Options{Seed: 7, Customers: 1000}), cache: map[string][]byte{}}
	reg := prometheus.NewRegistry()
	logger := zerolog.New(io.Discard).Level(zerolog.InfoLevel).With().Timestamp().Logger()
	client, err := profitwell.New(profitwell.Config{BaseURL: "http://upstream.invalid", Rate: 1e9, Burst: 1 << 30,
		HTTPClient: &http.Client{Transport: memoryTransport{up}}, Registerer: reg, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	mods, err := modules.Default(modules.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Deps{Registry: mods, Client: client, Manifest: modules.Document(mods),
		Logger: logger, Registerer: reg, Gatherer: reg, DefaultTimeout: 10 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, module, params string }{
		{"getPlan", "getPlan", `{"planId":"pro"}`},
		{"listPlans10", "listPlans", `{"limit":10}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			_, exec := executor(b, srv, c.module, c.params)
			b.ReportAllocs()
			for b.Loop() {
				exec()
			}
		})
	}
}

// executor returns a function that runs module with params through srv's
// handler once, failing the benchmark unless it answers 200; it has run
// once already (connections, caches). w keeps the answer's status and size.
func executor(b *testing.B, srv *Server, module, params string) (w *discardWriter, exec func()) {
	body := []byte(`{"connection":{"privateToken":"` + testToken + `"},"parameters":` + params + `}`)
	w = &discardWriter{h: http.Header{}}
	exec = func() {
		w.reset()
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost,
			"/v1/modules/"+module+"/execute", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		srv.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			b.Fatalf("status %d", w.status)
		}
	}
	exec()
	return w, exec
}
