package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// Kind is a Make module type.
type Kind string

// Module kinds.
const (
	KindAction    Kind = "action"
	KindSearch    Kind = "search"
	KindTrigger   Kind = "trigger"
	KindUniversal Kind = "universal"
)

// CRUD tags an action with what it does to the remote object.
type CRUD string

// CRUD values.
const (
	CRUDCreate CRUD = "create"
	CRUDRead   CRUD = "read"
	CRUDUpdate CRUD = "update"
	CRUDDelete CRUD = "delete"
)

// Annotations are hints for engines and agents (Make Endpoints and MCP use
// the same three).
type Annotations struct {
	ReadOnly    bool `json:"readOnly"`
	Destructive bool `json:"destructive"`
	Idempotent  bool `json:"idempotent"`
}

// LimitName is the name of a list module's limit field.
const LimitName = "limit"

// ModuleSpec declares one module as the platform sees it.
type ModuleSpec struct {
	Name        string
	Label       string
	Description string
	Group       string
	Kind        Kind
	CRUD        CRUD
	Annotations Annotations
	// Parameters are static parameters (Make "parameters"); triggers have
	// only these.
	Parameters []Field
	// Expect are mappable parameters (Make "expect").
	Expect []Field
	// Interface declares the fields of one output bundle.
	Interface []Field
	// Samples is one sample bundle; a module with an Example leaves it
	// empty, and its example's output is the sample.
	Samples map[string]any
	// Example is a runnable example: parameters and the first bundle the
	// sandbox answers with them.
	Example Example
}

// Example is one execution of a module on the sandbox: the parameters sent
// and the first bundle answered. Tests run every example against the
// sandbox; the output is the module's sample, and the OpenAPI document and
// the README show both.
type Example struct {
	Parameters map[string]any `json:"parameters"`
	Output     map[string]any `json:"output"`
}

// Sample returns the module's sample bundle: its example's output, or
// Samples when it has no example.
func (m ModuleSpec) Sample() map[string]any {
	if m.Example.Output != nil {
		return m.Example.Output
	}
	return m.Samples
}

// Inputs returns every input field, static first.
func (m ModuleSpec) Inputs() []Field {
	out := make([]Field, 0, len(m.Parameters)+len(m.Expect))
	out = append(out, m.Parameters...)
	return append(out, m.Expect...)
}

// IsList reports whether the module returns 0..limit bundles.
func (m ModuleSpec) IsList() bool { return m.Kind == KindSearch || m.Kind == KindTrigger }

// RPCSpec declares a remote procedure that supplies select options.
type RPCSpec struct {
	Name       string  `json:"name"`
	Label      string  `json:"label"`
	Parameters []Field `json:"parameters"`
	// Search says the RPC narrows its options by a search text (the
	// request's "query").
	Search bool `json:"search,omitempty"`
	// PageSize, when set, is the most options one call answers; more come
	// with a nextCursor to send back as "cursor".
	PageSize int `json:"pageSize,omitempty"`
}

// App describes the application.
type App struct {
	Name        string `json:"name"`
	Label       string `json:"label"`
	Version     string `json:"version"`
	Description string `json:"description"`
	BaseURL     string `json:"baseUrl"`
	DocsURL     string `json:"docsUrl"`
	Theme       string `json:"theme"`
}

// Connection describes how users authenticate.
type Connection struct {
	Name       string  `json:"name"`
	Type       string  `json:"type"`
	Label      string  `json:"label"`
	Parameters []Field `json:"parameters"`
}

// Group lists the modules shown under one heading.
type Group struct {
	Label   string   `json:"label"`
	Modules []string `json:"modules"`
}

// ModuleDoc is the manifest form of a module.
type ModuleDoc struct {
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Description string         `json:"description"`
	Type        Kind           `json:"type"`
	CRUD        CRUD           `json:"crud,omitempty"`
	Annotations Annotations    `json:"annotations"`
	Parameters  []Field        `json:"parameters"`
	Expect      []Field        `json:"expect"`
	Interface   []Field        `json:"interface"`
	Samples     map[string]any `json:"samples"`
	// Example is the module's runnable example (not part of the served
	// manifest; the OpenAPI document shows it).
	Example *Example `json:"-"`
}

// Document is the whole manifest served at GET /v1/manifest.
type Document struct {
	ManifestVersion string      `json:"manifestVersion"`
	App             App         `json:"app"`
	Connection      Connection  `json:"connection"`
	Groups          []Group     `json:"groups"`
	RPCs            []RPCSpec   `json:"rpcs"`
	Modules         []ModuleDoc `json:"modules"`
}

// Build assembles the manifest from the declarations, in declaration order.
// Groups appear in the order their first module appears.
func Build(app App, conn Connection, rpcs []RPCSpec, mods []ModuleSpec) Document {
	doc := Document{
		ManifestVersion: "1",
		App:             app,
		Connection:      conn,
		Groups:          []Group{},
		RPCs:            nonNilRPCs(rpcs),
		Modules:         make([]ModuleDoc, 0, len(mods)),
	}
	index := map[string]int{}
	for _, m := range mods {
		if m.Group != "" {
			i, ok := index[m.Group]
			if !ok {
				i = len(doc.Groups)
				index[m.Group] = i
				doc.Groups = append(doc.Groups, Group{Label: m.Group})
			}
			doc.Groups[i].Modules = append(doc.Groups[i].Modules, m.Name)
		}
		doc.Modules = append(doc.Modules, ModuleDoc{
			Name: m.Name, Label: m.Label, Description: m.Description,
			Type: m.Kind, CRUD: m.CRUD, Annotations: m.Annotations,
			Parameters: nonNil(m.Parameters), Expect: nonNil(m.Expect),
			Interface: nonNil(m.Interface), Samples: nonNilMap(m.Sample()),
		})
		if m.Example.Output != nil {
			ex := m.Example
			doc.Modules[len(doc.Modules)-1].Example = &ex
		}
	}
	return doc
}

// Encode renders the document as indented JSON and returns it with a strong
// ETag derived from its bytes.
func (d Document) Encode() (body []byte, etag string, err error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, "", err
	}
	body = buf.Bytes()
	sum := sha256.Sum256(body)
	return body, `"` + hex.EncodeToString(sum[:16]) + `"`, nil
}

func nonNil(f []Field) []Field {
	if f == nil {
		return []Field{}
	}
	return f
}

func nonNilRPCs(r []RPCSpec) []RPCSpec {
	out := make([]RPCSpec, len(r))
	for i, s := range r {
		s.Parameters = nonNil(s.Parameters)
		out[i] = s
	}
	return out
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// DefaultLimit is the default of every list module's limit.
const DefaultLimit = 10

// LimitField declares a list module's limit; things names what is counted
// ("customers"). Its maximum is set from configuration by WithLimitCap.
func LimitField(things string) Field {
	return Field{
		Name:     LimitName,
		Label:    "Limit",
		Type:     TypeUInteger,
		Required: true,
		Default:  DefaultLimit,
		Min:      Ptr(1),
		Max:      Ptr(DefaultLimitCap),
		Help:     "Set the maximum number of " + things + " returned during one execution cycle.",
	}
}

// DefaultLimitCap is the largest limit accepted unless configured otherwise.
const DefaultLimitCap = 10000

// WithLimitCap returns a copy of the spec whose limit field allows at most
// limitCap bundles.
func (m ModuleSpec) WithLimitCap(limitCap int) ModuleSpec {
	set := func(fields []Field) []Field {
		out := make([]Field, len(fields))
		copy(out, fields)
		for i := range out {
			if out[i].Name == LimitName {
				out[i].Max = Ptr(float64(limitCap))
			}
		}
		return out
	}
	m.Parameters, m.Expect = set(m.Parameters), set(m.Expect)
	return m
}
