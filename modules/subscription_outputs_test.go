package modules

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
)

// Helpers shared by the subscription and user module tests.

// subOf returns the one bundle of an action that answered with a record.
func subOf(t *testing.T, out Output) subscriptionBundle {
	t.Helper()
	require.Len(t, out.Bundles, 1)
	b, ok := out.Bundles[0].(subscriptionBundle)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	return b
}

// changeOf returns the one bundle of a module that names a subscription and
// got a record back.
func changeOf(t *testing.T, out Output) subscriptionChange {
	t.Helper()
	require.Len(t, out.Bundles, 1)
	b, ok := out.Bundles[0].(subscriptionChange)
	require.True(t, ok, "bundle is %T", out.Bundles[0])
	return b
}

// subsOf returns the bundles of listSubscriptions.
func subsOf(t *testing.T, out Output) []subscriptionBundle {
	t.Helper()
	got := make([]subscriptionBundle, len(out.Bundles))
	for i, b := range out.Bundles {
		s, ok := b.(*subscriptionBundle)
		require.True(t, ok, "bundle %d is %T", i, b)
		got[i] = *s
	}
	return got
}

// historyOf lists a user's whole history through listSubscriptions.
func (s *sandbox) historyOf(userIDOrAlias string) []subscriptionBundle {
	s.t.Helper()
	out, _ := s.mustRun("listSubscriptions", map[string]any{"userIdOrAlias": userIDOrAlias, "limit": 1000})
	require.False(s.t, out.HasMore)
	return subsOf(s.t, out)
}

// subParams returns valid createSubscription parameters for a new user with
// the given alias, with overrides applied (a nil value deletes the key).
func subParams(userAlias string, overrides map[string]any) map[string]any {
	p := map[string]any{
		"userAlias":     userAlias,
		"email":         userAlias + "@example.com",
		"planId":        "pro",
		"planInterval":  "month",
		"value":         9900,
		"effectiveDate": "2024-01-15",
	}
	for k, v := range overrides {
		if v == nil {
			delete(p, k)
		} else {
			p[k] = v
		}
	}
	return p
}

// createSub creates a subscription that must succeed.
func (s *sandbox) createSub(params map[string]any) subscriptionBundle {
	s.t.Helper()
	out, n := s.mustRun("createSubscription", params)
	require.Equal(s.t, 1, n)
	return subOf(s.t, out)
}

func strPtr(s string) *string { return &s }

// inSubtest returns the sandbox reporting to t, so a subtest's failure
// stops only that subtest.
func (s *sandbox) inSubtest(t *testing.T) *sandbox {
	c := *s
	c.t = t
	return &c
}

// newTerseSandbox is newSandbox behind a proxy that lets the emulator apply
// every request, then replaces the 2xx answers to method + path prefix with
// answer: "" sends 204 without a body, anything else 200 with that JSON.
// It stands for ProfitWell answering churn, un-churn and user calls without
// a record, which the emulator never does.
func newTerseSandbox(t *testing.T, method, pathPrefix, answer string) *sandbox {
	t.Helper()
	emu := profitwelltest.New(profitwelltest.Options{Seed: 42})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method || !strings.HasPrefix(r.URL.Path, pathPrefix) {
			emu.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r)
		if rec.Code < 200 || rec.Code > 299 {
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		if answer == "" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return sandboxAt(t, srv.URL, emu, nil)
}

func fieldNames(fields []manifest.Field) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.Name
	}
	sort.Strings(out)
	return out
}

// jsonKeys encodes v the way the API does and returns its top-level keys.
func jsonKeys(t *testing.T, v any) (keys []string, obj map[string]any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, obj
}

// TestSubscriptionBundlesEncodeAsDeclared: real bundles encode to the
// declared keys; a record keeps null aliases and an empty meta object.
func TestSubscriptionBundlesEncodeAsDeclared(t *testing.T) {
	t.Parallel()
	rec := profitwell.Subscription{
		UserID: "pwu_a", SubscriptionID: "pws_b", Email: "e", PlanID: "p", PlanInterval: "year",
		PlanCurrency: "eur", Status: "trialing", Value: 0, EffectiveDate: 1514764800,
	}
	b := subscriptionBundleOf(rec)
	keys, obj := jsonKeys(t, b)
	assert.Equal(t, fieldNames(subscriptionInterface), keys)
	assert.Nil(t, obj["user_alias"])
	assert.Contains(t, obj, "user_alias", "a missing alias is null, not absent")
	assert.Equal(t, map[string]any{}, obj["meta"])
	assert.Equal(t, "2018-01-01T00:00:00Z", obj["effective_date_iso"])
	assert.EqualValues(t, 0, obj["value"], "a free subscription keeps value 0")

	keys, _ = jsonKeys(t, subscriptionChangeOf("pws_b", rec))
	assert.Equal(t, fieldNames(subscriptionChangeInterface), keys)

	at := int64(1522432854)
	keys, obj = jsonKeys(t, subscriptionEcho{SubscriptionIDOrAlias: "x", Status: strPtr("churned_voluntary"), EffectiveDate: &at, EffectiveDateISO: strPtr(unixToISO(at))})
	assert.Equal(t, fieldNames(subscriptionChangeInterface), keys, "an echo carries every field")
	assert.Nil(t, obj["user_id"], "unknown fields are null")
	keys, _ = jsonKeys(t, subscriptionEcho{SubscriptionIDOrAlias: "x"})
	assert.Equal(t, fieldNames(subscriptionChangeInterface), keys)

	keys, obj = jsonKeys(t, userBundle{UserIDOrAlias: "u", Email: "e", Subscriptions: subscriptionBundlesOf(nil)})
	assert.Equal(t, fieldNames(userInterface), keys, "user id and alias are null without a history")
	assert.Equal(t, []any{}, obj["subscriptions"], "never null")
	keys, _ = jsonKeys(t, userBundle{UserIDOrAlias: "u", UserID: strPtr("pwu_a"), UserAlias: strPtr("a"), Email: "e"})
	assert.Equal(t, fieldNames(userInterface), keys)

	keys, _ = jsonKeys(t, userDeletedBundle{UserIDOrAlias: "u", Deleted: true})
	assert.Equal(t, fieldNames(userDeletedInterface), keys)
}

func TestPlanCurrencyOptions(t *testing.T) {
	t.Parallel()
	require.Len(t, planCurrencyOptions, 160)
	seen := map[string]bool{}
	for _, o := range planCurrencyOptions {
		v := o.Value.(string)
		assert.Equal(t, strings.ToLower(v), v)
		assert.Equal(t, strings.ToUpper(v), o.Label)
		assert.False(t, seen[v], "duplicate %s", v)
		seen[v] = true
	}
	assert.True(t, seen["usd"] && seen["eur"] && seen["zwl"] && seen["aed"])
}
