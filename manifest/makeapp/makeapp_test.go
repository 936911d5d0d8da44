package makeapp_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/makeapp"
	"github.com/profitwell-connector/connector/manifest/makeapp/makeschema"
	"github.com/profitwell-connector/connector/modules"
)

// makeSchemas is Make's own app schemas, embedded by makeschema.
type makeSchemas struct {
	byName makeschema.Set
}

func loadMakeSchemas(t *testing.T) *makeSchemas {
	t.Helper()
	set, err := makeschema.Load()
	require.NoError(t, err)
	return &makeSchemas{byName: set}
}

// schemaFor says which schema checks a file of the layout (the table in
// make-schemas/README.md); "" means the file has none (the readme).
func schemaFor(path string) string {
	base := filepath.Base(path)
	switch {
	case base == "makecomapp.json":
		return "makecomapp.schema.json"
	case base == "README.md":
		return ""
	case base == "base.iml.json":
		return "base.json"
	case base == "groups.json":
		return "groups.json"
	case strings.HasSuffix(base, "common.json"):
		return "common.json"
	case strings.HasSuffix(base, ".communication.iml.json"):
		return "api.json"
	case strings.HasSuffix(base, ".epoch.iml.json"):
		return "epoch.json"
	case strings.HasSuffix(base, ".samples.iml.json"):
		return "samples.json"
	case strings.HasSuffix(base, ".params.iml.json"), strings.HasSuffix(base, ".static-params.iml.json"),
		strings.HasSuffix(base, ".mappable-params.iml.json"), strings.HasSuffix(base, ".interface.iml.json"):
		return "parameters.json"
	}
	return "unknown"
}

func (s *makeSchemas) validate(t *testing.T, path string, data []byte) error {
	t.Helper()
	name := schemaFor(path)
	require.NotEqual(t, "unknown", name, "no schema is known for %s", path)
	if name == "" {
		return nil
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	require.NoError(t, err, "%s is not JSON", path)
	return s.byName[name].Validate(inst)
}

func defaultDocument(t *testing.T) manifest.Document {
	t.Helper()
	registry, err := modules.Default(modules.Options{})
	require.NoError(t, err)
	return modules.Document(registry)
}

func exportTo(t *testing.T, doc manifest.Document, opts makeapp.Options) (string, []makeapp.File) {
	t.Helper()
	files, err := makeapp.Build(doc, opts)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, makeapp.Write(dir, files))
	return dir, files
}

func readJSON(t *testing.T, dir, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path)))
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(raw, &v), path)
	return v
}

// TestEveryFileValidatesAgainstMakeSchemas writes the whole app and checks
// every file on disk against its schema, and that makecomapp.json lists
// exactly the files written.
func TestEveryFileValidatesAgainstMakeSchemas(t *testing.T) {
	t.Parallel()
	schemas := loadMakeSchemas(t)
	doc := defaultDocument(t)
	tests := []struct {
		name string
		opts makeapp.Options
	}{
		{"defaults", makeapp.Options{}},
		{"public URL, key and origin", makeapp.Options{
			PublicURL: "https://connector.example.com/", APIKey: "engine-key-0123456789",
			Origin:   &makeapp.Origin{BaseURL: "https://eu1.make.com/api", AppID: "profitwell-a1b2", AppVersion: 1},
			Triggers: map[string]makeapp.Trigger{"watchCustomers": newestFirstEpoch},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := exportTo(t, doc, tc.opts)
			var onDisk []string
			require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, err := filepath.Rel(dir, path)
				require.NoError(t, err)
				rel = filepath.ToSlash(rel)
				onDisk = append(onDisk, rel)
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.NoError(t, schemas.validate(t, rel, data), "%s does not validate", rel)
				return nil
			}))

			// makecomapp.json names every file, and every named file exists.
			project := readJSON(t, dir, makeapp.ProjectFile)
			listed := []string{makeapp.ProjectFile}
			for _, p := range project["generalCodeFiles"].(map[string]any) {
				listed = append(listed, p.(string))
			}
			for _, comps := range project["components"].(map[string]any) {
				for _, c := range comps.(map[string]any) {
					for _, p := range c.(map[string]any)["codeFiles"].(map[string]any) {
						listed = append(listed, p.(string))
					}
				}
			}
			sort.Strings(listed)
			sort.Strings(onDisk)
			assert.Equal(t, listed, onDisk)

			// One component per module, RPC and the connection.
			comps := project["components"].(map[string]any)
			assert.Len(t, comps["module"], len(doc.Modules))
			assert.Len(t, comps["rpc"], len(doc.RPCs))
			assert.Len(t, comps["connection"], 1)
		})
	}
}

// TestSchemaCheckCanFail shows that the schemas refuse what Make would
// refuse, so the test above is not vacuous.
func TestSchemaCheckCanFail(t *testing.T) {
	t.Parallel()
	schemas := loadMakeSchemas(t)
	tests := []struct {
		path, body string
	}{
		{"modules/x/x.communication.iml.json", `{"url":"/x","method":"POST","body":{},"frobnicate":true}`},
		{"modules/x/x.communication.iml.json", `{"url":"/x","method":"POST"}`},
		{"modules/x/x.communication.iml.json", `{"url":"/x","response":{"trigger":{"type":"date","order":"asc","id":"{{item.id}}"}}}`},
		{"modules/x/x.epoch.iml.json", `{"response":{"output":{"label":"x"}}}`},
		{"modules/groups.json", `[{"label":"x"}]`},
		{"modules/x/x.static-params.iml.json", `[{"name":"x","type":"text","unit":"cents"}]`},
		{"makecomapp.json", `{"fileVersion":1}`},
		{"makecomapp.json", `{"fileVersion":1,"generalCodeFiles":{"base":null,"common":null,"groups":null,"readme":null},
			"components":{"connection":{},"endpoint":{},"function":{},"module":{},"rpc":{},"webhook":{}},
			"origins":[{"label":"-FILL-ME-","apikeyFile":"x","appId":"my-app","appVersion":1,"baseUrl":"https://eu1.make.com/api"}]}`},
		{"general/base.iml.json", `{"response":{"error":{"type":"NotAnErrorType","message":"x"}}}`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			assert.Error(t, schemas.validate(t, tc.path, []byte(tc.body)))
		})
	}
}

// TestCommunicationFollowsTheConnectorContract checks what each module's
// request does, beyond its shape.
func TestCommunicationFollowsTheConnectorContract(t *testing.T) {
	t.Parallel()
	doc := defaultDocument(t)
	dir, _ := exportTo(t, doc, makeapp.Options{PublicURL: "https://pw.example.com"})

	base := readJSON(t, dir, makeapp.BaseFile)
	assert.Equal(t, "https://pw.example.com", base["baseUrl"])
	assert.Equal(t, map[string]any{"Authorization": "Bearer {{common.apiKey}}"}, base["headers"])
	assert.Equal(t, map[string]any{"type": "{{body.error.type}}", "message": "{{body.error.message}}",
		"504": map[string]any{"type": "ConnectionError", "message": "{{body.error.message}}"}},
		base["response"].(map[string]any)["error"])
	assert.Contains(t, base["log"].(map[string]any)["sanitize"], "request.body.connection.privateToken")

	conn := readJSON(t, dir, "connections/profitwell/profitwell.communication.iml.json")
	assert.Equal(t, "https://pw.example.com/v1/connection/verify", conn["url"], "a connection does not inherit the base")
	assert.Equal(t, "POST", conn["method"])
	assert.Equal(t, map[string]any{"Authorization": "Bearer {{common.apiKey}}"}, conn["headers"])
	assert.Equal(t, map[string]any{"connection": map[string]any{"privateToken": "{{parameters.privateToken}}"}}, conn["body"])
	assert.Equal(t, "{{body.metadata.label}}", conn["response"].(map[string]any)["metadata"].(map[string]any)["value"])

	wantConn := map[string]any{"privateToken": "{{connection.privateToken}}"}
	for _, m := range doc.Modules {
		t.Run(m.Name, func(t *testing.T) {
			c := readJSON(t, dir, "modules/"+kebabName(m.Name)+"/"+kebabName(m.Name)+".communication.iml.json")
			assert.Equal(t, "/v1/modules/"+m.Name+"/execute", c["url"])
			assert.Equal(t, "POST", c["method"])
			body := c["body"].(map[string]any)
			assert.Equal(t, wantConn, body["connection"])
			params := body["parameters"].(map[string]any)
			assert.Len(t, params, len(m.Parameters)+len(m.Expect), "every input and nothing else")
			for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
				assert.Contains(t, params[f.Name], "parameters."+f.Name)
			}
			resp := c["response"].(map[string]any)
			switch m.Type {
			case manifest.KindSearch:
				assert.Equal(t, "{{body.bundles}}", resp["iterate"])
				assert.Equal(t, "{{parameters.limit}}", resp["limit"])
				p := c["pagination"].(map[string]any)
				assert.Equal(t, "{{body.meta.hasMore}}", p["condition"])
				assert.Equal(t, "{{body.meta.nextCursor}}", p["body"].(map[string]any)["cursor"])
				assert.Equal(t, params, p["body"].(map[string]any)["parameters"])
			case manifest.KindTrigger:
				assert.Equal(t, "{{body.bundles}}", resp["iterate"])
				assert.Equal(t, map[string]any{"type": "date", "order": "asc",
					"id": "{{item.customer_id}}", "date": "{{item.updated_on}}"}, resp["trigger"])
				assert.NotContains(t, c, "pagination", "one request a run: the connector pages ProfitWell itself")
				assert.Equal(t, map[string]any{"module": m.Name, "after": map[string]any{"date": "{{data.lastDate}}", "id": "{{data.lastID}}"}},
					body["state"], "Make's stored position is the trigger's state")
				epoch := readJSON(t, dir, "modules/"+kebabName(m.Name)+"/"+kebabName(m.Name)+".epoch.iml.json")
				assert.Equal(t, c["url"], epoch["url"], "without an epoch source the trigger lists its own items")
				assert.Equal(t, map[string]any{"label": "{{item.customer_id}}", "date": "{{item.updated_on}}"},
					epoch["response"].(map[string]any)["output"])
			default:
				assert.Equal(t, "{{first(body.bundles)}}", resp["output"], "an action returns its one bundle")
				assert.NotContains(t, c, "pagination", "Make forbids pagination in actions")
				assert.NotContains(t, resp, "iterate", "Make forbids iterate in actions")
			}
		})
	}
	for _, r := range doc.RPCs {
		c := readJSON(t, dir, "rpcs/"+kebabName(r.Name)+"/"+kebabName(r.Name)+".communication.iml.json")
		assert.Equal(t, "/v1/rpc/"+r.Name, c["url"])
		assert.Equal(t, "{{body.options}}", c["response"].(map[string]any)["iterate"])
		assert.Equal(t, wantConn, c["body"].(map[string]any)["connection"])
	}

	groups, err := os.ReadFile(filepath.Join(dir, makeapp.GroupsFile))
	require.NoError(t, err)
	var g []manifest.Group
	require.NoError(t, json.Unmarshal(groups, &g))
	assert.Equal(t, doc.Groups, g)
}

func kebabName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('-')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// TestEngineKeyOnlyInCommonData: the key is never written into a request.
func TestEngineKeyOnlyInCommonData(t *testing.T) {
	t.Parallel()
	const key = "engine-key-canary-0123456789"
	tests := []struct {
		name, key string
		want      string
	}{
		{"with a key", key, key},
		{"without a key", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, files := exportTo(t, defaultDocument(t), makeapp.Options{APIKey: tc.key})
			commons := 0
			for _, f := range files {
				if strings.HasSuffix(f.Path, "common.json") {
					commons++
					var v map[string]string
					require.NoError(t, json.Unmarshal(f.Data, &v))
					assert.Equal(t, map[string]string{"apiKey": tc.want}, v, f.Path)
					continue
				}
				assert.NotContains(t, string(f.Data), key, f.Path)
			}
			assert.Equal(t, 2, commons, "the app's and the connection's common data")
		})
	}
}

// newestFirstEpoch lists Watch Customers' epoch panel from List Customers,
// newest first.
var newestFirstEpoch = makeapp.Trigger{ID: "customer_id", Date: "updated_on", Since: "since", Epoch: &makeapp.Epoch{
	Module: "listCustomers", Parameters: map[string]any{"direction": "desc"}, Label: "{{ifempty(item.email, item.customer_id)}}",
}}

func TestEpochFromASearchModule(t *testing.T) {
	t.Parallel()
	dir, _ := exportTo(t, defaultDocument(t), makeapp.Options{Triggers: map[string]makeapp.Trigger{"watchCustomers": newestFirstEpoch}})
	epoch := readJSON(t, dir, "modules/watch-customers/watch-customers.epoch.iml.json")
	assert.Equal(t, "/v1/modules/listCustomers/execute", epoch["url"])
	body := epoch["body"].(map[string]any)
	assert.Equal(t, map[string]any{"direction": "desc", "limit": float64(300)}, body["parameters"])
	assert.Contains(t, body, "state")
	assert.Nil(t, body["state"], "the trigger's state, merged in by Make, is cleared")
	assert.Equal(t, map[string]any{"label": "{{ifempty(item.email, item.customer_id)}}", "date": "{{item.updated_on}}"},
		epoch["response"].(map[string]any)["output"])
}

func TestBuildRefusesBadOptions(t *testing.T) {
	t.Parallel()
	doc := defaultDocument(t)
	noDate := manifest.Build(manifest.App{Name: "x"}, manifest.Connection{Name: "x"}, nil, []manifest.ModuleSpec{{
		Name: "watchThings", Kind: manifest.KindTrigger,
		Interface: []manifest.Field{{Name: "thing_id", Type: manifest.TypeText}},
	}})
	tests := []struct {
		name string
		doc  manifest.Document
		opts makeapp.Options
		want string
	}{
		{"relative URL", doc, makeapp.Options{PublicURL: "connector:8080"}, "public URL"},
		{"URL with credentials", doc, makeapp.Options{PublicURL: "https://u:p@x.example"}, "public URL"},
		{"URL with query", doc, makeapp.Options{PublicURL: "https://x.example/?a=1"}, "public URL"},
		{"epoch from a module that is not a search", doc, makeapp.Options{Triggers: map[string]makeapp.Trigger{
			"watchCustomers": {ID: "customer_id", Date: "updated_on", Epoch: &makeapp.Epoch{Module: "getCustomer", Label: "x"}}}}, "not a search"},
		{"epoch parameter the module lacks", doc, makeapp.Options{Triggers: map[string]makeapp.Trigger{
			"watchCustomers": {ID: "customer_id", Date: "updated_on", Epoch: &makeapp.Epoch{Module: "listCustomers", Parameters: map[string]any{"order": "desc"}, Label: "x"}}}}, "no input"},
		{"epoch without a label", doc, makeapp.Options{Triggers: map[string]makeapp.Trigger{
			"watchCustomers": {ID: "customer_id", Date: "updated_on", Epoch: &makeapp.Epoch{Module: "listCustomers"}}}}, "label"},
		{"origin URL", doc, makeapp.Options{Origin: &makeapp.Origin{BaseURL: "http://eu1.make.com", AppID: "app-1", AppVersion: 1}}, "origin URL"},
		{"origin app id", doc, makeapp.Options{Origin: &makeapp.Origin{BaseURL: "https://eu1.make.com/api", AppID: "App_1", AppVersion: 1}}, "app id"},
		{"trigger without a date", noDate, makeapp.Options{}, "no id or date"},
		{"trigger override naming a missing field", doc, makeapp.Options{Triggers: map[string]makeapp.Trigger{
			"watchCustomers": {ID: "customer_id", Date: "email"}}}, "date field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := makeapp.Build(tc.doc, tc.opts)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestWriteRefusesPathsOutsideTheDirectory(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"../x", "/etc/x", "a//b", "a/./b", ""} {
		assert.Error(t, makeapp.Write(t.TempDir(), []makeapp.File{{Path: p, Data: []byte("x")}}), p)
	}
}

func TestFileNamesFollowMakesLayout(t *testing.T) {
	t.Parallel()
	_, files := exportTo(t, defaultDocument(t), makeapp.Options{})
	paths := map[string]bool{}
	for _, f := range files {
		paths[f.Path] = true
	}
	for _, want := range []string{
		"makecomapp.json", "README.md", "general/base.iml.json", "general/common.json", "modules/groups.json",
		"connections/profitwell/profitwell.params.iml.json",
		"modules/list-plans/list-plans.mappable-params.iml.json",
		"modules/watch-customers/watch-customers.epoch.iml.json",
		"modules/make-api-call/make-api-call.interface.iml.json",
		"rpcs/list-metric-plan-ids/list-metric-plan-ids.communication.iml.json",
	} {
		assert.True(t, paths[want], want)
	}
	assert.False(t, paths["modules/watch-customers/watch-customers.mappable-params.iml.json"], "triggers take no mappable parameters")
}

// connectorErrors are the (HTTP status, error type) pairs the connector
// answers (api/errors.go, and the README's error table).
var connectorErrors = []struct {
	status int
	typ    string
}{
	{400, api.TypeDataError}, {413, api.TypeDataError}, {415, api.TypeDataError}, {422, api.TypeDataError},
	{401, api.TypeInvalidAccessTokenError}, {409, api.TypeDuplicateDataError}, {429, api.TypeRateLimitError},
	{409, api.TypeConnectionError}, {503, api.TypeConnectionError}, {504, api.TypeModuleTimeoutError},
	{401, api.TypeInvalidConfigurationError}, {404, api.TypeInvalidConfigurationError}, {405, api.TypeInvalidConfigurationError},
	{500, api.TypeRuntimeError},
}

// raisedType is the type Make raises for an answer under an error
// directive: the entry of the answer's status when there is one, else the
// directive's own (developers.make.com, handling-responses/error.md).
func raisedType(directive map[string]any, status int, typ string) string {
	if d, ok := directive[strconv.Itoa(status)].(map[string]any); ok {
		directive = d
	}
	return strings.ReplaceAll(directive["type"].(string), "{{body.error.type}}", typ)
}

// TestEveryRaisedErrorTypeIsOneMakeAccepts: under every error directive of
// the app, every error the connector answers is raised as a type of the
// enum in Make's app schema; the connector's ModuleTimeoutError, which is
// not in it, is raised as ConnectionError.
func TestEveryRaisedErrorTypeIsOneMakeAccepts(t *testing.T) {
	t.Parallel()
	allowed, err := makeschema.ErrorTypes()
	require.NoError(t, err)
	require.NotContains(t, allowed, api.TypeModuleTimeoutError, "the reason for the mapping")
	doc := defaultDocument(t)
	dir, files := exportTo(t, doc, makeapp.Options{})
	var directives int
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".iml.json") {
			continue
		}
		var v map[string]any
		if json.Unmarshal(f.Data, &v) != nil {
			continue // an array file (parameters)
		}
		resp, _ := v["response"].(map[string]any)
		directive, ok := resp["error"].(map[string]any)
		if !ok {
			continue
		}
		directives++
		for _, e := range connectorErrors {
			assert.Contains(t, allowed, raisedType(directive, e.status, e.typ), "%s: %d %s", f.Path, e.status, e.typ)
		}
		assert.Equal(t, "ConnectionError", raisedType(directive, 504, api.TypeModuleTimeoutError), f.Path)
		assert.Equal(t, "DataError", raisedType(directive, 400, api.TypeDataError), "%s: other types pass through", f.Path)
	}
	assert.Equal(t, 2, directives, "the base and the connection")
	readme, err := os.ReadFile(filepath.Join(dir, makeapp.ReadmeFile))
	require.NoError(t, err)
	assert.Contains(t, string(readme), "ModuleTimeoutError")
}

// TestListLimitsCapAtWhatMakeDelivers: in the app, a list module's Limit
// allows at most 3,200 (Make's record cap per execution) while the
// connector's own manifest keeps its cap; a lower connector cap stays.
func TestListLimitsCapAtWhatMakeDelivers(t *testing.T) {
	t.Parallel()
	for _, cap := range []int{manifest.DefaultLimitCap, 500} {
		registry, err := modules.Default(modules.Options{LimitCap: cap})
		require.NoError(t, err)
		doc := modules.Document(registry)
		dir, _ := exportTo(t, doc, makeapp.Options{})
		want := float64(min(cap, makeapp.MakeMaxRecords))
		lists := 0
		for _, m := range doc.Modules {
			if m.Type != manifest.KindSearch && m.Type != manifest.KindTrigger {
				continue
			}
			lists++
			file := ".mappable-params.iml.json"
			if m.Type == manifest.KindTrigger {
				file = ".static-params.iml.json"
			}
			var params []map[string]any
			raw, err := os.ReadFile(filepath.Join(dir, "modules", kebabName(m.Name), kebabName(m.Name)+file))
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(raw, &params))
			limit := params[len(params)-1]
			require.Equal(t, manifest.LimitName, limit["name"], m.Name)
			assert.Equal(t, want, limit["validate"].(map[string]any)["max"], "%s with connector cap %d", m.Name, cap)
			for _, f := range append(append([]manifest.Field{}, m.Parameters...), m.Expect...) {
				if f.Name == manifest.LimitName {
					assert.Equal(t, float64(cap), *f.Max, "%s: the connector's own cap stays", m.Name)
				}
			}
		}
		assert.Equal(t, 6, lists)
	}
}

// TestCustomerPickerSearchesAndPages: a module with a Customer picker shows
// a search field right before it, which Make passes to the linked RPC
// (developers.make.com, rpcs.md: "Parameters from the modules are passed
// automatically to linked RPCs") and the module does not send to the
// connector; the RPC sends it as the query and pages with the cursor, up to
// Make's recommended 3 calls and 3 × page records.
func TestCustomerPickerSearchesAndPages(t *testing.T) {
	t.Parallel()
	doc := defaultDocument(t)
	dir, _ := exportTo(t, doc, makeapp.Options{})
	search := makeapp.SearchFieldName("searchCustomers")
	pickers := 0
	for _, m := range doc.Modules {
		var params []map[string]any
		raw, err := os.ReadFile(filepath.Join(dir, "modules", kebabName(m.Name), kebabName(m.Name)+".mappable-params.iml.json"))
		if err != nil {
			continue // a trigger
		}
		require.NoError(t, json.Unmarshal(raw, &params))
		for i, p := range params {
			if p["options"] != "rpc://searchCustomers" {
				if p["name"] == search {
					require.Less(t, i+1, len(params), m.Name)
					assert.Equal(t, "rpc://searchCustomers", params[i+1]["options"], "%s: a search field only before a picker", m.Name)
				}
				continue
			}
			pickers++
			require.Positive(t, i, m.Name)
			assert.Equal(t, search, params[i-1]["name"], "%s: the search field comes right before the picker", m.Name)
			assert.Equal(t, "text", params[i-1]["type"])
			assert.NotEmpty(t, params[i-1]["help"])
		}
		c := readJSON(t, dir, "modules/"+kebabName(m.Name)+"/"+kebabName(m.Name)+".communication.iml.json")
		assert.NotContains(t, c["body"].(map[string]any)["parameters"], search, "%s: not sent to the connector", m.Name)
	}
	assert.Equal(t, 2, pickers, "getCustomer and excludeCustomer")

	rpc := readJSON(t, dir, "rpcs/search-customers/search-customers.communication.iml.json")
	assert.Equal(t, "{{parameters."+search+"}}", rpc["body"].(map[string]any)["query"])
	assert.Equal(t, float64(3*25), rpc["response"].(map[string]any)["limit"])
	p := rpc["pagination"].(map[string]any)
	assert.Equal(t, "{{body.nextCursor}}", p["condition"])
	pb := p["body"].(map[string]any)
	assert.Equal(t, "{{body.nextCursor}}", pb["cursor"])
	assert.Equal(t, "{{parameters."+search+"}}", pb["query"], "Make replaces the body: the query goes again")
	assert.Equal(t, rpc["body"].(map[string]any)["connection"], pb["connection"])

	plans := readJSON(t, dir, "rpcs/list-plans/list-plans.communication.iml.json")
	assert.NotContains(t, plans, "pagination", "an RPC without pages")
	assert.NotContains(t, plans["body"], "query")
}
