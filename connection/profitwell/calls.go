package profitwell

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Endpoint templates: the Op of errors and the endpoint label of metrics.
const (
	opAPIStatus          = "GET /v2/api-status/"
	opCompanySettings    = "GET /v2/company/settings/"
	opCreateSubscription = "POST /v2/subscriptions/"
	opUpdateSubscription = "PUT /v2/subscriptions/{id}/"
	opChurnSubscription  = "DELETE /v2/subscriptions/{id}/"
	opUnchurn            = "PUT /v2/unchurn/{id}/"
	opUserHistory        = "GET /v2/users/{id}/"
	opUpdateUser         = "PUT /v2/users/{id}/"
	opDeleteUser         = "DELETE /v2/users/{id}/"
	opListPlans          = "GET /v2/plans/"
	opGetPlan            = "GET /v2/plans/{id}/"
	opCreatePlan         = "POST /v2/plans/"
	opUpdatePlan         = "PUT /v2/plans/{id}/"
	opListCustomers      = "GET /v2/customers/"
	opGetCustomer        = "GET /v2/customers/{id}/"
	opMonthlyMetrics     = "GET /v2/metrics/monthly/"
	opDailyMetrics       = "GET /v2/metrics/daily/"
	opMetricPlanIDs      = "GET /v2/metrics/plans/"
	opExcludeCustomer    = "POST /v2/metrics/exclude_customer/{id}/"
)

// idPath joins prefix, the path-escaped id and the trailing slash.
func idPath(prefix, id string) string { return prefix + url.PathEscape(id) + "/" }

// call runs a typed request. decode (may be nil) reads a 2xx body; its
// failure is KindUnavailable (retried for reads; OutcomeUnknown for writes).
func (s *Session) call(ctx context.Context, rq *request, decode func(status int, body []byte) error) error {
	handle := func(res *response) *Error {
		if res.status >= 200 && res.status < 300 {
			if decode == nil {
				return nil
			}
			if err := decode(res.status, res.body.Bytes()); err != nil {
				return &Error{Kind: KindUnavailable, Op: rq.op, Status: res.status,
					Message: "undecodable response body", Err: err, OutcomeUnknown: !rq.idempotent()}
			}
			return nil
		}
		e := classifyStatus(rq.op, res.status, res.header, res.body.Bytes(), s.tok.Reveal(), s.c.now())
		if res.status >= 500 && !rq.idempotent() {
			e.OutcomeUnknown = true // ProfitWell may have committed before failing
		}
		return e
	}
	if err := s.run(ctx, rq, handle); err != nil {
		return err
	}
	return nil
}

// requireID refuses, before any request, ids that would address another
// resource once in the path: "" ("/v2/users//"), "." and "..".
func requireID(op, id string) error {
	switch id {
	case "":
		return &Error{Kind: KindInvalid, Op: op, Message: "an id or alias is required"}
	case ".", "..":
		return &Error{Kind: KindInvalid, Op: op, Message: `"." and ".." are not valid ids`}
	}
	return nil
}

func jsonBody(op string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Op: op, Message: "cannot encode the request body", Err: err}
	}
	return b, nil
}

var errEmptyBody = errors.New("empty response body")

// isEmpty reports a body with nothing but whitespace.
func isEmpty(b []byte) bool { return len(bytes.TrimSpace(b)) == 0 }

// decodeInto decodes a required JSON value.
func decodeInto(b []byte, v any) error {
	if isEmpty(b) {
		return errEmptyBody
	}
	return json.Unmarshal(b, v)
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
	return s.call(ctx, &request{method: http.MethodGet, op: opAPIStatus, path: "/v2/api-status/"}, nil)
}

// CompanySettings returns the account's settings (GET /v2/company/settings/).
func (s *Session) CompanySettings(ctx context.Context) (Company, error) {
	var out Company
	err := s.call(ctx, &request{method: http.MethodGet, op: opCompanySettings, path: "/v2/company/settings/"},
		func(_ int, b []byte) error { out = Company{}; return decodeInto(b, &out) })
	return out, err
}

// CreateSubscription creates a subscription, for a new user or an existing
// one (POST /v2/subscriptions/; 201 or 200 with the record).
func (s *Session) CreateSubscription(ctx context.Context, in CreateSubscription) (Subscription, error) {
	body, err := jsonBody(opCreateSubscription, in)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	err = s.call(ctx, &request{method: http.MethodPost, op: opCreateSubscription, path: "/v2/subscriptions/", body: body},
		func(_ int, b []byte) error { out = Subscription{}; return decodeInto(b, &out) })
	return out, err
}

// UpdateSubscription upgrades or downgrades a subscription by id or alias
// (PUT /v2/subscriptions/{id}/) and returns the new record.
func (s *Session) UpdateSubscription(ctx context.Context, idOrAlias string, in UpdateSubscription) (Subscription, error) {
	if err := requireID(opUpdateSubscription, idOrAlias); err != nil {
		return Subscription{}, err
	}
	body, err := jsonBody(opUpdateSubscription, in)
	if err != nil {
		return Subscription{}, err
	}
	var out Subscription
	err = s.call(ctx, &request{method: http.MethodPut, op: opUpdateSubscription,
		path: idPath("/v2/subscriptions/", idOrAlias), body: body},
		func(_ int, b []byte) error { out = Subscription{}; return decodeInto(b, &out) })
	return out, err
}

// ChurnSubscription churns a subscription at effectiveDate (Unix seconds),
// optionally with churnType "voluntary" or "delinquent" ("" lets ProfitWell
// default). DELETE /v2/subscriptions/{id}/?effective_date=…&churn_type=…
// It returns the churn record when ProfitWell sends one (200), nil for
// 204 or an empty body.
func (s *Session) ChurnSubscription(ctx context.Context, idOrAlias string, effectiveDate int64, churnType string) (*Subscription, error) {
	if err := requireID(opChurnSubscription, idOrAlias); err != nil {
		return nil, err
	}
	q := "effective_date=" + strconv.FormatInt(effectiveDate, 10)
	if churnType != "" {
		q += "&churn_type=" + url.QueryEscape(churnType)
	}
	var out *Subscription
	err := s.call(ctx, &request{method: http.MethodDelete, op: opChurnSubscription,
		path: idPath("/v2/subscriptions/", idOrAlias), rawQuery: q},
		func(_ int, b []byte) (err error) { out, err = decodeOptionalRecord(b); return err })
	return out, err
}

// UnchurnSubscription removes a subscription's churn event
// (PUT /v2/unchurn/{id}/, no body). It returns the record when the 2xx body
// is one, nil otherwise.
func (s *Session) UnchurnSubscription(ctx context.Context, idOrAlias string) (*Subscription, error) {
	if err := requireID(opUnchurn, idOrAlias); err != nil {
		return nil, err
	}
	var out *Subscription
	err := s.call(ctx, &request{method: http.MethodPut, op: opUnchurn, path: idPath("/v2/unchurn/", idOrAlias)},
		func(_ int, b []byte) (err error) { out, err = decodeOptionalRecord(b); return err })
	return out, err
}

// UserHistory returns every subscription event of a user, by id or alias
// (GET /v2/users/{id}/). Never nil on success.
func (s *Session) UserHistory(ctx context.Context, idOrAlias string) ([]Subscription, error) {
	if err := requireID(opUserHistory, idOrAlias); err != nil {
		return nil, err
	}
	var out []Subscription
	err := s.call(ctx, &request{method: http.MethodGet, op: opUserHistory, path: idPath("/v2/users/", idOrAlias)},
		func(_ int, b []byte) error {
			out = nil
			if err := decodeInto(b, &out); err != nil {
				return err
			}
			if out == nil {
				out = []Subscription{}
			}
			return nil
		})
	return out, err
}

// UpdateUser changes a user's email (display text) (PUT /v2/users/{id}/).
// It returns the user's history when the body is an array (or a one-record
// slice when it is a single record), nil for {} or an empty body.
func (s *Session) UpdateUser(ctx context.Context, idOrAlias, email string) ([]Subscription, error) {
	if err := requireID(opUpdateUser, idOrAlias); err != nil {
		return nil, err
	}
	body, err := jsonBody(opUpdateUser, struct {
		Email string `json:"email"`
	}{email})
	if err != nil {
		return nil, err
	}
	var out []Subscription
	err = s.call(ctx, &request{method: http.MethodPut, op: opUpdateUser, path: idPath("/v2/users/", idOrAlias), body: body},
		func(_ int, b []byte) error {
			out = nil
			t := bytes.TrimSpace(b)
			switch {
			case len(t) == 0:
				return nil
			case t[0] == '[':
				if err := json.Unmarshal(t, &out); err != nil {
					return err
				}
				if out == nil {
					out = []Subscription{}
				}
				return nil
			}
			rec, err := decodeOptionalRecord(t)
			if rec != nil {
				out = []Subscription{*rec}
			}
			return err
		})
	return out, err
}

// DeleteUser deletes a user and their whole history (DELETE /v2/users/{id}/).
// Any 2xx is success.
func (s *Session) DeleteUser(ctx context.Context, idOrAlias string) error {
	if err := requireID(opDeleteUser, idOrAlias); err != nil {
		return err
	}
	return s.call(ctx, &request{method: http.MethodDelete, op: opDeleteUser, path: idPath("/v2/users/", idOrAlias)}, nil)
}

// ListPlans lists the manually-added plans (GET /v2/plans/, a bare array;
// null reads as empty). Never nil on success.
func (s *Session) ListPlans(ctx context.Context) ([]Plan, error) {
	var out []Plan
	err := s.call(ctx, &request{method: http.MethodGet, op: opListPlans, path: "/v2/plans/"},
		func(_ int, b []byte) error {
			if err := decodeInto(b, &out); err != nil {
				return err
			}
			if out == nil {
				out = []Plan{}
			}
			return nil
		})
	return out, err
}

// GetPlan returns one plan (GET /v2/plans/{id}/).
func (s *Session) GetPlan(ctx context.Context, id string) (Plan, error) {
	if err := requireID(opGetPlan, id); err != nil {
		return Plan{}, err
	}
	var out Plan
	err := s.call(ctx, &request{method: http.MethodGet, op: opGetPlan, path: idPath("/v2/plans/", id)},
		func(_ int, b []byte) error { return decodeInto(b, &out) })
	return out, err
}

// CreatePlan creates a plan (POST /v2/plans/ {"id","name"}). It returns the
// plan ProfitWell sent back, or p itself when the body is empty.
func (s *Session) CreatePlan(ctx context.Context, p Plan) (Plan, error) {
	body, err := jsonBody(opCreatePlan, p)
	if err != nil {
		return Plan{}, err
	}
	out := p
	err = s.call(ctx, &request{method: http.MethodPost, op: opCreatePlan, path: "/v2/plans/", body: body},
		func(_ int, b []byte) error { return decodePlanOr(b, p, &out) })
	return out, err
}

// UpdatePlan renames a plan (PUT /v2/plans/{id}/ {"name"}). It returns the
// plan ProfitWell sent back, or {id, name} when the body is empty.
func (s *Session) UpdatePlan(ctx context.Context, id, name string) (Plan, error) {
	if err := requireID(opUpdatePlan, id); err != nil {
		return Plan{}, err
	}
	body, err := jsonBody(opUpdatePlan, struct {
		Name string `json:"name"`
	}{name})
	if err != nil {
		return Plan{}, err
	}
	out := Plan{ID: id, Name: name}
	err = s.call(ctx, &request{method: http.MethodPut, op: opUpdatePlan, path: idPath("/v2/plans/", id), body: body},
		func(_ int, b []byte) error { return decodePlanOr(b, Plan{ID: id, Name: name}, &out) })
	return out, err
}

// decodePlanOr decodes a plan, keeping fallback for an empty body and for
// fields the body leaves out.
func decodePlanOr(b []byte, fallback Plan, out *Plan) error {
	*out = fallback
	if isEmpty(b) {
		return nil
	}
	return json.Unmarshal(b, out)
}

// ListCustomers returns one page of customers (GET /v2/customers/, a bare
// array). A page shorter than PerPage is the last. Never nil on success.
func (s *Session) ListCustomers(ctx context.Context, q CustomerQuery) ([]Customer, error) {
	var out []Customer
	err := s.call(ctx, &request{method: http.MethodGet, op: opListCustomers, path: "/v2/customers/", rawQuery: q.encode()},
		func(_ int, b []byte) (err error) {
			if isEmpty(b) {
				return errEmptyBody
			}
			out, err = decodeCustomers(b)
			return err
		})
	return out, err
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
	if err := requireID(opGetCustomer, id); err != nil {
		return Customer{}, err
	}
	var out Customer
	err := s.call(ctx, &request{method: http.MethodGet, op: opGetCustomer, path: idPath("/v2/customers/", id)},
		func(_ int, b []byte) (err error) {
			if isEmpty(b) {
				return errEmptyBody
			}
			out, err = decodeCustomer(b)
			return err
		})
	return out, err
}

// MonthlyMetrics returns monthly metric series (GET /v2/metrics/monthly/).
func (s *Session) MonthlyMetrics(ctx context.Context, q MetricsQuery) (Metrics, error) {
	return s.metrics(ctx, opMonthlyMetrics, "/v2/metrics/monthly/", q.encode(""))
}

// DailyMetrics returns daily metric series for month "YYYY-MM" (only the
// current or previous month) (GET /v2/metrics/daily/).
func (s *Session) DailyMetrics(ctx context.Context, month string, q MetricsQuery) (Metrics, error) {
	return s.metrics(ctx, opDailyMetrics, "/v2/metrics/daily/", q.encode(month))
}

func (s *Session) metrics(ctx context.Context, op, path, rawQuery string) (Metrics, error) {
	var out Metrics
	err := s.call(ctx, &request{method: http.MethodGet, op: op, path: path, rawQuery: rawQuery},
		func(_ int, b []byte) (err error) {
			if isEmpty(b) {
				return errEmptyBody
			}
			out, err = decodeMetrics(b)
			return err
		})
	return out, err
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
	if len(q.Metrics) > 0 {
		names := make([]string, 0, len(q.Metrics))
		for _, m := range q.Metrics {
			if m = strings.TrimSpace(m); m != "" {
				names = append(names, url.QueryEscape(m))
			}
		}
		if len(names) > 0 {
			parts = append(parts, "metrics="+strings.Join(names, ","))
		}
	}
	return strings.Join(parts, "&")
}

// MetricPlanIDs returns the ids of plans with active customers
// (GET /v2/metrics/plans/ → {"plan_ids": [...]}). Never nil on success.
func (s *Session) MetricPlanIDs(ctx context.Context) ([]string, error) {
	var out []string
	err := s.call(ctx, &request{method: http.MethodGet, op: opMetricPlanIDs, path: "/v2/metrics/plans/"},
		func(_ int, b []byte) error {
			var env struct {
				PlanIDs []string `json:"plan_ids"`
			}
			if err := decodeInto(b, &env); err != nil {
				return err
			}
			out = env.PlanIDs
			if out == nil {
				out = []string{}
			}
			return nil
		})
	return out, err
}

// ExcludeCustomer removes a customer from all metric calculations
// (POST /v2/metrics/exclude_customer/{id}/, no body). Any 2xx is success.
func (s *Session) ExcludeCustomer(ctx context.Context, id string) error {
	if err := requireID(opExcludeCustomer, id); err != nil {
		return err
	}
	return s.call(ctx, &request{method: http.MethodPost, op: opExcludeCustomer,
		path: idPath("/v2/metrics/exclude_customer/", id)}, nil)
}
