package profitwell

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestErrorClassification(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 500)
	cases := []struct {
		name       string
		handler    http.HandlerFunc
		maxBody    int64
		kind       Kind
		status     int
		msg        string // substring of Message
		fields     []FieldError
		retryAfter time.Duration
	}{
		{name: "400 field errors", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `{"value":["A valid integer is required."],"plan_interval":["\"week\" is not a valid choice.","second"]}`),
			msg:     `plan_interval: "week" is not a valid choice.; second`,
			fields: []FieldError{
				{Name: "plan_interval", Message: `"week" is not a valid choice.; second`},
				{Name: "value", Message: "A valid integer is required."},
			}},
		{name: "400 non_field_errors already exists", kind: KindDuplicate, status: 400,
			handler: jsonHandler(400, `{"non_field_errors":["Subscription with alias sub_1 already exists."]}`),
			msg:     "Subscription with alias sub_1 already exists."},
		{name: "400 field already exists", kind: KindDuplicate, status: 400,
			handler: jsonHandler(400, `{"id":["plan with this id already exists."]}`),
			msg:     "id: plan with this id already exists.",
			fields:  []FieldError{{Name: "id", Message: "plan with this id already exists."}}},
		{name: "400 already scheduled to churn", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `{"non_field_errors":["This subscription is already scheduled to churn."]}`),
			msg:     "already scheduled to churn"},
		{name: "400 not churned", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `{"non_field_errors":["This subscription was not churned in the first place."]}`),
			msg:     "was not churned in the first place"},
		{name: "400 detail string", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `{"detail":"Invalid month."}`), msg: "Invalid month."},
		{name: "400 top-level list", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `["Only the current or previous month."]`), msg: "Only the current or previous month."},
		{name: "400 plain text", kind: KindInvalid, status: 400,
			handler: textHandler(400, "text/plain", "Bad thing\nhappened"), msg: "Bad thing happened"},
		{name: "400 long message trimmed", kind: KindInvalid, status: 400,
			handler: jsonHandler(400, `{"detail":"`+long+`"}`), msg: strings.Repeat("x", 299) + "…"},
		{name: "400 throttled text", kind: KindRateLimited, status: 400,
			handler: jsonHandler(400, `{"detail":"Request was throttled."}`), msg: "Request was throttled."},
		{name: "404", kind: KindNotFound, status: 404,
			handler: jsonHandler(404, `{"detail":"Not found."}`), msg: "Not found."},
		{name: "404 empty", kind: KindNotFound, status: 404, handler: textHandler(404, "", ""), msg: "Not Found"},
		{name: "401", kind: KindUnauthorized, status: 401,
			handler: jsonHandler(401, `{"detail":"Invalid token."}`), msg: "Invalid token."},
		{name: "403", kind: KindUnauthorized, status: 403,
			handler: jsonHandler(403, `{"detail":"You do not have permission to perform this action."}`), msg: "permission"},
		{name: "405", kind: KindInvalid, status: 405,
			handler: jsonHandler(405, `{"detail":"Method \"PATCH\" not allowed."}`), msg: `Method "PATCH" not allowed.`},
		{name: "409", kind: KindInvalid, status: 409, handler: jsonHandler(409, `{"detail":"Conflict."}`), msg: "Conflict."},
		{name: "422", kind: KindInvalid, status: 422,
			handler: jsonHandler(422, `{"email":"This field is required."}`), msg: "email: This field is required.",
			fields: []FieldError{{Name: "email", Message: "This field is required."}}},
		{name: "429 Retry-After seconds", kind: KindRateLimited, status: 429,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "30")
				respond(w, 429, `{"detail":"Request was throttled. Expected available in 30 seconds."}`)
			},
			msg: "Request was throttled.", retryAfter: 30 * time.Second},
		{name: "429 Retry-After HTTP date", kind: KindRateLimited, status: 429,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", now.Add(45*time.Second).Format(http.TimeFormat))
				respond(w, 429, `{"detail":"Request was throttled."}`)
			},
			msg: "Request was throttled.", retryAfter: 45 * time.Second},
		{name: "429 DRF message only", kind: KindRateLimited, status: 429,
			handler: jsonHandler(429, `{"detail":"Request was throttled. Expected available in 12 seconds."}`),
			msg:     "Expected available in 12 seconds.", retryAfter: 12 * time.Second},
		{name: "429 nothing", kind: KindRateLimited, status: 429, handler: textHandler(429, "", ""), msg: "Too Many Requests"},
		{name: "500 HTML", kind: KindUnavailable, status: 500,
			handler: textHandler(500, "text/html", "<h1>Server Error (500)</h1>"),
			msg:     "ProfitWell returned an HTML error page (500)"},
		{name: "500 HTML without content type", kind: KindUnavailable, status: 500,
			handler: textHandler(500, "", "\n<!DOCTYPE html><html>…</html>"),
			msg:     "ProfitWell returned an HTML error page (500)"},
		{name: "502 empty", kind: KindUnavailable, status: 502, handler: textHandler(502, "", ""), msg: "Bad Gateway"},
		{name: "503 JSON", kind: KindUnavailable, status: 503, handler: jsonHandler(503, `{"detail":"down"}`), msg: "down"},
		{name: "301 redirect", kind: KindUnavailable, status: 301,
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/v2/plans/p/", http.StatusMovedPermanently)
			},
			msg: "unexpected redirect (301) to /v2/plans/p/"},
		{name: "200 truncated JSON", kind: KindUnavailable, status: 200,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "100")
				w.WriteHeader(200)
				_, _ = io.WriteString(w, `{"id":"p","na`)
			},
			msg: "truncated response body"},
		{name: "200 invalid JSON", kind: KindUnavailable, status: 200,
			handler: jsonHandler(200, `{"id":"p",}`), msg: "undecodable response body"},
		{name: "200 empty", kind: KindUnavailable, status: 200, handler: textHandler(200, "", ""), msg: "undecodable response body"},
		{name: "200 over the cap", kind: KindUnavailable, status: 200, maxBody: 64,
			handler: jsonHandler(200, `{"id":"p","name":"`+long+`"}`), msg: "response body exceeds 64 bytes"},
		{name: "404 over the cap is still a 404", kind: KindNotFound, status: 404, maxBody: 64,
			handler: jsonHandler(404, `{"detail":"`+long+`"}`), msg: "xxx"},
		{name: "reset", kind: KindUnavailable, status: 0,
			handler: func(w http.ResponseWriter, r *http.Request) { reset(w) }, msg: "ProfitWell"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(t, tc.handler)
			cfg := testConfig(up.URL)
			cfg.MaxAttempts = 1
			cfg.MaxBodyBytes = tc.maxBody
			cfg.Now = func() time.Time { return now }
			s := newTestClient(t, cfg).Session(NewToken(testToken))
			_, err := s.GetPlan(context.Background(), "secret-plan-id")
			e := assertKind(t, err, tc.kind)
			assert.Equal(t, tc.status, e.Status)
			assert.Equal(t, "GET /v2/plans/{id}/", e.Op)
			assert.Contains(t, e.Message, tc.msg)
			assert.LessOrEqual(t, len([]rune(e.Message)), maxMessageLen)
			assert.Equal(t, tc.fields, e.Fields)
			assert.Equal(t, tc.retryAfter, e.RetryAfter)
			assert.False(t, e.OutcomeUnknown, "reads never have an unknown outcome")
			assert.True(t, strings.HasPrefix(err.Error(), "profitwell: GET /v2/plans/{id}/: "), err.Error())
			assert.NotContains(t, err.Error(), "secret-plan-id", "no ids in error text")
			assert.NotContains(t, err.Error(), "<h1>", "no raw body dump")
			assert.Equal(t, tc.kind == KindRateLimited || tc.kind == KindUnavailable || tc.kind == KindTimeout, e.Temporary())
			assert.Equal(t, 1, s.Requests())
		})
	}
}

func jsonHandler(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { respond(w, status, body) }
}

func textHandler(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err  *Error
		want string
	}{
		{&Error{Kind: KindUnavailable, Op: "GET /v2/customers/", Status: 500, Message: "ProfitWell returned an HTML error page (500)"},
			"profitwell: GET /v2/customers/: 500 ProfitWell returned an HTML error page (500)"},
		{&Error{Kind: KindInvalid, Op: "POST /v2/subscriptions/", Status: 400, Message: "plan_interval: bad",
			Fields: []FieldError{{"plan_interval", "bad"}, {"value", "worse"}}},
			"profitwell: POST /v2/subscriptions/: 400 plan_interval: bad (plan_interval: bad; value: worse)"},
		{&Error{Kind: KindRateLimited, Op: "GET /v2/plans/", Status: 429, Message: "Request was throttled.", RetryAfter: 30 * time.Second},
			"profitwell: GET /v2/plans/: 429 Request was throttled. (retry after 30s)"},
		{&Error{Kind: KindUnavailable, Op: "POST /v2/plans/", Message: "ProfitWell closed the connection", Err: io.ErrUnexpectedEOF, OutcomeUnknown: true},
			"profitwell: POST /v2/plans/: unavailable ProfitWell closed the connection: unexpected EOF (outcome unknown: the write may have been applied)"},
		{&Error{Kind: KindTimeout, Op: "GET /v2/plans/", Err: context.DeadlineExceeded},
			"profitwell: GET /v2/plans/: timeout context deadline exceeded"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.err.Error())
		assert.Equal(t, tc.want, fmt.Sprintf("%+v", tc.err))
	}
	e := &Error{Kind: KindTimeout, Err: context.DeadlineExceeded}
	assert.ErrorIs(t, e, context.DeadlineExceeded)
	assert.True(t, e.Temporary())
	assert.False(t, (&Error{Kind: KindNotFound}).Temporary())
	assert.False(t, (&Error{Kind: KindDuplicate}).Temporary())
	assert.False(t, (&Error{Kind: KindUnauthorized}).Temporary())
	assert.False(t, (&Error{Kind: KindInvalid}).Temporary())
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	h := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	assert.Equal(t, 7*time.Second, retryAfter(h("7"), "", now))
	assert.Equal(t, 1500*time.Millisecond, retryAfter(h("1.5"), "", now))
	assert.Equal(t, time.Duration(0), retryAfter(h("0"), "", now))
	assert.Equal(t, time.Duration(0), retryAfter(h("-3"), "", now))
	assert.Equal(t, time.Duration(0), retryAfter(h("soon"), "", now))
	assert.Equal(t, time.Duration(0), retryAfter(h(now.Add(-time.Minute).Format(http.TimeFormat)), "", now), "past date")
	assert.Equal(t, 2*time.Minute, retryAfter(h(now.Add(2*time.Minute).Format(http.TimeFormat)), "", now))
	assert.Equal(t, 9*time.Second, retryAfter(http.Header{}, "Request was throttled. Expected available in 9 seconds.", now))
	assert.Equal(t, time.Duration(0), retryAfter(http.Header{}, "Request was throttled.", now))
}

func TestTransportErrorsKeepCauses(t *testing.T) {
	t.Parallel()
	c := newTestClient(t, Config{BaseURL: "http://" + freeAddr(t), MaxAttempts: 1})
	_, err := c.Session(NewToken(testToken)).GetPlan(context.Background(), "p")
	e := assertKind(t, err, KindUnavailable)
	var op *net.OpError
	assert.True(t, errors.As(err, &op), "net.OpError reachable through Unwrap")
	assert.Equal(t, "could not connect to ProfitWell", e.Message)
	assert.NotContains(t, err.Error(), "http://", "the URL is not in the text")
	assert.NotContains(t, err.Error(), "/v2/plans/p/")
}
