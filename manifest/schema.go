package manifest

// JSON Schema (draft 2020-12, as OpenAPI 3.1 uses it) of fields, for the
// connector's OpenAPI document.

// FieldSchema is the JSON Schema of one field's value. Inputs describe what
// a request may send (dates as text or Unix seconds, defaults); outputs what
// a bundle holds. Title, description and x-make-type come from the field.
func FieldSchema(f Field, input bool) map[string]any {
	s := map[string]any{}
	if spec, ok := fieldTypes[f.Type]; ok {
		s = spec.schema(f, input)
	}
	if f.Label != "" {
		s["title"] = f.Label
	}
	if f.Help != "" {
		if d, ok := s["description"].(string); ok {
			s["description"] = f.Help + " " + d
		} else {
			s["description"] = f.Help
		}
	}
	if f.Default != nil && input {
		s["default"] = f.Default
	}
	s["x-make-type"] = string(f.Type)
	return s
}

// ObjectSchema is an object schema from fields: input objects refuse unknown
// keys and require required fields without a default (defaults are applied
// by the server); output objects allow other keys.
func ObjectSchema(fields []Field, input bool) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fields {
		props[f.Name] = FieldSchema(f, input)
		if f.Required && f.Default == nil {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{"type": "object", "additionalProperties": !input, "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// textSchema is the schema of a text-like type with an optional format.
func textSchema(format string) func(Field, bool) map[string]any {
	return func(f Field, _ bool) map[string]any {
		s := map[string]any{"type": "string"}
		setBound(s, "minLength", f.Min)
		setBound(s, "maxLength", f.Max)
		if f.Pattern != "" {
			s["pattern"] = f.Pattern
		}
		if format != "" {
			s["format"] = format
		}
		if f.Type == TypePassword {
			s["writeOnly"] = true
		}
		return s
	}
}

func numberSchema(f Field, _ bool) map[string]any {
	s := map[string]any{"type": "number"}
	setBound(s, "minimum", f.Min)
	setBound(s, "maximum", f.Max)
	return s
}

func integerSchema(f Field, _ bool) map[string]any {
	s := map[string]any{"type": "integer"}
	if f.Type == TypeUInteger && (f.Min == nil || *f.Min < 0) {
		s["minimum"] = 0
	}
	setBound(s, "minimum", f.Min)
	setBound(s, "maximum", f.Max)
	return s
}

func booleanSchema(Field, bool) map[string]any { return map[string]any{"type": "boolean"} }

func dateSchema(_ Field, input bool) map[string]any {
	if input {
		return map[string]any{
			"type":        []string{"string", "integer"},
			"description": "ISO 8601 date or date-time (no offset means UTC), Unix seconds, or \"now\".",
		}
	}
	return map[string]any{"type": "string", "format": "date-time"}
}

func selectSchema(f Field, _ bool) map[string]any {
	item := map[string]any{"type": "string"}
	if f.OptionsRPC != "" {
		item["description"] = "Any value; POST /v1/rpc/" + f.OptionsRPC + " lists the choices."
	} else if len(f.Options) > 0 {
		values := make([]any, len(f.Options))
		for i, o := range f.Options {
			values[i] = o.Value
		}
		item["enum"] = values
	}
	if !f.Multiple {
		return item
	}
	s := map[string]any{"type": "array", "items": item}
	setBound(s, "minItems", f.Min)
	setBound(s, "maxItems", f.Max)
	return s
}

func arraySchema(f Field, input bool) map[string]any {
	s := map[string]any{"type": "array"}
	switch {
	case len(f.Spec) == 1 && f.Spec[0].Name == "":
		s["items"] = FieldSchema(f.Spec[0], input)
	case len(f.Spec) > 0:
		s["items"] = ObjectSchema(f.Spec, input)
	}
	setBound(s, "minItems", f.Min)
	setBound(s, "maxItems", f.Max)
	return s
}

func collectionSchema(f Field, input bool) map[string]any {
	if len(f.Spec) > 0 {
		return ObjectSchema(f.Spec, input)
	}
	return map[string]any{"type": "object"}
}

func anySchema(Field, bool) map[string]any { return map[string]any{} }

func setBound(s map[string]any, key string, v *float64) {
	if v == nil {
		return
	}
	if *v == float64(int64(*v)) {
		s[key] = int64(*v)
		return
	}
	s[key] = *v
}
