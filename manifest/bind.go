package manifest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// ParamTag is the struct tag that ties a Go field to a declared field:
// `param:"planId"`.
const ParamTag = "param"

type binding struct {
	index []int
	name  string
}

var bindings sync.Map // reflect.Type -> []binding

func bindingsOf(t reflect.Type) []binding {
	if b, ok := bindings.Load(t); ok {
		return b.([]binding)
	}
	var out []binding
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if name := sf.Tag.Get(ParamTag); name != "" && name != "-" {
			out = append(out, binding{index: sf.Index, name: name})
		}
	}
	b, _ := bindings.LoadOrStore(t, out)
	return b.([]binding)
}

// Bind copies validated values into the struct dst points to, by `param`
// tags. Absent values leave the Go zero value (nil for pointers). A value of
// the wrong Go type is a programming error caught by CheckBinding, and is
// reported as an error here too.
func Bind(values Values, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("bind: destination must be a pointer to a struct, got %T", dst)
	}
	sv := rv.Elem()
	for _, b := range bindingsOf(sv.Type()) {
		v, ok := values[b.name]
		if !ok || v == nil {
			continue
		}
		fv := sv.FieldByIndex(b.index)
		if err := assign(fv, reflect.ValueOf(v)); err != nil {
			return fmt.Errorf("bind %s: %w", b.name, err)
		}
	}
	return nil
}

func assign(dst, v reflect.Value) error {
	if dst.Kind() == reflect.Pointer && v.Kind() != reflect.Pointer {
		p := reflect.New(dst.Type().Elem())
		if err := assign(p.Elem(), v); err != nil {
			return err
		}
		dst.Set(p)
		return nil
	}
	if v.Type().AssignableTo(dst.Type()) {
		dst.Set(v)
		return nil
	}
	if v.Type().ConvertibleTo(dst.Type()) && v.Kind() == dst.Kind() ||
		isInt(v.Kind()) && isInt(dst.Kind()) {
		dst.Set(v.Convert(dst.Type()))
		return nil
	}
	return fmt.Errorf("cannot put %s into %s", v.Type(), dst.Type())
}

func isInt(k reflect.Kind) bool {
	return k == reflect.Int || k == reflect.Int64 || k == reflect.Int32
}

// goTypeFor is the Go type Validate produces for a field.
func goTypeFor(f Field) reflect.Type {
	if spec, ok := fieldTypes[f.Type]; ok {
		return spec.goType(f)
	}
	return anyType
}

// CheckBinding reports every mismatch between declared fields and the
// `param` tags of the struct type params: a field without a Go field, a Go
// field without a declared field, and a Go type that cannot hold the value.
func CheckBinding(fields []Field, params reflect.Type) []error {
	if params.Kind() == reflect.Pointer {
		params = params.Elem()
	}
	if params.Kind() != reflect.Struct {
		return []error{fmt.Errorf("parameters type %s is not a struct", params)}
	}
	var errs []error
	byName := map[string]reflect.StructField{}
	for _, b := range bindingsOf(params) {
		byName[b.name] = params.FieldByIndex(b.index)
	}
	for _, f := range fields {
		sf, ok := byName[f.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("field %q has no Go field tagged `param:%q` in %s", f.Name, f.Name, params))
			continue
		}
		delete(byName, f.Name)
		want, got := goTypeFor(f), sf.Type
		if got.Kind() == reflect.Pointer {
			got = got.Elem()
		}
		if !compatible(want, got) {
			errs = append(errs, fmt.Errorf("field %q is %s, but Go field %s.%s is %s", f.Name, f.Type, params, sf.Name, sf.Type))
		}
	}
	for name, sf := range byName {
		errs = append(errs, fmt.Errorf("go field %s.%s is tagged %q, which is not a declared field", params, sf.Name, name))
	}
	return errs
}

func compatible(want, got reflect.Type) bool {
	if want == got || got == anyType {
		return true
	}
	if isInt(want.Kind()) && isInt(got.Kind()) {
		return true
	}
	return want.Kind() == got.Kind() && want.ConvertibleTo(got) && want.Kind() != reflect.Slice && want.Kind() != reflect.Map
}

// OutputNamer is implemented by a bundle type whose keys are not struct
// fields (a map built per execution): OutputNames lists the keys every
// bundle of the type carries. It is called on the type's zero value.
type OutputNamer interface{ OutputNames() []string }

// jsonField is one key of a struct's JSON encoding.
type jsonField struct {
	name      string
	goName    string
	typ       reflect.Type
	omitEmpty bool
}

// jsonFieldsOf lists the keys encoding/json writes for a struct type,
// following embedded structs without a name of their own.
func jsonFieldsOf(t reflect.Type) []jsonField {
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := sf.Type
		if sf.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFieldsOf(ft)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, jsonField{name: name, goName: sf.Name, typ: ft, omitEmpty: hasOption(opts, "omitempty") || hasOption(opts, "omitzero")})
	}
	return out
}

func hasOption(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// CheckOutput reports every mismatch between a module's interface and the
// Go type of its bundles: an interface field the type does not encode, a key
// the type encodes that the interface does not declare, a key that may be
// left out (omitempty: every interface field is in every bundle, null when
// unknown), and a Go type that cannot encode the field's type. A struct's
// keys are its json tags; a type implementing OutputNamer names its keys.
// Arrays of objects are checked against their item spec the same way.
func CheckOutput(fields []Field, bundle reflect.Type) []error {
	for bundle.Kind() == reflect.Pointer {
		bundle = bundle.Elem()
	}
	if namer, ok := reflect.Zero(bundle).Interface().(OutputNamer); ok {
		return compareNames(fields, namer.OutputNames(), bundle)
	}
	if bundle.Kind() != reflect.Struct {
		return []error{fmt.Errorf("bundle type %s is neither a struct nor an OutputNamer", bundle)}
	}
	var errs []error
	byName := map[string]jsonField{}
	for _, jf := range jsonFieldsOf(bundle) {
		byName[jf.name] = jf
	}
	for _, f := range fields {
		jf, ok := byName[f.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("output %q has no Go field with json name %q in %s", f.Name, f.Name, bundle))
			continue
		}
		delete(byName, f.Name)
		if jf.omitEmpty {
			errs = append(errs, fmt.Errorf("output %q: %s.%s is omitempty, but every bundle carries every output (null when unknown)", f.Name, bundle, jf.goName))
		}
		if !encodes(f.Type, jf.typ) {
			errs = append(errs, fmt.Errorf("output %q is %s, but %s.%s is %s", f.Name, f.Type, bundle, jf.goName, jf.typ))
			continue
		}
		if f.Type == TypeArray && len(f.Spec) > 0 && f.Spec[0].Name != "" {
			if elem := deref(jf.typ).Elem(); deref(elem).Kind() == reflect.Struct {
				for _, err := range CheckOutput(f.Spec, elem) {
					errs = append(errs, fmt.Errorf("output %q: %w", f.Name, err))
				}
			}
		}
	}
	for name, jf := range byName {
		errs = append(errs, fmt.Errorf("go field %s.%s encodes %q, which is not a declared output", bundle, jf.goName, name))
	}
	return errs
}

func compareNames(fields []Field, names []string, bundle reflect.Type) []error {
	var errs []error
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	for _, f := range fields {
		if !have[f.Name] {
			errs = append(errs, fmt.Errorf("output %q is not among the keys %s names", f.Name, bundle))
		}
		delete(have, f.Name)
	}
	for n := range have {
		errs = append(errs, fmt.Errorf("%s names key %q, which is not a declared output", bundle, n))
	}
	return errs
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// encodes reports whether values of Go type t encode as JSON of field type ft
// (or null, through a pointer).
func encodes(ft FieldType, t reflect.Type) bool {
	t = deref(t)
	if t == anyType {
		return true
	}
	spec, ok := fieldTypes[ft]
	return ok && spec.encodes(t)
}
