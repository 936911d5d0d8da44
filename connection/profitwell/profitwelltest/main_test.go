package profitwelltest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testRef is the Reference used by most tests; testNow is 10 hours later.
var (
	testRef = time.Date(2025, 6, 15, 0, 0, 0, 0, time.UTC)
	testNow = testRef.Add(10 * time.Hour)
)

// fakeClock is a settable clock for Options.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newEmu returns an emulator with a fixed clock at testNow and small data
// unless opts says otherwise.
func newEmu(t testing.TB, opts Options) (*Emulator, *fakeClock) {
	t.Helper()
	clk := newClock(testNow)
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	if opts.Reference.IsZero() {
		opts.Reference = testRef
	}
	if opts.Customers == 0 {
		opts.Customers = 40
	}
	return New(opts), clk
}

// call sends one request through ServeHTTP. body may be nil, a string (sent
// raw) or any value (JSON-encoded).
func call(t testing.TB, h http.Handler, method, target, token string, body any) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	r := httptest.NewRequest(method, target, rd)
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &v), "body: %s", w.Body.String())
	return v
}

// sub is the decoded §3.1 record.
type sub struct {
	UserID            string         `json:"user_id"`
	SubscriptionID    string         `json:"subscription_id"`
	UserAlias         *string        `json:"user_alias"`
	SubscriptionAlias *string        `json:"subscription_alias"`
	Email             string         `json:"email"`
	PlanID            string         `json:"plan_id"`
	PlanInterval      string         `json:"plan_interval"`
	PlanCurrency      string         `json:"plan_currency"`
	Status            string         `json:"status"`
	Value             int64          `json:"value"`
	EffectiveDate     int64          `json:"effective_date"`
	Meta              map[string]any `json:"meta"`
}

// cust is the decoded §6.1 customer.
type cust struct {
	CustomerID      string   `json:"customer_id"`
	Email           *string  `json:"email"`
	FirstName       *string  `json:"first_name"`
	LastName        *string  `json:"last_name"`
	MRRCents        int64    `json:"mrr_cents"`
	Plans           []string `json:"plans"`
	Status          string   `json:"status"`
	CreatedOn       *string  `json:"created_on"`
	ActivatedOn     *string  `json:"activated_on"`
	ChurnedOn       *string  `json:"churned_on"`
	UpdatedOn       string   `json:"updated_on"`
	TotalSpendCents int64    `json:"total_spend_cents"`
}

func createBody(extra map[string]any) map[string]any {
	b := map[string]any{
		"email":          "ada@example.com",
		"plan_id":        "pro",
		"plan_interval":  "month",
		"value":          9900,
		"effective_date": testRef.Add(-48 * time.Hour).Unix(),
	}
	for k, v := range extra {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	return b
}

// mustCreate creates a subscription and returns its record.
func mustCreate(t testing.TB, e *Emulator, extra map[string]any) sub {
	t.Helper()
	w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, createBody(extra))
	require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
	return decode[sub](t, w)
}

func detailOf(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	return decode[map[string]string](t, w)["detail"]
}

func pathEscape(s string) string { return url.PathEscape(s) }

func httptestRequest() *http.Request {
	return httptest.NewRequest(http.MethodGet, "/v2/api-status/", nil)
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func httptestRequestBody(method, target, body, contentType string) *http.Request {
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	r.Header.Set("Authorization", DefaultToken)
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
