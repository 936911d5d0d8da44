package profitwell

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Subscription is one subscription record, as returned by create, update and
// churn, and as each element of a user's history (profitwell-api.md §3.1).
// Decoding is tolerant: aliases may be null or missing, meta may be missing,
// value and effective_date may be integers, floats with a zero fraction or
// numeric strings.
type Subscription struct {
	// UserID ("pwu_…") and SubscriptionID ("pws_…") are ProfitWell's ids.
	UserID         string `json:"user_id"`
	SubscriptionID string `json:"subscription_id"`
	// UserAlias and SubscriptionAlias are the caller's user and subscription
	// keys; nil when null or absent.
	UserAlias         *string `json:"user_alias"`
	SubscriptionAlias *string `json:"subscription_alias"`
	// Email is the user's display text.
	Email string `json:"email"`
	// PlanID is the free-form plan key.
	PlanID string `json:"plan_id"`
	// PlanInterval is "month" or "year".
	PlanInterval string `json:"plan_interval"`
	// PlanCurrency is a lower-case ISO 4217 code.
	PlanCurrency string `json:"plan_currency"`
	// Status is active, trialing, churned_voluntary or churned_delinquent.
	Status string `json:"status"`
	// Value is the amount billed per PlanInterval, in cents.
	Value int64 `json:"value"`
	// EffectiveDate is when the event takes effect, in Unix seconds.
	EffectiveDate int64 `json:"effective_date"`
	// Meta is ProfitWell's extra data (usually empty); nil when absent.
	Meta map[string]any `json:"meta,omitempty"`
}

// UnmarshalJSON decodes a subscription record, accepting numbers or numeric
// strings for value and effective_date.
func (s *Subscription) UnmarshalJSON(b []byte) error {
	type plain Subscription // no methods: no recursion
	var w struct {
		plain
		Value         flexInt `json:"value"`
		EffectiveDate flexInt `json:"effective_date"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Subscription(w.plain)
	s.Value = int64(w.Value)
	s.EffectiveDate = int64(w.EffectiveDate)
	return nil
}

// CreateSubscription is the body of POST /v2/subscriptions/. Email, PlanID,
// PlanInterval, Value and EffectiveDate are required by ProfitWell.
type CreateSubscription struct {
	// UserID attaches the subscription to an existing user ("pwu_…").
	UserID string `json:"user_id,omitempty"`
	// UserAlias names a new user, or finds an existing one.
	UserAlias string `json:"user_alias,omitempty"`
	// SubscriptionAlias is the caller's key, unique per company, ≤ 36 chars.
	SubscriptionAlias string `json:"subscription_alias,omitempty"`
	// Email is the user's display text (required).
	Email string `json:"email"`
	// PlanID is the plan key (required).
	PlanID string `json:"plan_id"`
	// PlanInterval is "month" or "year" (required).
	PlanInterval string `json:"plan_interval"`
	// PlanCurrency is a lower-case ISO code; ProfitWell defaults to usd.
	PlanCurrency string `json:"plan_currency,omitempty"`
	// Status is "active" (ProfitWell's default) or "trialing".
	Status string `json:"status,omitempty"`
	// Value is the amount per PlanInterval, in cents (required).
	Value int64 `json:"value"`
	// EffectiveDate is the start, in Unix seconds (required).
	EffectiveDate int64 `json:"effective_date"`
}

// UpdateSubscription is the body of PUT /v2/subscriptions/{id}/ (an upgrade
// or downgrade). Status may only be "active" (a trial converting).
type UpdateSubscription struct {
	// PlanID is the plan moved to.
	PlanID string `json:"plan_id"`
	// PlanInterval is "month" or "year".
	PlanInterval string `json:"plan_interval"`
	// Value is the new amount per PlanInterval, in cents.
	Value int64 `json:"value"`
	// EffectiveDate is when the change takes effect, in Unix seconds.
	EffectiveDate int64 `json:"effective_date"`
	// Status may only be "active"; "" leaves it out.
	Status string `json:"status,omitempty"`
}

// Plan is a manually-added plan.
type Plan struct {
	// ID is the plan key, the same string subscriptions use as plan_id.
	ID string `json:"id"`
	// Name is the display name.
	Name string `json:"name"`
}

// Customer is one row of the customers API (profitwell-api.md §6.1). Dates
// are kept as ProfitWell sent them (ISO-8601 UTC, possibly with fractional
// seconds) and nulls stay nil.
type Customer struct {
	// CustomerID is the billing provider's id or the caller's own id.
	CustomerID string `json:"customer_id"`
	// Email, FirstName and LastName are nil when ProfitWell sent null.
	Email     *string `json:"email"`
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	// MRRCents is the current monthly recurring revenue, in cents.
	MRRCents int64 `json:"mrr_cents"`
	// Plans are the customer's plan names or ids.
	Plans []string `json:"plans"`
	// Status is active, trialing, cancelled, churned_trial,
	// churned_voluntary, churned_delinquent or no_history.
	Status string `json:"status"`
	// CreatedOn, ActivatedOn, ChurnedOn and UpdatedOn are ISO-8601 UTC
	// strings as sent, nil for null.
	CreatedOn   *string `json:"created_on"`
	ActivatedOn *string `json:"activated_on"`
	ChurnedOn   *string `json:"churned_on"`
	UpdatedOn   *string `json:"updated_on"`
	// TotalSpendCents is the lifetime cash collected, in cents.
	TotalSpendCents int64 `json:"total_spend_cents"`
}

// UpdatedTime parses UpdatedOn (RFC 3339, fractional seconds allowed).
func (c Customer) UpdatedTime() (time.Time, error) {
	if c.UpdatedOn == nil {
		return time.Time{}, errors.New("profitwell: customer has no updated_on")
	}
	return time.Parse(time.RFC3339Nano, *c.UpdatedOn)
}

// customerLoose is Customer with tolerant numbers, used only when the fast
// typed decode fails on a number's type.
type customerLoose struct {
	Customer
	CustomerID      flexString `json:"customer_id"`
	MRRCents        flexInt    `json:"mrr_cents"`
	TotalSpendCents flexInt    `json:"total_spend_cents"`
}

func (l customerLoose) customer() Customer {
	c := l.Customer
	c.CustomerID, c.MRRCents, c.TotalSpendCents = string(l.CustomerID), int64(l.MRRCents), int64(l.TotalSpendCents)
	return c
}

// decodeTolerant decodes a required JSON value: the fast typed path first,
// the tolerant L only if a number arrived as a float or a string.
func decodeTolerant[T, L any](body []byte, conv func(L) T) (T, error) {
	v, err := decodeJSON[T](body)
	if err == nil || !errors.As(err, new(*jsonv1.UnmarshalTypeError)) {
		return v, err
	}
	l, err := decodeJSON[L](body)
	return conv(l), err
}

// decodeCustomers decodes a customers page; never nil on success.
func decodeCustomers(body []byte) ([]Customer, error) {
	return orEmpty(decodeTolerant(body, func(loose []customerLoose) []Customer {
		out := make([]Customer, len(loose))
		for i := range loose {
			out[i] = loose[i].customer()
		}
		return out
	}))
}

func decodeCustomer(body []byte) (Customer, error) {
	return decodeTolerant(body, customerLoose.customer)
}

// CustomerQuery filters GET /v2/customers/. Zero fields are not sent.
type CustomerQuery struct {
	// Email filters by email.
	Email string
	// StartDate (inclusive) and EndDate (exclusive) bound updated_on; sent
	// as Unix seconds together with date_field=updated_on.
	StartDate, EndDate time.Time
	// Direction orders by updated_on: "asc" or "desc".
	Direction string
	// Page is 1-based; PerPage is at most 250.
	Page, PerPage int
}

// MetricsQuery narrows the metrics calls. Zero fields are not sent.
type MetricsQuery struct {
	// PlanID restricts the metrics to one plan.
	PlanID string
	// Metrics lists metric names; empty means all.
	Metrics []string
}

// Metrics maps a metric name to its points, in ProfitWell's order.
type Metrics map[string][]MetricPoint

// MetricPoint is one value of a metric: Date is "YYYY-MM" (monthly) or
// "YYYY-MM-DD" (daily); Value is nil when ProfitWell sent null.
type MetricPoint struct {
	Date  string   `json:"date"`
	Value *float64 `json:"value"`
}

// decodeMetrics reads {"data": {...}}, or a bare metrics object.
func decodeMetrics(body []byte) (Metrics, error) {
	env, err := decodeJSON[struct {
		Data json.RawMessage `json:"data"`
	}](body)
	switch {
	case err != nil:
		return nil, err
	case bytes.Equal(env.Data, []byte("null")):
		return Metrics{}, nil
	case len(env.Data) > 0:
		body = env.Data
	}
	m := Metrics{}
	return m, json.Unmarshal(body, &m)
}

// Company is the account's settings. Unknown fields are ignored.
type Company struct {
	// ID is the company id (numbers are kept as their text).
	ID string `json:"id"`
	// Name is the company name.
	Name string `json:"name"`
	// Timezone is an IANA zone name, e.g. "America/New_York".
	Timezone string `json:"timezone"`
	// Currency is the lower-case code metrics are shown in.
	Currency string `json:"currency"`
}

// UnmarshalJSON accepts a numeric or string id.
func (c *Company) UnmarshalJSON(b []byte) error {
	type plain Company
	var w struct {
		plain
		ID flexString `json:"id"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = Company(w.plain)
	c.ID = string(w.ID)
	return nil
}

// flexInt decodes a JSON number (integral, or rounded to the nearest integer),
// a numeric string, or null (0).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var s flexString
	if s.UnmarshalJSON(b) != nil {
		s = flexString(b) // neither text nor a number: refused below
	}
	n, err := strconv.ParseInt(cmp.Or(string(s), "0"), 10, 64)
	if err != nil {
		x, err := strconv.ParseFloat(string(s), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<63 {
			return fmt.Errorf("not a whole number: %.40q", s)
		}
		n = int64(math.Round(x))
	}
	*f = flexInt(n)
	return nil
}

// flexString decodes a JSON string, a number (kept as its text) or null.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || string(b) == "null" {
		*f = ""
		return nil
	}
	if b[0] == '"' {
		return json.Unmarshal(b, (*string)(f))
	}
	return json.Unmarshal(b, (*json.Number)(f))
}
