// Package platform holds what the Zapier and n8n exports share: the check of
// the connector's public URL, the files of an export and how they are
// written, and the choice of the fields that identify a list's bundles.
package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/makeapp"
)

// DefaultPublicURL is where an export sends requests unless told otherwise:
// a connector started with `make run` on the developer's machine.
const DefaultPublicURL = makeapp.DefaultPublicURL

// File is one file of an export (path relative to the output directory).
type File = makeapp.File

// Write writes the files under dir, creating folders as needed.
func Write(dir string, files []File) error { return makeapp.Write(dir, files) }

// PublicURL checks the connector's URL as a platform reaches it and returns
// it without a trailing slash; empty means DefaultPublicURL.
func PublicURL(public string) (string, error) {
	if public == "" {
		public = DefaultPublicURL
	}
	u, err := url.Parse(public)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("public URL %q must be an http(s) URL with a host and no credentials, query or fragment", public)
	}
	return strings.TrimRight(public, "/"), nil
}

// PrimaryKey names the interface fields that identify one bundle of a list
// or trigger module, for platforms that deduplicate (Zapier's polling) or
// merge results: "id" when the interface has it, else "<thing>_id" where
// the module's name ends in the thing ("listSubscriptions" →
// "subscription_id"), else "date" (one bundle per period). A list of an
// object's history adds the date each entry takes effect ("effective_…":
// a subscription's upgrades share its id), and a trigger its change date
// ("updated…"), so that a later change of the same object counts as new.
// An override, by module name, wins.
func PrimaryKey(m manifest.ModuleDoc, override map[string][]string) ([]string, error) {
	if keys, ok := override[m.Name]; ok {
		for _, k := range keys {
			if !hasField(m.Interface, k) {
				return nil, fmt.Errorf("module %q: primary key field %q is not in its interface", m.Name, k)
			}
		}
		return keys, nil
	}
	var keys []string
	switch noun := thing(m.Name); {
	case hasField(m.Interface, "id"):
		keys = []string{"id"}
	case noun != "" && hasField(m.Interface, noun+"_id"):
		keys = []string{noun + "_id"}
	case hasField(m.Interface, "date"):
		keys = []string{"date"}
	default:
		return nil, fmt.Errorf("module %q: no id field in its interface; name its primary key in the options", m.Name)
	}
	for _, f := range m.Interface {
		switch {
		case m.Type == manifest.KindTrigger && f.Type == manifest.TypeDate && strings.HasPrefix(f.Name, "updated"):
		case strings.HasPrefix(f.Name, "effective_"):
		default:
			continue
		}
		keys = append(keys, f.Name)
		break
	}
	return keys, nil
}

// thing is the singular, lower-case object a module's name ends in:
// "listSubscriptions" → "subscription", "watchCustomers" → "customer".
func thing(name string) string {
	last := 0
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			last = i
		}
	}
	if last == 0 {
		return ""
	}
	noun := strings.ToLower(name[last:])
	return strings.TrimSuffix(noun, "s")
}

func hasField(fields []manifest.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// ItemFields are the fields of one item of an array field: its spec's
// named fields, or the keys of its one collection item.
func ItemFields(f manifest.Field) []manifest.Field {
	if len(f.Spec) == 1 && f.Spec[0].Name == "" && f.Spec[0].Type == manifest.TypeCollection {
		return f.Spec[0].Spec
	}
	if len(f.Spec) > 0 && f.Spec[0].Name != "" {
		return f.Spec
	}
	return nil
}

// Encode renders v as indented JSON without HTML escaping (help texts hold
// ">" and "&"), ending with a newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
