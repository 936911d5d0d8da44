// The connector's console: every module of the manifest as its form, run
// against this connector. Plain JavaScript, no framework, no build step.
"use strict";

(function () {
  const KEY_STORE = "connector.engineKey";
  const TOKEN_STORE = "connector.privateToken";

  const state = {
    config: { sandbox: false, sandboxToken: "", engineAuth: false },
    manifest: null,
    modules: new Map(),
    runs: new Map(), // module name -> {cursor, state, count, cycle}
  };

  // ---- small DOM helpers -------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v === true) e.setAttribute(k, "");
      else e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function slug(s) {
    return String(s).replace(/[^A-Za-z0-9_-]/g, "_");
  }

  function pretty(v) {
    return JSON.stringify(v, null, 2);
  }

  // ---- calls ----------------------------------------------------------------

  function engineKey() {
    return sessionStorage.getItem(KEY_STORE) || "";
  }

  function privateToken() {
    return sessionStorage.getItem(TOKEN_STORE) || "";
  }

  // call sends one request to this connector and answers
  // {status, ok, headers, body, ms}; a network failure is status 0.
  async function call(method, path, body, auth) {
    const headers = { "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth !== undefined) {
      if (auth) headers["Authorization"] = auth;
    } else if (engineKey()) {
      headers["Authorization"] = "Bearer " + engineKey();
    }
    const started = performance.now();
    let resp;
    try {
      resp = await fetch(path, {
        method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store", credentials: "omit", redirect: "error",
      });
    } catch (err) {
      return { status: 0, ok: false, headers: new Headers(), body: { error: { type: "NetworkError", message: String(err.message || err) } }, ms: performance.now() - started };
    }
    const text = await resp.text();
    let parsed = text;
    try { parsed = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
    return { status: resp.status, ok: resp.ok, headers: resp.headers, body: parsed, ms: performance.now() - started };
  }

  // ---- start --------------------------------------------------------------

  async function start() {
    const key = document.getElementById("engine-key");
    key.value = engineKey();
    key.addEventListener("input", () => {
      if (key.value) sessionStorage.setItem(KEY_STORE, key.value);
      else sessionStorage.removeItem(KEY_STORE);
    });
    document.getElementById("engine").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });

    const cfg = await call("GET", "config.json", undefined, "");
    if (cfg.ok && cfg.body) state.config = cfg.body;
    document.getElementById("mode").textContent = state.config.sandbox ? "Sandbox" : "Live";
    document.getElementById("mode").classList.toggle("sandbox", !!state.config.sandbox);
    if (state.config.sandbox && !privateToken()) sessionStorage.setItem(TOKEN_STORE, state.config.sandboxToken);
    window.addEventListener("hashchange", route);
    load();
  }

  async function load() {
    const main = document.getElementById("main");
    const r = await call("GET", "../v1/manifest");
    if (!r.ok) {
      main.replaceChildren(el("h2", { text: "The manifest could not be loaded" }),
        errorBox(r), el("p", { text: "With engine keys configured, type one in the Engine key field above and press Enter." }));
      return;
    }
    state.manifest = r.body;
    state.modules = new Map(r.body.modules.map((m) => [m.name, m]));
    document.getElementById("app-title").textContent = r.body.app.label + " connector console";
    document.title = r.body.app.label + " connector console";
    buildNav();
    route();
  }

  function buildNav() {
    const nav = document.getElementById("nav");
    const list = el("ul", { class: "nav" });
    list.append(el("li", {}, el("a", { href: "#/connection", "data-nav": "connection" }, "Connection")));
    if (state.config.sandbox) list.append(el("li", {}, el("a", { href: "#/sandbox", "data-nav": "sandbox" }, "Sandbox")));
    nav.replaceChildren(list);
    for (const g of state.manifest.groups) {
      const id = "group-" + slug(g.label);
      const ul = el("ul", { "aria-labelledby": id });
      for (const name of g.modules) {
        const m = state.modules.get(name);
        if (!m) continue;
        ul.append(el("li", {}, el("a", { href: "#/" + name, "data-nav": name }, m.label,
          el("span", { class: "kind", text: m.type }))));
      }
      nav.append(el("h2", { id, text: g.label }), ul);
    }
  }

  function route() {
    if (!state.manifest) return;
    const name = decodeURIComponent(location.hash.replace(/^#\/?/, "")) || "connection";
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.dataset.nav === name) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const main = document.getElementById("main");
    if (name === "connection") main.replaceChildren(...connectionView());
    else if (name === "sandbox" && state.config.sandbox) main.replaceChildren(...sandboxView());
    else if (state.modules.has(name)) main.replaceChildren(...moduleView(state.modules.get(name)));
    else main.replaceChildren(el("h2", { text: "No such module" }), el("p", { text: name }));
  }

  // ---- fields -------------------------------------------------------------

  const TYPE_LABEL = { uinteger: "whole number", integer: "whole number", number: "number", date: "date", email: "email", url: "URL" };

  // field renders one manifest field as a labelled control. prefix makes
  // ids unique; path is the value's name in the request (headers[0].key).
  function field(f, prefix, path) {
    const id = prefix + "-" + slug(path);
    const helpId = id + "-help";
    const errId = id + "-err";
    const required = !!f.required;
    const wrap = el("div", {
      class: "field" + (f.advanced ? " advanced" : ""), "data-field": path, "data-type": f.type,
      "data-required": required ? "true" : "false",
    });
    const label = el("label", { for: id, class: "label" }, f.label || f.name,
      required ? el("span", { class: "req", "aria-hidden": "true", title: "required" }, " *") : null,
      f.type && TYPE_LABEL[f.type] ? el("span", { class: "type", text: " (" + TYPE_LABEL[f.type] + ")" }) : null);
    const help = f.help ? el("p", { id: helpId, class: "help", text: f.help }) : null;
    const err = el("p", { id: errId, class: "error-msg", role: "alert", hidden: true });
    const described = [f.help ? helpId : null, errId].filter(Boolean).join(" ");
    let control;
    switch (f.type) {
      case "select":
        control = typeof f.options === "string" || (f.options && f.options.store)
          ? rpcPicker(f, id, described, required) : staticSelect(f, id, described, required);
        break;
      case "array":
        control = arrayControl(f, id, path, described);
        break;
      case "collection":
        control = collectionControl(f, id, path);
        break;
      case "boolean":
        control = el("select", { id, "aria-describedby": described, required, "data-kind": "boolean" },
          el("option", { value: "" }, required ? "Choose…" : "(empty)"),
          el("option", { value: "true" }, "Yes"), el("option", { value: "false" }, "No"));
        if (f.default !== undefined) control.value = String(f.default);
        break;
      case "any":
        control = el("textarea", { id, rows: 4, "aria-describedby": described, required, "data-kind": "any", spellcheck: "false" });
        if (f.default !== undefined) control.value = typeof f.default === "string" ? f.default : pretty(f.default);
        break;
      default:
        control = inputControl(f, id, described, required);
    }
    wrap.append(label, control, help, err);
    if (f.type === "date") wrap.append(dateHint(control, id));
    return wrap;
  }

  function inputControl(f, id, described, required) {
    const v = f.validate || {};
    const numeric = ["number", "uinteger", "integer"].includes(f.type);
    const type = numeric ? "number" : f.type === "password" ? "password" : f.type === "email" ? "email" : f.type === "url" ? "url" : "text";
    const input = el("input", {
      id, type, "aria-describedby": described, required,
      "data-kind": numeric ? "number" : f.type === "date" ? "date" : "text",
      step: numeric && f.type !== "number" ? "1" : undefined,
      min: numeric ? (v.min !== undefined ? v.min : f.type === "uinteger" ? 0 : undefined) : undefined,
      max: numeric ? v.max : undefined,
      maxlength: !numeric && v.max !== undefined ? v.max : undefined,
      autocomplete: type === "password" ? "off" : undefined,
      spellcheck: "false",
      placeholder: f.type === "date" ? "2026-01-31, 2026-01-31T12:00:00Z, 1769860800 or now" : undefined,
    });
    if (f.default !== undefined && f.default !== null) input.value = String(f.default);
    return input;
  }

  // dateHint shows how a typed date reads: dates are ISO 8601 or Unix
  // seconds, and go to ProfitWell as Unix seconds.
  function dateHint(input, id) {
    const out = el("p", { class: "hint", id: id + "-hint", "aria-live": "polite" });
    const update = () => {
      const v = input.value.trim();
      if (!v) { out.textContent = ""; return; }
      let d = null;
      if (/^\d+$/.test(v)) d = new Date(Number(v) * 1000);
      else if (v.toLowerCase() === "now") d = new Date();
      else if (/^\d{4}-\d{2}-\d{2}$/.test(v)) d = new Date(v + "T00:00:00Z");
      else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) d = new Date(v + "Z");
      else d = new Date(v);
      out.textContent = d && !isNaN(d) ? "= " + d.toISOString().replace(".000Z", "Z") + " = Unix " + Math.floor(d.getTime() / 1000) : "not a date the connector reads";
    };
    input.addEventListener("input", update);
    update();
    return out;
  }

  function staticSelect(f, id, described, required) {
    const multiple = !!f.multiple;
    const s = el("select", { id, "aria-describedby": described, required, multiple, size: multiple ? Math.min(8, f.options.length) : undefined, "data-kind": multiple ? "multi" : "select" });
    if (!multiple) s.append(el("option", { value: "" }, required && f.default === undefined ? "Choose…" : "(empty)"));
    for (const o of f.options || []) s.append(el("option", { value: String(o.value) }, o.label));
    if (f.default !== undefined) {
      const defs = Array.isArray(f.default) ? f.default.map(String) : [String(f.default)];
      for (const o of s.options) o.selected = defs.includes(o.value);
    }
    return s;
  }

  // rpcPicker: the value (any id may be typed or mapped), fed by the RPC
  // named in the field's options: a search sends "query", "More options"
  // sends the answer's nextCursor back as "cursor".
  function rpcPicker(f, id, described, required) {
    const rpc = String(typeof f.options === "string" ? f.options : f.options.store).replace(/^rpc:\/\//, "");
    const value = el("input", { id, type: "text", "aria-describedby": described, required, "data-kind": "text", "data-rpc": rpc, spellcheck: "false" });
    if (f.default !== undefined) value.value = String(f.default);
    const q = el("input", { id: id + "-q", type: "search", "aria-label": "Search " + (f.label || f.name) + " options", placeholder: "Search options" });
    const list = el("select", { id: id + "-opts", size: 6, "aria-label": (f.label || f.name) + " options", hidden: true, class: "options" });
    const status = el("span", { class: "hint", "aria-live": "polite" });
    const more = el("button", { type: "button", hidden: true }, "More options");
    let cursor = "";
    const fetchOptions = async (append) => {
      status.textContent = "Loading…";
      const body = { connection: { privateToken: privateToken() }, parameters: {}, query: q.value.trim() };
      if (append && cursor) body.cursor = cursor;
      const r = await call("POST", "../v1/rpc/" + encodeURIComponent(rpc), body);
      if (!r.ok) {
        status.textContent = errorText(r);
        return;
      }
      if (!append) list.replaceChildren();
      const needle = q.value.trim().toLowerCase();
      let shown = 0;
      for (const o of r.body.options || []) {
        // An RPC that answers everything at once is searched here.
        if (needle && !(o.label + " " + o.value).toLowerCase().includes(needle)) continue;
        list.append(el("option", { value: String(o.value) }, o.label + " — " + o.value));
        shown++;
      }
      cursor = r.body.nextCursor || "";
      more.hidden = !cursor;
      list.hidden = list.options.length === 0;
      status.textContent = list.options.length + " option" + (list.options.length === 1 ? "" : "s") + (cursor ? ", more available" : "") + (shown === 0 && !append ? " (none match)" : "");
    };
    const load = el("button", { type: "button", onclick: () => fetchOptions(false) }, "Load options");
    more.addEventListener("click", () => fetchOptions(true));
    q.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); fetchOptions(false); } });
    list.addEventListener("change", () => { value.value = list.value; value.dispatchEvent(new Event("input")); });
    return el("div", { class: "picker" }, value, el("div", { class: "row" }, q, load, more, status), list);
  }

  function subFields(f) {
    if (Array.isArray(f.spec)) return f.spec;
    if (f.spec && typeof f.spec === "object") return null; // primitive items
    return null;
  }

  function arrayControl(f, id, path, described) {
    const items = el("div", { class: "items", id, tabindex: "-1", "aria-describedby": described, "data-kind": "array" });
    const fields = subFields(f);
    const primitive = !fields ? (f.spec && typeof f.spec === "object" ? f.spec : { type: "text", name: "value", label: "Value" }) : null;
    let n = 0;
    const addItem = () => {
      const i = n++;
      const itemPath = path + "[" + i + "]";
      const legend = el("legend", { text: (f.label || f.name) + " item " + (items.children.length + 1) });
      const box = el("fieldset", { class: "item", "data-item": "" }, legend);
      if (fields) {
        for (const sf of fields) box.append(field(sf, id, itemPath + "." + sf.name));
      } else {
        box.append(field(Object.assign({}, primitive, { label: primitive.label || "Value" }), id, itemPath));
      }
      box.append(el("button", { type: "button", class: "remove", onclick: () => { box.remove(); } }, "Remove item"));
      items.append(box);
      const first = box.querySelector("input, select, textarea");
      if (first) first.focus();
    };
    const add = el("button", { type: "button", class: "add", onclick: addItem }, "Add " + (f.label || f.name).toLowerCase() + " item");
    return el("div", { class: "array" }, items, add);
  }

  function collectionControl(f, id, path) {
    const box = el("fieldset", { class: "collection", id, "data-kind": "collection" }, el("legend", { text: f.label || f.name }));
    for (const sf of f.spec || []) box.append(field(sf, id, path + "." + sf.name));
    return box;
  }

  // ---- reading a form -----------------------------------------------------

  // readFields turns the form into the parameters object; empty values are
  // left out so the manifest's defaults and "required" apply on the server.
  function readFields(container) {
    const out = {};
    for (const wrap of container.querySelectorAll(":scope > .field, :scope > .fields > .field")) {
      const v = readField(wrap);
      if (v !== undefined) out[lastName(wrap.dataset.field)] = v;
    }
    return out;
  }

  function lastName(path) {
    const m = /([^.\[\]]+)$/.exec(path);
    return m ? m[1] : path;
  }

  function readField(wrap) {
    const control = wrap.querySelector("[data-kind]");
    if (!control) return undefined;
    switch (control.dataset.kind) {
      case "number": {
        const s = control.value.trim();
        if (s === "") return control.validity && control.validity.badInput ? "not a number" : undefined;
        const n = Number(s);
        return Number.isFinite(n) ? n : s;
      }
      case "boolean":
        return control.value === "" ? undefined : control.value === "true";
      case "multi": {
        const vals = [...control.selectedOptions].map((o) => o.value);
        return vals.length ? vals : undefined;
      }
      case "any": {
        const s = control.value.trim();
        if (s === "") return undefined;
        try { return JSON.parse(s); } catch (_) { return control.value; }
      }
      case "array": {
        const items = [];
        for (const item of control.querySelectorAll(":scope > [data-item]")) {
          const subs = item.querySelectorAll(":scope > .field");
          if (subs.length === 1 && /\]$/.test(subs[0].dataset.field)) {
            const v = readField(subs[0]);
            if (v !== undefined) items.push(v);
          } else {
            const obj = {};
            for (const s of subs) {
              const v = readField(s);
              if (v !== undefined) obj[lastName(s.dataset.field)] = v;
            }
            items.push(obj);
          }
        }
        return items.length ? items : undefined;
      }
      case "collection": {
        const obj = {};
        for (const s of control.querySelectorAll(":scope > .field")) {
          const v = readField(s);
          if (v !== undefined) obj[lastName(s.dataset.field)] = v;
        }
        return Object.keys(obj).length ? obj : undefined;
      }
      default: {
        const s = control.value;
        return s.trim() === "" ? undefined : s;
      }
    }
  }

  // ---- errors -------------------------------------------------------------

  function clearMarks(form) {
    for (const w of form.querySelectorAll(".field.invalid")) w.classList.remove("invalid");
    for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
    for (const p of form.querySelectorAll(".error-msg")) { p.hidden = true; p.textContent = ""; }
  }

  // markFields puts each error.fields[] message on its field: the control
  // gets aria-invalid and the message, which its aria-describedby names.
  // Answers the names no field of the form has.
  function markFields(form, fields) {
    const left = [];
    let first = null;
    for (const fe of fields || []) {
      const top = String(fe.name).split(/[.\[]/)[0];
      const wrap = form.querySelector('.field[data-field="' + CSS.escape(fe.name) + '"]') ||
        form.querySelector('.field[data-field="' + CSS.escape(top) + '"]');
      if (!wrap) { left.push(fe); continue; }
      wrap.classList.add("invalid");
      if (wrap.classList.contains("advanced")) form.classList.add("show-advanced");
      const control = wrap.querySelector("[data-kind]");
      if (control) control.setAttribute("aria-invalid", "true");
      const msg = wrap.querySelector(":scope > .error-msg");
      msg.hidden = false;
      msg.textContent = (msg.textContent ? msg.textContent + "; " : "") + (fe.name !== wrap.dataset.field ? fe.name + " " : "") + fe.message;
      first = first || control;
    }
    const toggle = form.querySelector(".advanced-toggle input");
    if (toggle) toggle.checked = form.classList.contains("show-advanced");
    return { left, first };
  }

  function errorText(r) {
    const e = r.body && r.body.error;
    if (!e) return "HTTP " + r.status;
    return e.type + (e.code ? " (" + e.code + ")" : "") + ": " + e.message;
  }

  function errorBox(r, leftFields) {
    const e = (r.body && r.body.error) || { type: "HTTP " + r.status, message: typeof r.body === "string" ? r.body : "" };
    const dl = el("dl", { class: "meta" },
      el("dt", { text: "HTTP" }), el("dd", { text: String(r.status) }),
      el("dt", { text: "type" }), el("dd", { class: "etype", text: e.type || "" }),
      e.code ? [el("dt", { text: "code" }), el("dd", { class: "ecode", text: e.code })] : null,
      el("dt", { text: "retryable" }), el("dd", { class: "eretry", text: String(!!e.retryable) }),
      e.retryAfterMs ? [el("dt", { text: "retry after" }), el("dd", { text: e.retryAfterMs + " ms" })] : null,
      r.headers && r.headers.get("Retry-After") ? [el("dt", { text: "Retry-After" }), el("dd", { text: r.headers.get("Retry-After") + " s" })] : null,
      e.requestId ? [el("dt", { text: "request id" }), el("dd", { text: e.requestId })] : null);
    const box = el("div", { class: "error", role: "alert" }, el("p", { class: "emsg", text: e.message || "" }), dl);
    if (e.upstream) box.append(el("p", { text: "ProfitWell answered " + e.upstream.status + ": " + (e.upstream.message || "") }));
    const fields = leftFields || e.fields || [];
    if (fields.length) box.append(el("ul", {}, fields.map((f) => el("li", {}, el("code", { text: f.name }), " " + f.message))));
    return box;
  }

  // ---- the connection -----------------------------------------------------

  function connectionView() {
    const c = state.manifest.connection;
    const form = el("form", { class: "module", novalidate: true, "data-connection": c.name });
    const fields = el("div", { class: "fields" });
    for (const p of c.parameters) fields.append(field(p, "conn", p.name));
    const tokenInput = fields.querySelector('[data-field="privateToken"] input');
    if (tokenInput) {
      tokenInput.value = privateToken();
      tokenInput.addEventListener("input", () => sessionStorage.setItem(TOKEN_STORE, tokenInput.value));
    }
    const result = el("div", { class: "result", "aria-live": "polite" });
    form.append(fields, el("div", { class: "actions" }, el("button", { type: "submit", class: "primary" }, "Verify")), result);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearMarks(form);
      const connection = readFields(fields);
      const r = await call("POST", "../v1/connection/verify", { connection });
      if (r.ok) {
        result.replaceChildren(el("p", { class: "ok" }, "Verified: ", el("strong", { class: "conn-label", text: r.body.metadata.label }),
          " (account " + r.body.metadata.accountId + ")"));
      } else {
        const { left } = markFields(form, (r.body && r.body.error && r.body.error.fields) || []);
        result.replaceChildren(errorBox(r, left));
      }
    });
    return [el("h2", { text: c.label + " connection" }),
      el("p", { text: "The private token is kept in this tab's session storage and sent in the body of each call." }), form];
  }

  // ---- a module -----------------------------------------------------------

  function moduleView(m) {
    const run = state.runs.get(m.name) || { count: 0, cycle: 0, cursor: "", state: null };
    state.runs.set(m.name, run);
    const form = el("form", { class: "module", novalidate: true, "data-module": m.name, id: "form-" + m.name });
    const fields = el("div", { class: "fields" });
    const all = [...(m.parameters || []), ...(m.expect || [])];
    for (const f of all) fields.append(field(f, "f-" + m.name, f.name));
    if (!all.length) fields.append(el("p", { class: "help", text: "This module has no fields." }));
    const hasAdvanced = all.some((f) => f.advanced);
    const results = el("div", { class: "results", id: "results-" + m.name });
    const stateBox = el("div", { class: "state" });
    const next = el("button", { type: "button", class: "next", hidden: true }, "Next cycle");
    const runBtn = el("button", { type: "submit", class: "primary" }, m.type === "trigger" ? "Run trigger" : "Run");
    const actions = el("div", { class: "actions" }, runBtn, next);
    if (m.type === "trigger") {
      actions.append(el("button", { type: "button", onclick: () => { run.state = null; showState(); } }, "Forget state"));
    }
    const showState = () => {
      if (m.type !== "trigger") return;
      stateBox.replaceChildren(el("h3", { text: "Trigger state" }),
        run.state ? el("pre", { class: "json", tabindex: "0", text: pretty(run.state) }) : el("p", { text: "None yet: the first run starts from Start From, or from now." }));
    };
    showState();
    const go = async (withCursor) => {
      clearMarks(form);
      const body = { connection: { privateToken: privateToken() }, parameters: readFields(fields) };
      if (withCursor && run.cursor) body.cursor = run.cursor;
      if (m.type === "trigger" && run.state) body.state = run.state;
      run.count++;
      run.cycle = withCursor ? run.cycle + 1 : 1;
      runBtn.disabled = next.disabled = true;
      const r = await call("POST", "../v1/modules/" + encodeURIComponent(m.name) + "/execute", body);
      runBtn.disabled = next.disabled = false;
      const article = el("article", { class: "run", "aria-labelledby": "run-" + m.name + "-" + run.count });
      const title = el("h3", { id: "run-" + m.name + "-" + run.count },
        "Run " + run.count + (m.type === "search" ? " · cycle " + run.cycle : "") + " · HTTP " + r.status + " · " + Math.round(r.ms) + " ms");
      article.append(title);
      if (r.ok) {
        article.classList.add("ok");
        run.cursor = (r.body.meta && r.body.meta.nextCursor) || "";
        next.hidden = !(m.type === "search" && r.body.meta && r.body.meta.hasMore && run.cursor);
        if (m.type === "trigger") { run.state = r.body.state || null; showState(); }
        article.append(metaList(r), bundlesView(m, r.body.bundles || []));
      } else {
        article.classList.add("failed");
        const { left, first } = markFields(form, (r.body && r.body.error && r.body.error.fields) || []);
        article.append(errorBox(r, left));
        next.hidden = true;
        if (first) first.focus();
      }
      results.prepend(article);
    };
    form.addEventListener("submit", (ev) => { ev.preventDefault(); go(false); });
    next.addEventListener("click", () => go(true));
    const header = [
      el("h2", {}, m.label, " ", el("span", { class: "kind", text: m.type + (m.crud ? " · " + m.crud : "") })),
      el("p", { text: m.description || "" }),
    ];
    form.append(fields);
    if (hasAdvanced) {
      const id = "adv-" + m.name;
      const box = el("input", { type: "checkbox", id, onchange: () => form.classList.toggle("show-advanced", box.checked) });
      form.insertBefore(el("div", { class: "advanced-toggle" }, box, el("label", { for: id }, "Show advanced settings")), fields.nextSibling);
    }
    form.append(actions);
    return [...header, form, stateBox, el("h3", { class: "visually-hidden", text: "Results" }), results];
  }

  function metaList(r) {
    const m = r.body.meta || {};
    return el("dl", { class: "meta" },
      el("dt", { text: "returned" }), el("dd", { class: "m-returned", text: String(m.returned) }),
      el("dt", { text: "hasMore" }), el("dd", { class: "m-hasmore", text: String(!!m.hasMore) }),
      el("dt", { text: "upstream requests" }), el("dd", { class: "m-upstream", text: String(m.upstreamRequests) }),
      el("dt", { text: "time" }), el("dd", { text: Math.round(r.ms) + " ms" }),
      r.headers.get("X-Request-Id") ? [el("dt", { text: "request id" }), el("dd", { text: r.headers.get("X-Request-Id") })] : null);
  }

  let tabSeq = 0;
  function bundlesView(m, bundles) {
    const seq = ++tabSeq;
    const panels = [];
    const tabs = el("div", { role: "tablist", class: "tabs", "aria-label": "Bundles view" });
    const add = (label, panel) => {
      const tid = "tab-" + seq + "-" + panels.length, pid = "panel-" + seq + "-" + panels.length;
      const selected = panels.length === 0;
      const tab = el("button", { type: "button", role: "tab", id: tid, "aria-controls": pid, "aria-selected": selected ? "true" : "false", tabindex: selected ? "0" : "-1" }, label);
      panel.id = pid; panel.setAttribute("role", "tabpanel"); panel.setAttribute("aria-labelledby", tid); panel.tabIndex = 0;
      panel.hidden = !selected;
      tabs.append(tab);
      panels.push(panel);
    };
    if (m.name === "makeApiCall" && bundles.length === 1 && "statusCode" in bundles[0]) add("Response", rawCallView(bundles[0]));
    add("Table", bundleTable(bundles));
    add("JSON", el("pre", { class: "json", text: pretty(bundles) }));
    const select = (i) => {
      [...tabs.children].forEach((t, j) => { t.setAttribute("aria-selected", i === j ? "true" : "false"); t.tabIndex = i === j ? 0 : -1; panels[j].hidden = i !== j; });
      tabs.children[i].focus();
    };
    [...tabs.children].forEach((t, i) => {
      t.addEventListener("click", () => select(i));
      t.addEventListener("keydown", (ev) => {
        if (ev.key === "ArrowRight") { ev.preventDefault(); select((i + 1) % panels.length); }
        if (ev.key === "ArrowLeft") { ev.preventDefault(); select((i + panels.length - 1) % panels.length); }
      });
    });
    return el("div", { class: "bundles" }, tabs, panels);
  }

  function cell(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }

  function bundleTable(bundles) {
    if (!bundles.length) return el("p", { class: "empty", text: "No bundles." });
    const cols = [];
    for (const b of bundles) for (const k of Object.keys(b)) if (!cols.includes(k)) cols.push(k);
    return el("div", { class: "table-wrap" }, el("table", { class: "bundles-table" },
      el("caption", { text: bundles.length + " bundle" + (bundles.length === 1 ? "" : "s") }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "#" }), cols.map((c) => el("th", { scope: "col", text: c })))),
      el("tbody", {}, bundles.map((b, i) => el("tr", {}, el("th", { scope: "row", text: String(i + 1) }), cols.map((c) => el("td", { text: cell(b[c]) })))))));
  }

  function rawCallView(b) {
    const headers = b.headers || {};
    const rows = Array.isArray(headers) ? headers.map((h) => [h.key || h.name, h.value]) : Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]);
    return el("div", { class: "raw" },
      el("p", {}, "Status ", el("strong", { class: "raw-status", text: String(b.statusCode) })),
      el("table", { class: "headers-table" }, el("caption", { text: "Headers" }),
        el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Header" }), el("th", { scope: "col", text: "Value" }))),
        el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("td", { text: k }), el("td", { text: cell(v) }))))),
      el("h4", { text: "Body" }), el("pre", { class: "json raw-body", text: typeof b.body === "string" ? b.body : pretty(b.body) }));
  }

  // ---- the sandbox panel --------------------------------------------------

  const FAULT_FIELDS = [
    { name: "kind", type: "select", label: "Kind", required: true, default: "status", help: "status answers an HTTP error; latency delays the answer; reset closes the connection without an answer; truncate sends half of the answer.", options: ["status", "latency", "reset", "truncate"].map((v) => ({ label: v, value: v })) },
    { name: "method", type: "select", label: "Method", help: "Only requests with this method; empty for any.", options: ["GET", "POST", "PUT", "PATCH", "DELETE"].map((v) => ({ label: v, value: v })) },
    { name: "pathPrefix", type: "text", label: "Path prefix", help: "Only ProfitWell paths starting with this, e.g. /v2/plans/; empty for any." },
    { name: "status", type: "uinteger", label: "Status", default: 503, help: "For kind status: the HTTP status answered (400 to 599)." },
    { name: "retryAfterSeconds", type: "uinteger", label: "Retry-After (seconds)", help: "For kind status: sent as Retry-After when given." },
    { name: "latencyMs", type: "uinteger", label: "Latency (ms)", help: "For kind latency: how long the answer is delayed." },
    { name: "times", type: "uinteger", label: "Times", default: 1, help: "How many matching requests the fault hits." },
    { name: "apply", type: "boolean", label: "Apply the change first", help: "Whether the request's change is made before the fault; empty: yes for reset and truncate, no for status." },
  ];

  function sandboxView() {
    const sb = (method, path, body) => call(method, "../_sandbox/" + path, body, privateToken());
    const form = el("form", { class: "module", novalidate: true, id: "fault-form" });
    const fields = el("div", { class: "fields" }, FAULT_FIELDS.map((f) => field(f, "fault", f.name)));
    const out = el("div", { class: "result", "aria-live": "polite" });
    const faults = el("div", { class: "faults" });
    const requests = el("div", { class: "requests" });
    const refresh = async () => {
      const r = await sb("GET", "faults");
      if (!r.ok) { faults.replaceChildren(errorBox(r)); return; }
      faults.replaceChildren(el("h3", { text: "Queued faults" }), r.body.length
        ? el("ul", { class: "fault-list" }, r.body.map((f) => el("li", { text: f.id + ": " + [f.method || "any method", f.pathPrefix || "any path", f.kind, f.status || "", f.latencyMs ? f.latencyMs + " ms" : "", f.retryAfterSeconds ? "Retry-After " + f.retryAfterSeconds : "", f.times + " left", f.apply ? "applied" : "not applied"].filter(Boolean).join(" · ") })))
        : el("p", { text: "None: ProfitWell answers normally." }));
    };
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearMarks(form);
      const body = readFields(fields);
      if (body.kind !== "status") delete body.status;
      const r = await sb("POST", "faults", body);
      if (r.status === 201) {
        out.replaceChildren(el("p", { class: "ok", text: "Fault " + r.body.id + " queued. Run a module to see its error." }));
      } else {
        // The sandbox names bad fields Django REST framework style.
        const list = r.body && typeof r.body === "object" && !r.body.detail ? Object.entries(r.body).map(([name, msgs]) => ({ name, message: [].concat(msgs).join(" ") })) : [];
        const { left } = markFields(form, list);
        out.replaceChildren(el("div", { class: "error", role: "alert" }, el("p", { text: "HTTP " + r.status + (r.body && r.body.detail ? ": " + r.body.detail : "") }),
          left.length ? el("ul", {}, left.map((f) => el("li", { text: f.name + ": " + f.message }))) : null));
      }
      refresh();
    });
    const button = (label, fn) => el("button", { type: "button", onclick: fn }, label);
    const actions = el("div", { class: "actions" },
      el("button", { type: "submit", class: "primary" }, "Inject fault"),
      button("Clear faults", async () => { const r = await sb("DELETE", "faults"); out.replaceChildren(el("p", { class: r.ok ? "ok" : "", text: r.ok ? "Every fault removed." : "HTTP " + r.status })); refresh(); }),
      button("Reset sandbox data", async () => { const r = await sb("POST", "reset"); out.replaceChildren(el("p", { class: r.ok ? "ok" : "", text: r.ok ? "Sandbox data seeded again; faults removed." : "HTTP " + r.status })); state.runs.clear(); refresh(); }),
      button("Show recent requests", async () => {
        const r = await sb("GET", "requests");
        if (!r.ok) { requests.replaceChildren(errorBox(r)); return; }
        const last = r.body.slice(-25).reverse();
        requests.replaceChildren(el("div", { class: "table-wrap" }, el("table", {}, el("caption", { text: "Last " + last.length + " ProfitWell requests, newest first (status 0: no answer)" }),
          el("thead", {}, el("tr", {}, ["at", "method", "path", "query", "status"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, last.map((q) => el("tr", {}, [q.at, q.method, q.path, q.query, String(q.status)].map((v) => el("td", { text: v }))))))));
      }));
    form.append(fields, actions, out);
    refresh();
    return [el("h2", { text: "Sandbox" }),
      el("p", { text: "Faults make the sandbox's ProfitWell fail on the next matching requests; run a module to see its typed error and retry hints. The sandbox token (the private token of the connection) authenticates these calls." }),
      form, faults, requests];
  }

  document.addEventListener("DOMContentLoaded", start);
})();
