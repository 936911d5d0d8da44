package profitwelltest

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Customer states on the metrics timeline.
const (
	stNone uint8 = iota
	stTrial
	stActive
	stChurnVol
	stChurnDel
)

// mEvent is one point of a metrics timeline: from t on, the subscription is
// in status st with monthly revenue mrr on plan.
type mEvent struct {
	t    int64
	st   uint8
	mrr  int64
	plan string
}

type mSub struct{ events []mEvent } // sorted by t

type mCustomer struct{ subs []mSub }

func (s *mSub) at(t int64) *mEvent {
	i := sort.Search(len(s.events), func(i int) bool { return s.events[i].t > t })
	if i == 0 {
		return nil
	}
	return &s.events[i-1]
}

func statusCode(status string) uint8 {
	switch status {
	case statusActive:
		return stActive
	case statusTrialing:
		return stTrial
	case statusChurnedVoluntary:
		return stChurnVol
	case statusChurnedDelinquent:
		return stChurnDel
	}
	return stNone
}

// userTimeline converts a user's subscriptions to a metrics timeline.
func userTimeline(u *user) mCustomer {
	mc := mCustomer{subs: make([]mSub, 0, len(u.subs))}
	for _, s := range u.subs {
		ms := mSub{events: make([]mEvent, 0, len(s.events))}
		for _, ev := range s.events {
			me := mEvent{t: ev.effective, st: statusCode(ev.status), plan: ev.planID}
			if me.st == stActive {
				me.mrr = monthlyValue(ev.value, ev.interval)
			}
			// Several events at one instant: the last one (insertion order) wins.
			if n := len(ms.events); n > 0 && ms.events[n-1].t == me.t {
				ms.events[n-1] = me
				continue
			}
			ms.events = append(ms.events, me)
		}
		mc.subs = append(mc.subs, ms)
	}
	return mc
}

// cstate is a customer's aggregate state at one instant.
type cstate struct {
	st          uint8
	mrr         int64
	futureChurn int64 // MRR of active subscriptions with a churn scheduled later
}

// stateAt aggregates the customer's subscriptions at Unix time t. With a plan
// filter, only subscriptions currently on that plan count.
func (mc *mCustomer) stateAt(t int64, planFilter string) cstate {
	var cs cstate
	var anyActive, anyTrial bool
	var lastChurnT int64 = math.MinInt64
	var lastChurnSt uint8
	for i := range mc.subs {
		s := &mc.subs[i]
		cur := s.at(t)
		if cur == nil || (planFilter != "" && cur.plan != planFilter) {
			continue
		}
		switch cur.st {
		case stActive:
			anyActive = true
			cs.mrr += cur.mrr
			if last := s.events[len(s.events)-1]; last.t > t && (last.st == stChurnVol || last.st == stChurnDel) {
				cs.futureChurn += cur.mrr
			}
		case stTrial:
			anyTrial = true
		case stChurnVol, stChurnDel:
			if cur.t >= lastChurnT {
				lastChurnT, lastChurnSt = cur.t, cur.st
			}
		}
	}
	switch {
	case anyActive:
		cs.st = stActive
	case anyTrial:
		cs.st = stTrial
	case lastChurnT != math.MinInt64:
		cs.st = lastChurnSt
	}
	return cs
}

func (mc *mCustomer) changeTimes() []int64 {
	var ts []int64
	for _, s := range mc.subs {
		for _, ev := range s.events {
			ts = append(ts, ev.t)
		}
	}
	slices.Sort(ts)
	return slices.Compact(ts)
}

// Movement kinds counted per window.
const (
	kNew = iota
	kNewTrial
	kConverted
	kReactivated
	kUpgraded
	kDowngraded
	kChurned
	kChurnedVol
	kChurnedDel
	kChurnedTrial
	numKinds
)

// agg accumulates one window (a month or a day).
type agg struct {
	startActive, startTrial int64
	startMRR                int64
	endActive, endTrial     int64
	endMRR                  int64
	endFutureChurn          int64
	count                   [numKinds]int64
	mrr                     [numKinds]int64
}

// aggregate computes window aggregates over all visible customers.
// bounds has len(windows)+1 ascending Unix times; window i is
// [bounds[i], bounds[i+1]).
func aggregate(custs []*mCustomer, bounds []int64, planFilter string) []agg {
	n := len(bounds) - 1
	out := make([]agg, n)
	states := make([]cstate, len(bounds))
	for _, mc := range custs {
		for i, b := range bounds {
			states[i] = mc.stateAt(b-1, planFilter)
		}
		for i := range n {
			s, e := states[i], states[i+1]
			a := &out[i]
			if s.st == stActive {
				a.startActive++
			} else if s.st == stTrial {
				a.startTrial++
			}
			a.startMRR += s.mrr
			if e.st == stActive {
				a.endActive++
			} else if e.st == stTrial {
				a.endTrial++
			}
			a.endMRR += e.mrr
			a.endFutureChurn += e.futureChurn
		}
		var lastCounted [numKinds]int
		for k := range lastCounted {
			lastCounted[k] = -1
		}
		everActive, everTrial := false, false
		prev := cstate{}
		end := bounds[n]
		for _, t := range mc.changeTimes() {
			if t >= end {
				break
			}
			cur := mc.stateAt(t, planFilter)
			w := sort.Search(len(bounds), func(i int) bool { return bounds[i] > t }) - 1
			add := func(kind int, mrr int64) {
				if w < 0 {
					return
				}
				out[w].mrr[kind] += mrr
				if lastCounted[kind] != w {
					lastCounted[kind] = w
					out[w].count[kind]++
				}
			}
			switch {
			case cur.st == stActive && prev.st == stActive:
				if d := cur.mrr - prev.mrr; d > 0 {
					add(kUpgraded, d)
				} else if d < 0 {
					add(kDowngraded, -d)
				}
			case cur.st == stActive:
				if everActive {
					add(kReactivated, cur.mrr)
				} else {
					add(kNew, cur.mrr)
				}
				if prev.st == stTrial {
					add(kConverted, cur.mrr)
				}
				everActive = true
			case prev.st == stActive:
				add(kChurned, prev.mrr)
				if cur.st == stChurnDel {
					add(kChurnedDel, prev.mrr)
				} else {
					add(kChurnedVol, prev.mrr)
				}
				if cur.st == stTrial && !everTrial {
					add(kNewTrial, 0)
					everTrial = true
				}
			case cur.st == stTrial && prev.st != stTrial:
				if !everTrial {
					add(kNewTrial, 0)
				}
				everTrial = true
			case prev.st == stTrial && (cur.st == stChurnVol || cur.st == stChurnDel || cur.st == stNone):
				add(kChurnedTrial, 0)
			}
			prev = cur
		}
	}
	return out
}

func dollars(cents int64) float64 { return float64(cents) / 100 }

// ratio returns num/den rounded to 4 decimals (a fraction, not a percent),
// or nil (JSON null) when den is zero.
func ratio(num, den float64) any {
	if den == 0 {
		return nil
	}
	return math.Round(num/den*10000) / 10000
}

type metricFunc func(a *agg, cum *agg, withPlan bool) any

func sumMRR(a *agg, kinds ...int) int64 {
	var s int64
	for _, k := range kinds {
		s += a.mrr[k]
	}
	return s
}

func netNew(a *agg) int64 {
	return a.mrr[kNew] + a.mrr[kReactivated] + a.mrr[kUpgraded] - a.mrr[kChurned] - a.mrr[kDowngraded]
}

func churnRate(a *agg) any { return ratio(float64(a.count[kChurned]), float64(a.startActive)) }

func arpu(a *agg) any {
	if a.endActive == 0 {
		return nil
	}
	return math.Round(float64(a.endMRR)/float64(a.endActive)) / 100
}

// monthlyMetrics are every monthly metric name known from the public clients
// (profitwell-api.md §7.1). Names not modelled by the emulator answer null.
var monthlyMetrics = map[string]metricFunc{
	"active_customers":                        func(a, _ *agg, _ bool) any { return a.endActive },
	"active_trialing_customers":               func(a, _ *agg, _ bool) any { return a.endTrial },
	"average_revenue_per_user":                func(a, _ *agg, _ bool) any { return arpu(a) },
	"churned_customers":                       func(a, _ *agg, _ bool) any { return a.count[kChurned] },
	"churned_customers_cancellations":         func(a, _ *agg, _ bool) any { return a.count[kChurnedVol] },
	"churned_customers_delinquent":            func(a, _ *agg, _ bool) any { return a.count[kChurnedDel] },
	"churned_recurring_revenue":               func(a, _ *agg, _ bool) any { return dollars(a.mrr[kChurned]) },
	"churned_recurring_revenue_cancellations": func(a, _ *agg, _ bool) any { return dollars(a.mrr[kChurnedVol]) },
	"churned_recurring_revenue_delinquent":    func(a, _ *agg, _ bool) any { return dollars(a.mrr[kChurnedDel]) },
	"churned_trialing_customers":              func(a, _ *agg, _ bool) any { return a.count[kChurnedTrial] },
	"converted_customers":                     func(a, _ *agg, _ bool) any { return a.count[kConverted] },
	"converted_recurring_revenue":             func(a, _ *agg, _ bool) any { return dollars(a.mrr[kConverted]) },
	"customer_conversion_rate": func(a, _ *agg, _ bool) any {
		return ratio(float64(a.count[kConverted]), float64(a.startTrial+a.count[kNewTrial]))
	},
	"customers_churn_rate": func(a, _ *agg, _ bool) any { return churnRate(a) },
	"customers_churn_cancellations_rate": func(a, _ *agg, _ bool) any {
		return ratio(float64(a.count[kChurnedVol]), float64(a.startActive))
	},
	"customers_churn_delinquent_rate": func(a, _ *agg, _ bool) any {
		return ratio(float64(a.count[kChurnedDel]), float64(a.startActive))
	},
	"customers_retention_rate": func(a, _ *agg, _ bool) any {
		return ratio(float64(a.startActive-a.count[kChurned]), float64(a.startActive))
	},
	"downgrade_rate":               func(a, _ *agg, _ bool) any { return ratio(float64(a.mrr[kDowngraded]), float64(a.startMRR)) },
	"downgraded_customers":         func(a, _ *agg, _ bool) any { return a.count[kDowngraded] },
	"downgraded_recurring_revenue": func(a, _ *agg, _ bool) any { return dollars(a.mrr[kDowngraded]) },
	"existing_customers":           func(a, _ *agg, _ bool) any { return a.startActive },
	"existing_recurring_revenue":   func(a, _ *agg, _ bool) any { return dollars(a.startMRR) },
	"existing_trialing_customers":  func(a, _ *agg, _ bool) any { return a.startTrial },
	"growth_rate":                  func(a, _ *agg, _ bool) any { return ratio(float64(a.endMRR-a.startMRR), float64(a.startMRR)) },
	"lifetime_value": func(a, _ *agg, _ bool) any {
		r, ok := churnRate(a).(float64)
		if !ok || r == 0 || a.endActive == 0 {
			return nil
		}
		return math.Round(float64(a.endMRR)/float64(a.endActive)/r) / 100
	},
	"new_customers":                    func(a, _ *agg, _ bool) any { return a.count[kNew] },
	"new_recurring_revenue":            func(a, _ *agg, _ bool) any { return dollars(a.mrr[kNew]) },
	"new_trialing_customers":           func(a, _ *agg, _ bool) any { return a.count[kNewTrial] },
	"reactivated_customers":            func(a, _ *agg, _ bool) any { return a.count[kReactivated] },
	"reactivated_recurring_revenue":    func(a, _ *agg, _ bool) any { return dollars(a.mrr[kReactivated]) },
	"recurring_revenue":                func(a, _ *agg, _ bool) any { return dollars(a.endMRR) },
	"revenue_churn_cancellations_rate": func(a, _ *agg, _ bool) any { return ratio(float64(a.mrr[kChurnedVol]), float64(a.startMRR)) },
	"revenue_churn_delinquent_rate":    func(a, _ *agg, _ bool) any { return ratio(float64(a.mrr[kChurnedDel]), float64(a.startMRR)) },
	"revenue_churn_rate":               func(a, _ *agg, _ bool) any { return ratio(float64(a.mrr[kChurned]), float64(a.startMRR)) },
	"revenue_retention_rate": func(a, _ *agg, _ bool) any {
		return ratio(float64(a.startMRR-a.mrr[kChurned]-a.mrr[kDowngraded]+a.mrr[kUpgraded]), float64(a.startMRR))
	},
	"upgrade_rate":               func(a, _ *agg, _ bool) any { return ratio(float64(a.mrr[kUpgraded]), float64(a.startMRR)) },
	"upgraded_customers":         func(a, _ *agg, _ bool) any { return a.count[kUpgraded] },
	"upgraded_recurring_revenue": func(a, _ *agg, _ bool) any { return dollars(a.mrr[kUpgraded]) },
	"saas_quick_ratio": func(a, _ *agg, _ bool) any {
		return ratio(float64(sumMRR(a, kNew, kUpgraded, kReactivated)), float64(sumMRR(a, kChurned, kDowngraded)))
	},
	"trial_conversion_time": func(_, _ *agg, _ bool) any { return nil },
	"plan_changed_recurring_revenue": func(a, _ *agg, withPlan bool) any {
		if !withPlan {
			return nil
		}
		return dollars(a.endMRR - a.startMRR)
	},
	"plan_change_rate": func(a, _ *agg, withPlan bool) any {
		if !withPlan {
			return nil
		}
		return ratio(float64(a.endMRR-a.startMRR), float64(a.startMRR))
	},
}

// planOnlyMetrics are left out of the default (no "metrics" parameter)
// answer unless plan_id is given.
var planOnlyMetrics = map[string]bool{"plan_changed_recurring_revenue": true, "plan_change_rate": true}

// dailyMetrics are the daily metric names (profitwell-api.md §7.2). The cum
// argument holds running totals since the start of the month.
var dailyMetrics = map[string]metricFunc{
	"active_customers":                  func(a, _ *agg, _ bool) any { return a.endActive },
	"churned_customers":                 func(a, _ *agg, _ bool) any { return a.count[kChurned] },
	"churned_recurring_revenue":         func(a, _ *agg, _ bool) any { return dollars(a.mrr[kChurned]) },
	"cumulative_net_new_mrr":            func(_, c *agg, _ bool) any { return dollars(netNew(c)) },
	"cumulative_new_trialing_customers": func(_, c *agg, _ bool) any { return c.count[kNewTrial] },
	"downgraded_customers":              func(a, _ *agg, _ bool) any { return a.count[kDowngraded] },
	"downgraded_recurring_revenue":      func(a, _ *agg, _ bool) any { return dollars(a.mrr[kDowngraded]) },
	"future_churn_mrr":                  func(a, _ *agg, _ bool) any { return dollars(a.endFutureChurn) },
	"new_customers":                     func(a, _ *agg, _ bool) any { return a.count[kNew] },
	"new_recurring_revenue":             func(a, _ *agg, _ bool) any { return dollars(a.mrr[kNew]) },
	"reactivated_customers":             func(a, _ *agg, _ bool) any { return a.count[kReactivated] },
	"reactivated_recurring_revenue":     func(a, _ *agg, _ bool) any { return dollars(a.mrr[kReactivated]) },
	"recurring_revenue":                 func(a, _ *agg, _ bool) any { return dollars(a.endMRR) },
	"upgraded_customers":                func(a, _ *agg, _ bool) any { return a.count[kUpgraded] },
	"upgraded_recurring_revenue":        func(a, _ *agg, _ bool) any { return dollars(a.mrr[kUpgraded]) },
}

type metricPoint struct {
	Date  string `json:"date"`
	Value any    `json:"value"`
}

// metricNames validates the "metrics" parameter against known names.
func metricNames(errs *fieldErrors, param string, known map[string]metricFunc, withPlan bool) []string {
	var names []string
	for _, n := range strings.Split(param, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := known[n]; !ok {
			errs.add("metrics", invalidChoice(n))
			continue
		}
		names = appendUnique(names, n)
	}
	if len(names) == 0 && errs.empty() {
		for n := range known {
			if withPlan || !planOnlyMetrics[n] {
				names = append(names, n)
			}
		}
		slices.Sort(names)
	}
	return names
}

// metricCustomers returns every non-excluded customer's timeline. Caller
// holds c.mu for reading.
func (c *company) metricCustomers() []*mCustomer {
	out := make([]*mCustomer, 0, len(c.seeded)+len(c.userList))
	for _, sc := range c.seeded {
		if !sc.excluded {
			out = append(out, &sc.metrics)
		}
	}
	for _, u := range c.userList {
		if !u.excluded {
			mc := userTimeline(u)
			out = append(out, &mc)
		}
	}
	return out
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// monthlyMetricsHandler serves GET /v2/metrics/monthly/: the 12 calendar
// months (UTC) up to and including the month of now; the current month is
// measured up to now.
func (e *Emulator) monthlyMetricsHandler(c *company, r *http.Request, now time.Time) response {
	q := r.URL.Query()
	planID := strings.TrimSpace(q.Get("plan_id"))
	var errs fieldErrors
	names := metricNames(&errs, q.Get("metrics"), monthlyMetrics, planID != "")
	if !errs.empty() {
		return errs.response()
	}
	now = now.UTC()
	first := monthStart(now).AddDate(0, -11, 0)
	bounds := make([]int64, 0, 13)
	labels := make([]string, 0, 12)
	for i := range 12 {
		m := first.AddDate(0, i, 0)
		bounds = append(bounds, m.Unix())
		labels = append(labels, m.Format("2006-01"))
	}
	bounds = append(bounds, now.Unix()+1)
	return c.metricsResponse(names, monthlyMetrics, bounds, labels, planID)
}

// dailyMetricsHandler serves GET /v2/metrics/daily/?month=YYYY-MM. Only the
// current or previous month (UTC, relative to now) is accepted. The current
// month has one point per day up to and including today.
func (e *Emulator) dailyMetricsHandler(c *company, r *http.Request, now time.Time) response {
	q := r.URL.Query()
	planID := strings.TrimSpace(q.Get("plan_id"))
	var errs fieldErrors
	now = now.UTC()
	cur := monthStart(now)
	var month time.Time
	switch v := strings.TrimSpace(q.Get("month")); {
	case v == "":
		errs.add("month", msgRequired)
	default:
		m, err := time.Parse("2006-01", v)
		switch {
		case err != nil:
			errs.add("month", "Month has wrong format. Use YYYY-MM.")
		case !m.Equal(cur) && !m.Equal(cur.AddDate(0, -1, 0)):
			errs.add("month", "Only the current or the previous month can be requested.")
		default:
			month = m
		}
	}
	names := metricNames(&errs, q.Get("metrics"), dailyMetrics, planID != "")
	if !errs.empty() {
		return errs.response()
	}
	var bounds []int64
	var labels []string
	for d := month; d.Before(month.AddDate(0, 1, 0)) && !d.After(now); d = d.AddDate(0, 0, 1) {
		bounds = append(bounds, d.Unix())
		labels = append(labels, d.Format("2006-01-02"))
	}
	if month.Equal(cur) {
		bounds = append(bounds, now.Unix()+1)
	} else {
		bounds = append(bounds, cur.Unix())
	}
	return c.metricsResponse(names, dailyMetrics, bounds, labels, planID)
}

func (c *company) metricsResponse(names []string, funcs map[string]metricFunc, bounds []int64, labels []string, planID string) response {
	c.mu.RLock()
	custs := c.metricCustomers()
	c.mu.RUnlock()
	aggs := aggregate(custs, bounds, planID)
	cums := make([]agg, len(aggs))
	var run agg
	for i := range aggs {
		for k := range numKinds {
			run.count[k] += aggs[i].count[k]
			run.mrr[k] += aggs[i].mrr[k]
		}
		cums[i] = run
	}
	data := make(map[string][]metricPoint, len(names))
	for _, n := range names {
		f := funcs[n]
		pts := make([]metricPoint, len(aggs))
		for i := range aggs {
			pts[i] = metricPoint{Date: labels[i], Value: f(&aggs[i], &cums[i], planID != "")}
		}
		data[n] = pts
	}
	return jsonResponse(http.StatusOK, map[string]any{"data": data})
}

// metricPlansHandler serves GET /v2/metrics/plans/: ids of plans that have
// active customers now, by MRR descending (ties by id), at most 150 or
// ?limit=N.
func (e *Emulator) metricPlansHandler(c *company, r *http.Request, now time.Time) response {
	limit := int64(150)
	var errs fieldErrors
	if v := r.URL.Query().Get("limit"); v != "" {
		if n, ok := queryInt(&errs, "limit", v, intSpec{min: 1, max: math.MaxInt32}); ok {
			limit = min(n, limit)
		}
	}
	if !errs.empty() {
		return errs.response()
	}
	c.mu.RLock()
	custs := c.metricCustomers()
	c.mu.RUnlock()
	t := now.Unix()
	mrr := map[string]int64{}
	for _, mc := range custs {
		for i := range mc.subs {
			if cur := mc.subs[i].at(t); cur != nil && cur.st == stActive {
				mrr[cur.plan] += cur.mrr
			}
		}
	}
	ids := make([]string, 0, len(mrr))
	for id := range mrr {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int {
		if c := cmp.Compare(mrr[b], mrr[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if int64(len(ids)) > limit {
		ids = ids[:limit]
	}
	return jsonResponse(http.StatusOK, map[string][]string{"plan_ids": ids})
}
