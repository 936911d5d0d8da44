package profitwelltest

import (
	"fmt"
	"net/http"
	"time"
)

var (
	validInterval  = oneOf(intervalMonth, intervalYear)
	validCreate    = oneOf(statusActive, statusTrialing)
	validUpdate    = oneOf(statusActive)
	validChurnType = oneOf("voluntary", "delinquent")
	validCurrency  = func(s string) bool { return planCurrencies[s] }
)

var (
	valueSpec     = intSpec{required: true, min: 0, max: 1<<53 - 1}
	effectiveSpec = intSpec{required: true, min: 0, max: maxEffectiveDate}
)

// createSubscription serves POST /v2/subscriptions/.
func (e *Emulator) createSubscription(w http.ResponseWriter, r *http.Request, c *company, now time.Time) response {
	body, bad := readJSONBody(w, r)
	if bad != nil {
		return *bad
	}
	var errs fieldErrors
	userID, _ := body.str(&errs, "user_id", strSpec{maxLen: maxTextLen})
	userAlias, _ := body.str(&errs, "user_alias", strSpec{maxLen: maxAliasLen})
	subAlias, _ := body.str(&errs, "subscription_alias", strSpec{maxLen: maxAliasLen})
	email, _ := body.str(&errs, "email", strSpec{required: true, maxLen: maxTextLen})
	planID, _ := body.str(&errs, "plan_id", strSpec{required: true, maxLen: maxTextLen})
	interval, _ := body.choice(&errs, "plan_interval", true, validInterval)
	currency, ok := body.choice(&errs, "plan_currency", false, validCurrency)
	if !ok {
		currency = "usd"
	}
	status, ok := body.choice(&errs, "status", false, validCreate)
	if !ok {
		status = statusActive
	}
	value, _ := body.integer(&errs, "value", valueSpec)
	effective, _ := body.integer(&errs, "effective_date", effectiveSpec)
	if !errs.empty() {
		return errs.response()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if subAlias != "" {
		if _, dup := c.subsByAlias[subAlias]; dup {
			return nonField(fmt.Sprintf("Subscription with alias %s already exists.", subAlias))
		}
	}
	var u *user
	switch {
	case userID != "":
		u = c.users[userID]
		if u == nil {
			return nonField(fmt.Sprintf("User with id %s does not exist.", userID))
		}
		if userAlias != "" && userAlias != u.alias {
			if u.alias != "" || c.usersByAlias[userAlias] != nil {
				return nonField("user_id and user_alias refer to different users.")
			}
			u.alias = userAlias
			c.usersByAlias[userAlias] = u
		}
		u.email = email
	case userAlias != "":
		u = c.usersByAlias[userAlias]
		if u != nil {
			u.email = email
		} else {
			u = c.addUser(c.newUserID(), userAlias, email)
		}
	default:
		u = c.addUser(c.newUserID(), "", email)
	}
	ev := &event{planID: planID, interval: interval, status: status, value: value, effective: effective}
	s := c.addSubscription(u, c.newSubscriptionID(), subAlias, currency, ev)
	c.touch(u, now)
	return jsonResponse(http.StatusCreated, record(s, ev))
}

// updateSubscription serves PUT /v2/subscriptions/{id_or_alias}/: appends an
// upgrade/downgrade event. Only plan_id, plan_interval, value,
// effective_date and status are read; other fields are ignored.
func (e *Emulator) updateSubscription(w http.ResponseWriter, r *http.Request, c *company, key string, now time.Time) response {
	body, bad := readExistingBody(w, r, c, func() bool { return c.lookupSubscription(key) != nil })
	if bad != nil {
		return *bad
	}
	var errs fieldErrors
	planID, _ := body.str(&errs, "plan_id", strSpec{required: true, maxLen: maxTextLen})
	interval, _ := body.choice(&errs, "plan_interval", true, validInterval)
	value, _ := body.integer(&errs, "value", valueSpec)
	effective, _ := body.integer(&errs, "effective_date", effectiveSpec)
	status, hasStatus := body.choice(&errs, "status", false, validUpdate)
	if !errs.empty() {
		return errs.response()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.lookupSubscription(key)
	if s == nil { // deleted meanwhile
		return notFound()
	}
	if ch := s.churnEvent(); ch != nil && effective >= ch.effective {
		return nonField(fmt.Sprintf("Subscription %s has churned (or is scheduled to churn) on or before this effective_date; unchurn it first.", s.id))
	}
	if effective < s.events[0].effective {
		return nonField("effective_date cannot be before the subscription's start.")
	}
	if !hasStatus {
		// Keep the status in force at that date (a trial stays a trial).
		status = statusActive
		if prev := s.at(effective); prev != nil && prev.status == statusTrialing {
			status = statusTrialing
		}
	}
	ev := &event{planID: planID, interval: interval, status: status, value: value, effective: effective, seq: c.nextSeq()}
	s.insert(ev)
	c.touch(s.user, now)
	return jsonResponse(http.StatusOK, record(s, ev))
}

// churnSubscription serves DELETE /v2/subscriptions/{id_or_alias}/
// ?effective_date=…&churn_type=….
func (e *Emulator) churnSubscription(r *http.Request, c *company, key string, now time.Time) response {
	if !existing(c, func() bool { return c.lookupSubscription(key) != nil }) {
		return notFound()
	}
	q := r.URL.Query()
	var errs fieldErrors
	effective, _ := queryInt(&errs, "effective_date", q.Get("effective_date"), effectiveSpec)
	churnType := "voluntary"
	if v := q.Get("churn_type"); v != "" {
		if validChurnType(toLower(v)) {
			churnType = toLower(v)
		} else {
			errs.add("churn_type", invalidChoice(v))
		}
	}
	if !errs.empty() {
		return errs.response()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.lookupSubscription(key)
	if s == nil {
		return notFound()
	}
	if s.churnEvent() != nil {
		return nonField(fmt.Sprintf("Subscription %s is already scheduled to churn.", s.id))
	}
	last := s.events[len(s.events)-1]
	if effective < last.effective {
		return nonField("effective_date cannot be before the subscription's latest event.")
	}
	ev := &event{
		planID: last.planID, interval: last.interval, value: last.value,
		status: "churned_" + churnType, effective: effective, seq: c.nextSeq(),
	}
	s.insert(ev)
	c.touch(s.user, now)
	return jsonResponse(http.StatusOK, record(s, ev))
}

// unchurnSubscription serves PUT /v2/unchurn/{id_or_alias}/: removes the
// churn event (past or scheduled) and answers the record now in force last.
func (e *Emulator) unchurnSubscription(c *company, key string, now time.Time) response {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.lookupSubscription(key)
	if s == nil {
		return notFound()
	}
	if s.churnEvent() == nil {
		return nonField("Subscription was not churned in the first place.")
	}
	s.events = s.events[:len(s.events)-1]
	c.touch(s.user, now)
	return jsonResponse(http.StatusOK, record(s, s.events[len(s.events)-1]))
}
