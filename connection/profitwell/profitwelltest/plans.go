package profitwelltest

import (
	"net/http"
)

// listPlans serves GET /v2/plans/: every plan in creation order (seeded
// plans first).
func (e *Emulator) listPlans(c *company) response {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]plan, len(c.planOrder))
	for i, p := range c.planOrder {
		out[i] = *p
	}
	return jsonResponse(http.StatusOK, out)
}

// createPlan serves POST /v2/plans/ {"id", "name"}.
func (e *Emulator) createPlan(w http.ResponseWriter, r *http.Request, c *company) response {
	body, bad := readJSONBody(w, r)
	if bad != nil {
		return *bad
	}
	var errs fieldErrors
	id, _ := body.str(&errs, "id", strSpec{required: true, maxLen: maxTextLen})
	name, _ := body.str(&errs, "name", strSpec{required: true, maxLen: maxTextLen})
	if !errs.empty() {
		return errs.response()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.plans[id]; dup {
		errs.add("id", "plan with this id already exists.")
		return errs.response()
	}
	p := &plan{ID: id, Name: name}
	c.plans[id] = p
	c.planOrder = append(c.planOrder, p)
	return jsonResponse(http.StatusCreated, *p)
}

// getPlan serves GET /v2/plans/{plan_id}/.
func (e *Emulator) getPlan(c *company, id string) response {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.plans[id]
	if !ok {
		return notFound()
	}
	return jsonResponse(http.StatusOK, *p)
}

// updatePlan serves PUT /v2/plans/{plan_id}/ {"name"}: renames the plan.
func (e *Emulator) updatePlan(w http.ResponseWriter, r *http.Request, c *company, id string) response {
	body, bad := readExistingBody(w, r, c, func() bool { _, ok := c.plans[id]; return ok })
	if bad != nil {
		return *bad
	}
	var errs fieldErrors
	name, _ := body.str(&errs, "name", strSpec{required: true, maxLen: maxTextLen})
	if !errs.empty() {
		return errs.response()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.plans[id]
	if !ok {
		return notFound()
	}
	p.Name = name
	return jsonResponse(http.StatusOK, *p)
}
