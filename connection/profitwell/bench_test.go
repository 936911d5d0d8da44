package profitwell

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// customersPage builds a realistic page of n customers (~200 bytes each).
func customersPage(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"customer_id":"cus_%014d","email":"user%d@example.com","first_name":null,"last_name":"Doe",`+
			`"mrr_cents":%d,"plans":["pro-monthly"],"status":"active","created_on":"2023-06-15T12:41:32Z",`+
			`"activated_on":"2023-06-22T12:41:32Z","churned_on":null,"updated_on":"2023-08-28T10:55:19.919563Z",`+
			`"total_spend_cents":%d}`, i, i, 1000+i, 10000+i)
	}
	b.WriteByte(']')
	return b.String()
}

func TestCustomersPageDecodes(t *testing.T) {
	t.Parallel()
	cs, err := decodeCustomers([]byte(customersPage(250)))
	require.NoError(t, err)
	require.Len(t, cs, 250)
	require.Equal(t, int64(1249), cs[249].MRRCents)
}

func BenchmarkDecodeCustomers250(b *testing.B) {
	page := []byte(customersPage(250))
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCustomers(page); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListCustomers250 is the whole path over loopback: pacing, request,
// capped read into a pooled buffer, typed decode.
func BenchmarkListCustomers250(b *testing.B) {
	page := customersPage(250)
	srv := newBenchServer(b, page)
	c, err := New(Config{BaseURL: srv, Rate: 1e9, Burst: 1 << 30})
	require.NoError(b, err)
	defer c.Close()
	s := c.Session(NewToken(testToken))
	ctx := context.Background()
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.ListCustomers(ctx, CustomerQuery{PerPage: 250}); err != nil {
			b.Fatal(err)
		}
	}
}

func newBenchServer(b *testing.B, body string) string {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { respond(w, 200, body) }))
	b.Cleanup(srv.Close)
	return srv.URL
}
