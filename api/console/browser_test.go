//go:build linux

package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/api/console"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// screenshotsEnv names a directory: when set, the browser test writes the
// README's screenshots there (make screenshots).
const screenshotsEnv = "CONSOLE_SCREENSHOTS"

// startConnector serves the connector on the sandbox on a loopback port,
// wired as `connector --sandbox` wires it: the API, the console and the
// sandbox's control API.
func startConnector(t *testing.T) (url string, doc manifest.Document) {
	t.Helper()
	emu, err := profitwelltest.StartSandbox(profitwelltest.Options{Seed: 1, Tokens: []string{profitwelltest.DefaultToken}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = emu.Close() })
	reg := prometheus.NewRegistry()
	client, err := profitwell.New(profitwell.Config{BaseURL: emu.URL, Registerer: reg, Logger: zerolog.Nop(), Rate: 50, Burst: 100})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	registry, err := modules.Default(modules.Options{LimitCap: manifest.DefaultLimitCap})
	require.NoError(t, err)
	doc = modules.Document(registry)
	srv, err := api.NewServer(api.Deps{
		Registry: registry, Client: client, Manifest: doc, Logger: zerolog.Nop(), Registerer: reg, Gatherer: reg,
		Mounts: map[string]http.Handler{
			console.Prefix: console.New(console.Options{Sandbox: true, SandboxToken: profitwelltest.DefaultToken}),
			"/_sandbox":    emu.Sandbox.ControlHandler(),
		},
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String(), doc
}

// browserPath finds Debian's headless Chromium (make test installs it).
func browserPath(t *testing.T) string {
	for _, name := range []string{"chromium-headless-shell", "chromium", "headless_shell", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the console's browser tests need headless Chromium: apt-get install chromium-headless-shell (make test installs it as root)")
	return ""
}

// page is a browser tab that records every console error, uncaught
// exception and failed resource of the page.
type page struct {
	t   *testing.T
	ctx context.Context
	// browser is the browser's process (and process group leader), once
	// it has started.
	browser atomic.Pointer[exec.Cmd]
	mu      sync.Mutex
	errors  []string
}

// pgid is the browser's process group, 0 before the browser has started.
func (p *page) pgid() int {
	if cmd := p.browser.Load(); cmd != nil && cmd.Process != nil {
		return cmd.Process.Pid
	}
	return 0
}

func newPage(t *testing.T) *page {
	// The browser runs in a process group of its own: stopping the browser
	// process alone leaves its zygote and renderers running, each test
	// run adding a few dozen processes to the machine.
	p := &page{t: t}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 800),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
			p.browser.Store(cmd)
		}))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		if pgid := p.pgid(); pgid != 0 {
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	p.ctx = ctx
	chromedp.ListenTarget(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.APITypeError || ev.Type == runtime.APITypeWarning || ev.Type == runtime.APITypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			// An error answer of the API (a DataError, an injected 503)
			// is logged by the browser as a failed network request; the
			// page shows it, so it is no fault of the page. Anything else
			// (a missing asset, a CSP violation) is.
			apiAnswer := ev.Entry.Source == log.SourceNetwork &&
				(strings.Contains(ev.Entry.URL, "/v1/") || strings.Contains(ev.Entry.URL, "/_sandbox/"))
			if (ev.Entry.Level == log.LevelError || ev.Entry.Level == log.LevelWarning) && !apiAnswer {
				msg = "log: " + ev.Entry.Text + " " + ev.Entry.URL
			}
		}
		if msg != "" {
			p.mu.Lock()
			p.errors = append(p.errors, msg)
			p.mu.Unlock()
		}
	})
	p.run(log.Enable(), runtime.Enable())
	return p
}

func (p *page) run(actions ...chromedp.Action) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Run(p.ctx, actions...))
}

func (p *page) eval(js string, out any) {
	p.t.Helper()
	p.run(chromedp.Evaluate(js, out))
}

// waitJS polls a JavaScript condition (bounded by the page's deadline).
func (p *page) waitJS(cond string) {
	p.t.Helper()
	p.run(chromedp.Poll(cond, nil, chromedp.WithPollingTimeout(20*time.Second)))
}

func (p *page) noErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Empty(p.t, p.errors, "the page logged errors")
}

func (p *page) screenshot(name string) {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	var buf []byte
	p.run(chromedp.FullScreenshot(&buf, 100))
	require.NoError(p.t, os.WriteFile(filepath.Join(dir, name), buf, 0o644))
}

// open shows one view of the console (#/<module>) and waits for its form.
func (p *page) open(base, view string) {
	p.t.Helper()
	p.run(chromedp.Navigate(base + "/console/#/" + view))
	p.waitJS(`document.querySelector("#main form") !== null && document.querySelector("#main h2") !== null`)
}

// renderedField is what the page shows of a field, read from the DOM.
type renderedField struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Label     string   `json:"label"`
	Required  bool     `json:"required"`
	Marked    bool     `json:"marked"`
	Advanced  bool     `json:"advanced"`
	Hidden    bool     `json:"hidden"`
	Bound     bool     `json:"bound"`
	Help      string   `json:"help"`
	Value     any      `json:"value"`
	Options   []string `json:"options"`
	RPC       string   `json:"rpc"`
	Multiple  bool     `json:"multiple"`
	SubFields int      `json:"subFields"`
}

const readFieldsJS = `[...document.querySelectorAll("#main form .fields > .field")].map((w) => {
  const label = w.querySelector(":scope > label");
  const control = w.querySelector("[data-kind]");
  const help = w.querySelector(":scope > .help");
  const sel = control && control.tagName === "SELECT" ? control : null;
  return {
    name: w.dataset.field, type: w.dataset.type,
    label: label ? label.childNodes[0].textContent.trim() : "",
    required: w.dataset.required === "true",
    marked: !!w.querySelector(":scope > label .req"),
    advanced: w.classList.contains("advanced"),
    hidden: getComputedStyle(w).display === "none",
    bound: !!(label && control && label.htmlFor === control.id && document.getElementById(label.htmlFor) === control),
    help: help ? help.textContent : "",
    value: sel ? (sel.multiple ? [...sel.selectedOptions].map((o) => o.value) : sel.value) : control ? control.value : null,
    options: sel ? [...sel.options].map((o) => o.value).filter((v) => v !== "") : [],
    rpc: control ? (control.dataset.rpc || "") : "",
    multiple: !!(sel && sel.multiple),
    subFields: w.querySelectorAll(".field").length,
  };
})`

// TestConsoleRendersEveryModuleFromTheManifest opens every module's form
// and compares each field with its manifest declaration: name, type, label,
// help, required mark, default, static options or the RPC feeding it,
// advanced fields hidden until the toggle, every label bound to its control.
func TestConsoleRendersEveryModuleFromTheManifest(t *testing.T) {
	base, doc := startConnector(t)
	p := newPage(t)
	for _, m := range doc.Modules {
		p.open(base, m.Name)
		var title string
		p.eval(`document.querySelector("#main h2").childNodes[0].textContent`, &title)
		assert.Equal(t, m.Label, title)
		var got []renderedField
		p.eval(readFieldsJS, &got)
		want := append(append([]manifest.Field{}, m.Parameters...), m.Expect...)
		require.Len(t, got, len(want), m.Name)
		for i, f := range want {
			g := got[i]
			where := m.Name + "." + f.Name
			assert.Equal(t, f.Name, g.Name, where)
			assert.Equal(t, string(f.Type), g.Type, where)
			assert.Equal(t, f.Label, g.Label, where)
			assert.Equal(t, f.Help, g.Help, where)
			assert.Equal(t, f.Required, g.Required, where)
			assert.Equal(t, f.Required, g.Marked, where+": required mark")
			assert.True(t, g.Bound, where+": label bound to its control")
			assert.Equal(t, f.Advanced, g.Advanced, where)
			assert.Equal(t, f.Advanced, g.Hidden, where+": advanced fields behind the toggle")
			if f.Default != nil {
				assert.Equal(t, fmt.Sprint(f.Default), fmt.Sprint(g.Value), where+": default")
			}
			if f.OptionsRPC != "" {
				assert.Equal(t, f.OptionsRPC, g.RPC, where)
			} else if f.Type == manifest.TypeSelect {
				var values []string
				for _, o := range f.Options {
					values = append(values, fmt.Sprint(o.Value))
				}
				assert.Equal(t, values, g.Options, where)
				assert.Equal(t, f.Multiple, g.Multiple, where)
			}
		}
		var hasToggle bool
		p.eval(`!!document.querySelector("#main .advanced-toggle input")`, &hasToggle)
		hasAdvanced := false
		for _, f := range want {
			hasAdvanced = hasAdvanced || f.Advanced
		}
		assert.Equal(t, hasAdvanced, hasToggle, m.Name)
		if hasAdvanced {
			p.run(chromedp.Click("#main .advanced-toggle input", chromedp.ByQuery))
			p.eval(readFieldsJS, &got)
			for _, g := range got {
				assert.False(t, g.Hidden, m.Name+"."+g.Name+" shown after the toggle")
			}
		}
	}

	// The connection form: the private token, then its verify result.
	p.open(base, "connection")
	var got []renderedField
	p.eval(readFieldsJS, &got)
	require.Len(t, got, len(doc.Connection.Parameters))
	assert.Equal(t, "privateToken", got[0].Name)
	assert.Equal(t, "password", got[0].Type)
	assert.True(t, got[0].Bound)
	p.run(chromedp.Click(`#main button[type=submit]`, chromedp.ByQuery))
	p.waitJS(`document.querySelector("#main .conn-label") !== null`)
	var label string
	p.eval(`document.querySelector("#main .conn-label").textContent`, &label)
	assert.Equal(t, "Sandbox Company", label)
	p.noErrors()
}

// runResult is the newest run of a module as the page shows it.
type runResult struct {
	Count    int        `json:"count"`
	Title    string     `json:"title"`
	OK       bool       `json:"ok"`
	Returned string     `json:"returned"`
	HasMore  string     `json:"hasMore"`
	Upstream string     `json:"upstream"`
	Columns  []string   `json:"columns"`
	Rows     [][]string `json:"rows"`
	Type     string     `json:"type"`
	Code     string     `json:"code"`
	Retry    string     `json:"retryable"`
	Message  string     `json:"message"`
	NextShow bool       `json:"next"`
	State    string     `json:"state"`
}

const lastRunJS = `(() => {
  const runs = document.querySelectorAll("#main .results .run");
  const r = runs[0];
  const q = (s) => { const e = r.querySelector(s); return e ? e.textContent : ""; };
  const table = r.querySelector(".bundles-table");
  const next = document.querySelector("#main .next");
  const st = document.querySelector("#main .state pre");
  return {
    count: runs.length, title: q("h3"), ok: r.classList.contains("ok"),
    returned: q(".m-returned"), hasMore: q(".m-hasmore"), upstream: q(".m-upstream"),
    columns: table ? [...table.querySelectorAll("thead th")].map((th) => th.textContent).slice(1) : [],
    rows: table ? [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)) : [],
    type: q(".etype"), code: q(".ecode"), retryable: q(".eretry"), message: q(".emsg"),
    next: !!(next && !next.hidden), state: st ? st.textContent : "",
  };
})()`

// runAndWait submits the module's form and waits for run number n.
func (p *page) runAndWait(n int) runResult {
	p.t.Helper()
	p.run(chromedp.Click(`#main form button[type=submit]`, chromedp.ByQuery))
	return p.waitRun(n)
}

func (p *page) waitRun(n int) runResult {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`document.querySelectorAll("#main .results .run").length >= %d`, n))
	var r runResult
	p.eval(lastRunJS, &r)
	return r
}

// setValue sets a control's value as typing or choosing would, with the
// input and change events the page listens to.
func (p *page) setValue(sel, value string) {
	p.t.Helper()
	js, _ := json.Marshal([]string{sel, value})
	var ok bool
	p.eval(`(([sel, v]) => { const e = document.querySelector(sel); if (!e) return false; e.value = v;
	  e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === v; })(`+string(js)+`)`, &ok)
	require.True(p.t, ok, "set %s to %q", sel, value)
}

func column(r runResult, name string) []string {
	for i, c := range r.Columns {
		if c == name {
			var out []string
			for _, row := range r.Rows {
				out = append(out, row[i])
			}
			return out
		}
	}
	return nil
}

// TestConsoleRunsModules fills and runs modules as a user would: a create,
// a bad input whose fields are marked, a list through two cycles, the
// trigger twice with its state carried, a picker fed by an RPC, a raw call,
// and the sandbox panel's faults; then one form by keyboard alone, and the
// layout at 1280×800 and on a narrow window.
func TestConsoleRunsModules(t *testing.T) {
	base, _ := startConnector(t)
	p := newPage(t)

	// A create.
	p.open(base, "createPlan")
	p.setValue("#f-createPlan-planId", "console-plan")
	p.setValue("#f-createPlan-name", "Console Plan")
	r := p.runAndWait(1)
	require.True(t, r.OK, "%+v", r)
	assert.Equal(t, []string{"console-plan"}, column(r, "id"))
	assert.Equal(t, "1", r.Returned)
	assert.Equal(t, "1", r.Upstream)

	// A bad input: every bad field is marked on the form.
	p.setValue("#f-createPlan-planId", "")
	p.setValue("#f-createPlan-name", "")
	r = p.runAndWait(2)
	assert.False(t, r.OK)
	assert.Equal(t, "DataError", r.Type)
	assert.Equal(t, "VALIDATION_FAILED", r.Code)
	var marked []string
	p.eval(`[...document.querySelectorAll('#main .field.invalid')].filter((w) => w.querySelector('[aria-invalid=true]') && !w.querySelector('.error-msg').hidden).map((w) => w.dataset.field)`, &marked)
	assert.ElementsMatch(t, []string{"planId", "name"}, marked)
	var focused string
	p.eval(`document.activeElement.id`, &focused)
	assert.Equal(t, "f-createPlan-planId", focused, "focus moves to the first bad field")

	// A list through two cycles: the second sends the cursor back and
	// continues with nothing repeated.
	p.open(base, "listCustomers")
	p.setValue("#f-listCustomers-limit", "3")
	first := p.runAndWait(1)
	require.True(t, first.OK, "%+v", first)
	assert.Equal(t, "true", first.HasMore)
	assert.True(t, first.NextShow, "next cycle offered")
	p.run(chromedp.Click(`#main .next`, chromedp.ByQuery))
	second := p.waitRun(2)
	require.True(t, second.OK, "%+v", second)
	assert.Contains(t, second.Title, "cycle 2")
	ids1, ids2 := column(first, "customer_id"), column(second, "customer_id")
	require.Len(t, ids1, 3)
	require.Len(t, ids2, 3)
	for _, id := range ids2 {
		assert.NotContains(t, ids1, id, "the second cycle continues after the first")
	}
	p.screenshot("console-result.png")

	// The trigger twice: the second run carries the first run's state and
	// emits only what came after.
	p.open(base, "watchCustomers")
	p.setValue("#f-watchCustomers-since", "2000-01-01")
	p.setValue("#f-watchCustomers-limit", "4")
	t1 := p.runAndWait(1)
	require.True(t, t1.OK, "%+v", t1)
	require.NotEmpty(t, t1.State, "the state is shown")
	t2 := p.runAndWait(2)
	require.True(t, t2.OK, "%+v", t2)
	e1, e2 := column(t1, "customer_id"), column(t2, "customer_id")
	require.Len(t, e1, 4)
	require.Len(t, e2, 4)
	for _, id := range e2 {
		assert.NotContains(t, e1, id, "nothing emitted twice")
	}
	assert.NotEqual(t, t1.State, t2.State)
	var runsShown int
	p.eval(`document.querySelectorAll("#main .results .run .bundles-table").length`, &runsShown)
	assert.Equal(t, 2, runsShown, "what each run emitted stays on the page")

	// A picker fed by an RPC: search, choose, run.
	p.open(base, "getPlan")
	p.setValue("#f-getPlan-planId-q", "console")
	p.run(chromedp.Click(`#f-getPlan-planId ~ .row button`, chromedp.ByQuery))
	p.waitJS(`document.querySelectorAll("#f-getPlan-planId-opts option").length > 0`)
	var options []string
	p.eval(`[...document.querySelectorAll("#f-getPlan-planId-opts option")].map((o) => o.value)`, &options)
	assert.Equal(t, []string{"console-plan"}, options, "the search narrows the options")
	p.setValue("#f-getPlan-planId-opts", "console-plan")
	var chosen string
	p.eval(`document.querySelector("#f-getPlan-planId").value`, &chosen)
	assert.Equal(t, "console-plan", chosen)
	r = p.runAndWait(1)
	require.True(t, r.OK, "%+v", r)
	assert.Equal(t, []string{"Console Plan"}, column(r, "name"))

	// A picker whose RPC pages: "More options" sends the cursor back.
	p.open(base, "getCustomer")
	p.run(chromedp.Click(`#f-getCustomer-customerId ~ .row button`, chromedp.ByQuery))
	p.waitJS(`document.querySelectorAll("#f-getCustomer-customerId-opts option").length > 0`)
	var firstPage int
	p.eval(`document.querySelectorAll("#f-getCustomer-customerId-opts option").length`, &firstPage)
	p.run(chromedp.Click(`#f-getCustomer-customerId ~ .row button:nth-of-type(2)`, chromedp.ByQuery))
	p.waitJS(fmt.Sprintf(`document.querySelectorAll("#f-getCustomer-customerId-opts option").length > %d`, firstPage))

	// makeApiCall shows status, headers and body.
	p.open(base, "makeApiCall")
	p.setValue("#f-makeApiCall-url", "/plans/")
	p.run(chromedp.Click(`#main .array .add`, chromedp.ByQuery))
	p.setValue(`#main [data-field="headers[0].key"] input`, "Accept")
	p.setValue(`#main [data-field="headers[0].value"] input`, "application/json")
	r = p.runAndWait(1)
	require.True(t, r.OK, "%+v", r)
	var raw struct {
		Status  string `json:"status"`
		Headers int    `json:"headers"`
		Body    string `json:"body"`
	}
	p.eval(`({status: document.querySelector("#main .raw-status").textContent,
	  headers: document.querySelectorAll("#main .headers-table tbody tr").length,
	  body: document.querySelector("#main .raw-body").textContent})`, &raw)
	assert.Equal(t, "200", raw.Status)
	assert.Greater(t, raw.Headers, 0)
	assert.Contains(t, raw.Body, "console-plan")

	// The sandbox panel: a bad fault names its field; a 503 on plan reads
	// shows listPlans' typed error and its retry hint; clear; reset.
	p.open(base, "sandbox")
	p.setValue("#fault-status", "200")
	p.run(chromedp.Click(`#fault-form button[type=submit]`, chromedp.ByQuery))
	p.waitJS(`document.querySelector('#fault-form [data-field="status"]').classList.contains("invalid")`)
	p.setValue("#fault-status", "503")
	p.setValue("#fault-method", "GET")
	p.setValue("#fault-pathPrefix", "/v2/plans/")
	p.setValue("#fault-times", "3")
	p.run(chromedp.Click(`#fault-form button[type=submit]`, chromedp.ByQuery))
	p.waitJS(`document.querySelectorAll(".fault-list li").length === 1`)
	p.open(base, "listPlans")
	r = p.runAndWait(1)
	assert.False(t, r.OK)
	assert.Equal(t, "ConnectionError", r.Type)
	assert.Equal(t, "UPSTREAM_UNAVAILABLE", r.Code)
	assert.Equal(t, "true", r.Retry)
	p.open(base, "sandbox")
	p.waitJS(`document.querySelector(".faults h3") !== null`)
	p.run(chromedp.Click(`//button[text()="Reset sandbox data"]`, chromedp.BySearch))
	p.waitJS(`document.querySelector("#fault-form .result .ok") !== null`)
	p.open(base, "getPlan")
	p.setValue("#f-getPlan-planId", "console-plan")
	r = p.runAndWait(1)
	assert.Equal(t, "NOT_FOUND", r.Code, "the reset removed the plan created above")

	// One form by keyboard alone: Tab to the first field, type, Tab, type,
	// Enter; the focused control shows a visible focus ring.
	p.open(base, "createPlan")
	p.run(chromedp.Evaluate(`document.activeElement.blur()`, nil))
	reached := false
	for i := 0; i < 60 && !reached; i++ {
		p.run(chromedp.KeyEvent(kb.Tab))
		var id string
		p.eval(`document.activeElement.id`, &id)
		reached = id == "f-createPlan-planId"
	}
	require.True(t, reached, "the first field is reachable with Tab")
	var outline string
	p.eval(`getComputedStyle(document.activeElement).outlineStyle`, &outline)
	assert.NotEqual(t, "none", outline, "visible focus")
	p.run(chromedp.KeyEvent("kbd-plan"), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent("Keyboard Plan"), chromedp.KeyEvent(kb.Enter))
	r = p.waitRun(1)
	require.True(t, r.OK, "%+v", r)
	assert.Equal(t, []string{"Keyboard Plan"}, column(r, "name"))

	// The layout fits 1280×800 and a narrow window without sideways
	// scrolling of the page.
	for _, width := range []int64{1280, 390} {
		p.run(chromedp.EmulateViewport(width, 800))
		p.open(base, "createSubscription")
		var overflow bool
		p.eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow)
		assert.False(t, overflow, "no horizontal scrolling at width %d", width)
	}
	p.run(chromedp.EmulateViewport(1280, 800))
	p.open(base, "createSubscription")
	p.setValue("#f-createSubscription-email", "billing@acme.example")
	p.setValue("#f-createSubscription-effectiveDate", "2026-01-01")
	p.run(chromedp.Click(`#f-createSubscription-planId ~ .row button`, chromedp.ByQuery))
	p.waitJS(`document.querySelectorAll("#f-createSubscription-planId-opts option").length > 0`)
	p.screenshot("console-form.png")
	p.noErrors()
}

// TestConsoleSendsTheEngineKey serves the console in front of an API with
// engine keys: without the key the manifest is refused and the page says
// so; with it typed in, every call carries it and nothing puts it in a URL.
func TestConsoleSendsTheEngineKey(t *testing.T) {
	emu := profitwelltest.NewTestServer(t, profitwelltest.Options{Customers: -1, Users: -1})
	reg := prometheus.NewRegistry()
	client, err := profitwell.New(profitwell.Config{BaseURL: emu.URL, Registerer: reg, Logger: zerolog.Nop()})
	require.NoError(t, err)
	t.Cleanup(client.Close)
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	const key = "console-engine-key-0123456789"
	var mu sync.Mutex
	var seen []string
	srv, err := api.NewServer(api.Deps{Registry: registry, Client: client, Manifest: modules.Document(registry),
		Logger: zerolog.Nop(), Registerer: reg, Gatherer: reg, APIKeys: []string{key},
		Mounts: map[string]http.Handler{console.Prefix: console.New(console.Options{EngineAuth: true})}})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.String()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		srv.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	base := "http://" + ln.Addr().String()

	p := newPage(t)
	p.run(chromedp.Navigate(base + "/console/"))
	p.waitJS(`document.querySelector("#main .error") !== null`)
	var msg string
	p.eval(`document.querySelector("#main .error .etype").textContent`, &msg)
	assert.Equal(t, "InvalidConfigurationError", msg)
	p.run(chromedp.SendKeys("#engine-key", key+kb.Enter, chromedp.ByQuery))
	p.waitJS(`document.querySelectorAll("#nav a").length > 5`)
	var stored string
	p.eval(`sessionStorage.getItem("connector.engineKey") + "|" + (localStorage.length)`, &stored)
	assert.Equal(t, key+"|0", stored, "kept in session storage only")
	mu.Lock()
	requests := append([]string(nil), seen...)
	mu.Unlock()
	var v1 int
	for _, s := range requests {
		u, auth, _ := strings.Cut(s, " ")
		assert.NotContains(t, u, key, "never in a URL")
		if strings.HasPrefix(u, "/v1/") && auth != "" {
			v1++
			assert.Equal(t, "Bearer "+key, auth)
		}
	}
	assert.Positive(t, v1)
	var cfg map[string]any
	resp, err := http.Get(base + "/console/config.json")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&cfg))
	assert.Equal(t, map[string]any{"sandbox": false, "engineAuth": true}, cfg)
	p.noErrors()
}
