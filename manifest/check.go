package manifest

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

var namePattern = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)

// CheckModules reports every problem in the module declarations at once:
// duplicate or badly formed names, missing labels, descriptions or help,
// defaults that fail their own rules, selects without options, list modules
// whose limit field is missing or not last, and the kinds Make knows.
func CheckModules(mods []ModuleSpec) error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range mods {
		where := fmt.Sprintf("module %q", m.Name)
		if !namePattern.MatchString(m.Name) {
			errs = append(errs, fmt.Errorf("%s: name must be lowerCamelCase", where))
		}
		if seen[m.Name] {
			errs = append(errs, fmt.Errorf("%s: declared twice", where))
		}
		seen[m.Name] = true
		if strings.TrimSpace(m.Label) == "" {
			errs = append(errs, fmt.Errorf("%s: missing label", where))
		}
		if strings.TrimSpace(m.Description) == "" {
			errs = append(errs, fmt.Errorf("%s: missing description", where))
		}
		if m.Group == "" {
			errs = append(errs, fmt.Errorf("%s: missing group", where))
		}
		switch m.Kind {
		case KindAction, KindSearch, KindTrigger, KindUniversal:
		default:
			errs = append(errs, fmt.Errorf("%s: unknown kind %q", where, m.Kind))
		}
		if m.Kind == KindTrigger && len(m.Expect) > 0 {
			errs = append(errs, fmt.Errorf("%s: a trigger takes static parameters only", where))
		}
		errs = append(errs, checkFields(where, "parameter", m.Inputs(), true)...)
		errs = append(errs, checkFields(where, "output", m.Interface, false)...)
		errs = append(errs, checkLimit(where, m)...)
		if len(m.Interface) == 0 {
			errs = append(errs, fmt.Errorf("%s: no interface (output fields)", where))
		}
		errs = append(errs, checkSample(where, m)...)
	}
	return errors.Join(errs...)
}

// checkSample requires a sample with exactly the interface's keys, and an
// example's parameters that pass the module's own validation.
func checkSample(where string, m ModuleSpec) []error {
	sample := m.Sample()
	if len(sample) == 0 {
		return []error{fmt.Errorf("%s: no samples", where)}
	}
	var errs []error
	if m.Example.Output != nil && m.Samples != nil {
		errs = append(errs, fmt.Errorf("%s: both Samples and an Example; the example's output is the sample", where))
	}
	declared := map[string]bool{}
	for _, f := range m.Interface {
		declared[f.Name] = true
		if _, ok := sample[f.Name]; !ok {
			errs = append(errs, fmt.Errorf("%s: sample has no %q (an output field)", where, f.Name))
		}
	}
	for k := range sample {
		if !declared[k] {
			errs = append(errs, fmt.Errorf("%s: sample key %q is not an output field", where, k))
		}
	}
	if m.Example.Output != nil {
		params := map[string]any{}
		for k, v := range m.Example.Parameters {
			params[k] = v
		}
		if _, err := Validate(m.Inputs(), params); err != nil {
			errs = append(errs, fmt.Errorf("%s: example parameters: %w", where, err))
		}
	}
	return errs
}

// CheckRPCs reports problems in RPC declarations.
func CheckRPCs(rpcs []RPCSpec) error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range rpcs {
		where := fmt.Sprintf("rpc %q", r.Name)
		if !namePattern.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s: name must be lowerCamelCase", where))
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("%s: declared twice", where))
		}
		seen[r.Name] = true
		if strings.TrimSpace(r.Label) == "" {
			errs = append(errs, fmt.Errorf("%s: missing label", where))
		}
		errs = append(errs, checkFields(where, "parameter", r.Parameters, true)...)
	}
	return errors.Join(errs...)
}

// CheckFields reports problems in one list of input fields (used for the
// connection's fields).
func CheckFields(where string, fields []Field) error {
	return errors.Join(checkFields(where, "field", fields, true)...)
}

func checkLimit(where string, m ModuleSpec) []error {
	inputs := m.Inputs()
	idx := -1
	for i, f := range inputs {
		if f.Name == LimitName {
			idx = i
		}
	}
	if !m.IsList() {
		if idx >= 0 && m.Kind != KindUniversal {
			return []error{fmt.Errorf("%s: only search and trigger modules take a limit", where)}
		}
		return nil
	}
	last := m.Expect
	if m.Kind == KindTrigger || len(m.Expect) == 0 {
		last = m.Parameters
	}
	if idx < 0 || len(last) == 0 || last[len(last)-1].Name != LimitName {
		return []error{fmt.Errorf("%s: a list module's %q field must be its last field", where, LimitName)}
	}
	f := inputs[idx]
	if f.Type != TypeUInteger || !f.Required || f.Default == nil || f.Min == nil || f.Max == nil || *f.Min != 1 {
		return []error{fmt.Errorf("%s: %q must be a required uinteger with a default and min 1, max set", where, LimitName)}
	}
	return nil
}

func checkFields(where, what string, fields []Field, input bool) []error {
	var errs []error
	seen := map[string]bool{}
	for i, f := range fields {
		at := fmt.Sprintf("%s: %s %q", where, what, f.Name)
		if f.Name == "" {
			errs = append(errs, fmt.Errorf("%s: %s #%d has no name", where, what, i+1))
		}
		if seen[f.Name] {
			errs = append(errs, fmt.Errorf("%s: declared twice", at))
		}
		seen[f.Name] = true
		errs = append(errs, checkField(at, f, input)...)
	}
	return errs
}

func checkField(at string, f Field, input bool) []error {
	var errs []error
	if _, ok := fieldTypes[f.Type]; !ok {
		errs = append(errs, fmt.Errorf("%s: unknown type %q", at, f.Type))
	}
	if strings.TrimSpace(f.Label) == "" {
		errs = append(errs, fmt.Errorf("%s: missing label", at))
	}
	if input && strings.TrimSpace(f.Help) == "" {
		errs = append(errs, fmt.Errorf("%s: missing help", at))
	}
	if f.Type == TypeSelect && len(f.Options) == 0 && f.OptionsRPC == "" {
		errs = append(errs, fmt.Errorf("%s: select without options", at))
	}
	if f.Type != TypeSelect && (len(f.Options) > 0 || f.OptionsRPC != "") {
		errs = append(errs, fmt.Errorf("%s: options on a %s field", at, f.Type))
	}
	if f.Pattern != "" {
		if _, err := regexp.Compile(f.Pattern); err != nil {
			errs = append(errs, fmt.Errorf("%s: bad pattern: %v", at, err))
		}
	}
	if f.IsSecret() && f.Default != nil {
		errs = append(errs, fmt.Errorf("%s: a secret field cannot have a default", at))
	}
	if f.Default != nil && input && len(errs) == 0 {
		verr := &ValidationError{}
		if _, msg := convert(&f, f.Default, f.Name, verr); msg != "" || verr.Err() != nil {
			errs = append(errs, fmt.Errorf("%s: default fails its own rule (%s%s)", at, msg, problemsText(verr)))
		}
	}
	if f.Type == TypeArray || f.Type == TypeCollection {
		for _, s := range f.Spec {
			if f.Type == TypeArray && len(f.Spec) == 1 && s.Name == "" {
				// An array's item spec is unnamed and unlabelled in Make.
				s.Name, s.Label, s.Help = "item", "item", "item"
			}
			errs = append(errs, checkField(at+"."+s.Name, s, input)...)
		}
	}
	return errs
}

func problemsText(v *ValidationError) string {
	if v.Err() == nil {
		return ""
	}
	return v.Error()
}
