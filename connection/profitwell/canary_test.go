package profitwell

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canary is a token that must never be seen outside the Authorization header.
const canary = "CANARY0TOKEN7f3a9c1e5b2d4680aa11"

// lockedBuffer is a goroutine-safe log sink.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// allCalls runs every typed call once and returns their errors.
func allCalls(ctx context.Context, s *Session) map[string]error {
	errs := map[string]error{}
	put := func(name string, err error) { errs[name] = err }
	put("APIStatus", s.APIStatus(ctx))
	_, err := s.CompanySettings(ctx)
	put("CompanySettings", err)
	_, err = s.CreateSubscription(ctx, CreateSubscription{UserAlias: "u", Email: "e", PlanID: "p", PlanInterval: "month", Value: 1, EffectiveDate: 1})
	put("CreateSubscription", err)
	_, err = s.UpdateSubscription(ctx, "sub alias", UpdateSubscription{PlanID: "p", PlanInterval: "month", Value: 2, EffectiveDate: 2})
	put("UpdateSubscription", err)
	_, err = s.ChurnSubscription(ctx, "sub alias", 3, "voluntary")
	put("ChurnSubscription", err)
	_, err = s.UnchurnSubscription(ctx, "sub alias")
	put("UnchurnSubscription", err)
	_, err = s.UserHistory(ctx, "u")
	put("UserHistory", err)
	_, err = s.UpdateUser(ctx, "u", "e2")
	put("UpdateUser", err)
	put("DeleteUser", s.DeleteUser(ctx, "u"))
	_, err = s.ListPlans(ctx)
	put("ListPlans", err)
	_, err = s.GetPlan(ctx, "p")
	put("GetPlan", err)
	_, err = s.CreatePlan(ctx, Plan{ID: "p", Name: "P"})
	put("CreatePlan", err)
	_, err = s.UpdatePlan(ctx, "p", "P2")
	put("UpdatePlan", err)
	_, err = s.ListCustomers(ctx, CustomerQuery{Email: "x@y.z", Page: 1})
	put("ListCustomers", err)
	_, err = s.GetCustomer(ctx, "c")
	put("GetCustomer", err)
	_, err = s.MonthlyMetrics(ctx, MetricsQuery{Metrics: []string{"recurring_revenue"}})
	put("MonthlyMetrics", err)
	_, err = s.DailyMetrics(ctx, "2025-02", MetricsQuery{})
	put("DailyMetrics", err)
	_, err = s.MetricPlanIDs(ctx)
	put("MetricPlanIDs", err)
	put("ExcludeCustomer", s.ExcludeCustomer(ctx, "c"))
	return errs
}

// successBody gives every endpoint a well-formed answer.
func successBody(r *http.Request) (int, string) {
	p := r.URL.Path
	switch {
	case strings.Contains(p, "/users/") && r.Method == http.MethodGet:
		return 200, "[" + subscriptionJSON + "]"
	case strings.Contains(p, "/subscriptions/") && r.Method == http.MethodPost:
		return 201, subscriptionJSON
	case strings.Contains(p, "/subscriptions/"):
		return 200, subscriptionJSON
	case strings.HasSuffix(p, "/plans/") && strings.Contains(p, "/metrics/"):
		return 200, `{"plan_ids":["p"]}`
	case strings.HasSuffix(p, "/v2/plans/") && r.Method == http.MethodGet:
		return 200, `[{"id":"p","name":"P"}]`
	case strings.Contains(p, "/plans/"):
		return 200, `{"id":"p","name":"P"}`
	case strings.HasSuffix(p, "/v2/customers/"):
		return 200, `[{"customer_id":"c","updated_on":"2023-08-28T10:55:19Z"}]`
	case strings.Contains(p, "/customers/"):
		return 200, `{"customer_id":"c"}`
	case strings.Contains(p, "/metrics/monthly/") || strings.Contains(p, "/metrics/daily/"):
		return 200, `{"data":{"recurring_revenue":[{"date":"2025-01","value":1}]}}`
	case strings.Contains(p, "/company/"):
		return 200, `{"id":"1","name":"n","timezone":"UTC","currency":"usd"}`
	}
	return 200, `{}`
}

// echoUpstream misbehaves according to the first path segment (the client's
// base URL prefix), echoing the Authorization header wherever it can.
func echoUpstream(w http.ResponseWriter, r *http.Request) {
	mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	auth := r.Header.Get("Authorization")
	switch mode {
	case "ok":
		status, body := successBody(r)
		respond(w, status, body)
	case "fields":
		respond(w, 400, fmt.Sprintf(`{"detail":"bad token %s","value":["%s is not valid"],"%s":["field named after the token"]}`, auth, auth, auth))
	case "nonfield":
		respond(w, 400, fmt.Sprintf(`{"non_field_errors":["%s already exists"]}`, auth))
	case "unauthorized":
		respond(w, 401, fmt.Sprintf(`{"detail":"Invalid token %q."}`, auth))
	case "notfound":
		respond(w, 404, fmt.Sprintf(`{"detail":"no object for token %s"}`, auth))
	case "throttled":
		w.Header().Set("Retry-After", "3600")
		respond(w, 429, fmt.Sprintf(`{"detail":"Request was throttled for %s."}`, auth))
	case "html":
		textHandler(500, "text/html", "<h1>Server Error (500)</h1><pre>Authorization: "+auth+"</pre>")(w, r)
	case "text":
		textHandler(503, "text/plain", "upstream says: "+auth)(w, r)
	case "redirect":
		http.Redirect(w, r, "/v2/elsewhere/?token="+auth, http.StatusMovedPermanently)
	case "truncated":
		w.Header().Set("Content-Length", "500")
		_, _ = io.WriteString(w, `{"echo":"`+auth)
	case "reset":
		reset(w)
	case "hang":
		<-r.Context().Done()
	default:
		respond(w, 500, `{"detail":"unknown mode"}`)
	}
}

func TestCanaryTokenNeverLeaks(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, echoUpstream)
	logs := &lockedBuffer{}
	reg := prometheus.NewRegistry()
	modes := []string{"ok", "fields", "nonfield", "unauthorized", "notfound", "throttled", "html", "text",
		"redirect", "truncated", "reset", "hang"}

	var mu sync.Mutex
	var texts []string
	record := func(s ...string) {
		mu.Lock()
		defer mu.Unlock()
		texts = append(texts, s...)
	}
	t.Run("modes", func(t *testing.T) {
		for _, mode := range modes {
			t.Run(mode, func(t *testing.T) {
				t.Parallel()
				cfg := testConfig(up.URL + "/" + mode)
				cfg.Registerer = reg // shared: registration clashes must be handled
				cfg.Logger = zerolog.New(logs).Level(zerolog.DebugLevel)
				c := newTestClient(t, cfg)
				s := c.Session(NewToken(canary))
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if mode == "hang" {
					ctx, cancel = context.WithTimeout(context.Background(), 40*time.Millisecond)
				}
				defer cancel()
				errs := allCalls(ctx, s)
				failures := 0
				for name, err := range errs {
					if err == nil {
						continue
					}
					failures++
					var pe *Error
					require.ErrorAs(t, err, &pe, name)
					record(err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err),
						fmt.Sprintf("%#v", *pe), fmt.Sprintf("%+v", *pe), pe.Message)
					for _, f := range pe.Fields {
						record(f.Name, f.Message)
					}
					if pe.Err != nil {
						record(pe.Err.Error())
					}
				}
				if mode == "ok" {
					assert.Zero(t, failures, "%v", errs)
				} else {
					assert.Equal(t, len(errs), failures, "every call fails in mode %s", mode)
				}
				record(fmt.Sprintf("%v %+v %#v %s", s, s, s, s))

				res, err := s.Do(ctx, RawRequest{Method: "POST", Path: "/v2/subscriptions/", Body: []byte(`{}`)})
				if err != nil {
					record(err.Error(), fmt.Sprintf("%+v", err))
				} else {
					record(string(res.Body), fmt.Sprint(res.Header))
				}
			})
		}
	})

	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, texts)
	for _, txt := range texts {
		assert.NotContains(t, txt, canary)
	}
	require.NotEmpty(t, logs.String(), "debug logs were written")
	assert.NotContains(t, logs.String(), canary, "logs")
	assert.Contains(t, logs.String(), `"endpoint":"PUT /v2/subscriptions/{id}/"`)
	assert.NotContains(t, logs.String(), "sub alias", "logs carry templates, not ids")

	mfs, err := reg.Gather()
	require.NoError(t, err)
	var metricsText bytes.Buffer
	for _, mf := range mfs {
		_, err := expfmt.MetricFamilyToText(&metricsText, mf)
		require.NoError(t, err)
	}
	mt := metricsText.String()
	assert.False(t, strings.Contains(mt, canary), "canary in metrics")
	assert.False(t, strings.Contains(mt, NewToken(canary).Hash()), "token hash in metrics")
	for _, want := range []string{
		`connector_upstream_requests_total{endpoint="GET /v2/users/{id}/",status_class="2xx"}`,
		`connector_upstream_requests_total{endpoint="raw",status_class="4xx"}`,
		`status_class="error"`, `status_class="3xx"`, `status_class="5xx"`,
		`connector_upstream_retries_total{endpoint="GET /v2/plans/"}`,
		`connector_upstream_pacing_wait_seconds_count`,
	} {
		assert.True(t, strings.Contains(mt, want), "metrics lack %s", want)
	}

	// And the token did reach the upstream, as the bare Authorization value.
	for _, r := range up.requests() {
		assert.Equal(t, canary, r.Header.Get("Authorization"))
	}
}
