package modules

import (
	"strings"
	"time"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

// Fields and bundles shared by the subscription and user modules. Bundles
// keep ProfitWell's snake_case names (profitwell-api.md §3.1); its Unix-second
// date is output as sent (effective_date) and as ISO 8601 UTC
// (effective_date_iso), which maps straight into date fields.

// subscriptionBundle is one subscription record as a bundle: ProfitWell's
// fields in its order, then effective_date_iso and meta (never null).
type subscriptionBundle struct {
	subscriptionRecord
	EffectiveDateISO string         `json:"effective_date_iso"`
	Meta             map[string]any `json:"meta"` // hides the record's omitempty meta
}

// subscriptionRecord is profitwell.Subscription without its UnmarshalJSON,
// which embedding would promote to the bundle.
type subscriptionRecord profitwell.Subscription

// subscriptionBundleOf converts a ProfitWell record.
func subscriptionBundleOf(s profitwell.Subscription) subscriptionBundle {
	meta := s.Meta
	if meta == nil {
		meta = map[string]any{}
	}
	s.Meta = nil // the bundle's own Meta carries it
	return subscriptionBundle{subscriptionRecord(s), unixToISO(s.EffectiveDate), meta}
}

// subscriptionBundlesOf converts a history; never nil.
func subscriptionBundlesOf(history []profitwell.Subscription) []subscriptionBundle {
	out := make([]subscriptionBundle, len(history))
	for i := range history {
		out[i] = subscriptionBundleOf(history[i])
	}
	return out
}

// subscriptionChange is the bundle of the modules that name a subscription:
// the id or alias the user named, then the record ProfitWell answered.
type subscriptionChange struct {
	SubscriptionIDOrAlias string `json:"subscription_id_or_alias"`
	subscriptionBundle
}

// subscriptionChangeOf names the record with the id or alias asked for.
func subscriptionChangeOf(key string, s profitwell.Subscription) subscriptionChange {
	return subscriptionChange{SubscriptionIDOrAlias: key, subscriptionBundle: subscriptionBundleOf(s)}
}

// subscriptionEcho is the bundle of a churn or un-churn that ProfitWell
// answered without a record (204 or {}): the subscription the user named and
// what the request itself tells about the outcome; every field of the record
// that the answer does not tell is null.
type subscriptionEcho struct {
	SubscriptionIDOrAlias string         `json:"subscription_id_or_alias"`
	UserID                *string        `json:"user_id"`
	SubscriptionID        *string        `json:"subscription_id"`
	UserAlias             *string        `json:"user_alias"`
	SubscriptionAlias     *string        `json:"subscription_alias"`
	Email                 *string        `json:"email"`
	PlanID                *string        `json:"plan_id"`
	PlanInterval          *string        `json:"plan_interval"`
	PlanCurrency          *string        `json:"plan_currency"`
	Status                *string        `json:"status"`
	Value                 *int64         `json:"value"`
	EffectiveDate         *int64         `json:"effective_date"`
	EffectiveDateISO      *string        `json:"effective_date_iso"`
	Meta                  map[string]any `json:"meta"`
}

// userBundle is the output of updateUser. ProfitWell may answer with the
// user's history or with nothing; UserID and UserAlias are known only from a
// history (null otherwise), Subscriptions is then empty (never null).
type userBundle struct {
	UserIDOrAlias string               `json:"user_id_or_alias"`
	UserID        *string              `json:"user_id"`
	UserAlias     *string              `json:"user_alias"`
	Email         string               `json:"email"`
	Subscriptions []subscriptionBundle `json:"subscriptions"`
}

// userDeletedBundle is the output of deleteUser (ProfitWell answers 204).
type userDeletedBundle struct {
	UserIDOrAlias string `json:"user_id_or_alias"`
	Deleted       bool   `json:"deleted"`
}

// sandboxSubscription names a subscription of the examples' sandbox.
type sandboxSubscription struct{ userID, subscriptionID, userAlias, subscriptionAlias string }

// spiderman is spiderman_sub_1a, the sandbox subscription several examples
// read or change.
var spiderman = sandboxSubscription{"pwu_wBgjjtuzTHX4", "pws_voz373XSwio9", "spiderman 1a", "spiderman_sub_1a"}

// record is an example record of s, billed monthly in usd.
func (s sandboxSubscription) record(email, planID, status string, value int, date int64) map[string]any {
	return map[string]any{
		"user_id": s.userID, "subscription_id": s.subscriptionID, "user_alias": s.userAlias,
		"subscription_alias": s.subscriptionAlias, "email": email, "plan_id": planID, "plan_interval": "month",
		"plan_currency": "usd", "status": status, "value": value, "effective_date": date,
		"effective_date_iso": unixToISO(date), "meta": map[string]any{},
	}
}

// named is an example record as a module that names the subscription by its
// alias answers it.
func named(rec map[string]any) map[string]any {
	rec["subscription_id_or_alias"] = rec["subscription_alias"]
	return rec
}

// unixToISO formats Unix seconds as ISO 8601 in UTC ("2018-01-01T00:00:00Z").
func unixToISO(sec int64) string {
	return time.Unix(sec, 0).UTC().Format(time.RFC3339)
}

var subscriptionInterface = []manifest.Field{
	{Name: "user_id", Label: "User ID", Type: manifest.TypeText},
	{Name: "subscription_id", Label: "Subscription ID", Type: manifest.TypeText},
	{Name: "user_alias", Label: "User Alias", Type: manifest.TypeText},
	{Name: "subscription_alias", Label: "Subscription Alias", Type: manifest.TypeText},
	{Name: "email", Label: "Email", Type: manifest.TypeText},
	{Name: "plan_id", Label: "Plan ID", Type: manifest.TypeText},
	{Name: "plan_interval", Label: "Plan Interval", Type: manifest.TypeText},
	{Name: "plan_currency", Label: "Plan Currency", Type: manifest.TypeText},
	{Name: "status", Label: "Status", Type: manifest.TypeText},
	{Name: "value", Label: "Value (Cents)", Type: manifest.TypeUInteger},
	{Name: "effective_date", Label: "Effective Date (Unix seconds)", Type: manifest.TypeUInteger},
	{Name: "effective_date_iso", Label: "Effective Date", Type: manifest.TypeDate},
	{Name: "meta", Label: "Meta", Type: manifest.TypeCollection},
}

// subscriptionChangeInterface is the output of the modules that name a
// subscription: the echoed id or alias, then the record.
var subscriptionChangeInterface = append([]manifest.Field{
	{Name: "subscription_id_or_alias", Label: "Subscription ID or Alias", Type: manifest.TypeText},
}, subscriptionInterface...)

var userInterface = []manifest.Field{
	{Name: "user_id_or_alias", Label: "User ID or Alias", Type: manifest.TypeText},
	{Name: "user_id", Label: "User ID", Type: manifest.TypeText},
	{Name: "user_alias", Label: "User Alias", Type: manifest.TypeText},
	{Name: "email", Label: "Email", Type: manifest.TypeText},
	{Name: "subscriptions", Label: "Subscriptions", Type: manifest.TypeArray, Spec: subscriptionInterface},
}

var userDeletedInterface = []manifest.Field{
	{Name: "user_id_or_alias", Label: "User ID or Alias", Type: manifest.TypeText},
	{Name: "deleted", Label: "Deleted", Type: manifest.TypeBoolean},
}

// trimIDOrAlias prepares a user or subscription id or alias for the URL path.
// ProfitWell trims surrounding whitespace from aliases when it stores them,
// so a mapped value with stray spaces could never match; a value of spaces
// only becomes "", which the client refuses before any request.
func trimIDOrAlias(s string) string { return strings.TrimSpace(s) }

// Input fields shared by several subscription and user modules.

func subscriptionIDOrAliasField(help string) manifest.Field {
	return manifest.Field{
		Name: "subscriptionIdOrAlias", Label: "Subscription ID or Alias", Type: manifest.TypeText,
		Required: true, Help: help,
	}
}

func userIDOrAliasField(help string) manifest.Field {
	return manifest.Field{
		Name: "userIdOrAlias", Label: "User ID or Alias", Type: manifest.TypeText,
		Required: true, Help: help,
	}
}

func planIntervalField(help string) manifest.Field {
	return manifest.Field{
		Name: "planInterval", Label: "Plan Interval", Type: manifest.TypeSelect, Required: true,
		Options: []manifest.Option{{Label: "Month", Value: "month"}, {Label: "Year", Value: "year"}},
		Help:    help,
	}
}

func centsValueField(help string) manifest.Field {
	return manifest.Field{
		Name: "value", Label: "Value", Type: manifest.TypeUInteger, Unit: "cents", Required: true, Help: help,
	}
}

func effectiveDateField(help string) manifest.Field {
	return manifest.Field{Name: "effectiveDate", Label: "Effective Date", Type: manifest.TypeDate, Required: true, Help: help}
}

// planCurrencyCodes are the 160 lower-case codes ProfitWell accepts as
// plan_currency (profitwell-api.md §3.2).
const planCurrencyCodes = `aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd btc
btn bwp bzd cad cdf chf clf clp cny cop crc cup cve czk djf dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd
gnf gtq gyd hkd hnl hrk htg huf idr ils inr iqd irr isk jep jmd jod jpy kes kgs khr kmf kpw krw kwd kyd kzt lak lbp
lkr lrd lsl lyd mad mdl mga mkd mmk mnt mop mro mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php
pkr pln pyg qar ron rsd rub rwf sar sbd scr sdg sek sgd shp sll sos srd std svc syp szl thb tjs tmt tnd top try ttd
twd tzs uah ugx usd uyu uzs vef vnd vuv wst xaf xag xau xcd xdr xof xpf yer zar zmw zwl`

// planCurrencyOptions label each code in upper case ("USD") and keep
// ProfitWell's lower-case value; a mapped "USD" is matched case-insensitively
// and sent as "usd".
var planCurrencyOptions = optionsOf(strings.Fields(planCurrencyCodes), strings.ToUpper)
