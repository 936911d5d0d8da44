package modules

import (
	"fmt"
	"reflect"
	"slices"

	"github.com/profitwell-connector/connector/manifest"
)

// Output fields shared by several modules.

var planInterface = []manifest.Field{
	{Name: "id", Label: "Plan ID", Type: manifest.TypeText},
	{Name: "name", Label: "Name", Type: manifest.TypeText},
}

// planIDField is a plan picker whose options come from listPlans; users can
// also map any plan id.
func planIDField(help string) manifest.Field {
	return manifest.Field{
		Name: "planId", Label: "Plan ID", Type: manifest.TypeSelect,
		OptionsRPC: "listPlans", Required: true, Help: help,
	}
}

// optionsOf are the options of a static select: each value labelled by label.
func optionsOf(values []string, label func(string) string) []manifest.Option {
	out := make([]manifest.Option, len(values))
	for i, v := range values {
		out[i] = manifest.Option{Label: label(v), Value: v}
	}
	return out
}

// BundleType declares the Go type of a module's bundles; NewRegistry checks
// it against the module's interface (manifest.CheckOutput), as it checks the
// parameters struct against the inputs. A module whose bundles come in more
// than one shape (a record, or an echo when ProfitWell answers without one)
// declares each.
type BundleType struct{ shapes []bundleShape }

type bundleShape struct {
	goType reflect.Type // the dynamic type Run, All or Page puts in bundles
	json   reflect.Type // whose encoding the bundles have: goType, or a pass-through row's twin
}

// BundleOf declares bundles of Go type O.
func BundleOf[O any]() BundleType { return PassThroughOf[O, O]() }

// PassThroughOf declares bundles that are rows passed through as ProfitWell
// sent them (Row), whose JSON is the encoding of their Go twin (Twin).
func PassThroughOf[Row, Twin any]() BundleType {
	return BundleType{[]bundleShape{{reflect.TypeFor[Row](), reflect.TypeFor[Twin]()}}}
}

// Or declares another shape the bundles may have.
func (b BundleType) Or(other BundleType) BundleType {
	return BundleType{append(slices.Clip(b.shapes), other.shapes...)}
}

// declared reports whether the module declared its bundle type.
func (b BundleType) declared() bool { return len(b.shapes) > 0 }

func (b BundleType) check(spec manifest.ModuleSpec) []error {
	var errs []error
	for _, shape := range b.shapes {
		for _, err := range manifest.CheckOutput(spec.Interface, shape.json) {
			errs = append(errs, fmt.Errorf("module %q: %w", spec.Name, err))
		}
	}
	return errs
}
