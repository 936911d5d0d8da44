// Package n8nnode compiles a connector manifest into an n8n community node
// package: a declarative node (requestDefaults and routing, run by n8n's own
// RoutingNode) and its credential type. The node's description is generated
// from the manifest.Document into description.json; the node and credential
// files are a fixed runtime that loads it and adds the load-options methods.
//
// How the connector's modules map onto n8n's model:
//
//   - one resource per module group, one operation per module, posting to
//     the connector's execute endpoint and returning its bundles as items;
//   - required inputs are top-level parameters, optional ones sit under
//     "Additional Fields" (n8n's convention), so only what the user sets is
//     sent and the connector applies its own defaults;
//   - lists have n8n's "Return All" and "Limit": a limited run is one
//     execution, "Return All" pages with the connector's cursor (a trigger
//     module with its state) through declarative pagination;
//   - the credential holds the private token and the engine key, and is
//     tested with the connector's POST /v1/connection/verify;
//   - every RPC is a load-options method that feeds the select fields.
package n8nnode

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/platform"
)

// Names of the generated files.
const (
	PackageFile     = "package.json"
	ReadmeFile      = "README.md"
	NodeDir         = "dist/nodes/ProfitWellConnector/"
	NodeFile        = NodeDir + "ProfitWellConnector.node.js"
	DescriptionFile = NodeDir + "description.json"
	IconFile        = NodeDir + "profitwell.svg"
	CredentialDir   = "dist/credentials/"
	CredentialFile  = CredentialDir + "ProfitWellConnectorApi.credentials.js"
	CredentialJSON  = CredentialDir + "credential.json"
)

// CredentialName is the credential type's name.
const CredentialName = "profitWellConnectorApi"

// EngineKeyField is the credential field that holds the connector's engine key.
const EngineKeyField = "engineKey"

// DefaultPageSize is how many bundles one execution returns while "Return
// All" pages through a list.
const DefaultPageSize = 100

var (
	//go:embed runtime/ProfitWellConnector.node.js
	nodeJS []byte
	//go:embed runtime/ProfitWellConnectorApi.credentials.js
	credentialJS []byte
	//go:embed runtime/profitwell.svg
	iconSVG []byte
)

// Options shape the exported package.
type Options struct {
	// PublicURL is the connector's URL as n8n reaches it; empty means
	// platform.DefaultPublicURL.
	PublicURL string
	// APIKey, when set, is the default of the credential's engine key.
	APIKey string
}

// Build compiles the document into the files of an n8n node package.
func Build(doc manifest.Document, opts Options) ([]platform.File, error) {
	base, err := platform.PublicURL(opts.PublicURL)
	if err != nil {
		return nil, err
	}
	desc, err := Description(doc, base)
	if err != nil {
		return nil, err
	}
	cred := Credential(doc, base, opts.APIKey)
	pkg := map[string]any{
		"name":        "n8n-nodes-" + doc.App.Name + "-connector",
		"version":     doc.App.Version,
		"description": doc.App.Description,
		"keywords":    []string{"n8n-community-node-package"},
		"license":     "MIT",
		"files":       []string{"dist"},
		"n8n": map[string]any{
			"n8nNodesApiVersion": 1,
			"credentials":        []string{CredentialFile},
			"nodes":              []string{NodeFile},
		},
		"peerDependencies": map[string]any{"n8n-workflow": "*"},
	}
	files := []platform.File{
		{Path: NodeFile, Data: nodeJS},
		{Path: CredentialFile, Data: credentialJS},
		{Path: IconFile, Data: iconSVG},
		{Path: ReadmeFile, Data: []byte(readme(doc, base))},
	}
	for path, v := range map[string]any{PackageFile: pkg, DescriptionFile: desc, CredentialJSON: cred} {
		data, err := platform.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", path, err)
		}
		files = append(files, platform.File{Path: path, Data: data})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// Credential is the credential type: the connection's fields, the engine
// key, header authentication and the verify request as its test.
func Credential(doc manifest.Document, base, apiKey string) map[string]any {
	props := []any{}
	conn := map[string]any{}
	for _, f := range doc.Connection.Parameters {
		p := map[string]any{"displayName": f.Label, "name": f.Name, "type": "string", "default": "", "required": f.Required, "description": f.Help}
		if f.IsSecret() {
			p["typeOptions"] = map[string]any{"password": true}
		}
		props = append(props, p)
		conn[f.Name] = "={{$credentials." + f.Name + "}}"
	}
	props = append(props, map[string]any{
		"displayName": "Connector Engine Key", "name": EngineKeyField, "type": "string",
		"typeOptions": map[string]any{"password": true}, "default": apiKey,
		"description": "One of the connector's engine keys (CONNECTOR_API_KEYS); empty for a connector in sandbox mode.",
	})
	return map[string]any{
		"name":             CredentialName,
		"displayName":      doc.App.Label + " Connector API",
		"documentationUrl": doc.App.DocsURL,
		"properties":       props,
		"authenticate": map[string]any{
			"type": "generic",
			"properties": map[string]any{
				"headers": map[string]any{"Authorization": "=Bearer {{$credentials." + EngineKeyField + "}}"},
			},
		},
		"test": map[string]any{
			"request": map[string]any{
				"baseURL": base, "url": "/v1/connection/verify", "method": "POST",
				"body": map[string]any{"connection": conn},
			},
		},
	}
}

func resourceValue(label string) string {
	var b strings.Builder
	for i, w := range strings.Fields(label) {
		w = strings.ToLower(w)
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	return b.String()
}

// Description is the node's INodeTypeDescription plus the load-options
// methods to create ("loadOptions": RPC name → URL).
func Description(doc manifest.Document, base string) (map[string]any, error) {
	conn := map[string]any{}
	for _, f := range doc.Connection.Parameters {
		conn[f.Name] = "={{$credentials." + f.Name + "}}"
	}
	byName := map[string]manifest.ModuleDoc{}
	for _, m := range doc.Modules {
		byName[m.Name] = m
	}
	resources := []any{}
	props := []any{}
	var opProps, fieldProps []any
	for _, g := range doc.Groups {
		res := resourceValue(g.Label)
		resources = append(resources, map[string]any{"name": g.Label, "value": res})
		ops := []any{}
		for _, name := range g.Modules {
			m, ok := byName[name]
			if !ok {
				return nil, fmt.Errorf("group %q names unknown module %q", g.Label, name)
			}
			ops = append(ops, operation(m))
			fieldProps = append(fieldProps, moduleProperties(res, m)...)
		}
		if len(ops) == 0 {
			continue
		}
		opProps = append(opProps, map[string]any{
			"displayName": "Operation", "name": "operation", "type": "options", "noDataExpression": true,
			"displayOptions": map[string]any{"show": map[string]any{"resource": []string{res}}},
			"options":        ops, "default": ops[0].(map[string]any)["value"],
		})
	}
	if len(resources) == 0 {
		return nil, fmt.Errorf("the document has no module groups")
	}
	props = append(props, map[string]any{
		"displayName": "Resource", "name": "resource", "type": "options", "noDataExpression": true,
		"options": resources, "default": resources[0].(map[string]any)["value"],
	})
	props = append(props, opProps...)
	props = append(props, fieldProps...)
	loadOptions := map[string]any{}
	for _, r := range doc.RPCs {
		loadOptions[r.Name] = "/v1/rpc/" + r.Name
	}
	desc := map[string]any{
		"displayName":  doc.App.Label + " Connector",
		"name":         doc.App.Name + "Connector",
		"icon":         "file:profitwell.svg",
		"group":        []string{"transform"},
		"version":      1,
		"subtitle":     `={{$parameter["operation"]}}`,
		"description":  doc.App.Description,
		"defaults":     map[string]any{"name": doc.App.Label},
		"inputs":       []string{"main"},
		"outputs":      []string{"main"},
		"usableAsTool": true,
		"credentials":  []any{map[string]any{"name": CredentialName, "required": true}},
		"requestDefaults": map[string]any{
			"baseURL": base,
			"headers": map[string]any{"Accept": "application/json", "Content-Type": "application/json"},
			"body":    map[string]any{"connection": conn},
		},
		"properties": props,
	}
	return map[string]any{"description": desc, "loadOptions": loadOptions, "connection": conn}, nil
}

// operation is one option of a resource's Operation: the execute request,
// the bundles as items, and for lists the pagination that follows the
// cursor (a trigger's state), building each next body from the first
// request's body, because n8n replaces the body rather than merging it.
func operation(m manifest.ModuleDoc) map[string]any {
	routing := map[string]any{
		"request": map[string]any{"method": "POST", "url": "/v1/modules/" + m.Name + "/execute"},
		"output": map[string]any{"postReceive": []any{
			map[string]any{"type": "rootProperty", "properties": map[string]any{"property": "bundles"}},
		}},
	}
	if m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger {
		next := "{ cursor: $response.body.meta.nextCursor }"
		more := "={{ $response.body.meta.hasMore === true && !!$response.body.meta.nextCursor }}"
		if m.Type == manifest.KindTrigger {
			next = "{ state: $response.body.state }"
			more = "={{ $response.body.meta.hasMore === true && !!$response.body.state }}"
		}
		routing["operations"] = map[string]any{"pagination": map[string]any{
			"type": "generic",
			"properties": map[string]any{
				"continue": more,
				"request": map[string]any{
					"body": "={{ $response.body && $response.body.meta ? Object.assign({}, $request.body, " + next + ") : $request.body }}",
				},
			},
		}}
	}
	desc := strings.TrimSpace(m.Description)
	if desc == "" {
		desc = m.Label
	}
	return map[string]any{"name": m.Label, "value": m.Name, "action": m.Label, "description": desc, "routing": routing}
}

func show(res string, m manifest.ModuleDoc, extra map[string]any) map[string]any {
	s := map[string]any{"resource": []string{res}, "operation": []string{m.Name}}
	for k, v := range extra {
		s[k] = v
	}
	return map[string]any{"show": s}
}

// moduleProperties are a module's input parameters: required ones
// top-level, optional ones in an "Additional Fields" collection; a list's
// limit becomes "Return All" + "Limit" + "Page Size".
func moduleProperties(res string, m manifest.ModuleDoc) []any {
	var out, optional []any
	isList := m.Type == manifest.KindSearch || m.Type == manifest.KindTrigger
	for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
		if isList && f.Name == manifest.LimitName {
			out = append(out, listProperties(res, m, f)...)
			continue
		}
		p := property(f)
		if f.Required {
			p["required"] = true
			p["displayOptions"] = show(res, m, nil)
			out = append(out, p)
		} else {
			optional = append(optional, p)
		}
	}
	if len(optional) > 0 {
		sort.SliceStable(optional, func(i, j int) bool {
			return optional[i].(map[string]any)["displayName"].(string) < optional[j].(map[string]any)["displayName"].(string)
		})
		out = append(out, map[string]any{
			"displayName": "Additional Fields", "name": "additionalFields", "type": "collection",
			"placeholder": "Add Field", "default": map[string]any{},
			"displayOptions": show(res, m, nil), "options": optional,
		})
	}
	return out
}

func listProperties(res string, m manifest.ModuleDoc, limit manifest.Field) []any {
	bounds := map[string]any{"minValue": 1, "numberPrecision": 0}
	if limit.Max != nil {
		bounds["maxValue"] = *limit.Max
	}
	def := any(manifest.DefaultLimit)
	if limit.Default != nil {
		def = limit.Default
	}
	send := func() map[string]any {
		return map[string]any{"send": map[string]any{"type": "body", "property": "parameters." + limit.Name}}
	}
	pageSize := DefaultPageSize
	if limit.Max != nil && float64(pageSize) > *limit.Max {
		pageSize = int(*limit.Max)
	}
	return []any{
		map[string]any{
			"displayName": "Return All", "name": "returnAll", "type": "boolean", "default": false,
			"description":    "Whether to return all results or only up to a given limit",
			"displayOptions": show(res, m, nil),
			"routing":        map[string]any{"send": map[string]any{"paginate": "={{$value}}"}},
		},
		map[string]any{
			"displayName": limit.Label, "name": limit.Name, "type": "number", "default": def,
			"description": "Max number of results to return", "typeOptions": bounds,
			"displayOptions": show(res, m, map[string]any{"returnAll": []bool{false}}),
			"routing":        send(),
		},
		map[string]any{
			"displayName": "Page Size", "name": "pageSize", "type": "number", "default": pageSize,
			"description": "How many results each request to the connector returns while returning all", "typeOptions": bounds,
			"displayOptions": show(res, m, map[string]any{"returnAll": []bool{true}}),
			"routing":        send(),
		},
	}
}

// property maps one manifest field onto an n8n parameter that sends its
// value as parameters.<name>.
func property(f manifest.Field) map[string]any {
	p := map[string]any{"displayName": f.Label, "name": f.Name}
	if f.Help != "" {
		p["description"] = f.Help
	}
	send := map[string]any{"type": "body", "property": "parameters." + f.Name}
	typeOptions := map[string]any{}
	var def any = ""
	switch f.Type {
	case manifest.TypeNumber, manifest.TypeUInteger, manifest.TypeInteger:
		p["type"] = "number"
		def = 0
		if f.Type != manifest.TypeNumber {
			typeOptions["numberPrecision"] = 0
		}
		if f.Type == manifest.TypeUInteger {
			typeOptions["minValue"] = 0
		}
		if f.Min != nil {
			typeOptions["minValue"] = *f.Min
		}
		if f.Max != nil {
			typeOptions["maxValue"] = *f.Max
		}
	case manifest.TypeBoolean:
		p["type"] = "boolean"
		def = false
	case manifest.TypeDate:
		p["type"] = "dateTime"
	case manifest.TypeSelect:
		p["type"] = "options"
		if f.Multiple {
			p["type"] = "multiOptions"
			def = []any{}
		}
		if f.OptionsRPC != "" {
			typeOptions["loadOptionsMethod"] = f.OptionsRPC
			p["description"] = strings.TrimSpace(f.Help + ` Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.`)
		} else {
			opts := make([]any, 0, len(f.Options))
			for _, o := range f.Options {
				opts = append(opts, map[string]any{"name": o.Label, "value": o.Value})
			}
			p["options"] = opts
			if !f.Multiple && len(f.Options) > 0 {
				def = f.Options[0].Value
			}
		}
	case manifest.TypeArray:
		if items := platform.ItemFields(f); len(items) > 0 {
			values := make([]any, 0, len(items))
			for _, c := range items {
				values = append(values, map[string]any{"displayName": c.Label, "name": c.Name, "type": "string", "default": "", "description": c.Help})
			}
			p["type"] = "fixedCollection"
			typeOptions["multipleValues"] = true
			p["options"] = []any{map[string]any{"displayName": f.Label, "name": "items", "values": values}}
			def = map[string]any{}
			send["value"] = "={{ $value.items }}"
		} else {
			p["type"] = "json"
			send["value"] = "={{ typeof $value === 'string' ? JSON.parse($value) : $value }}"
		}
	case manifest.TypeCollection, manifest.TypeAny:
		p["type"] = "json"
		send["value"] = "={{ typeof $value === 'string' ? JSON.parse($value) : $value }}"
	case manifest.TypeEmail:
		p["type"] = "string"
		p["placeholder"] = "name@email.com"
	case manifest.TypePassword:
		p["type"] = "string"
		typeOptions["password"] = true
	default:
		p["type"] = "string"
		if f.Multiline {
			typeOptions["rows"] = 4
		}
	}
	if f.Default != nil {
		def = f.Default
	}
	p["default"] = def
	if len(typeOptions) > 0 {
		p["typeOptions"] = typeOptions
	}
	p["routing"] = map[string]any{"send": send}
	return p
}

func readme(doc manifest.Document, base string) string {
	var s strings.Builder
	fmt.Fprintf(&s, "# %s for n8n\n\n%s\n\n", doc.App.Label, doc.App.Description)
	fmt.Fprintf(&s, "An n8n community node generated by the connector (version %s); every operation calls the connector at\n%s. ", doc.App.Version, base)
	s.WriteString("Regenerate it with `connector export n8n` rather than editing it here.\n\n")
	s.WriteString("- Install: `npm pack` here, then in n8n's folder `npm install <the .tgz>` (or publish it and install it\n  under Settings > Community Nodes).\n")
	s.WriteString("- Credential: the Private Token, and one of the connector's engine keys.\n")
	return s.String()
}
