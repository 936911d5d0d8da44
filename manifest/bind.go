package manifest

import (
	"fmt"
	"reflect"
	"sync"
	"time"
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

var (
	timeType   = reflect.TypeOf(time.Time{})
	stringType = reflect.TypeOf("")
	anyType    = reflect.TypeOf((*any)(nil)).Elem()
)

// goTypeFor is the Go type Validate produces for a field.
func goTypeFor(f Field) reflect.Type {
	switch f.Type {
	case TypeText, TypePassword, TypeEmail, TypeURL:
		return stringType
	case TypeSelect:
		if f.Multiple {
			return reflect.TypeOf([]string(nil))
		}
		return stringType
	case TypeUInteger, TypeInteger:
		return reflect.TypeOf(int64(0))
	case TypeNumber:
		return reflect.TypeOf(float64(0))
	case TypeBoolean:
		return reflect.TypeOf(false)
	case TypeDate:
		return timeType
	case TypeArray:
		return reflect.TypeOf([]any(nil))
	case TypeCollection:
		return reflect.TypeOf(map[string]any(nil))
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
