package profitwelltest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// client returns an HTTP client whose idle connections are closed at the
// end of the test (goleak), and which does not follow redirects.
func client(t *testing.T) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func send(t *testing.T, c *http.Client, method, url, body string) (*http.Response, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", DefaultToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.Do(req)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func smallOpts() Options {
	return Options{Reference: testRef, Now: func() time.Time { return testNow }, Customers: 40}
}

func TestServerStartClose(t *testing.T) {
	t.Parallel()
	s, err := Start(smallOpts())
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(s.URL, "http://127.0.0.1:"), s.URL)
	c := client(t)
	resp, err := send(t, c, http.MethodGet, s.URL+"/v2/api-status/", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{}`, readAll(t, resp))

	// The redirect, seen by a real client.
	resp, err = send(t, c, http.MethodGet, s.URL+"/v2/customers?page=2", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusMovedPermanently, resp.StatusCode)
	assert.Equal(t, "/v2/customers/?page=2", resp.Header.Get("Location"))
	readAll(t, resp)

	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "idempotent")
	c.CloseIdleConnections()
	_, err = send(t, c, http.MethodGet, s.URL+"/v2/api-status/", "")
	assert.Error(t, err, "closed server refuses connections")
}

func TestNewTestServer(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, smallOpts())
	require.NotNil(t, s.Emulator)
	resp, err := send(t, client(t), http.MethodGet, s.URL+"/v2/plans/", "")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	readAll(t, resp)
	assert.Len(t, s.Emulator.Requests(), 1)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	createJSON := `{"email":"f@example.com","plan_id":"pro","plan_interval":"month","value":100,"effective_date":1700000000,"subscription_alias":"%s"}`

	t.Run("rate_limit with Retry-After, then normal", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		c := client(t)
		s.Emulator.InjectFault(Fault{Kind: FaultRateLimit, PathPrefix: "/v2/customers/", Times: 2, RetryAfter: 7})
		for range 2 {
			resp, err := send(t, c, http.MethodGet, s.URL+"/v2/customers/?per_page=1", "")
			require.NoError(t, err)
			assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
			assert.Equal(t, "7", resp.Header.Get("Retry-After"))
			assert.JSONEq(t, `{"detail":"Request was throttled. Expected available in 7 seconds."}`, readAll(t, resp))
		}
		// Another path is not affected; the fault is used up.
		resp, err := send(t, c, http.MethodGet, s.URL+"/v2/plans/", "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		readAll(t, resp)
		resp, err = send(t, c, http.MethodGet, s.URL+"/v2/customers/?per_page=1", "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		readAll(t, resp)
		reqs := s.Emulator.Requests()
		require.Len(t, reqs, 4)
		assert.Equal(t, []int{429, 429, 200, 200}, []int{reqs[0].Status, reqs[1].Status, reqs[2].Status, reqs[3].Status})
	})

	t.Run("rate_limit without Retry-After", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultRateLimitNoRetry})
		resp, err := send(t, client(t), http.MethodGet, s.URL+"/v2/plans/", "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Retry-After"))
		assert.JSONEq(t, `{"detail":"Request was throttled."}`, readAll(t, resp))
	})

	t.Run("server_error is HTML and changes nothing", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		c := client(t)
		s.Emulator.InjectFault(Fault{Kind: FaultServerError, Method: "post", Times: -1})
		for range 3 {
			resp, err := send(t, c, http.MethodPost, s.URL+"/v2/subscriptions/", fmt.Sprintf(createJSON, "srv"))
			require.NoError(t, err)
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
			assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, "<h1>Server Error (500)</h1>", readAll(t, resp))
		}
		assert.Zero(t, s.Emulator.SubscriptionsWithAlias(DefaultToken, "srv"))
		// GET is not matched by the POST-only fault.
		resp, err := send(t, c, http.MethodGet, s.URL+"/v2/plans/", "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		readAll(t, resp)
		s.Emulator.ClearFaults()
		resp, err = send(t, c, http.MethodPost, s.URL+"/v2/subscriptions/", fmt.Sprintf(createJSON, "srv"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		readAll(t, resp)
		assert.Equal(t, 1, s.Emulator.SubscriptionsWithAlias(DefaultToken, "srv"))
	})

	t.Run("reset closes the connection and changes nothing", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultReset, PathPrefix: "/v2/subscriptions/"})
		_, err := send(t, client(t), http.MethodPost, s.URL+"/v2/subscriptions/", fmt.Sprintf(createJSON, "rst"))
		require.Error(t, err)
		var ne net.Error
		assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.As(err, &ne), "%v", err)
		assert.Zero(t, s.Emulator.SubscriptionsWithAlias(DefaultToken, "rst"))
		reqs := s.Emulator.Requests()
		require.Len(t, reqs, 1)
		assert.Zero(t, reqs[0].Status)
	})

	t.Run("truncated body: the write happened, the answer was lost", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultTruncated, Method: http.MethodPost})
		resp, err := send(t, client(t), http.MethodPost, s.URL+"/v2/subscriptions/", fmt.Sprintf(createJSON, "trunc"))
		require.NoError(t, err, "status line and headers arrive")
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.Positive(t, resp.ContentLength)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Equal(t, int(resp.ContentLength/2), len(b))
		assert.False(t, json.Valid(b))
		assert.Equal(t, 1, s.Emulator.SubscriptionsWithAlias(DefaultToken, "trunc"))
	})

	t.Run("truncated GET", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultTruncated})
		resp, err := send(t, client(t), http.MethodGet, s.URL+"/v2/customers/", "")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	})

	t.Run("latency delays, then answers", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultLatency, Latency: 150 * time.Millisecond})
		start := time.Now()
		resp, err := send(t, client(t), http.MethodPost, s.URL+"/v2/subscriptions/", fmt.Sprintf(createJSON, "slow"))
		require.NoError(t, err)
		assert.Equal(t, http.StatusCreated, resp.StatusCode)
		readAll(t, resp)
		assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
		assert.Equal(t, 1, s.Emulator.SubscriptionsWithAlias(DefaultToken, "slow"))
	})

	t.Run("latency respects client cancellation", func(t *testing.T) {
		t.Parallel()
		s := NewTestServer(t, smallOpts())
		s.Emulator.InjectFault(Fault{Kind: FaultLatency, Latency: time.Minute})
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/v2/subscriptions/", strings.NewReader(fmt.Sprintf(createJSON, "gone")))
		require.NoError(t, err)
		req.Header.Set("Authorization", DefaultToken)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		_, err = client(t).Do(req)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 5*time.Second)
		require.Eventually(t, func() bool { return len(s.Emulator.Requests()) == 1 }, time.Second, 5*time.Millisecond)
		assert.Zero(t, s.Emulator.SubscriptionsWithAlias(DefaultToken, "gone"), "abandoned before touching state")
	})

	t.Run("Close cancels pending latency", func(t *testing.T) {
		t.Parallel()
		s, err := Start(smallOpts())
		require.NoError(t, err)
		s.Emulator.InjectFault(Fault{Kind: FaultLatency, Latency: time.Minute})
		c := client(t)
		var wg sync.WaitGroup
		wg.Go(func() {
			resp, err := send(t, c, http.MethodGet, s.URL+"/v2/plans/", "")
			if err == nil {
				resp.Body.Close()
			}
		})
		require.Eventually(t, func() bool { return len(s.Emulator.Requests()) == 1 }, time.Second, 5*time.Millisecond)
		start := time.Now()
		require.NoError(t, s.Close())
		assert.Less(t, time.Since(start), 5*time.Second)
		wg.Wait()
	})

	t.Run("faults match in order and can be cleared", func(t *testing.T) {
		t.Parallel()
		e, _ := newEmu(t, Options{})
		e.InjectFault(Fault{Kind: FaultServerError, PathPrefix: "/v2/plans/"})
		e.InjectFault(Fault{Kind: FaultRateLimit})
		assert.Equal(t, http.StatusTooManyRequests, call(t, e, http.MethodGet, "/v2/customers/", DefaultToken, nil).Code)
		assert.Equal(t, http.StatusInternalServerError, call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil).Code)
		assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil).Code)
		e.InjectFault(Fault{Kind: FaultServerError, Times: -1})
		for range 5 {
			assert.Equal(t, http.StatusInternalServerError, call(t, e, http.MethodGet, "/v2/api-status/", "", nil).Code, "before auth")
		}
		e.ClearFaults()
		assert.Equal(t, http.StatusOK, call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil).Code)
		// Reset on a recorder (no connection to hijack) aborts the handler.
		e.InjectFault(Fault{Kind: FaultReset})
		assert.PanicsWithValue(t, http.ErrAbortHandler, func() { call(t, e, http.MethodGet, "/v2/api-status/", DefaultToken, nil) })
		// Truncated on a recorder: half the body.
		e.InjectFault(Fault{Kind: FaultTruncated})
		w := call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil)
		full := call(t, e, http.MethodGet, "/v2/plans/", DefaultToken, nil)
		assert.Equal(t, full.Body.String()[:full.Body.Len()/2], w.Body.String())
		assert.Equal(t, fmt.Sprint(full.Body.Len()), w.Header().Get("Content-Length"))
	})
}
