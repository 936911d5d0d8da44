package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// This file plays Make: it exports the app, starts the connector, and runs
// the app's communication files against it the way Make's runtime would,
// with a small evaluator for the IML the export writes. It proves that the
// generated requests are ones the connector accepts and that the response
// directives find what the connector answers.

// iml evaluates the IML subset the export uses: {{path.to.value}},
// string and number literals, and the functions first, ifempty, addDays and
// formatDate (with the 'X' format: Unix seconds).
type iml struct {
	vars map[string]any
}

// undefined is what a missing path evaluates to; Make drops such keys from
// a request body.
type undefinedT struct{}

var undefined = undefinedT{}

// eval resolves every IML template inside v.
func (e iml) eval(t *testing.T, v any) any {
	t.Helper()
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "{{") && strings.HasSuffix(x, "}}") && strings.Count(x, "{{") == 1 {
			return e.expr(t, x[2:len(x)-2])
		}
		out := x
		for {
			i := strings.Index(out, "{{")
			if i < 0 {
				return out
			}
			j := strings.Index(out[i:], "}}")
			require.Positive(t, j, "unclosed IML in %q", x)
			val := e.expr(t, out[i+2:i+j])
			if val == undefined {
				val = ""
			}
			out = out[:i] + fmt.Sprint(val) + out[i+j+2:]
		}
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if r := e.eval(t, val); r != undefined {
				out[k] = r
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, val := range x {
			out = append(out, e.eval(t, val))
		}
		return out
	}
	return v
}

func (e iml) expr(t *testing.T, src string) any {
	t.Helper()
	p := &imlParser{src: strings.TrimSpace(src), vars: e.vars, t: t}
	v := p.or()
	p.skip()
	require.Equal(t, len(p.src), p.pos, "unparsed IML in %q", src)
	return v
}

type imlParser struct {
	src  string
	pos  int
	vars map[string]any
	t    *testing.T
}

func (p *imlParser) skip() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

func (p *imlParser) value() any {
	p.skip()
	require.Less(p.t, p.pos, len(p.src), "IML ends early: %q", p.src)
	c := p.src[p.pos]
	switch {
	case c == '\'':
		end := strings.IndexByte(p.src[p.pos+1:], '\'')
		require.GreaterOrEqual(p.t, end, 0)
		s := p.src[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return s
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
			p.pos++
		}
		n, err := strconv.Atoi(p.src[start:p.pos])
		require.NoError(p.t, err)
		return n
	}
	start := p.pos
	for p.pos < len(p.src) && (isIdent(p.src[p.pos]) || p.src[p.pos] == '.') {
		p.pos++
	}
	name := p.src[start:p.pos]
	require.NotEmpty(p.t, name, "IML: unexpected %q in %q", p.src[p.pos:], p.src)
	if p.pos < len(p.src) && p.src[p.pos] == '(' {
		p.pos++
		var args []any
		for {
			p.skip()
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			args = append(args, p.or())
			p.skip()
			if p.src[p.pos] == ',' {
				p.pos++
			}
		}
		return p.call(name, args)
	}
	return p.path(name)
}

// or parses sum ('||' sum)*: like JavaScript's, the first truthy operand
// or the last one (dev.make/block-elements/iml).
func (p *imlParser) or() any {
	v := p.sum()
	for p.skip(); strings.HasPrefix(p.src[p.pos:], "||"); p.skip() {
		p.pos += 2
		w := p.sum()
		if !truthy(v) {
			v = w
		}
	}
	return v
}

// sum parses value ('+' value)*: IML's "+" adds numbers and concatenates
// anything else as JavaScript does (dev.make/block-elements/iml).
func (p *imlParser) sum() any {
	v := p.value()
	for p.skip(); p.pos < len(p.src) && p.src[p.pos] == '+'; p.skip() {
		p.pos++
		w := p.value()
		a, aok := v.(int)
		b, bok := w.(int)
		if aok && bok {
			v = a + b
			continue
		}
		v = jsString(v) + jsString(w)
	}
	return v
}

func jsString(v any) string {
	switch v {
	case undefined:
		return "undefined"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *imlParser) path(name string) any {
	parts := strings.Split(name, ".")
	var cur any = p.vars
	for _, part := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return undefined
		}
		if cur, ok = m[part]; !ok {
			return undefined
		}
	}
	return cur
}

func (p *imlParser) call(name string, args []any) any {
	switch name {
	case "first":
		list, ok := args[0].([]any)
		if !ok || len(list) == 0 {
			return undefined
		}
		return list[0]
	case "if":
		if truthy(args[0]) {
			return args[1]
		}
		return args[2]
	case "ifempty":
		if args[0] == undefined || args[0] == nil || args[0] == "" {
			return args[1]
		}
		return args[0]
	case "addDays":
		return args[0].(time.Time).AddDate(0, 0, args[1].(int))
	case "formatDate":
		require.Equal(p.t, "X", args[1], "only Unix seconds are needed")
		return strconv.FormatInt(args[0].(time.Time).Unix(), 10)
	}
	p.t.Fatalf("IML function %s is not known to this test", name)
	return nil
}

// makeRuntime sends an app's requests the way Make does: relative URLs
// against the base, the base's headers merged in, bodies as JSON.
type makeRuntime struct {
	t      *testing.T
	dir    string
	base   map[string]any
	common map[string]any
	client *http.Client
}

func (m *makeRuntime) file(path string) map[string]any {
	m.t.Helper()
	return readAppJSON[map[string]any](m.t, m.dir, path)
}

type makeResponse struct {
	status int
	body   map[string]any
}

// send evaluates one request directive and performs it. inherit says
// whether the base applies (a connection's request does not inherit it).
func (m *makeRuntime) send(req map[string]any, vars map[string]any, inherit bool) makeResponse {
	m.t.Helper()
	vars["common"] = m.common
	vars["now"] = time.Now()
	e := iml{vars: vars}
	url := req["url"].(string)
	headers := map[string]any{}
	if inherit {
		if strings.HasPrefix(url, "/") {
			url = m.base["baseUrl"].(string) + url
		}
		for k, v := range m.base["headers"].(map[string]any) {
			headers[k] = v
		}
	}
	if h, ok := req["headers"].(map[string]any); ok {
		for k, v := range h {
			headers[k] = v
		}
	}
	body, err := json.Marshal(e.eval(m.t, req["body"]))
	require.NoError(m.t, err)
	hreq, err := http.NewRequest(req["method"].(string), url, bytes.NewReader(body))
	require.NoError(m.t, err)
	hreq.Header.Set("Content-Type", "application/json")
	for k, v := range e.eval(m.t, headers).(map[string]any) {
		hreq.Header.Set(k, fmt.Sprint(v))
	}
	resp, err := m.client.Do(hreq)
	require.NoError(m.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(m.t, err)
	out := makeResponse{status: resp.StatusCode}
	require.NoError(m.t, json.Unmarshal(raw, &out.body), string(raw))
	return out
}

// makeError is what Make reports for a non-2xx answer, from the base's (or
// the request's own) error directive: its entry for the answer's status
// when it has one (developers.make.com, handling-responses/error.md).
func (m *makeRuntime) makeError(directive map[string]any, r makeResponse) (typ, message string) {
	m.t.Helper()
	if d, ok := directive[strconv.Itoa(r.status)].(map[string]any); ok {
		directive = d
	}
	e := iml{vars: map[string]any{"body": r.body}}
	return fmt.Sprint(e.eval(m.t, directive["type"])), fmt.Sprint(e.eval(m.t, directive["message"]))
}

// output applies the response directives: iterate + output, or output.
func (m *makeRuntime) output(resp map[string]any, r makeResponse) []any {
	m.t.Helper()
	e := iml{vars: map[string]any{"body": r.body}}
	if it, ok := resp["iterate"]; ok {
		var out []any
		items, ok := e.eval(m.t, it).([]any)
		require.True(m.t, ok, "iterate finds no list in %v", r.body)
		for _, item := range items {
			out = append(out, iml{vars: map[string]any{"body": r.body, "item": item}}.eval(m.t, resp["output"]))
		}
		return out
	}
	return []any{e.eval(m.t, resp["output"])}
}

func TestExportedAppRunsAgainstTheConnector(t *testing.T) {
	const key = "engine-key-for-make-0123456789"
	addr, _, stop := startServe(t, []string{"--sandbox", "--api-keys", key, "--addr", "127.0.0.1:0", "--drain-delay", "0s"}, nil)
	defer func() { require.NoError(t, stop()) }()
	dir := t.TempDir()
	_, _, _, err := runCLI(t, map[string]string{"KEY": key}, "export", "make", "--out", dir, "--public-url", "http://"+addr, "--api-key-env", "KEY", "--force")
	require.NoError(t, err)

	m := &makeRuntime{t: t, dir: dir, client: &http.Client{Timeout: 10 * time.Second}}
	defer m.client.CloseIdleConnections()
	m.base = m.file("general/base.iml.json")
	m.common = m.file("general/common.json")
	errDirective := m.base["response"].(map[string]any)["error"].(map[string]any)
	token := "sandbox-private-token"
	conn := map[string]any{"privateToken": token}

	t.Run("connection verification", func(t *testing.T) {
		m.t = t
		verify := m.file("connections/profitwell/profitwell.communication.iml.json")
		connCommon := m.file("connections/profitwell/profitwell.common.json")
		m.common = connCommon
		r := m.send(verify, map[string]any{"parameters": conn}, false)
		m.common = m.file("general/common.json")
		require.Equal(t, http.StatusOK, r.status)
		md := iml{vars: map[string]any{"body": r.body}}.eval(t, verify["response"].(map[string]any)["metadata"]).(map[string]any)
		assert.NotEmpty(t, md["value"], "the connection is labelled with the company")

		m.common = connCommon
		r = m.send(verify, map[string]any{"parameters": map[string]any{"privateToken": "wrong-token-0123456789"}}, false)
		m.common = m.file("general/common.json")
		assert.Equal(t, http.StatusUnauthorized, r.status)
		typ, _ := m.makeError(verify["response"].(map[string]any)["error"].(map[string]any), r)
		assert.Equal(t, "InvalidAccessTokenError", typ)
	})

	t.Run("search pages with the cursor", func(t *testing.T) {
		m.t = t
		c := m.file("modules/list-plans/list-plans.communication.iml.json")
		vars := map[string]any{"connection": conn, "parameters": map[string]any{"limit": 2}}
		r := m.send(c, vars, true)
		require.Equal(t, http.StatusOK, r.status)
		first := m.output(c["response"].(map[string]any), r)
		require.Len(t, first, 2)
		pagination := c["pagination"].(map[string]any)
		require.Equal(t, true, iml{vars: map[string]any{"body": r.body}}.eval(t, pagination["condition"]))
		next := map[string]any{"url": c["url"], "method": c["method"], "body": pagination["body"]}
		vars["body"] = r.body
		r2 := m.send(next, vars, true)
		require.Equal(t, http.StatusOK, r2.status)
		second := m.output(c["response"].(map[string]any), r2)
		require.NotEmpty(t, second)
		assert.NotEqual(t, first[1], second[0], "the next page starts after the last bundle")
	})

	t.Run("trigger resumes from Make's date and id", func(t *testing.T) {
		m.t = t
		c := m.file("modules/watch-customers/watch-customers.communication.iml.json")
		resp := c["response"].(map[string]any)
		vars := map[string]any{"connection": conn, "parameters": map[string]any{"limit": 2, "since": "2000-01-01"}}
		r := m.send(c, vars, true)
		require.Equal(t, http.StatusOK, r.status, "%v", r.body)
		first := m.output(resp, r)
		require.Len(t, first, 2)
		trig := resp["trigger"].(map[string]any)
		for _, item := range first {
			e := iml{vars: map[string]any{"item": item}}
			assert.NotEmpty(t, e.eval(t, trig["id"]))
			_, err := time.Parse(time.RFC3339Nano, e.eval(t, trig["date"]).(string))
			assert.NoError(t, err, "Make needs a parseable date")
		}
		// The next run sends the date and id Make stored from the last bundle.
		last := iml{vars: map[string]any{"item": first[1]}}
		vars["data"] = map[string]any{"lastDate": last.eval(t, trig["date"]), "lastID": last.eval(t, trig["id"])}
		r2 := m.send(c, vars, true)
		require.Equal(t, http.StatusOK, r2.status, "%v", r2.body)
		second := m.output(resp, r2)
		require.NotEmpty(t, second)
		assert.NotEqual(t, first[1], second[0])

		epoch := m.file("modules/watch-customers/watch-customers.epoch.iml.json")
		r4 := m.send(epoch, map[string]any{"connection": conn}, true)
		require.Equal(t, http.StatusOK, r4.status, "%v", r4.body)
		items := m.output(epoch["response"].(map[string]any), r4)
		require.NotEmpty(t, items)
		assert.NotEmpty(t, items[0].(map[string]any)["label"])
		assert.NotEmpty(t, items[0].(map[string]any)["date"])
	})

	t.Run("action returns its bundle; errors pass through", func(t *testing.T) {
		m.t = t
		c := m.file("modules/create-plan/create-plan.communication.iml.json")
		r := m.send(c, map[string]any{"connection": conn, "parameters": map[string]any{"planId": "from-make", "name": "From Make"}}, true)
		require.Equal(t, http.StatusOK, r.status, "%v", r.body)
		out := m.output(c["response"].(map[string]any), r)
		require.Len(t, out, 1)
		assert.Equal(t, "from-make", out[0].(map[string]any)["id"])

		r = m.send(c, map[string]any{"connection": conn, "parameters": map[string]any{"planId": "no-name"}}, true)
		require.Equal(t, http.StatusBadRequest, r.status)
		typ, msg := m.makeError(errDirective, r)
		assert.Equal(t, "DataError", typ)
		assert.Contains(t, msg, "name")

		r = m.send(c, map[string]any{"connection": conn, "parameters": map[string]any{"planId": "from-make", "name": "Again"}}, true)
		typ, _ = m.makeError(errDirective, r)
		assert.Equal(t, "DuplicateDataError", typ)
	})

	t.Run("RPC options", func(t *testing.T) {
		m.t = t
		c := m.file("rpcs/list-plans/list-plans.communication.iml.json")
		r := m.send(c, map[string]any{"connection": conn, "parameters": map[string]any{}}, true)
		require.Equal(t, http.StatusOK, r.status, "%v", r.body)
		opts := m.output(c["response"].(map[string]any), r)
		require.NotEmpty(t, opts)
		assert.NotEmpty(t, opts[0].(map[string]any)["label"])
		assert.NotEmpty(t, opts[0].(map[string]any)["value"])
	})

	t.Run("the customer picker searches and pages", func(t *testing.T) {
		m.t = t
		c := m.file("rpcs/search-customers/search-customers.communication.iml.json")
		resp, pagination := c["response"].(map[string]any), c["pagination"].(map[string]any)
		limit := int(resp["limit"].(float64))
		// pick plays Make's RPC paging (developers.make.com, pagination.md
		// and rpcs.md): module parameters reach the RPC; a pagination
		// request replaces the body; it runs while the condition on the
		// last response holds, and stops at a response with no records, at
		// the limit, or after 50 pagination requests.
		pick := func(query string) (values []any, calls int) {
			params := map[string]any{}
			if query != "" {
				params["searchCustomersQuery"] = query
			}
			vars := map[string]any{"connection": conn, "parameters": params}
			req := c
			for calls < 51 {
				r := m.send(req, vars, true)
				calls++
				require.Equal(t, http.StatusOK, r.status, "%v", r.body)
				items := m.output(resp, r)
				for _, it := range items {
					values = append(values, it.(map[string]any)["value"])
				}
				if len(items) == 0 || len(values) >= limit {
					break
				}
				if next := (iml{vars: map[string]any{"body": r.body}}).eval(t, pagination["condition"]); next == undefined || next == "" || next == nil {
					break
				}
				vars["body"] = r.body
				req = map[string]any{"url": c["url"], "method": c["method"], "body": pagination["body"]}
			}
			return values[:min(len(values), limit)], calls
		}
		newest, calls := pick("")
		assert.Len(t, newest, limit, "an empty search lists the most recent customers, three pages")
		assert.Equal(t, 3, calls, "Make's recommended 3 calls")
		seen := map[any]bool{}
		for _, v := range newest {
			assert.False(t, seen[v], "no customer twice across pages: %v", v)
			seen[v] = true
		}

		// The customer updated longest ago is far beyond the first pages,
		// yet a search finds it, by part of its email or by the whole one.
		lc := m.file("modules/list-customers/list-customers.communication.iml.json")
		r := m.send(lc, map[string]any{"connection": conn, "parameters": map[string]any{"direction": "asc", "limit": 1}}, true)
		require.Equal(t, http.StatusOK, r.status, "%v", r.body)
		oldest := m.output(lc["response"].(map[string]any), r)[0].(map[string]any)
		require.NotContains(t, newest, oldest["customer_id"])
		email := oldest["email"].(string)
		local, _, _ := strings.Cut(email, "@")
		for _, q := range []string{strings.ToUpper(local), email} {
			found, _ := pick(q)
			assert.Contains(t, found, oldest["customer_id"], "search %q", q)
		}
	})

	t.Run("the engine key comes from common data", func(t *testing.T) {
		m.t = t
		saved := m.common
		m.common = map[string]any{"apiKey": "not-the-key-0123456789"}
		defer func() { m.common = saved }()
		c := m.file("modules/list-plans/list-plans.communication.iml.json")
		r := m.send(c, map[string]any{"connection": conn, "parameters": map[string]any{"limit": 1}}, true)
		assert.Equal(t, http.StatusUnauthorized, r.status)
		typ, _ := m.makeError(errDirective, r)
		assert.Equal(t, "InvalidConfigurationError", typ)
	})
}
