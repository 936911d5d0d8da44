// Package makeschema embeds Make's own JSON schemas for custom-app
// definitions (integromat/vscode-apps-sdk 2.8.0, MIT licence in LICENSE.md)
// and compiles them, so that tests can check the manifest and the Make
// export with nothing beside the repository. It is imported by tests only.
package makeschema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed imljson/*.json local-development/*.json
var files embed.FS

// Set is every schema, compiled into one compiler so that their references
// to each other resolve, by file name ("parameters.json", "api.json",
// "makecomapp.schema.json", ...).
type Set map[string]*jsonschema.Schema

// Load compiles every embedded schema.
func Load() (Set, error) {
	c := jsonschema.NewCompiler()
	c.UseRegexpEngine(compileECMARegexp)
	var names []string
	for _, dir := range []string{"imljson", "local-development"} {
		entries, err := fs.ReadDir(files, dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			data, err := files.ReadFile(path.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Name(), err)
			}
			if err := c.AddResource(e.Name(), doc); err != nil {
				return nil, err
			}
			names = append(names, e.Name())
		}
	}
	set := Set{}
	for _, n := range names {
		s, err := c.Compile(n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		set[n] = s
	}
	return set, nil
}

// Validate checks a JSON document against the named schema.
func (s Set) Validate(name string, data []byte) error {
	schema, ok := s[name]
	if !ok {
		return fmt.Errorf("no Make schema named %q", name)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return schema.Validate(inst)
}

// lookahead is an ECMAScript pattern that Go's regexp cannot compile:
// "^(?!X)" (the input must not start with X), which makecomapp.schema.json
// uses to refuse template placeholders.
var lookahead = regexp.MustCompile(`^\^\(\?!(.*)\)$`)

// negated matches what its inner pattern does not.
type negated struct {
	src   string
	inner *regexp.Regexp
}

func (n negated) MatchString(s string) bool { return !n.inner.MatchString(s) }
func (n negated) String() string            { return n.src }

// compileECMARegexp compiles a schema pattern: RE2 syntax as is, plus the
// one lookahead form Make's schemas use. Anything else RE2 refuses is an
// error, so a new construct in the schemas shows up here.
func compileECMARegexp(src string) (jsonschema.Regexp, error) {
	if m := lookahead.FindStringSubmatch(src); m != nil {
		inner, err := regexp.Compile("^(?:" + m[1] + ")")
		if err != nil {
			return nil, err
		}
		return negated{src: src, inner: inner}, nil
	}
	return regexp.Compile(src)
}

// ErrorTypes lists the error types a custom app may raise: the enum of
// error-type in enums.json.
func ErrorTypes() ([]string, error) {
	data, err := files.ReadFile("imljson/enums.json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Definitions struct {
			ErrorType struct {
				OneOf []struct {
					Enum []string `json:"enum"`
				} `json:"oneOf"`
			} `json:"error-type"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	for _, alt := range doc.Definitions.ErrorType.OneOf {
		if len(alt.Enum) > 0 {
			return alt.Enum, nil
		}
	}
	return nil, fmt.Errorf("enums.json: error-type has no enum")
}
