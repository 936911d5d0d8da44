package modules

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
)

// exampleNow is the instant every module example runs at: the sandbox lays
// out its seeded data relative to the start of that day, and writes are
// dated with it, so an example's output is the same on every run.
var exampleNow = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// newExampleSandbox is the sandbox the examples are written against: the
// emulator with seed 42 and the clock stopped at exampleNow.
func newExampleSandbox(t *testing.T) *sandbox {
	t.Helper()
	now := func() time.Time { return exampleNow }
	srv := profitwelltest.NewTestServer(t, profitwelltest.Options{Seed: 42, Reference: exampleNow.Truncate(24 * time.Hour), Now: now})
	s := sandboxAt(t, srv.URL, srv.Emulator, nil)
	s.now = now
	return s
}

// outputVariants are further parameters, beside each example's, under which
// every bundle must still carry every output: the metrics modules for each
// choice of plan and metrics.
var outputVariants = map[string][]map[string]any{
	"getMonthlyMetrics": {
		{},
		{"planId": "pro"},
		{"metrics": []any{"recurring_revenue", "plan_change_rate"}},
		{"planId": "pro", "metrics": []any{"plan_changed_recurring_revenue"}, "limit": 30},
	},
	"getDailyMetrics": {
		{},
		{"planId": "pro", "limit": 31},
		{"metrics": []any{"new_customers"}, "month": "2025-12", "limit": 31},
	},
}

// TestModuleExamples holds every module of the registry to its declaration
// on the sandbox: the example's parameters run, the first bundle is exactly
// the example's output (which is the module's sample), and every bundle of
// the example and of the output variants is of the declared Go type and
// carries exactly the interface's fields (null when ProfitWell has no value),
// nested arrays of objects included.
func TestModuleExamples(t *testing.T) {
	t.Parallel()
	reg, err := Default(Options{})
	require.NoError(t, err)
	require.Len(t, reg.Specs(), len(All()))
	for i, spec := range reg.Specs() {
		t.Run(spec.Name, func(t *testing.T) {
			t.Parallel()
			require.NotNil(t, spec.Example.Output, "every module has a runnable example")
			assert.Equal(t, fieldNames(spec.Interface), sortedKeys(spec.Sample()), "the sample has exactly the interface's fields")
			bundle := All()[i].decl().bundle
			runs := append([]map[string]any{spec.Example.Parameters}, outputVariants[spec.Name]...)
			for n, params := range runs {
				s := newExampleSandbox(t)
				out, _ := s.mustRun(spec.Name, copyParams(params))
				require.NotEmpty(t, out.Bundles, "run %d (%v) has bundles", n, params)
				for _, b := range out.Bundles {
					assert.True(t, bundle.holds(b), "run %d: bundle of %T, not a declared bundle type", n, b)
					assertCarriesInterface(t, spec.Interface, b, spec.Name)
				}
				if n == 0 {
					first := out.Bundles[0]
					if raw, ok := first.(rawCallBundle); ok {
						// The Date header comes from net/http's own clock,
						// which the sandbox's stopped clock does not govern.
						raw.Headers = maps.Clone(raw.Headers)
						raw.Headers["date"] = spec.Example.Output["headers"].(map[string]any)["date"].(string)
						first = raw
					}
					assert.JSONEq(t, mustJSON(t, spec.Example.Output), mustJSON(t, first),
						"the example's output is what the sandbox answers")
				}
			}
		})
	}
}

// assertCarriesInterface checks that a bundle encodes exactly the declared
// fields, and items of arrays of objects exactly their item fields.
func assertCarriesInterface(t *testing.T, fields []manifest.Field, bundle any, where string) {
	t.Helper()
	var obj map[string]any
	require.NoError(t, json.Unmarshal([]byte(mustJSON(t, bundle)), &obj), where)
	assert.Equal(t, fieldNames(fields), sortedKeys(obj), where)
	for _, f := range fields {
		if f.Type != manifest.TypeArray || len(f.Spec) == 0 || f.Spec[0].Name == "" {
			continue
		}
		items, _ := obj[f.Name].([]any)
		for _, it := range items {
			assertCarriesInterface(t, f.Spec, it, where+"."+f.Name+"[]")
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func copyParams(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		out[k] = v
	}
	return out
}

// namesMap is the set of a metrics bundle type's keys.
func (b monthlyMetricsBundle) namesMap() map[string]any { return setOf(b.OutputNames()) }

func (b dailyMetricsBundle) namesMap() map[string]any { return setOf(b.OutputNames()) }

func setOf(names []string) map[string]any {
	out := make(map[string]any, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out
}

// TestNewRegistryChecksBundleTypes: a declared bundle type that does not
// encode the interface stops the registry, like a parameters struct that
// does not match the inputs; a pass-through row is checked through its twin.
func TestNewRegistryChecksBundleTypes(t *testing.T) {
	t.Parallel()
	type wrongBundle struct {
		Name  string `json:"title"`
		Extra int    `json:"extra,omitempty"`
	}
	a := echoAction("echo")
	a.Bundle = BundleOf[wrongBundle]()
	_, err := NewRegistry(Options{}, []Module{a}, []*RPC{namesRPC(new(atomic.Int32))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `module "echo": output "name" has no Go field with json name "name"`)
	assert.Contains(t, err.Error(), `encodes "extra", which is not a declared output`)

	type nameBundle struct {
		Name string `json:"name"`
	}
	a.Bundle = BundleOf[nameBundle]()
	_, err = NewRegistry(Options{}, []Module{a}, []*RPC{namesRPC(new(atomic.Int32))})
	require.NoError(t, err)

	row := PassThroughOf[profitwell.CustomerRow, profitwell.Customer]()
	assert.Empty(t, row.check(listCustomers.Def), "a customer row has the customer's keys")
	assert.True(t, row.holds(profitwell.CustomerRow{}))
	assert.False(t, row.holds(profitwell.Customer{}), "the twin is the shape, not the bundle")
	assert.NotEmpty(t, BundleOf[profitwell.CustomerRow]().check(listCustomers.Def), "a row's own fields are not its JSON")
}

// holds reports whether v is a bundle of a declared Go type (pointers to it
// included).
func (b BundleType) holds(v any) bool {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return slices.ContainsFunc(b.shapes, func(s bundleShape) bool { return s.goType == t })
}
