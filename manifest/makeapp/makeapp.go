// Package makeapp compiles a connector manifest into a Make custom app (also a
// Boost.space Integrator app) in the layout of Make's "local development for
// apps": a makecomapp.json project file and one file per code of every
// component, which Make's own tooling (the Make Apps Editor for VS Code)
// deploys to a Make instance.
//
// The app holds no ProfitWell logic. Its base points every request at the
// connector's public URL with the engine key from the app's common data; each
// module posts its parameters and the user's connection to the connector's
// execute endpoint and maps the answer back: bundles, cursors, trigger
// positions and typed errors. Everything is generated from the
// manifest.Document, so the app never drifts from the connector it calls.
package makeapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/profitwell-connector/connector/manifest"
)

// DefaultPublicURL is where the app sends requests unless told otherwise:
// a connector started with `make run` on the developer's machine.
const DefaultPublicURL = "http://localhost:8080"

// APIKeyName is the key of the engine API key in the app's common data; the
// base sends it as "Authorization: Bearer {{common.apiKey}}".
const APIKeyName = "apiKey"

// Names of the general code files, relative to the output directory.
const (
	ProjectFile = "makecomapp.json"
	BaseFile    = "general/base.iml.json"
	CommonFile  = "general/common.json"
	ReadmeFile  = "README.md"
	GroupsFile  = "modules/groups.json"
)

// Trigger tells how a trigger module maps onto Make's polling-trigger model.
// Make keeps nothing of a trigger between runs but the date and id of the
// last bundle it emitted (data.lastDate, data.lastID), set first by the
// user's epoch choice; every run sends them to the connector as the
// trigger's state ({"module", "after": {"date", "id"}}), and the connector
// answers with the oldest changes after them, at most Limit, in Make's own
// (date, id) order.
type Trigger struct {
	// ID is the interface field holding a bundle's id.
	ID string
	// Date is the interface field holding the date the bundle changed.
	Date string
	// Since is the static date parameter where the connector starts when
	// Make has no position (the epoch choice "All"); empty when the trigger
	// has none.
	Since string
	// Epoch lists the items of the "Choose where to start" panel; nil lists
	// the trigger's own items, oldest first, labelled by id.
	Epoch *Epoch
}

// Epoch is where the "Choose where to start" panel takes its items: a
// search module over the same items, with the parameters that make it list
// the newest first.
type Epoch struct {
	// Module is the search module's name; its interface must hold the
	// trigger's id and date fields.
	Module string
	// Parameters are fixed values of the module's inputs (its limit is set
	// to the panel's size).
	Parameters map[string]any
	// Label is an IML expression naming an item, e.g. "{{item.email}}".
	Label string
}

// Origin is the Make instance and app a project deploys to (an entry of
// makecomapp.json's "origins").
type Origin struct {
	// Label names the origin in Make's tooling.
	Label string
	// BaseURL is the Make API of the instance, e.g. https://eu1.make.com/api.
	BaseURL string
	// AppID is the custom app's name in Make (e.g. "profitwell-abc123").
	AppID string
	// AppVersion is the app's major version in Make, usually 1.
	AppVersion int
	// APIKeyFile is the file, relative to makecomapp.json, that holds the
	// developer's Make API token.
	APIKeyFile string
}

// Options shape the exported app.
type Options struct {
	// PublicURL is the connector's URL as Make reaches it; empty means
	// DefaultPublicURL.
	PublicURL string
	// APIKey is written into the app's common data (and the connection's,
	// whose verification request does not inherit the base). Empty writes
	// an empty key, to be filled in Make's common data editor.
	APIKey string
	// Triggers overrides how trigger modules map onto Make's model, by
	// module name; a trigger missing here is derived from its interface.
	Triggers map[string]Trigger
	// Origin, when set, is written into makecomapp.json; without it Make's
	// tooling asks for one at the first deploy.
	Origin *Origin
}

// File is one file of the exported app.
type File struct {
	// Path is relative to the output directory, with forward slashes.
	Path string
	// Data is the file's content.
	Data []byte
}

// Build compiles the document into the files of a Make app, sorted by path.
func Build(doc manifest.Document, opts Options) ([]File, error) {
	b, err := newBuilder(doc, opts)
	if err != nil {
		return nil, err
	}
	return b.build()
}

// Write writes the files under dir, creating folders as needed. Existing
// files with the same names are replaced; others are left alone.
func Write(dir string, files []File) error {
	for _, f := range files {
		if err := checkRelative(f.Path); err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func checkRelative(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return fmt.Errorf("makeapp: bad file path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("makeapp: bad file path %q", p)
		}
	}
	return nil
}

// connectionID is the local id of the app's one connection.
const connectionIDFallback = "connection"

type builder struct {
	doc      manifest.Document
	opts     Options
	base     string // public URL without a trailing slash
	connID   string
	files    map[string]any
	raw      map[string][]byte
	triggers map[string]Trigger
}

func newBuilder(doc manifest.Document, opts Options) (*builder, error) {
	public := opts.PublicURL
	if public == "" {
		public = DefaultPublicURL
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("public URL %q must be an http(s) URL with a host and no credentials, query or fragment", public)
	}
	if o := opts.Origin; o != nil {
		if !strings.HasPrefix(o.BaseURL, "https://") || !strings.HasSuffix(o.BaseURL, "/api") {
			return nil, fmt.Errorf("origin URL %q must be a Make API URL such as https://eu1.make.com/api", o.BaseURL)
		}
		if !validAppID(o.AppID) {
			return nil, fmt.Errorf("app id %q must be lowercase letters, digits and dashes, starting with a letter", o.AppID)
		}
		if o.AppVersion < 1 {
			return nil, errors.New("app version must be at least 1")
		}
	}
	connID := doc.Connection.Name
	if connID == "" {
		connID = connectionIDFallback
	}
	b := &builder{
		doc: doc, opts: opts, base: strings.TrimRight(public, "/"), connID: connID,
		files: map[string]any{}, raw: map[string][]byte{}, triggers: map[string]Trigger{},
	}
	for _, m := range doc.Modules {
		if m.Type != manifest.KindTrigger {
			continue
		}
		t, ok := opts.Triggers[m.Name]
		if !ok {
			if t, err = deriveTrigger(m); err != nil {
				return nil, err
			}
		}
		if err := checkTrigger(doc, m, t); err != nil {
			return nil, err
		}
		b.triggers[m.Name] = t
	}
	return b, nil
}

func validAppID(s string) bool {
	if len(s) < 3 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// deriveTrigger finds a trigger's id and date fields in its interface: the
// id is "id" or the first field ending in "_id" or "Id"; the date is the
// first date field whose name starts with "updated", else the first date
// field. The start parameter is the first static date parameter.
func deriveTrigger(m manifest.ModuleDoc) (Trigger, error) {
	var t Trigger
	for _, f := range m.Interface {
		if t.ID == "" && (f.Name == "id" || strings.HasSuffix(f.Name, "_id") || strings.HasSuffix(f.Name, "Id")) {
			t.ID = f.Name
		}
	}
	for _, f := range m.Interface {
		if f.Type == manifest.TypeDate && strings.HasPrefix(strings.ToLower(f.Name), "updated") {
			t.Date = f.Name
			break
		}
	}
	for _, f := range m.Interface {
		if t.Date == "" && f.Type == manifest.TypeDate {
			t.Date = f.Name
		}
	}
	for _, f := range m.Parameters {
		if f.Type == manifest.TypeDate {
			t.Since = f.Name
			break
		}
	}
	if t.ID == "" || t.Date == "" {
		return t, fmt.Errorf("trigger %q: no id or date field in its interface; name them in Options.Triggers", m.Name)
	}
	return t, nil
}

func checkTrigger(doc manifest.Document, m manifest.ModuleDoc, t Trigger) error {
	has := func(fields []manifest.Field, name string, typ manifest.FieldType) bool {
		for _, f := range fields {
			if f.Name == name && (typ == "" || f.Type == typ) {
				return true
			}
		}
		return false
	}
	if !has(m.Interface, t.ID, "") {
		return fmt.Errorf("trigger %q: id field %q is not in its interface", m.Name, t.ID)
	}
	if !has(m.Interface, t.Date, manifest.TypeDate) {
		return fmt.Errorf("trigger %q: date field %q is not a date of its interface", m.Name, t.Date)
	}
	if t.Since != "" && !has(m.Parameters, t.Since, manifest.TypeDate) {
		return fmt.Errorf("trigger %q: start parameter %q is not a static date parameter", m.Name, t.Since)
	}
	if e := t.Epoch; e != nil {
		var src *manifest.ModuleDoc
		for i := range doc.Modules {
			if doc.Modules[i].Name == e.Module && doc.Modules[i].Type == manifest.KindSearch {
				src = &doc.Modules[i]
			}
		}
		if src == nil {
			return fmt.Errorf("trigger %q: epoch module %q is not a search module", m.Name, e.Module)
		}
		if !has(src.Interface, t.ID, "") || !has(src.Interface, t.Date, manifest.TypeDate) {
			return fmt.Errorf("trigger %q: epoch module %q does not output %q and %q", m.Name, e.Module, t.ID, t.Date)
		}
		for name := range e.Parameters {
			if !has(src.Parameters, name, "") && !has(src.Expect, name, "") {
				return fmt.Errorf("trigger %q: epoch module %q has no input %q", m.Name, e.Module, name)
			}
		}
		if e.Label == "" {
			return fmt.Errorf("trigger %q: the epoch needs a label", m.Name)
		}
	}
	return nil
}

func (b *builder) build() ([]File, error) {
	b.general()
	project := map[string]any{
		"fileVersion": 1,
		"generalCodeFiles": map[string]any{
			"base": BaseFile, "common": CommonFile, "readme": ReadmeFile, "groups": GroupsFile,
		},
		"components": map[string]any{
			"connection": b.connection(),
			"module":     b.modules(),
			"rpc":        b.rpcs(),
			"function":   map[string]any{},
			"webhook":    map[string]any{},
			"endpoint":   map[string]any{},
		},
		"origins": b.origins(),
	}
	b.files[ProjectFile] = project

	out := make([]File, 0, len(b.files)+len(b.raw))
	for path, v := range b.files {
		data, err := encode(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", path, err)
		}
		out = append(out, File{Path: path, Data: data})
	}
	for path, data := range b.raw {
		out = append(out, File{Path: path, Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "    ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bearer is the engine authentication every request to the connector sends.
func bearer() map[string]any {
	return map[string]any{"Authorization": "Bearer {{common." + APIKeyName + "}}"}
}

// errorDirective passes the connector's typed error through: Make applies
// its own policy per type (rollback, incomplete execution, backoff). Every
// type the connector answers is one of the types Make's custom-app schema
// accepts (enums.json, error-type) except ModuleTimeoutError, which the
// connector answers with HTTP 504 and nothing else does: a 504 is raised as
// ConnectionError. Make identifies ConnectionError by 503 and 504, and
// retries incomplete executions of ConnectionError and of its own
// ModuleTimeoutError on the same backoff schedule (help.make.com,
// "Automatic retry of incomplete executions"), so the user sees the same
// handling a Make timeout gets.
func errorDirective() map[string]any {
	return map[string]any{
		"type": "{{body.error.type}}", "message": "{{body.error.message}}",
		TimeoutStatus: map[string]any{"type": TimeoutErrorType, "message": "{{body.error.message}}"},
	}
}

// TimeoutStatus is the HTTP status of the connector's ModuleTimeoutError,
// and TimeoutErrorType the Make error type the app raises for it.
const (
	TimeoutStatus    = "504"
	TimeoutErrorType = "ConnectionError"
)

// MakeMaxRecords is the most records Make delivers from one module
// execution ("Max Past Record 3200", developers.make.com, pagination.md):
// the exported list modules accept at most this Limit, whatever the
// connector's own cap for other engines.
const MakeMaxRecords = 3200

// rpcCallsPerPicker is how many calls an RPC with pages may make for one
// picker: Make recommends 3 calls and 3 × the page size records
// (developers.make.com, rpcs.md).
const rpcCallsPerPicker = 3

// sanitize keeps the engine key and the private token out of Make's logs.
func (b *builder) sanitize() map[string]any {
	paths := []string{"request.headers.authorization"}
	for _, f := range b.doc.Connection.Parameters {
		if f.IsSecret() {
			paths = append(paths, "request.body.connection."+f.Name)
		}
	}
	return map[string]any{"sanitize": paths}
}

func (b *builder) general() {
	b.files[BaseFile] = map[string]any{
		"baseUrl":  b.base,
		"headers":  bearer(),
		"response": map[string]any{"error": errorDirective()},
		"log":      b.sanitize(),
	}
	b.files[CommonFile] = map[string]any{APIKeyName: b.opts.APIKey}
	groups := make([]map[string]any, 0, len(b.doc.Groups))
	for _, g := range b.doc.Groups {
		mods := g.Modules
		if mods == nil {
			mods = []string{}
		}
		groups = append(groups, map[string]any{"label": g.Label, "modules": mods})
	}
	b.files[GroupsFile] = groups
	b.raw[ReadmeFile] = []byte(b.readme())
}

func (b *builder) readme() string {
	app := b.doc.App
	var s strings.Builder
	fmt.Fprintf(&s, "# %s\n\n%s\n\n", app.Label, app.Description)
	fmt.Fprintf(&s, "This app is generated by the connector (app version %s). Every module calls the connector at\n%s, ", app.Version, b.base)
	s.WriteString("which talks to the service; regenerate the app with `connector export make` rather than\n")
	s.WriteString("editing it here.\n\n")
	fmt.Fprintf(&s, "- Common data: `%s` is the connector's engine API key (one of its CONNECTOR_API_KEYS).\n", APIKeyName)
	fmt.Fprintf(&s, "- Connection: %s asks for ", app.Label)
	names := make([]string, 0, len(b.doc.Connection.Parameters))
	for _, f := range b.doc.Connection.Parameters {
		names = append(names, f.Label)
	}
	s.WriteString(strings.Join(names, ", "))
	s.WriteString(" and verifies it through the connector.\n")
	fmt.Fprintf(&s, "- Errors: the connector's error types pass through, except its ModuleTimeoutError (HTTP %s),\n", TimeoutStatus)
	fmt.Fprintf(&s, "  which custom apps cannot raise: it is raised as %s, which Make identifies by 503 and 504 and\n", TimeoutErrorType)
	s.WriteString("  retries on the same schedule as its own ModuleTimeoutError.\n")
	fmt.Fprintf(&s, "- Limit: list modules accept at most %d, the records Make delivers from one execution.\n", MakeMaxRecords)
	s.WriteString("- Pickers fed by a searching RPC have a search field above them; the RPC pages with the\n")
	fmt.Fprintf(&s, "  connector's cursor, up to %d calls.\n", rpcCallsPerPicker)
	if app.DocsURL != "" {
		fmt.Fprintf(&s, "- Service API documentation: %s\n", app.DocsURL)
	}
	return s.String()
}

// connectionBody is the "connection" object of every request: the user's
// connection values, by name.
func (b *builder) connectionBody(scope string) map[string]any {
	out := map[string]any{}
	for _, f := range b.doc.Connection.Parameters {
		out[f.Name] = "{{" + scope + "." + f.Name + "}}"
	}
	return out
}

func (b *builder) connection() map[string]any {
	dir := "connections/" + kebab(b.connID) + "/" + kebab(b.connID)
	files := map[string]any{
		"communication": dir + ".communication.iml.json",
		"params":        dir + ".params.iml.json",
		"common":        dir + ".common.json",
	}
	b.files[dir+".params.iml.json"] = fields(b.doc.Connection.Parameters)
	// The connection's request does not inherit the base, and its
	// "common" is the connection's own common data.
	b.files[dir+".common.json"] = map[string]any{APIKeyName: b.opts.APIKey}
	b.files[dir+".communication.iml.json"] = map[string]any{
		"url":     b.base + "/v1/connection/verify",
		"method":  "POST",
		"headers": bearer(),
		"body":    map[string]any{"connection": b.connectionBody("parameters")},
		"response": map[string]any{
			"metadata": map[string]any{"type": "text", "value": "{{body.metadata.label}}"},
			"uid":      "{{body.metadata.accountId}}",
			"error":    errorDirective(),
		},
		"log": b.sanitize(),
	}
	label := b.doc.Connection.Label
	if label == "" {
		label = b.doc.App.Label
	}
	return map[string]any{
		b.connID: map[string]any{"label": label, "connectionType": "basic", "codeFiles": files},
	}
}

// parametersBody maps every declared input to its value in Make.
func parametersBody(inputs []manifest.Field, override map[string]string) map[string]any {
	out := map[string]any{}
	for _, f := range inputs {
		if v, ok := override[f.Name]; ok {
			out[f.Name] = v
			continue
		}
		out[f.Name] = "{{parameters." + f.Name + "}}"
	}
	return out
}

func inputs(m manifest.ModuleDoc) []manifest.Field {
	out := make([]manifest.Field, 0, len(m.Parameters)+len(m.Expect))
	out = append(out, m.Parameters...)
	return append(out, m.Expect...)
}

func (b *builder) modules() map[string]any {
	out := map[string]any{}
	for _, m := range b.doc.Modules {
		dir := "modules/" + kebab(m.Name) + "/" + kebab(m.Name)
		codes := map[string]any{
			"communication": dir + ".communication.iml.json",
			"staticParams":  dir + ".static-params.iml.json",
			"interface":     dir + ".interface.iml.json",
			"samples":       dir + ".samples.iml.json",
		}
		b.files[dir+".communication.iml.json"] = b.moduleCommunication(m)
		b.files[dir+".static-params.iml.json"] = b.makeFields(m, m.Parameters)
		b.files[dir+".interface.iml.json"] = fields(m.Interface)
		samples := m.Samples
		if samples == nil {
			samples = map[string]any{}
		}
		b.files[dir+".samples.iml.json"] = samples
		if m.Type == manifest.KindTrigger {
			codes["epoch"] = dir + ".epoch.iml.json"
			b.files[dir+".epoch.iml.json"] = b.epoch(m)
		} else {
			codes["mappableParams"] = dir + ".mappable-params.iml.json"
			b.files[dir+".mappable-params.iml.json"] = b.makeFields(m, m.Expect)
		}
		meta := map[string]any{
			"label":       m.Label,
			"description": m.Description,
			"moduleType":  string(m.Type),
			"connection":  b.connID,
			"codeFiles":   codes,
		}
		if m.Type == manifest.KindAction && m.CRUD != "" {
			meta["actionCrud"] = string(m.CRUD)
		}
		out[m.Name] = meta
	}
	return out
}

// makeFields is a module's parameters as Make shows them: a list module's
// Limit capped at what Make delivers, and before a select whose options
// come from a searching RPC, the search field Make passes to that RPC (the
// module does not send it to the connector).
func (b *builder) makeFields(m manifest.ModuleDoc, in []manifest.Field) []manifest.Field {
	out := make([]manifest.Field, 0, len(in))
	added := map[string]bool{}
	for _, f := range in {
		if f.Name == manifest.LimitName && (m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger) &&
			(f.Max == nil || *f.Max > MakeMaxRecords) {
			f.Max = manifest.Ptr(MakeMaxRecords)
		}
		if r, ok := b.rpc(f.OptionsRPC); ok && r.Search && !added[r.Name] {
			added[r.Name] = true
			out = append(out, searchField(r))
		}
		out = append(out, f)
	}
	return fields(out)
}

func (b *builder) rpc(name string) (manifest.RPCSpec, bool) {
	for _, r := range b.doc.RPCs {
		if name != "" && r.Name == name {
			return r, true
		}
	}
	return manifest.RPCSpec{}, false
}

// SearchFieldName is the name of the search field shown before a select fed
// by the searching RPC rpc; Make passes module parameters to linked RPCs.
func SearchFieldName(rpc string) string { return rpc + "Query" }

func searchField(r manifest.RPCSpec) manifest.Field {
	things := strings.ToLower(r.Label)
	return manifest.Field{
		Name: SearchFieldName(r.Name), Label: "Search " + things, Type: manifest.TypeText,
		Help: "Type part of a name, an email address or an ID to find it in the list below; leave empty to list the most recent " + things + ".",
	}
}

// executeURL is a module's execute endpoint, relative to the base URL.
func executeURL(name string) string { return "/v1/modules/" + name + "/execute" }

func (b *builder) moduleCommunication(m manifest.ModuleDoc) map[string]any {
	body := func(extra map[string]any, override map[string]string) map[string]any {
		out := map[string]any{
			"connection": b.connectionBody("connection"),
			"parameters": parametersBody(inputs(m), override),
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	req := map[string]any{"url": executeURL(m.Name), "method": "POST"}
	switch m.Type {
	case manifest.KindSearch:
		req["body"] = body(nil, nil)
		req["response"] = map[string]any{
			"iterate": "{{body.bundles}}",
			"output":  "{{item}}",
			"limit":   "{{parameters." + manifest.LimitName + "}}",
		}
		// Make merges the pagination request with the original one; the
		// body is given whole so that it is right either way.
		req["pagination"] = map[string]any{
			"body":      body(map[string]any{"cursor": "{{body.meta.nextCursor}}"}, nil),
			"condition": "{{body.meta.hasMore}}",
		}
	case manifest.KindTrigger:
		// One request a run: Make's stored position goes to the connector,
		// which answers with the oldest changes after it, at most Limit, so
		// Make's caps on pagination never cut a run short.
		t := b.triggers[m.Name]
		req["body"] = body(map[string]any{"state": makeTriggerState(m.Name)}, nil)
		req["response"] = map[string]any{
			"iterate": "{{body.bundles}}",
			"output":  "{{item}}",
			"limit":   "{{parameters." + manifest.LimitName + "}}",
			"trigger": map[string]any{
				"type":  "date",
				"order": "asc",
				"id":    "{{item." + t.ID + "}}",
				"date":  "{{item." + t.Date + "}}",
			},
		}
	default: // action, universal: exactly one bundle
		req["body"] = body(nil, nil)
		req["response"] = map[string]any{"output": "{{first(body.bundles)}}"}
	}
	return req
}

// makeTriggerState is the trigger state built from what Make stores: the
// date and id of the last bundle it emitted. Keys Make has no value for are
// left out of the request, so the first run after "All" sends none.
func makeTriggerState(module string) map[string]any {
	return map[string]any{
		"module": module,
		"after":  map[string]any{"date": "{{data.lastDate}}", "id": "{{data.lastID}}"},
	}
}

// epochLimit is how many items the "Choose where to start" panel lists
// (Make's guidance: at most 300).
const epochLimit = 300

// epoch is the request of the "Choose where to start" panel. Make merges it
// with the trigger's communication, so it sets every key it needs, the
// state included (to null: the listing takes none).
func (b *builder) epoch(m manifest.ModuleDoc) map[string]any {
	t := b.triggers[m.Name]
	url, label := executeURL(m.Name), "{{item."+t.ID+"}}"
	params := parametersBody(inputs(m), nil)
	var state any = makeTriggerState(m.Name)
	if e := t.Epoch; e != nil {
		url, label, state = executeURL(e.Module), e.Label, nil
		params = map[string]any{}
		for k, v := range e.Parameters {
			params[k] = v
		}
	}
	params[manifest.LimitName] = epochLimit
	return map[string]any{
		"url":    url,
		"method": "POST",
		"body": map[string]any{
			"connection": b.connectionBody("connection"),
			"parameters": params,
			"state":      state,
		},
		"response": map[string]any{
			"iterate": "{{body.bundles}}",
			"limit":   epochLimit,
			"output": map[string]any{
				"label": label,
				"date":  "{{item." + t.Date + "}}",
			},
		},
	}
}

func (b *builder) rpcs() map[string]any {
	out := map[string]any{}
	for _, r := range b.doc.RPCs {
		dir := "rpcs/" + kebab(r.Name) + "/" + kebab(r.Name)
		b.files[dir+".params.iml.json"] = fields(r.Parameters)
		b.files[dir+".communication.iml.json"] = b.rpcCommunication(r)
		out[r.Name] = map[string]any{
			"label":      r.Label,
			"connection": b.connID,
			"codeFiles": map[string]any{
				"communication": dir + ".communication.iml.json",
				"params":        dir + ".params.iml.json",
			},
		}
	}
	return out
}

// rpcCommunication calls the connector's RPC. A searching RPC sends the
// module's search field as the query; an RPC with pages continues with the
// cursor it answered (Make replaces the body of a pagination request, so it
// is given whole) for at most rpcCallsPerPicker calls.
func (b *builder) rpcCommunication(r manifest.RPCSpec) map[string]any {
	body := func(cursor bool) map[string]any {
		out := map[string]any{
			"connection": b.connectionBody("connection"),
			"parameters": parametersBody(r.Parameters, nil),
		}
		if r.Search {
			out["query"] = "{{parameters." + SearchFieldName(r.Name) + "}}"
		}
		if cursor {
			out["cursor"] = "{{body.nextCursor}}"
		}
		return out
	}
	response := map[string]any{
		"iterate": "{{body.options}}",
		"output":  map[string]any{"label": "{{item.label}}", "value": "{{item.value}}"},
	}
	req := map[string]any{"url": "/v1/rpc/" + r.Name, "method": "POST", "body": body(false), "response": response}
	if r.PageSize > 0 {
		response["limit"] = rpcCallsPerPicker * r.PageSize
		req["pagination"] = map[string]any{"body": body(true), "condition": "{{body.nextCursor}}"}
	}
	return req
}

func (b *builder) origins() []any {
	o := b.opts.Origin
	if o == nil {
		return []any{}
	}
	label := o.Label
	if label == "" {
		label = "Make"
	}
	keyFile := o.APIKeyFile
	if keyFile == "" {
		keyFile = ".secrets/apikey"
	}
	return []any{map[string]any{
		"label": label, "baseUrl": o.BaseURL, "appId": o.AppID, "appVersion": o.AppVersion, "apikeyFile": keyFile,
	}}
}

// fields returns a non-nil field list, so empty sections are written as [].
func fields(f []manifest.Field) []manifest.Field {
	if f == nil {
		return []manifest.Field{}
	}
	return f
}

// kebab turns a component name into Make's file-name form
// (listPlans -> list-plans).
func kebab(s string) string {
	var out strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				out.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		out.WriteRune(r)
	}
	return out.String()
}
