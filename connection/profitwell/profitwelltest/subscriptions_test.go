package profitwelltest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateSubscription(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	eff := testRef.Add(-48 * time.Hour).Unix()

	t.Run("new anonymous user", func(t *testing.T) {
		w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, createBody(nil))
		require.Equal(t, http.StatusCreated, w.Code)
		assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
		s := decode[sub](t, w)
		assert.Regexp(t, `^pwu_[A-Za-z0-9]{12}$`, s.UserID)
		assert.Regexp(t, `^pws_[A-Za-z0-9]{12}$`, s.SubscriptionID)
		assert.Nil(t, s.UserAlias)
		assert.Nil(t, s.SubscriptionAlias)
		assert.Equal(t, sub{
			UserID: s.UserID, SubscriptionID: s.SubscriptionID, Email: "ada@example.com",
			PlanID: "pro", PlanInterval: "month", PlanCurrency: "usd", Status: "active",
			Value: 9900, EffectiveDate: eff, Meta: map[string]any{},
		}, s)
		// The raw JSON emits null aliases and an empty meta object.
		assert.Contains(t, w.Body.String(), `"user_alias":null`)
		assert.Contains(t, w.Body.String(), `"meta":{}`)
	})

	t.Run("aliases, case-insensitive choices, string value", func(t *testing.T) {
		s := mustCreate(t, e, map[string]any{
			"user_alias": "bob's account", "subscription_alias": "bob sub 1",
			"plan_interval": "Year", "plan_currency": "EUR", "status": "TRIALING", "value": "120000",
			"unknown_field": "ignored",
		})
		assert.Equal(t, "bob's account", *s.UserAlias)
		assert.Equal(t, "bob sub 1", *s.SubscriptionAlias)
		assert.Equal(t, "year", s.PlanInterval)
		assert.Equal(t, "eur", s.PlanCurrency)
		assert.Equal(t, "trialing", s.Status)
		assert.Equal(t, int64(120000), s.Value)

		// A second subscription with the same user_alias attaches to that user.
		s2 := mustCreate(t, e, map[string]any{"user_alias": "bob's account", "email": "bob@new.example"})
		assert.Equal(t, s.UserID, s2.UserID)
		assert.NotEqual(t, s.SubscriptionID, s2.SubscriptionID)
		// ... and so does user_id.
		s3 := mustCreate(t, e, map[string]any{"user_id": s.UserID})
		assert.Equal(t, s.UserID, s3.UserID)
		assert.Equal(t, "bob's account", *s3.UserAlias)
		hist := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/"+s.UserID+"/", DefaultToken, nil))
		assert.Len(t, hist, 3)
		for _, h := range hist {
			assert.Equal(t, "ada@example.com", h.Email, "the latest create's email is the user's email")
		}
	})

	t.Run("user_id with a new alias assigns it", func(t *testing.T) {
		s := mustCreate(t, e, nil)
		s2 := mustCreate(t, e, map[string]any{"user_id": s.UserID, "user_alias": "late alias"})
		assert.Equal(t, s.UserID, s2.UserID)
		assert.Equal(t, "late alias", *s2.UserAlias)
		assert.Equal(t, 2, e.HistoryLen(DefaultToken, "late alias"))
	})

	t.Run("numeric forms accepted like DRF", func(t *testing.T) {
		for _, v := range []any{5000, 5000.0, "5000", "5000.00", " 5000 "} {
			s := mustCreate(t, e, map[string]any{"value": v})
			assert.Equal(t, int64(5000), s.Value, "%v", v)
		}
		s := mustCreate(t, e, map[string]any{"effective_date": fmt.Sprint(eff)})
		assert.Equal(t, eff, s.EffectiveDate)
	})
}

func TestCreateSubscriptionValidation(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	long := strings.Repeat("x", 37)
	tests := []struct {
		name   string
		body   any
		status int
		want   string // exact JSON
	}{
		{"empty object", map[string]any{}, 400,
			`{"email":["This field is required."],"plan_id":["This field is required."],"plan_interval":["This field is required."],"value":["This field is required."],"effective_date":["This field is required."]}`},
		{"empty body", "", 400,
			`{"email":["This field is required."],"plan_id":["This field is required."],"plan_interval":["This field is required."],"value":["This field is required."],"effective_date":["This field is required."]}`},
		{"missing value", createBody(map[string]any{"value": nil}), 400, `{"value":["This field is required."]}`},
		{"bad interval", createBody(map[string]any{"plan_interval": "week"}), 400, `{"plan_interval":["\"week\" is not a valid choice."]}`},
		{"bad status", createBody(map[string]any{"status": "paused"}), 400, `{"status":["\"paused\" is not a valid choice."]}`},
		{"churned status on create", createBody(map[string]any{"status": "churned_voluntary"}), 400, `{"status":["\"churned_voluntary\" is not a valid choice."]}`},
		{"bad currency", createBody(map[string]any{"plan_currency": "xyz"}), 400, `{"plan_currency":["\"xyz\" is not a valid choice."]}`},
		{"fractional value", createBody(map[string]any{"value": 10.5}), 400, `{"value":["A valid integer is required."]}`},
		{"non numeric value", createBody(map[string]any{"value": "ten"}), 400, `{"value":["A valid integer is required."]}`},
		{"bool value", createBody(map[string]any{"value": true}), 400, `{"value":["A valid integer is required."]}`},
		{"negative value", createBody(map[string]any{"value": -1}), 400, `{"value":["Ensure this value is greater than or equal to 0."]}`},
		{"null value", createBody(map[string]any{"value": "null-marker"}), 400, `{"value":["A valid integer is required."]}`},
		{"bad effective_date", createBody(map[string]any{"effective_date": "2025-01-01"}), 400, `{"effective_date":["A valid integer is required."]}`},
		{"huge effective_date", createBody(map[string]any{"effective_date": int64(maxEffectiveDate) + 1}), 400, `{"effective_date":["Ensure this value is less than or equal to 253402300799."]}`},
		{"long subscription alias", createBody(map[string]any{"subscription_alias": long}), 400, `{"subscription_alias":["Ensure this field has no more than 36 characters."]}`},
		{"long user alias", createBody(map[string]any{"user_alias": long}), 400, `{"user_alias":["Ensure this field has no more than 36 characters."]}`},
		{"blank email", createBody(map[string]any{"email": "  "}), 400, `{"email":["This field may not be blank."]}`},
		{"object email", createBody(map[string]any{"email": map[string]any{}}), 400, `{"email":["Not a valid string."]}`},
		{"unknown user_id", createBody(map[string]any{"user_id": "pwu_doesnotexist"}), 400, `{"non_field_errors":["User with id pwu_doesnotexist does not exist."]}`},
		{"array body", []int{1}, 400, `{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}`},
		{"null body", "null", 400, `{"non_field_errors":["No data provided"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.body
			if m, ok := body.(map[string]any); ok && m["value"] == "null-marker" {
				m["value"] = map[string]any{}
			}
			before := e.SubscriptionCount(DefaultToken)
			w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, body)
			require.Equal(t, tc.status, w.Code, w.Body.String())
			assert.JSONEq(t, tc.want, w.Body.String())
			// Field order follows the serializer's declaration order.
			if strings.HasPrefix(tc.want, `{"email"`) {
				assert.Equal(t, tc.want, w.Body.String())
			}
			_ = before
		})
	}

	t.Run("null optional fields are absent, null required fields are errors", func(t *testing.T) {
		t.Parallel()
		w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken,
			createBody(map[string]any{"user_alias": "", "plan_currency": ""}))
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		w = call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken,
			`{"email":null,"plan_id":"p","plan_interval":"month","value":1,"effective_date":1,"subscription_alias":null}`)
		require.Equal(t, http.StatusBadRequest, w.Code)
		assert.JSONEq(t, `{"email":["This field may not be null."]}`, w.Body.String())
	})

	t.Run("malformed JSON and media type", func(t *testing.T) {
		t.Parallel()
		w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, `{"email":`)
		require.Equal(t, http.StatusBadRequest, w.Code)
		assert.True(t, strings.HasPrefix(detailOf(t, w), "JSON parse error - "))
		w = call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, `{} {}`)
		require.Equal(t, http.StatusBadRequest, w.Code)
		r := httptestRequestBody(http.MethodPost, "/v2/subscriptions/", `email=a`, "application/x-www-form-urlencoded")
		w2 := serve(e, r)
		require.Equal(t, http.StatusUnsupportedMediaType, w2.Code)
		assert.JSONEq(t, `{"detail":"Unsupported media type \"application/x-www-form-urlencoded\" in request."}`, w2.Body.String())
		r = httptestRequestBody(http.MethodPost, "/v2/subscriptions/", `{"a":1}`, "")
		assert.Equal(t, http.StatusUnsupportedMediaType, serve(e, r).Code, "a body needs a JSON content type")
		r = httptestRequestBody(http.MethodPost, "/v2/subscriptions/", strings.Repeat(" ", maxBodyBytes+1)+"{}", "application/json")
		assert.Equal(t, http.StatusRequestEntityTooLarge, serve(e, r).Code)
	})
}

func TestDuplicateSubscriptionAlias(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	body := createBody(map[string]any{"user_alias": "dup-user", "subscription_alias": "dup-sub"})
	mustCreate(t, e, body)
	subs, users := e.SubscriptionCount(DefaultToken), e.CustomerCount(DefaultToken)
	w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, body)
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, `{"non_field_errors":["Subscription with alias dup-sub already exists."]}`, w.Body.String())
	// Another user cannot reuse it either; nothing was created.
	w = call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, createBody(map[string]any{"subscription_alias": "dup-sub"}))
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "already exists")
	assert.Equal(t, 1, e.SubscriptionsWithAlias(DefaultToken, "dup-sub"))
	assert.Equal(t, subs, e.SubscriptionCount(DefaultToken))
	assert.Equal(t, users, e.CustomerCount(DefaultToken))
	// A seeded alias is taken too.
	w = call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, createBody(map[string]any{"subscription_alias": "luiz's subscription"}))
	assert.Equal(t, http.StatusBadRequest, w.Code)
}

func TestUserIDAliasConflict(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	a := mustCreate(t, e, map[string]any{"user_alias": "alias-a"})
	mustCreate(t, e, map[string]any{"user_alias": "alias-b"})
	for _, alias := range []string{"alias-b", "other"} {
		w := call(t, e, http.MethodPost, "/v2/subscriptions/", DefaultToken, createBody(map[string]any{"user_id": a.UserID, "user_alias": alias}))
		require.Equal(t, http.StatusBadRequest, w.Code)
		assert.JSONEq(t, `{"non_field_errors":["user_id and user_alias refer to different users."]}`, w.Body.String())
	}
	// Same pair: fine.
	s := mustCreate(t, e, map[string]any{"user_id": a.UserID, "user_alias": "alias-a"})
	assert.Equal(t, a.UserID, s.UserID)
}

func TestUpdateSubscription(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	base := testRef.Add(-30 * 24 * time.Hour).Unix()
	s := mustCreate(t, e, map[string]any{
		"user_alias": "up-user", "subscription_alias": "up-sub", "plan_currency": "gbp",
		"status": "trialing", "effective_date": base, "value": 0,
	})
	upd := func(key string, body any) (int, string) {
		w := call(t, e, http.MethodPut, "/v2/subscriptions/"+key+"/", DefaultToken, body)
		return w.Code, w.Body.String()
	}

	// Without status a trial stays a trial.
	code, body := upd("up-sub", map[string]any{"plan_id": "pro", "plan_interval": "month", "value": 100, "effective_date": base + 10})
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"status":"trialing"`)

	// Conversion by id; extra fields (email, currency, aliases) are ignored.
	code, body = upd(s.SubscriptionID, map[string]any{
		"plan_id": "growth", "plan_interval": "YEAR", "value": "49000", "effective_date": base + 20, "status": "Active",
		"email": "changed@example.com", "plan_currency": "usd", "subscription_alias": "renamed", "user_alias": "renamed-user",
	})
	require.Equal(t, http.StatusOK, code, body)
	var r sub
	require.NoError(t, jsonUnmarshal(body, &r))
	assert.Equal(t, sub{
		UserID: s.UserID, SubscriptionID: s.SubscriptionID, UserAlias: s.UserAlias, SubscriptionAlias: s.SubscriptionAlias,
		Email: "ada@example.com", PlanID: "growth", PlanInterval: "year", PlanCurrency: "gbp", Status: "active",
		Value: 49000, EffectiveDate: base + 20, Meta: map[string]any{},
	}, r)
	assert.Equal(t, 3, e.HistoryLen(DefaultToken, "up-user"), "each update appends a history event")
	assert.Equal(t, 0, e.SubscriptionsWithAlias(DefaultToken, "renamed"))

	errCases := []struct {
		name, key string
		body      any
		status    int
		want      string
	}{
		{"unknown subscription", "pws_nope", map[string]any{}, 404, `{"detail":"Not found."}`},
		{"missing fields", "up-sub", map[string]any{}, 400,
			`{"plan_id":["This field is required."],"plan_interval":["This field is required."],"value":["This field is required."],"effective_date":["This field is required."]}`},
		{"trialing is not valid on update", "up-sub", map[string]any{"plan_id": "p", "plan_interval": "month", "value": 1, "effective_date": base + 30, "status": "trialing"}, 400,
			`{"status":["\"trialing\" is not a valid choice."]}`},
		{"before start", "up-sub", map[string]any{"plan_id": "p", "plan_interval": "month", "value": 1, "effective_date": base - 1}, 400,
			`{"non_field_errors":["effective_date cannot be before the subscription's start."]}`},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := upd(tc.key, tc.body)
			assert.Equal(t, tc.status, code)
			assert.JSONEq(t, tc.want, body)
		})
	}
	assert.Equal(t, 3, e.HistoryLen(DefaultToken, "up-user"), "failed updates change nothing")
}

func TestChurnAndUnchurn(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	base := testRef.Add(-60 * 24 * time.Hour).Unix()
	s := mustCreate(t, e, map[string]any{"user_alias": "churn-user", "subscription_alias": "churn-sub", "effective_date": base})
	churn := func(key, query string) (int, string) {
		w := call(t, e, http.MethodDelete, "/v2/subscriptions/"+key+"/"+query, DefaultToken, nil)
		return w.Code, w.Body.String()
	}
	unchurn := func(key string) (int, string) {
		w := call(t, e, http.MethodPut, "/v2/unchurn/"+key+"/", DefaultToken, nil)
		return w.Code, w.Body.String()
	}

	// Validation.
	code, body := churn("churn-sub", "")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"effective_date":["This field is required."]}`, body)
	code, body = churn("churn-sub", fmt.Sprintf("?effective_date=%d&churn_type=angry", base+10))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"churn_type":["\"angry\" is not a valid choice."]}`, body)
	code, body = churn("churn-sub", "?effective_date=tomorrow")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"effective_date":["A valid integer is required."]}`, body)
	code, _ = churn("pws_unknown", "?effective_date=1")
	assert.Equal(t, http.StatusNotFound, code)
	code, body = churn("churn-sub", fmt.Sprintf("?effective_date=%d", base-1))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "non_field_errors")

	// Not churned yet: unchurn refuses.
	code, body = unchurn("churn-sub")
	assert.Equal(t, http.StatusBadRequest, code)
	assert.JSONEq(t, `{"non_field_errors":["Subscription was not churned in the first place."]}`, body)
	code, _ = unchurn("pws_unknown")
	assert.Equal(t, http.StatusNotFound, code)

	// Churn (default voluntary) in the past.
	code, body = churn("churn-sub", fmt.Sprintf("?effective_date=%d", base+86400))
	require.Equal(t, http.StatusOK, code, body)
	var r sub
	require.NoError(t, jsonUnmarshal(body, &r))
	assert.Equal(t, "churned_voluntary", r.Status)
	assert.Equal(t, s.SubscriptionID, r.SubscriptionID)
	assert.Equal(t, "pro", r.PlanID)
	assert.Equal(t, int64(9900), r.Value, "the churn record keeps the last value")
	assert.Equal(t, base+86400, r.EffectiveDate)
	c := decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/churn-user/", DefaultToken, nil))
	assert.Equal(t, "churned_voluntary", c.Status)
	assert.Zero(t, c.MRRCents)

	// Churning again is refused; so is updating a churned subscription.
	code, body = churn("churn-sub", fmt.Sprintf("?effective_date=%d&churn_type=delinquent", base+2*86400))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "already scheduled to churn")
	w := call(t, e, http.MethodPut, "/v2/subscriptions/churn-sub/", DefaultToken,
		map[string]any{"plan_id": "p", "plan_interval": "month", "value": 1, "effective_date": base + 3*86400})
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, w.Body.String(), "unchurn it first")

	// Unchurn removes the churn event and answers the record in force.
	code, body = unchurn("churn-sub")
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, jsonUnmarshal(body, &r))
	assert.Equal(t, "active", r.Status)
	assert.Equal(t, base, r.EffectiveDate)
	assert.Equal(t, 1, e.HistoryLen(DefaultToken, "churn-user"))
	code, _ = unchurn("churn-sub")
	assert.Equal(t, http.StatusBadRequest, code)

	// Scheduled (future) churn, delinquent, case-insensitive.
	future := testNow.Add(10 * 24 * time.Hour).Unix()
	code, body = churn(s.SubscriptionID, fmt.Sprintf("?effective_date=%d&churn_type=Delinquent", future))
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"status":"churned_delinquent"`)
	c = decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/churn-user/", DefaultToken, nil))
	assert.Equal(t, "cancelled", c.Status, "churn scheduled in the future")
	assert.Equal(t, int64(9900), c.MRRCents)
	code, body = churn("churn-sub", fmt.Sprintf("?effective_date=%d", future+1))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, body, "already scheduled to churn")
	// An update dated before the scheduled churn is allowed.
	w = call(t, e, http.MethodPut, "/v2/subscriptions/churn-sub/", DefaultToken,
		map[string]any{"plan_id": "enterprise", "plan_interval": "month", "value": 49900, "effective_date": testNow.Unix() - 60})
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	hist := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/churn-user/", DefaultToken, nil))
	require.Len(t, hist, 3)
	assert.Equal(t, "churned_delinquent", hist[2].Status, "the churn stays last")
	// Unchurn works for a scheduled churn too.
	code, _ = unchurn("churn-sub")
	require.Equal(t, http.StatusOK, code)
	c = decode[cust](t, call(t, e, http.MethodGet, "/v2/customers/churn-user/", DefaultToken, nil))
	assert.Equal(t, "active", c.Status)
	assert.Equal(t, int64(49900), c.MRRCents)
}

func TestScheduledChurnTakesEffect(t *testing.T) {
	t.Parallel()
	e, clk := newEmu(t, Options{})
	mustCreate(t, e, map[string]any{"user_alias": "sched", "subscription_alias": "sched-sub"})
	at := testNow.Add(time.Hour).Unix()
	w := call(t, e, http.MethodDelete, fmt.Sprintf("/v2/subscriptions/sched-sub/?effective_date=%d", at), DefaultToken, nil)
	require.Equal(t, http.StatusOK, w.Code)
	find := func() cust {
		page := decode[[]cust](t, call(t, e, http.MethodGet, "/v2/customers/?direction=desc&per_page=5", DefaultToken, nil))
		for _, c := range page {
			if c.CustomerID == "sched" {
				return c
			}
		}
		t.Fatal("customer not listed")
		return cust{}
	}
	assert.Equal(t, "cancelled", find().Status)
	clk.Advance(2 * time.Hour) // the cached index must notice the passing of time
	c := find()
	assert.Equal(t, "churned_voluntary", c.Status)
	require.NotNil(t, c.ChurnedOn)
	assert.Equal(t, formatTime(time.Unix(at, 0)), *c.ChurnedOn)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	e, _ := newEmu(t, Options{})
	base := testRef.Add(-90 * 24 * time.Hour).Unix()
	s1 := mustCreate(t, e, map[string]any{"user_alias": "hist-user", "subscription_alias": "h1", "effective_date": base + 100})
	// Created later but effective earlier: history is by effective_date.
	mustCreate(t, e, map[string]any{"user_alias": "hist-user", "subscription_alias": "h2", "effective_date": base})
	// Same effective date: insertion order.
	w := call(t, e, http.MethodPut, "/v2/subscriptions/h1/", DefaultToken,
		map[string]any{"plan_id": "enterprise", "plan_interval": "month", "value": 1, "effective_date": base + 100})
	require.Equal(t, http.StatusOK, w.Code)

	hist := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/hist-user/", DefaultToken, nil))
	require.Len(t, hist, 3)
	assert.Equal(t, "h2", *hist[0].SubscriptionAlias)
	assert.Equal(t, "pro", hist[1].PlanID)
	assert.Equal(t, "enterprise", hist[2].PlanID)
	byID := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/"+s1.UserID+"/", DefaultToken, nil))
	assert.Equal(t, hist, byID)

	// Aliases with spaces and apostrophes, escaped in the path.
	seeded := decode[[]sub](t, call(t, e, http.MethodGet, "/v2/users/"+pathEscape("luiz's alias")+"/", DefaultToken, nil))
	require.NotEmpty(t, seeded)
	assert.Equal(t, "luiz's alias", *seeded[0].UserAlias)

	// Update email: every record shows it; answer is the history.
	w = call(t, e, http.MethodPut, "/v2/users/hist-user/", DefaultToken, map[string]any{"email": "Display Name Inc."})
	require.Equal(t, http.StatusOK, w.Code)
	for _, h := range decode[[]sub](t, w) {
		assert.Equal(t, "Display Name Inc.", h.Email)
	}
	w = call(t, e, http.MethodPut, "/v2/users/hist-user/", DefaultToken, map[string]any{})
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.JSONEq(t, `{"email":["This field is required."]}`, w.Body.String())
	w = call(t, e, http.MethodPut, "/v2/users/nobody/", DefaultToken, map[string]any{"email": "x"})
	assert.Equal(t, http.StatusNotFound, w.Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/users/nobody/", DefaultToken, nil).Code)

	// Delete: 204 without body; then 404; aliases reusable.
	before := e.CustomerCount(DefaultToken)
	w = call(t, e, http.MethodDelete, "/v2/users/hist-user/", DefaultToken, nil)
	require.Equal(t, http.StatusNoContent, w.Code)
	assert.Empty(t, w.Body.String())
	assert.Empty(t, w.Header().Get("Content-Type"))
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/users/hist-user/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/users/"+s1.UserID+"/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodGet, "/v2/customers/hist-user/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodDelete, "/v2/users/hist-user/", DefaultToken, nil).Code)
	assert.Equal(t, http.StatusNotFound, call(t, e, http.MethodPut, "/v2/unchurn/h1/", DefaultToken, nil).Code)
	assert.Equal(t, before-1, e.CustomerCount(DefaultToken))
	assert.Zero(t, e.SubscriptionsWithAlias(DefaultToken, "h1"))
	again := mustCreate(t, e, map[string]any{"user_alias": "hist-user", "subscription_alias": "h1"})
	assert.NotEqual(t, s1.UserID, again.UserID)
	assert.Equal(t, 1, e.HistoryLen(DefaultToken, "hist-user"))
}
