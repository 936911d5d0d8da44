package profitwelltest

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

type routeKind int

const (
	rAPIStatus routeKind = iota
	rSubscriptions
	rSubscription
	rUnchurn
	rUser
	rPlans
	rPlan
	rCustomers
	rCustomer
	rMetricsMonthly
	rMetricsDaily
	rMetricsPlans
	rExcludeCustomer
	rCompanySettings
)

type route struct {
	kind    routeKind
	param   string // unescaped {id} segment
	methods []string
}

// matchRoute maps an escaped path that ends with "/" to a route.
func matchRoute(escaped string) (route, bool) {
	if !strings.HasPrefix(escaped, "/v2/") || !strings.HasSuffix(escaped, "/") {
		return route{}, false
	}
	raw := strings.Split(strings.TrimSuffix(strings.TrimPrefix(escaped, "/v2/"), "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return route{}, false
		}
		segs[i] = u
	}
	get, put, post, del := http.MethodGet, http.MethodPut, http.MethodPost, http.MethodDelete
	switch {
	case len(segs) == 1 && segs[0] == "api-status":
		return route{kind: rAPIStatus, methods: []string{get}}, true
	case len(segs) == 1 && segs[0] == "subscriptions":
		return route{kind: rSubscriptions, methods: []string{post}}, true
	case len(segs) == 2 && segs[0] == "subscriptions":
		return route{kind: rSubscription, param: segs[1], methods: []string{put, del}}, true
	case len(segs) == 2 && segs[0] == "unchurn":
		return route{kind: rUnchurn, param: segs[1], methods: []string{put}}, true
	case len(segs) == 2 && segs[0] == "users":
		return route{kind: rUser, param: segs[1], methods: []string{get, put, del}}, true
	case len(segs) == 1 && segs[0] == "plans":
		return route{kind: rPlans, methods: []string{get, post}}, true
	case len(segs) == 2 && segs[0] == "plans":
		return route{kind: rPlan, param: segs[1], methods: []string{get, put}}, true
	case len(segs) == 1 && segs[0] == "customers":
		return route{kind: rCustomers, methods: []string{get}}, true
	case len(segs) == 2 && segs[0] == "customers":
		return route{kind: rCustomer, param: segs[1], methods: []string{get}}, true
	case len(segs) == 2 && segs[0] == "metrics" && segs[1] == "monthly":
		return route{kind: rMetricsMonthly, methods: []string{get}}, true
	case len(segs) == 2 && segs[0] == "metrics" && segs[1] == "daily":
		return route{kind: rMetricsDaily, methods: []string{get}}, true
	case len(segs) == 2 && segs[0] == "metrics" && segs[1] == "plans":
		return route{kind: rMetricsPlans, methods: []string{get}}, true
	case len(segs) == 3 && segs[0] == "metrics" && segs[1] == "exclude_customer":
		return route{kind: rExcludeCustomer, param: segs[2], methods: []string{post}}, true
	case len(segs) == 2 && segs[0] == "company" && segs[1] == "settings":
		return route{kind: rCompanySettings, methods: []string{get}}, true
	}
	return route{}, false
}

func (rt route) allows(method string) bool {
	for _, m := range rt.methods {
		if m == method || (method == http.MethodHead && m == http.MethodGet) {
			return true
		}
	}
	return false
}

func (rt route) allowHeader() string {
	var ms []string
	for _, m := range rt.methods {
		ms = append(ms, m)
		if m == http.MethodGet {
			ms = append(ms, http.MethodHead)
		}
	}
	return strings.Join(ms, ", ")
}

// ServeHTTP implements http.Handler. Order of checks, as in Django/DRF:
// injected fault, trailing-slash redirect / unknown path, authentication,
// throttling, method, then the endpoint.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := e.record(r)
	if f, ok := e.takeFault(r.Method, r.URL.Path); ok {
		if done := e.applyFault(w, r, rec, f); done {
			return
		}
	}
	resp := e.handle(w, r)
	e.setStatus(rec, resp.status)
	writeResponse(w, resp)
}

func writeResponse(w http.ResponseWriter, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.ctype != "" {
		h.Set("Content-Type", resp.ctype)
	}
	if resp.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if len(resp.body) > 0 {
		_, _ = w.Write(resp.body)
	}
}

func (e *Emulator) handle(w http.ResponseWriter, r *http.Request) response {
	escaped := r.URL.EscapedPath()
	if !strings.HasSuffix(escaped, "/") {
		if _, ok := matchRoute(escaped + "/"); ok {
			loc := escaped + "/"
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			resp := response{status: http.StatusMovedPermanently, ctype: contentTypeHTML}
			resp.setHeader("Location", loc)
			return resp
		}
		return notFound()
	}
	rt, ok := matchRoute(escaped)
	if !ok {
		return notFound()
	}
	token := r.Header.Get("Authorization")
	if token == "" {
		return e.unauthorized(msgNoCredentials)
	}
	c := e.company(token)
	if c == nil {
		return e.unauthorized(msgInvalidToken)
	}
	now := e.now()
	if e.rateLimit.Load() {
		if resp, limited := c.throttle(rt.kind, now); limited {
			return resp
		}
	}
	if !rt.allows(r.Method) {
		resp := detail(http.StatusMethodNotAllowed, `Method "`+r.Method+`" not allowed.`)
		resp.setHeader("Allow", rt.allowHeader())
		return resp
	}
	resp := e.dispatch(w, r, c, rt, now)
	if resp.header.Get("Allow") == "" {
		resp.setHeader("Allow", rt.allowHeader())
	}
	return resp
}

func (e *Emulator) unauthorized(msg string) response {
	resp := detail(http.StatusUnauthorized, msg)
	resp.setHeader("WWW-Authenticate", "Token")
	return resp
}

// throttle applies the per-token limits; the global limit first, then the
// endpoint family's daily/minute limit.
func (c *company) throttle(kind routeKind, now time.Time) (response, bool) {
	lims := []*rate.Limiter{c.limGlobal}
	switch kind {
	case rPlans, rPlan:
		lims = append(lims, c.limPlans)
	case rMetricsMonthly, rMetricsDaily, rCompanySettings:
		lims = append(lims, c.limMetrics)
	case rExcludeCustomer:
		lims = append(lims, c.limExclude)
	}
	for _, lim := range lims {
		res := lim.ReserveN(now, 1)
		if d := res.DelayFrom(now); d > 0 {
			res.CancelAt(now)
			secs := max(1, int(math.Ceil(d.Seconds())))
			return throttled(secs, true), true
		}
	}
	return response{}, false
}

func (e *Emulator) dispatch(w http.ResponseWriter, r *http.Request, c *company, rt route, now time.Time) response {
	switch rt.kind {
	case rAPIStatus:
		return rawJSON(http.StatusOK, []byte("{}"))
	case rSubscriptions:
		return e.createSubscription(w, r, c, now)
	case rSubscription:
		if r.Method == http.MethodPut {
			return e.updateSubscription(w, r, c, rt.param, now)
		}
		return e.churnSubscription(r, c, rt.param, now)
	case rUnchurn:
		return e.unchurnSubscription(c, rt.param, now)
	case rUser:
		switch r.Method {
		case http.MethodPut:
			return e.updateUser(w, r, c, rt.param, now)
		case http.MethodDelete:
			return e.deleteUser(c, rt.param)
		}
		return e.getUser(c, rt.param)
	case rPlans:
		if r.Method == http.MethodPost {
			return e.createPlan(w, r, c)
		}
		return e.listPlans(c)
	case rPlan:
		if r.Method == http.MethodPut {
			return e.updatePlan(w, r, c, rt.param)
		}
		return e.getPlan(c, rt.param)
	case rCustomers:
		return e.listCustomers(c, r, now)
	case rCustomer:
		return e.getCustomer(c, rt.param, now)
	case rMetricsMonthly:
		return e.monthlyMetricsHandler(c, r, now)
	case rMetricsDaily:
		return e.dailyMetricsHandler(c, r, now)
	case rMetricsPlans:
		return e.metricPlansHandler(c, r, now)
	case rExcludeCustomer:
		return e.excludeCustomer(c, rt.param)
	case rCompanySettings:
		return jsonResponse(http.StatusOK, companySettings{ID: c.id, Name: c.name, Timezone: c.timezone, Currency: c.currency})
	}
	return notFound()
}

// companySettings is the GET /v2/company/settings/ shape.
type companySettings struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Timezone string `json:"timezone"`
	Currency string `json:"currency"`
}
