package profitwell

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testToken is a ProfitWell-shaped token used by most tests.
const testToken = "C8F23218A0B14C4E9D7E5F6A7B8CDA80"

// seen is one request as the test upstream received it.
type seen struct {
	Method     string
	RequestURI string // exactly as on the wire: escaped path + query
	Header     http.Header
	Body       []byte
}

// upstream is a scripted ProfitWell stand-in on loopback.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.reqs)
}

func (u *upstream) last(t *testing.T) seen {
	t.Helper()
	r := u.requests()
	require.NotEmpty(t, r, "upstream saw no request")
	return r[len(r)-1]
}

// newUpstream starts a server that records every request, then runs h.
func newUpstream(t *testing.T, h http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{Method: r.Method, RequestURI: r.RequestURI, Header: r.Header.Clone(), Body: body})
		u.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// testConfig is fast: no real pacing, tiny backoffs.
func testConfig(baseURL string) Config {
	return Config{
		BaseURL:     baseURL,
		Rate:        1000,
		Burst:       1000,
		MaxAttempts: 3,
		BackoffBase: 2 * time.Millisecond,
		BackoffMax:  10 * time.Millisecond,
	}
}

// newTestClient builds a client on cfg and closes it after the test (before
// the upstream, registered earlier, is closed).
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// respond writes a JSON (or other) answer.
func respond(w http.ResponseWriter, status int, body string) {
	if body != "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// reset aborts the connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

const subscriptionJSON = `{"user_id":"pwu_Oea7HXV3bnTP","subscription_id":"pws_FecTCEyo17rV",
"user_alias":"spiderman_1a","subscription_alias":"spiderman_sub_1a","email":"spiderman@profitwell.com",
"plan_id":"web_plan","plan_interval":"month","plan_currency":"usd","status":"active",
"value":5000,"effective_date":1514764800,"meta":{}}`
