package profitwell

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

var planSeeds = []string{
	`[{"id":"free-plan","name":"Free subscription plan"}]`,
	`[{"id":"starter","name":"Starter"},{"id":"growth","name":"Growth"},{"id":"pro","name":"Pro (annual)"}]`,
	` [ { "name" : "Ünïcode", "id" : "a" } , {"id":"b"} , {} ] `,
	`[]`, ` [ ] `, `{"id":"pro","name":"Pro"}`, ` {"name":"x"} `,
	`[{"id":"a","id":"b"}]`, `[{"id":"a","extra":1}]`, `[{"id":null}]`, `[{"id":"a\"b"}]`, `[{"id":"\u0041"}]`,
	`[{"id":"a"},]`, `[{"id":"a"}`, `[{"id":"a"}] x`, `[{"id":"a"}]]`, `[1]`, `["a"]`, `[{"ID":"a"}]`, `{"id":"a"`,
	"[{\"id\":\"\xff\"}]", "[{\"id\":\"a\x01\"}]", `null`, ``, `[{"id":"a" "name":"b"}]`, `[{"id" "a"}]`,
}

// TestScanPlansCanonical: ProfitWell's usual bodies take the scan.
func TestScanPlansCanonical(t *testing.T) {
	plans, ok := scanPlans(planSeeds[1])
	assert.True(t, ok)
	assert.Equal(t, []Plan{{"starter", "Starter"}, {"growth", "Growth"}, {"pro", "Pro (annual)"}}, plans)
	plans, ok = scanPlans(planSeeds[2])
	assert.True(t, ok)
	assert.Equal(t, []Plan{{"a", "Ünïcode"}, {ID: "b"}, {}}, plans)
	plans, ok = scanPlans(`[]`)
	assert.True(t, ok)
	assert.Equal(t, []Plan{}, plans)
	pl, ok := scanPlanObject(`{"id":"pro","name":"Pro"}`)
	assert.True(t, ok)
	assert.Equal(t, Plan{"pro", "Pro"}, pl)
	for _, s := range []string{`[{"id":"a","id":"b"}]`, `[{"id":"a","extra":1}]`, `[{"id":"a\"b"}]`, `[{"id":"a"}] x`} {
		_, ok := scanPlans(s)
		assert.False(t, ok, s)
	}
}

func TestScanPlansMatchesDecoder(t *testing.T) {
	for _, s := range planSeeds {
		comparePlanScan(t, s)
	}
}

// FuzzScanPlans: whatever the scan accepts, encoding/json decodes to the
// same plans.
func FuzzScanPlans(f *testing.F) {
	for _, s := range planSeeds {
		f.Add(s)
	}
	f.Fuzz(comparePlanScan)
}

func comparePlanScan(t *testing.T, s string) {
	if plans, ok := scanPlans(s); ok {
		var want []Plan
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("scanned %q, which encoding/json refuses: %v", s, err)
		}
		if !reflect.DeepEqual(plans, want) {
			t.Fatalf("%q: scan %#v, encoding/json %#v", s, plans, want)
		}
	}
	if pl, ok := scanPlanObject(s); ok {
		var want Plan
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("scanned %q, which encoding/json refuses: %v", s, err)
		}
		if pl != want {
			t.Fatalf("%q: scan %#v, encoding/json %#v", s, pl, want)
		}
	}
}

func TestPlanAppendJSON(t *testing.T) {
	for _, p := range []Plan{{}, {"pro", "Pro"}, {"a\"b", "c\\d"}, {"<&>", "é ü 日本"}, {"\x01\n\t", "\u2028\u2029"}, {"\xff", "ok"}} {
		comparePlanJSON(t, p.ID, p.Name)
	}
	assert.Equal(t, `{"id":"pro","name":"Pro (annual)"}`, string(Plan{"pro", "Pro (annual)"}.AppendJSON(nil)))
}

// FuzzPlanAppendJSON: AppendJSON writes what encoding/json writes.
func FuzzPlanAppendJSON(f *testing.F) {
	f.Add("pro", "Pro")
	f.Add("a\"b", "<\u2028\xff>")
	f.Fuzz(func(t *testing.T, id, name string) { comparePlanJSON(t, id, name) })
}

func comparePlanJSON(t *testing.T, id, name string) {
	p := Plan{ID: id, Name: name}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(buf.String(), "\n")
	if got := string(p.AppendJSON([]byte("x"))); got != "x"+want {
		t.Fatalf("%q %q: AppendJSON %s, encoding/json %s", id, name, got, want)
	}
}
