// Package zapierapp compiles a connector manifest into a Zapier Platform app
// (zapier-platform-core 19.1.0, the CLI's project layout): package.json,
// index.js and definition.json. The definition (authentication, triggers,
// searches, creates, input and output fields, samples) is generated from
// the manifest.Document; index.js is a fixed runtime that gives each
// operation its perform function, which posts the user's input to the
// connector and maps the answer back: bundles, cursors and typed errors.
//
// How the connector's modules map onto Zapier's model:
//
//   - the private token is a custom authentication field; the test request
//     is the connector's POST /v1/connection/verify, and the connection is
//     labelled with the company name it answers;
//   - list modules (searches in the manifest) and trigger modules become
//     polling triggers that page with z.cursor (canPaginate) and carry
//     primary output fields, which Zapier deduplicates on;
//   - read actions become searches (an object that does not exist is an
//     empty result, as Zapier expects), every other action and the raw API
//     call become creates;
//   - every RPC becomes a hidden trigger that feeds dynamic dropdowns.
package zapierapp

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/platform"
)

// CoreVersion is the zapier-platform-core version the app is built for.
const CoreVersion = "19.1.0"

// DefaultTriggerLookbackDays is how far back a trigger module without a
// start date reads on each poll.
const DefaultTriggerLookbackDays = 7

// APIKeyEnv is the environment variable (set with `zapier env:set`) holding
// the connector's engine key, unless the key is written into the app.
const APIKeyEnv = "CONNECTOR_API_KEY"

// RPCTriggerPrefix starts the key of the hidden trigger behind an RPC.
const RPCTriggerPrefix = "rpc_"

// Names of the generated files.
const (
	PackageFile    = "package.json"
	IndexFile      = "index.js"
	DefinitionFile = "definition.json"
	ReadmeFile     = "README.md"
)

//go:embed runtime/index.js
var runtimeJS []byte

// Options shape the exported app.
type Options struct {
	// PublicURL is the connector's URL as Zapier reaches it; empty means
	// platform.DefaultPublicURL.
	PublicURL string
	// APIKey, when set, is written into definition.json; otherwise the app
	// reads the engine key from the environment variable APIKeyEnv.
	APIKey string
	// TriggerLookbackDays is how far back a trigger module reads on each
	// poll when the user left its start date empty; 0 means the default.
	TriggerLookbackDays int
	// PrimaryKeys overrides, by module name, the output fields that
	// identify a bundle (see platform.PrimaryKey).
	PrimaryKeys map[string][]string
}

// Build compiles the document into the files of a Zapier app, sorted by path.
func Build(doc manifest.Document, opts Options) ([]platform.File, error) {
	base, err := platform.PublicURL(opts.PublicURL)
	if err != nil {
		return nil, err
	}
	if opts.TriggerLookbackDays == 0 {
		opts.TriggerLookbackDays = DefaultTriggerLookbackDays
	}
	if opts.TriggerLookbackDays < 1 || opts.TriggerLookbackDays > 3650 {
		return nil, fmt.Errorf("trigger look-back of %d days must be from 1 to 3650", opts.TriggerLookbackDays)
	}
	def, err := Definition(doc, base, opts)
	if err != nil {
		return nil, err
	}
	defJSON, err := platform.Encode(def)
	if err != nil {
		return nil, err
	}
	pkg, err := platform.Encode(map[string]any{
		"name":        doc.App.Name + "-zapier",
		"version":     doc.App.Version,
		"description": doc.App.Description,
		"main":        IndexFile,
		"private":     true,
		"engines":     map[string]any{"node": ">=20"},
		"dependencies": map[string]any{
			"zapier-platform-core": CoreVersion,
		},
	})
	if err != nil {
		return nil, err
	}
	files := []platform.File{
		{Path: DefinitionFile, Data: defJSON},
		{Path: IndexFile, Data: runtimeJS},
		{Path: PackageFile, Data: pkg},
		{Path: ReadmeFile, Data: []byte(readme(doc, base, opts))},
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Definition is the content of definition.json: "app" is the Zapier app
// without its functions, "operations" tells the runtime how each operation
// calls the connector, "connector" where the connector is.
func Definition(doc manifest.Document, base string, opts Options) (map[string]any, error) {
	triggers := map[string]any{}
	searches := map[string]any{}
	creates := map[string]any{}
	ops := map[string]any{}
	connFields := make([]any, 0, len(doc.Connection.Parameters))
	connNames := make([]string, 0, len(doc.Connection.Parameters))
	for _, f := range doc.Connection.Parameters {
		zf := map[string]any{"key": f.Name, "label": f.Label, "required": f.Required, "type": "string", "helpText": f.Help}
		if f.IsSecret() {
			zf["type"] = "password"
		}
		connFields = append(connFields, zf)
		connNames = append(connNames, f.Name)
	}
	for _, m := range doc.Modules {
		inputs, conv := inputFields(m)
		op := map[string]any{"module": m.Name}
		operation := map[string]any{
			"perform":      map[string]any{"url": base + "/v1/modules/" + m.Name + "/execute", "method": "POST"},
			"inputFields":  inputs,
			"outputFields": outputFields(m.Interface, nil),
			"sample":       sample(m.Samples),
		}
		display := map[string]any{"label": m.Label, "description": description(m)}
		entry := map[string]any{"key": m.Name, "noun": noun(m.Name), "display": display, "operation": operation}
		op["inputs"] = conv
		switch {
		case m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger:
			keys, err := platform.PrimaryKey(m, opts.PrimaryKeys)
			if err != nil {
				return nil, err
			}
			operation["outputFields"] = outputFields(m.Interface, keys)
			operation["canPaginate"] = true
			for _, k := range keys {
				if _, ok := m.Samples[k]; !ok {
					return nil, fmt.Errorf("module %q: its sample lacks the primary key field %q", m.Name, k)
				}
			}
			op["kind"] = "list"
			op["primary"] = keys
			op["readLimit"] = readLimit(m)
			if m.Type == manifest.KindTrigger {
				op["kind"] = "trigger"
				for _, f := range m.Parameters {
					if f.Type == manifest.TypeDate {
						op["since"] = f.Name
						break
					}
				}
			}
			triggers[m.Name] = entry
		case m.Type == manifest.KindAction && m.CRUD == manifest.CRUDRead:
			op["kind"] = "search"
			searches[m.Name] = entry
		default:
			op["kind"] = "create"
			creates[m.Name] = entry
		}
		ops[m.Name] = op
	}
	for _, r := range doc.RPCs {
		key := RPCTriggerPrefix + r.Name
		triggers[key] = map[string]any{
			"key": key, "noun": r.Label,
			"display": map[string]any{"label": r.Label + " (options)", "description": "Lists the options of fields that take " + strings.ToLower(r.Label) + ".", "hidden": true},
			"operation": map[string]any{
				"perform":      map[string]any{"url": base + "/v1/rpc/" + r.Name, "method": "POST"},
				"canPaginate":  true,
				"outputFields": []any{map[string]any{"key": "id", "label": "Value"}, map[string]any{"key": "name", "label": "Label"}},
			},
		}
		ops[key] = map[string]any{"rpc": r.Name, "kind": "rpc", "inputs": map[string]any{}}
	}
	app := map[string]any{
		"version":         doc.App.Version,
		"platformVersion": CoreVersion,
		"authentication": map[string]any{
			"type":   "custom",
			"fields": connFields,
			"test":   map[string]any{"url": base + "/v1/connection/verify", "method": "POST"},
		},
		"triggers": triggers,
		"searches": searches,
		"creates":  creates,
	}
	conn := map[string]any{
		"publicUrl":           base,
		"apiKey":              opts.APIKey,
		"apiKeyEnv":           APIKeyEnv,
		"connectionFields":    connNames,
		"triggerLookbackDays": opts.TriggerLookbackDays,
	}
	return map[string]any{"connector": conn, "app": app, "operations": ops}, nil
}

// description is Zapier's "description" of an operation: the module's own,
// with a trailing period (Zapier's style checks want a sentence).
func description(m manifest.ModuleDoc) string {
	d := strings.TrimSpace(m.Description)
	if d == "" {
		d = m.Label
	}
	if !strings.HasSuffix(d, ".") {
		d += "."
	}
	return d
}

// readLimit is the largest limit the module's limit field takes: a trigger
// reads its whole window with as few executions as it can.
func readLimit(m manifest.ModuleDoc) int {
	for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
		if f.Name == manifest.LimitName && f.Max != nil {
			return int(*f.Max)
		}
	}
	return manifest.DefaultLimitCap
}

// noun is the object an operation acts on, as Zapier shows it ("Plan").
func noun(name string) string {
	last := 0
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			last = i
		}
	}
	n := name[last:]
	if len(n) > 1 && strings.HasSuffix(n, "s") && !strings.HasSuffix(n, "ss") {
		n = strings.TrimSuffix(n, "s")
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

// inputFields maps the module's inputs onto Zapier's field vocabulary and
// returns, by field name, how the runtime converts Zapier's value back into
// the connector's ("string", "integer", "number", "boolean", "datetime",
// "list", "dict" for key-value arrays, "json" for free-form values).
func inputFields(m manifest.ModuleDoc) ([]any, map[string]any) {
	fields := []any{}
	conv := map[string]any{}
	for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
		zf := map[string]any{"key": f.Name, "label": f.Label, "required": f.Required}
		if f.Help != "" {
			zf["helpText"] = f.Help
		}
		kind := "string"
		switch f.Type {
		case manifest.TypeNumber:
			kind = "number"
		case manifest.TypeUInteger, manifest.TypeInteger:
			kind = "integer"
		case manifest.TypeBoolean:
			kind = "boolean"
		case manifest.TypeDate:
			kind = "datetime"
		case manifest.TypeArray:
			if isKeyValue(f) {
				kind = "dict"
			} else {
				kind = "list"
			}
		case manifest.TypeCollection, manifest.TypeAny:
			kind = "json"
		}
		switch kind {
		case "dict":
			zf["type"] = "string"
			zf["dict"] = true
		case "list":
			zf["type"] = "string"
			zf["list"] = true
		case "json":
			zf["type"] = "code"
		default:
			zf["type"] = kind
		}
		if f.Multiline && kind == "string" {
			zf["type"] = "text"
		}
		if f.Type == manifest.TypeSelect {
			if f.OptionsRPC != "" {
				zf["dynamic"] = RPCTriggerPrefix + f.OptionsRPC + ".id.name"
			} else {
				choices := make([]any, 0, len(f.Options))
				for _, o := range f.Options {
					v := fmt.Sprint(o.Value)
					choices = append(choices, map[string]any{"value": v, "label": o.Label, "sample": v})
				}
				zf["choices"] = choices
			}
			if f.Multiple {
				zf["list"] = true
				kind = "list"
			}
		}
		if f.Default != nil {
			zf["default"] = fmt.Sprint(f.Default)
		}
		fields = append(fields, zf)
		conv[f.Name] = kind
	}
	return fields, conv
}

// isKeyValue tells an array of {key, value} items (headers, query strings),
// which Zapier takes as a dictionary.
func isKeyValue(f manifest.Field) bool {
	items := platform.ItemFields(f)
	return len(items) == 2 && items[0].Name == "key" && items[1].Name == "value"
}

// outputFields maps the interface; nested keys use Zapier's "parent__child"
// flattening, and the primary key fields are marked for deduplication.
func outputFields(fields []manifest.Field, primary []string) []any {
	isPrimary := map[string]bool{}
	for _, k := range primary {
		isPrimary[k] = true
	}
	out := []any{}
	for _, f := range fields {
		of := map[string]any{"key": f.Name, "label": f.Label}
		switch f.Type {
		case manifest.TypeNumber:
			of["type"] = "number"
		case manifest.TypeUInteger, manifest.TypeInteger:
			of["type"] = "integer"
		case manifest.TypeBoolean:
			of["type"] = "boolean"
		case manifest.TypeDate:
			of["type"] = "datetime"
		case manifest.TypeText, manifest.TypeEmail, manifest.TypeURL, manifest.TypeSelect:
			of["type"] = "string"
		}
		if isPrimary[f.Name] {
			of["primary"] = true
		}
		out = append(out, of)
		if f.Type == manifest.TypeCollection {
			for _, c := range outputFields(f.Spec, nil) {
				c := c.(map[string]any)
				c["key"] = f.Name + "__" + c["key"].(string)
				out = append(out, c)
			}
		}
	}
	return out
}

// sample is the module's sample bundle; Zapier wants an object.
func sample(s map[string]any) map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return s
}

func readme(doc manifest.Document, base string, opts Options) string {
	var s strings.Builder
	fmt.Fprintf(&s, "# %s for Zapier\n\n%s\n\n", doc.App.Label, doc.App.Description)
	fmt.Fprintf(&s, "Generated by the connector (app version %s); every operation calls the connector at\n%s. ", doc.App.Version, base)
	s.WriteString("Regenerate it with `connector export zapier` rather than editing it here.\n\n")
	if opts.APIKey == "" {
		fmt.Fprintf(&s, "- Engine key: set it with `zapier env:set %s %s=<key>` (one of the connector's CONNECTOR_API_KEYS).\n", doc.App.Version, APIKeyEnv)
	} else {
		fmt.Fprintf(&s, "- Engine key: written into %s; keep this folder out of version control.\n", DefinitionFile)
	}
	s.WriteString("- Publish: `npm install`, then `zapier push` (Zapier's CLI, Node 22, a Zapier account).\n")
	return s.String()
}
