package profitwelltest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discardWriter is a minimal ResponseWriter so benchmarks measure the
// emulator, not httptest.ResponseRecorder's copying.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func benchList(b *testing.B, target string) {
	e, _ := newEmu(b, Options{Customers: 1000})
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.Header.Set("Authorization", DefaultToken)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			e.ServeHTTP(w, r)
		}
	})
}

func BenchmarkListCustomersPage250(b *testing.B) { benchList(b, "/v2/customers/?page=2") }
func BenchmarkListCustomersDesc(b *testing.B) {
	benchList(b, "/v2/customers/?page=3&direction=desc&start_date=2024-01-01")
}
func BenchmarkListCustomersEmail(b *testing.B) {
	benchList(b, "/v2/customers/?email=someone%40example.com")
}

func BenchmarkCreateSubscription(b *testing.B) {
	e, _ := newEmu(b, Options{Customers: 1000})
	body := `{"email":"a@example.com","plan_id":"pro","plan_interval":"month","value":100,"effective_date":1700000000}`
	b.ReportAllocs()
	for b.Loop() {
		r := httptestRequestBody(http.MethodPost, "/v2/subscriptions/", body, "application/json")
		e.ServeHTTP(&discardWriter{h: http.Header{}}, r)
	}
}

func BenchmarkMonthlyMetrics(b *testing.B) { benchList(b, "/v2/metrics/monthly/") }
