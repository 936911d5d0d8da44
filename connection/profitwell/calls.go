package profitwell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// opListCustomers is the endpoint template of ListCustomers and ListCustomerRows.
const opListCustomers = "GET /v2/customers/"

// call runs the typed call of the endpoint template op (Error.Op, the
// metrics label), which gives its method and path: id, path-escaped, fills
// {id}; query is the raw query and in, when not nil, the JSON body. decode
// (nil: the body is ignored) reads a 2xx body; its failure is
// KindUnavailable (retried for reads; OutcomeUnknown for writes).
func call[T any](ctx context.Context, s *Session, op, id, query string, in any, decode func([]byte) (T, error)) (T, error) {
	var out T
	method, path, _ := strings.Cut(op, " ")
	if before, after, ok := strings.Cut(path, "{id}"); ok {
		// Refused before any request: ids that would address another
		// resource once in the path ("/v2/users//", "." and "..").
		switch id {
		case "":
			return out, &Error{Kind: KindInvalid, Op: op, Message: "an id or alias is required"}
		case ".", "..":
			return out, &Error{Kind: KindInvalid, Op: op, Message: `"." and ".." are not valid ids`}
		}
		path = before + url.PathEscape(id) + after
	}
	rq := &request{method: method, op: op, path: path, rawQuery: query}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return out, &Error{Kind: KindInvalid, Op: op, Message: "cannot encode the request body", Err: err}
		}
		rq.body = b
	}
	// out stays zero unless the call succeeds.
	err := s.run(ctx, rq, func(res *response) *Error {
		if res.status < 200 || res.status >= 300 {
			e := classifyStatus(op, res.status, res.header, res.body.Bytes(), s.tok.Reveal(), s.c.now())
			if res.status >= 500 && !rq.idempotent() {
				e.OutcomeUnknown = true // ProfitWell may have committed before failing
			}
			return e
		}
		if decode == nil {
			return nil
		}
		v, err := decode(res.body.Bytes())
		if err != nil {
			return &Error{Kind: KindUnavailable, Op: op, Status: res.status,
				Message: "undecodable response body", Err: err, OutcomeUnknown: !rq.idempotent()}
		}
		out = v
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, nil
}

var errEmptyBody = errors.New("empty response body")

// isEmpty reports a body with nothing but whitespace.
func isEmpty(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// decodeJSON decodes a required JSON value with encoding/json's semantics on
// the json v2 engine (jsonv1): ten plans in about 40% of encoding/json's
// time; BenchmarkExecuteNoIO/listPlans10 went from 100 to 85 allocations.
func decodeJSON[T any](b []byte) (v T, err error) {
	if isEmpty(b) {
		return v, errEmptyBody
	}
	err = jsonv1.Unmarshal(b, &v)
	return v, err
}

// decodeList decodes a required JSON array; null reads as empty, never nil.
func decodeList[E any](b []byte) ([]E, error) { return orEmpty(decodeJSON[[]E](b)) }

// orEmpty makes a list decoded without error non-nil (null reads as empty).
func orEmpty[E any](l []E, err error) ([]E, error) {
	if l == nil && err == nil {
		l = []E{}
	}
	return l, err
}

// decodeOptionalRecord decodes a subscription record when the body is an
// object carrying one (subscription_id or user_id); nil otherwise.
func decodeOptionalRecord(b []byte) (*Subscription, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, nil
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, err
	}
	_, hasSub := probe["subscription_id"]
	_, hasUser := probe["user_id"]
	if !hasSub && !hasUser {
		return nil, nil
	}
	var sub Subscription
	if err := json.Unmarshal(b, &sub); err != nil {
		return nil, err
	}
	return &sub, nil
}

// APIStatus checks that ProfitWell is up and the token valid
// (GET /v2/api-status/). Any 2xx is success; the body is ignored.
func (s *Session) APIStatus(ctx context.Context) error {
	_, err := call[struct{}](ctx, s, "GET /v2/api-status/", "", "", nil, nil)
	return err
}

// CompanySettings returns the account's settings (GET /v2/company/settings/).
func (s *Session) CompanySettings(ctx context.Context) (Company, error) {
	return call(ctx, s, "GET /v2/company/settings/", "", "", nil, decodeJSON[Company])
}

// CreateSubscription creates a subscription, for a new user or an existing
// one (POST /v2/subscriptions/; 201 or 200 with the record).
func (s *Session) CreateSubscription(ctx context.Context, in CreateSubscription) (Subscription, error) {
	return call(ctx, s, "POST /v2/subscriptions/", "", "", in, decodeJSON[Subscription])
}

// UpdateSubscription upgrades or downgrades a subscription by id or alias
// (PUT /v2/subscriptions/{id}/) and returns the new record.
func (s *Session) UpdateSubscription(ctx context.Context, idOrAlias string, in UpdateSubscription) (Subscription, error) {
	return call(ctx, s, "PUT /v2/subscriptions/{id}/", idOrAlias, "", in, decodeJSON[Subscription])
}

// ChurnSubscription churns a subscription at effectiveDate (Unix seconds),
// optionally with churnType "voluntary" or "delinquent" ("" lets ProfitWell
// default). DELETE /v2/subscriptions/{id}/?effective_date=…&churn_type=…
// It returns the churn record when ProfitWell sends one (200), nil for
// 204 or an empty body.
func (s *Session) ChurnSubscription(ctx context.Context, idOrAlias string, effectiveDate int64, churnType string) (*Subscription, error) {
	q := "effective_date=" + strconv.FormatInt(effectiveDate, 10)
	if churnType != "" {
		q += "&churn_type=" + url.QueryEscape(churnType)
	}
	return call(ctx, s, "DELETE /v2/subscriptions/{id}/", idOrAlias, q, nil, decodeOptionalRecord)
}

// UnchurnSubscription removes a subscription's churn event
// (PUT /v2/unchurn/{id}/, no body). It returns the record when the 2xx body
// is one, nil otherwise.
func (s *Session) UnchurnSubscription(ctx context.Context, idOrAlias string) (*Subscription, error) {
	return call(ctx, s, "PUT /v2/unchurn/{id}/", idOrAlias, "", nil, decodeOptionalRecord)
}

// UserHistory returns every subscription event of a user, by id or alias
// (GET /v2/users/{id}/). Never nil on success.
func (s *Session) UserHistory(ctx context.Context, idOrAlias string) ([]Subscription, error) {
	return call(ctx, s, "GET /v2/users/{id}/", idOrAlias, "", nil, decodeList[Subscription])
}

// UpdateUser changes a user's email (display text) (PUT /v2/users/{id}/).
// It returns the user's history when the body is an array (or a one-record
// slice when it is a single record), nil for {} or an empty body.
func (s *Session) UpdateUser(ctx context.Context, idOrAlias, email string) ([]Subscription, error) {
	body := map[string]string{"email": email}
	return call(ctx, s, "PUT /v2/users/{id}/", idOrAlias, "", body, func(b []byte) ([]Subscription, error) {
		if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
			return decodeList[Subscription](t)
		}
		rec, err := decodeOptionalRecord(b)
		if rec == nil {
			return nil, err
		}
		return []Subscription{*rec}, nil
	})
}

// DeleteUser deletes a user and their whole history (DELETE /v2/users/{id}/).
// Any 2xx is success.
func (s *Session) DeleteUser(ctx context.Context, idOrAlias string) error {
	_, err := call[struct{}](ctx, s, "DELETE /v2/users/{id}/", idOrAlias, "", nil, nil)
	return err
}

// ListPlans lists the manually-added plans (GET /v2/plans/, a bare array;
// null reads as empty). Never nil on success.
func (s *Session) ListPlans(ctx context.Context) ([]Plan, error) {
	return call(ctx, s, "GET /v2/plans/", "", "", nil, decodeList[Plan])
}

// GetPlan returns one plan (GET /v2/plans/{id}/).
func (s *Session) GetPlan(ctx context.Context, id string) (Plan, error) {
	return call(ctx, s, "GET /v2/plans/{id}/", id, "", nil, decodeJSON[Plan])
}

// CreatePlan creates a plan (POST /v2/plans/ {"id","name"}). It returns the
// plan ProfitWell sent back, or p itself when the body is empty.
func (s *Session) CreatePlan(ctx context.Context, p Plan) (Plan, error) {
	return call(ctx, s, "POST /v2/plans/", "", "", p, planOr(p))
}

// UpdatePlan renames a plan (PUT /v2/plans/{id}/ {"name"}). It returns the
// plan ProfitWell sent back, or {id, name} when the body is empty.
func (s *Session) UpdatePlan(ctx context.Context, id, name string) (Plan, error) {
	body := map[string]string{"name": name}
	return call(ctx, s, "PUT /v2/plans/{id}/", id, "", body, planOr(Plan{ID: id, Name: name}))
}

// planOr decodes a plan, keeping fallback for an empty body and for fields
// the body leaves out.
func planOr(fallback Plan) func([]byte) (Plan, error) {
	return func(b []byte) (Plan, error) {
		p := fallback
		if isEmpty(b) {
			return p, nil
		}
		err := json.Unmarshal(b, &p)
		return p, err
	}
}

// ListCustomers returns one page of customers (GET /v2/customers/, a bare
// array). A page shorter than PerPage is the last. Never nil on success.
func (s *Session) ListCustomers(ctx context.Context, q CustomerQuery) ([]Customer, error) {
	return call(ctx, s, opListCustomers, "", q.encode(), nil, decodeCustomers)
}

func (q CustomerQuery) encode() string {
	v := url.Values{}
	if !q.StartDate.IsZero() || !q.EndDate.IsZero() {
		v.Set("date_field", "updated_on")
	}
	if !q.StartDate.IsZero() {
		v.Set("start_date", strconv.FormatInt(q.StartDate.Unix(), 10))
	}
	if !q.EndDate.IsZero() {
		v.Set("end_date", strconv.FormatInt(q.EndDate.Unix(), 10))
	}
	if q.Email != "" {
		v.Set("email", q.Email)
	}
	if q.Direction != "" {
		v.Set("direction", q.Direction)
	}
	if q.Page != 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.PerPage != 0 {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	return v.Encode()
}

// GetCustomer returns one customer (GET /v2/customers/{id}/).
func (s *Session) GetCustomer(ctx context.Context, id string) (Customer, error) {
	return call(ctx, s, "GET /v2/customers/{id}/", id, "", nil, decodeCustomer)
}

// MonthlyMetrics returns monthly metric series (GET /v2/metrics/monthly/).
func (s *Session) MonthlyMetrics(ctx context.Context, q MetricsQuery) (Metrics, error) {
	return call(ctx, s, "GET /v2/metrics/monthly/", "", q.encode(""), nil, decodeMetrics)
}

// DailyMetrics returns daily metric series for month "YYYY-MM" (only the
// current or previous month) (GET /v2/metrics/daily/).
func (s *Session) DailyMetrics(ctx context.Context, month string, q MetricsQuery) (Metrics, error) {
	return call(ctx, s, "GET /v2/metrics/daily/", "", q.encode(month), nil, decodeMetrics)
}

// encode builds month=…&plan_id=…&metrics=a,b (commas kept literal).
func (q MetricsQuery) encode(month string) string {
	var parts []string
	if month != "" {
		parts = append(parts, "month="+url.QueryEscape(month))
	}
	if q.PlanID != "" {
		parts = append(parts, "plan_id="+url.QueryEscape(q.PlanID))
	}
	var names []string
	for _, m := range q.Metrics {
		if m = strings.TrimSpace(m); m != "" {
			names = append(names, url.QueryEscape(m))
		}
	}
	if len(names) > 0 {
		parts = append(parts, "metrics="+strings.Join(names, ","))
	}
	return strings.Join(parts, "&")
}

// MetricPlanIDs returns the ids of plans with active customers
// (GET /v2/metrics/plans/ → {"plan_ids": [...]}). Never nil on success.
func (s *Session) MetricPlanIDs(ctx context.Context) ([]string, error) {
	return call(ctx, s, "GET /v2/metrics/plans/", "", "", nil, func(b []byte) ([]string, error) {
		env, err := decodeJSON[struct {
			PlanIDs []string `json:"plan_ids"`
		}](b)
		return orEmpty(env.PlanIDs, err)
	})
}

// ExcludeCustomer removes a customer from all metric calculations
// (POST /v2/metrics/exclude_customer/{id}/, no body). Any 2xx is success.
func (s *Session) ExcludeCustomer(ctx context.Context, id string) error {
	_, err := call[struct{}](ctx, s, "POST /v2/metrics/exclude_customer/{id}/", id, "", nil, nil)
	return err
}
