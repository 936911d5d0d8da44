// Package profitwelltest is an in-memory emulator of ProfitWell's API v2
// (https://api.profitwell.com/v2), used by tests, benchmarks and the
// connector's --sandbox mode.
//
// It is a real server, not a mock: it keeps per-company state, validates
// requests like ProfitWell's Django REST framework backend, and answers in
// ProfitWell's shapes and status codes (docs/profitwell-api.md). It does not
// import the project's client package, so the client and the emulator cannot
// be wrong in the same way. It uses only the standard library and
// golang.org/x/time/rate.
//
//	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 1})
//	// GET srv.URL + "/v2/customers/" with "Authorization: sandbox-private-token"
//	srv.Emulator.InjectFault(profitwelltest.Fault{Kind: profitwelltest.FaultRateLimit, RetryAfter: 2})
//
// New returns an http.Handler; Start and NewTestServer serve it on
// 127.0.0.1 with an ephemeral port. Inspection helpers (Requests,
// CustomerCount, SubscriptionCount, SubscriptionsWithAlias, HistoryLen) let
// tests count upstream calls and check "created exactly once".
//
// # Seeded data
//
// Each accepted token has its own company, seeded deterministically from
// Options.Seed and the token (a SplitMix64 generator implemented here, so a Go
// release cannot change the fixtures), laid out relative to
// Options.Reference:
//
//   - Plans (fixed ids and names, whatever the seed): starter "Starter",
//     growth "Growth", pro "Pro", enterprise "Enterprise", annual-pro
//     "Pro (annual)"; with Options.Plans > 5 also plan-6 "Plan 6", ...
//   - Users (default 30) with subscription histories, cycling through ten
//     scenarios: active; upgrades; churned voluntary; churned delinquent;
//     churn scheduled 10-40 days after Reference; trialing; yearly;
//     trial converted then downgraded; two subscriptions; churned then back
//     with a new subscription. User aliases are fixed: user 0 is
//     "luiz's alias" (subscription "luiz's subscription"), user 1 is
//     "spiderman 1a" (subscription "spiderman_sub_1a"), every user i with
//     i%6 == 5 is anonymous (no aliases, only pwu_/pws_ ids), the others are
//     "user_%03d" with subscriptions "sub_%03d" (a second one "sub_%03d_2").
//     All in usd.
//   - Customers (default 1000) that exist only in the customers view, like
//     customers of a billing integration: "cus_" + 14 alphanumerics, mixed
//     statuses (active, trialing, cancelled, churned_trial,
//     churned_voluntary, churned_delinquent, no_history), updated_on over
//     the two years before Reference (about 40% with microseconds; every
//     20th shares the previous customer's exact updated_on, to exercise
//     tie-breaking), some null names, a few null emails, some mixed-case
//     emails, a few emails shared by two customers. They are a static
//     snapshot as of Reference (their status does not evolve with Now).
//
// # Decisions where profitwell-api.md is uncertain
//
// Transport and errors:
//
//   - Order of checks, as in Django/DRF: injected fault; trailing slash and
//     routing; authentication; throttling; method; the endpoint (lookups, 404,
//     before body validation).
//   - A path without its trailing slash is redirected (301, relative
//     Location = escaped path + "/" + "?" + query) only when the slashed path
//     is a known route (Django APPEND_SLASH); otherwise 404. The redirect
//     needs no token.
//   - Unknown paths: 404 {"detail": "Not found."} (JSON, although Django
//     itself would answer an HTML page).
//   - Authentication: the Authorization header must equal a token exactly.
//     Missing: 401 {"detail": "Authentication credentials were not
//     provided."}; anything else, including "Bearer <token>" and
//     "Token <token>": 401 {"detail": "Invalid token."}. 401 answers carry
//     "WWW-Authenticate: Token". Tokens are kept only as SHA-256 digests,
//     compared in constant time; RecordedRequest holds TokenHash.
//   - Wrong method: 405 {"detail": "Method \"PATCH\" not allowed."} with an
//     Allow header (also sent on every answer of an endpoint). HEAD is allowed
//     wherever GET is; OPTIONS is not supported (405).
//   - Request bodies: a non-empty body needs Content-Type application/json
//     (otherwise 415 {"detail": "Unsupported media type \"...\" in
//     request."}); an empty body is an empty object; invalid JSON or trailing
//     data is 400 {"detail": "JSON parse error - ..."}; a non-object is 400
//     {"non_field_errors": ["Invalid data. Expected a dictionary, but got
//     list."]} (null: "No data provided"); bodies over 1 MiB are 413.
//   - Field errors use DRF's texts ("This field is required.", "This field
//     may not be null.", "This field may not be blank.", "A valid integer is
//     required.", "Not a valid string.", "\"week\" is not a valid choice.",
//     "Ensure this field has no more than 36 characters.", "Ensure this
//     value is greater than or equal to 0."), all fields reported at once, in
//     the serializer's declaration order. Object-level rules
//     (non_field_errors) are checked only when every field is valid.
//   - Strings follow DRF's CharField: surrounding whitespace is trimmed and
//     JSON numbers are accepted as their text. Optional fields that are
//     null, "" or blank are treated as absent (Make sends empty strings for
//     unset optional fields); required ones that are null or blank are
//     errors.
//   - Integers follow DRF's IntegerField: JSON integers, integral floats
//     (5.0) and numeric strings ("2000", "2000.00", " 2000 ") are accepted;
//     fractions, booleans, objects are not. value must be >= 0;
//     effective_date must be in 0..253402300799.
//   - Maximum lengths: user_alias and subscription_alias 36 (the documented
//     limit, applied to both); email, plan_id, user_id, plan id and plan name
//     255 (invented).
//   - plan_interval, plan_currency (the 160-code list), status and
//     churn_type are accepted case-insensitively and stored lower-case; the
//     error message echoes the input.
//   - Throttled: 429 {"detail": "Request was throttled. Expected available
//     in N seconds."} and Retry-After: N, with DRF's singular "1 second.".
//
// Subscriptions and users:
//
//   - Create: 201 + the record; plan_currency defaults to usd, status to
//     active (only active or trialing). A duplicate subscription_alias
//     (across the whole company, churned subscriptions included) is 400
//     {"non_field_errors": ["Subscription with alias X already exists."]},
//     checked before anything is created.
//   - Create with an unknown user_id: 400 {"non_field_errors": ["User with id
//     X does not exist."]} (not 404: the request body is what is wrong).
//   - Create with user_id and user_alias: the alias must be the user's alias,
//     or the user must have none and the alias be free (it is then
//     assigned); otherwise 400 "user_id and user_alias refer to different
//     users.". With only a user_alias that exists, the subscription is
//     attached to that user; an unknown alias creates the user; neither
//     creates an anonymous user.
//   - The user's email (display text) is that of the latest create or PUT
//     users call; every history record shows the current email.
//   - A subscription's plan_id need not exist in /v2/plans/, and plans are
//     never created implicitly.
//   - Update (PUT): reads only plan_id, plan_interval, value, effective_date
//     (all required) and status (only "active"); other fields (email,
//     plan_currency, aliases) are ignored. Without status, the status in
//     force at effective_date is kept, so a trial stays a trial until an
//     update says "active". The event is inserted by effective_date; 200 +
//     the new record. Refused (400 non_field_errors): effective_date before
//     the subscription's first event; effective_date on or after its churn
//     (past or scheduled) - "unchurn it first". An update dated before a
//     scheduled churn is allowed.
//   - Churn (DELETE): 200 + the churn record: status churned_<type>, plan,
//     interval and value copied from the latest event. effective_date
//     (query) is required; churn_type defaults to voluntary. A second churn
//     while one exists (effective or scheduled) is 400 "Subscription X is
//     already scheduled to churn."; a churn dated before the latest event is
//     400. A subscription therefore has at most one churn event, always its
//     last.
//   - Unchurn: removes the churn event (past or scheduled) and answers 200 +
//     the record then last in the history; without a churn: 400
//     "Subscription was not churned in the first place.".
//   - Path parameters ({id_or_alias}) match an id first, then an alias.
//   - GET users: the array of every event of every subscription of the user,
//     by effective_date then insertion order, scheduled (future) events
//     included. PUT users {"email"}: 200 + that array.
//   - DELETE users: 204 with no body and no Content-Type; the user, its
//     subscriptions and its customer are gone (404 afterwards) and the
//     aliases are reusable.
//   - Ids: "pwu_"/"pws_" + 12 alphanumerics from the company's generator, so
//     the same requests in the same order produce the same ids.
//
// Plans: GET /v2/plans/ lists every plan in creation order (seeded first),
// no paging; POST needs id and name (201 {"id","name"}; a duplicate id is 400
// {"id": ["plan with this id already exists."]}); PUT renames (an id in the
// body is ignored); there is no DELETE (405).
//
// Customers API:
//
//   - The list is a bare array ordered by (updated_on, customer_id);
//     direction=desc reverses both. date_field only accepts updated_on.
//     start_date is inclusive, end_date exclusive, compared at microsecond
//     precision. Accepted date forms: Unix seconds (fraction allowed), RFC
//     3339 with or without fractional seconds or zone, "2006-01-02 15:04:05",
//     "2006-01-02T15:04", "2006-01-02"; no zone means UTC. As with any form
//     decoding, a "+" in a query value must be sent as %2B.
//   - email matches the whole address, case-insensitively.
//   - page is 1-based (default 1); per_page defaults to 250; per_page > 250
//     or < 1 and page < 1 are 400 field errors (no clamping); bad
//     direction/date_field/dates are 400 field errors. Empty parameters are
//     ignored, unknown ones (status, created_after, ...) too.
//   - Only the first MaxRows rows are reachable: page*per_page > MaxRows is
//     400 {"detail": "Invalid page: only the first N results can be paged
//     through ... Move start_date forward ..."}. A page past the end of the
//     data but inside the window is 200 []. Clients iterate by moving
//     start_date to the last updated_on received (rows at that instant come
//     again and must be deduplicated); if more than MaxRows rows shared one
//     updated_on, that could not progress.
//   - Customers derived from users: customer_id is the user_alias, or the
//     pwu_ id for users without alias (an aliased user is not found by its
//     pwu_ id). email is the user's email, first_name/last_name null.
//     mrr_cents sums the subscriptions currently active (year values / 12,
//     rounded); trials count 0; a scheduled churn counts until it happens.
//     status: active if a subscription is active and not scheduled to churn;
//     else trialing if one is trialing and not scheduled; else cancelled if
//     every live subscription is scheduled to churn; else the latest churn's
//     status (churned_trial when it ended a trial); else no_history (no
//     event in force yet). plans are plan ids (not names) of the live
//     subscriptions, or of all started ones when none is live. created_on is
//     the earliest event in force, activated_on the earliest active event,
//     churned_on the latest churn (only when churned). total_spend_cents
//     adds one value per started billing period of each active stretch up to
//     now. updated_on is the time (Options.Now, microseconds) of the last
//     write touching the user (create, update, churn, unchurn, email); a
//     scheduled churn taking effect changes status but not updated_on.
//     Seeded users' updated_on lies shortly after their last past event.
//   - Seeded customers' plans are plan ids as well.
//   - GET /v2/customers/{id}/ answers the same object as the list; unknown or
//     excluded: 404.
//   - POST /v2/metrics/exclude_customer/{id}/: 200 {}, idempotent, unknown
//     id 404. An excluded customer disappears from the customers list, GET
//     customer, metrics and metrics/plans; the users API keeps working for
//     an excluded user.
//
// Metrics:
//
//   - Metrics cover every visible customer (seeded customers with a
//     trial/active/churn timeline matching their fields, and users'
//     subscriptions) and are computed synchronously (no recomputation delay).
//   - Monthly: the 12 calendar months in UTC (not the company timezone)
//     ending with the month of Now; the current month is measured up to Now.
//     Stock values (recurring_revenue, active_customers, ...) are taken at
//     the end of the month, existing_* at its start, movements within it.
//   - Revenue values are in major units (cents / 100) as JSON numbers; no
//     currency conversion (amounts in all currencies are added as they are).
//     Rates are fractions (0.25, not 25) rounded to 4 decimals, null when
//     their denominator is zero.
//   - Movements: new = first-ever activation (trial conversions included);
//     converted = trial to active; reactivated = active again after having
//     been active before; churned = leaving active (to churned, to a trial,
//     or, with plan_id, to another plan), split into cancellations
//     (voluntary) and delinquent; upgraded/downgraded = MRR change while
//     active. Counts are distinct customers per period. Each month
//     satisfies existing + new + reactivated + upgraded - downgraded -
//     churned = recurring_revenue.
//   - Formulas: *_churn_*_rate = churned / existing (customers or revenue);
//     customers_retention_rate = 1 - churn rate; revenue_retention_rate =
//     (existing - churned - downgraded + upgraded) / existing; upgrade_rate
//     and downgrade_rate over existing revenue; growth_rate = (end - start) /
//     start; average_revenue_per_user = MRR / active; lifetime_value = ARPU
//     / customers churn rate; customer_conversion_rate = converted / (trials
//     at start + new trials); saas_quick_ratio = (new + upgraded +
//     reactivated) / (churned + downgraded). trial_conversion_time is always
//     null.
//   - Without a metrics parameter every known name is returned except
//     plan_changed_recurring_revenue and plan_change_rate, which come only
//     with plan_id (end - start MRR of the plan, and that over start);
//     requested explicitly without plan_id they are null.
//   - metrics is a comma list; spaces, empty items and duplicates are
//     ignored; unknown names are 400 {"metrics": ["\"mrr\" is not a valid
//     choice."]}.
//   - plan_id restricts to subscriptions on that plan; an unknown plan gives
//     zeros, not 404.
//   - Daily: month=YYYY-MM is required and must be the current or previous
//     UTC month of Now (else 400 {"month": [...]}). The previous month has a
//     point for each day; the current month has days 1 to today (today
//     measured up to Now), no future days. cumulative_* are running totals
//     since the first of the month; future_churn_mrr is the MRR of active
//     subscriptions whose churn is scheduled after that day.
//   - GET /v2/metrics/plans/: {"plan_ids": [...]}, plans with at least one
//     active (not trialing) subscription now, by MRR descending then id, at
//     most 150 or ?limit=N (a bad limit is 400).
//   - GET /v2/company/settings/: {"id", "name", "timezone", "currency"} = a
//     numeric id from the company's generator, "Sandbox Company",
//     "America/New_York", "usd".
//   - GET /v2/api-status/: 200 {}.
//
// Rate limits (when enabled by Options.RateLimit or SetRateLimit): token
// buckets per token on Options.Now's clock: 5 requests/s with bursts of 25
// overall; plans endpoints 1000/day; metrics monthly/daily and company
// settings 3000/day; customer exclusions 10/minute. They apply after
// authentication (unknown tokens are not counted) and a refused request
// consumes nothing. Retry-After is the wait rounded up, at least 1 s. With a
// frozen clock, buckets never refill.
//
// Faults (InjectFault) are matched in injection order by method and path
// prefix, before routing and authentication. Latency, rate-limit, server
// error and reset faults leave state untouched (latency only delays; if the
// client gives up during the delay nothing happens); a truncated answer is
// sent after the request was fully processed: the write happened, the answer
// was lost. The request log keeps the most recent 100000 requests.
package profitwelltest
