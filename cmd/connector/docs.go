package main

import (
	"fmt"
	"strings"
)

// configTable renders the settings as the README's Markdown table.
func configTable() string {
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		scope := ""
		switch {
		case s.serve:
			scope = " (serve only)"
		case s.sandbox:
			scope = " (sandbox only)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s%s |\n", s.name, envName(s.name), def, s.usage, scope)
	}
	return b.String()
}
