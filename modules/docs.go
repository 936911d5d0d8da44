package modules

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
)

// MarkdownTable renders the module catalogue as the README's Markdown table:
// group, name, label, type, every input field with its label, type, whether
// it is required and its default, and the parameters of the module's
// runnable example (run against the sandbox by the tests).
func MarkdownTable(specs []manifest.ModuleSpec) string {
	var b strings.Builder
	b.WriteString("| Group | Module | Label | Type | Fields | Example parameters |\n|---|---|---|---|---|---|\n")
	for _, s := range specs {
		kind := string(s.Kind)
		if s.CRUD != "" && s.Kind == manifest.KindAction {
			kind += " (" + string(s.CRUD) + ")"
		}
		fields := make([]string, 0, len(s.Inputs()))
		for _, f := range s.Inputs() {
			fields = append(fields, describeField(f))
		}
		example, _ := json.Marshal(s.Example.Parameters)
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | `%s` |\n", s.Group, s.Name, s.Label, kind, strings.Join(fields, "; "), example)
	}
	return b.String()
}

func describeField(f manifest.Field) string {
	attrs := []string{string(f.Type)}
	if f.Required {
		attrs = append(attrs, "required")
	}
	if f.Default != nil {
		attrs = append(attrs, fmt.Sprintf("default %v", f.Default))
	}
	if f.OptionsRPC != "" {
		attrs = append(attrs, "options from "+f.OptionsRPC)
	}
	return fmt.Sprintf("%s `%s` (%s)", f.Label, f.Name, strings.Join(attrs, ", "))
}
