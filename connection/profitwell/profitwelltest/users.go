package profitwelltest

import (
	"net/http"
	"strings"
	"time"
)

func toLower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// getUser serves GET /v2/users/{user_id_or_alias}/: the history array.
func (e *Emulator) getUser(c *company, key string) response {
	c.mu.RLock()
	defer c.mu.RUnlock()
	u := c.lookupUser(key)
	if u == nil {
		return notFound()
	}
	return jsonResponse(http.StatusOK, history(u))
}

// updateUser serves PUT /v2/users/{user_id_or_alias}/ {"email": …} and
// answers the updated history array.
func (e *Emulator) updateUser(w http.ResponseWriter, r *http.Request, c *company, key string, now time.Time) response {
	body, bad := readExistingBody(w, r, c, func() bool { return c.lookupUser(key) != nil })
	if bad != nil {
		return *bad
	}
	var errs fieldErrors
	email, _ := body.str(&errs, "email", strSpec{required: true, maxLen: maxTextLen})
	if !errs.empty() {
		return errs.response()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.lookupUser(key)
	if u == nil {
		return notFound()
	}
	u.email = email
	c.touch(u, now)
	return jsonResponse(http.StatusOK, history(u))
}

// deleteUser serves DELETE /v2/users/{user_id_or_alias}/: 204, the user and
// its subscriptions are gone and their aliases reusable.
func (e *Emulator) deleteUser(c *company, key string) response {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := c.lookupUser(key)
	if u == nil {
		return notFound()
	}
	c.deleteUser(u)
	return response{status: http.StatusNoContent}
}
