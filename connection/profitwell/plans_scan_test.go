package profitwell

import (
	"encoding/json"
	"reflect"
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
