package profitwell

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// scanPlans reads a JSON array of plan objects as ProfitWell sends them
// (profitwell-api.md §5): members "id" and "name" only, in either order,
// each at most once, with string values that need no unescaping (see
// scanString), white space allowed between tokens. encoding/json decodes
// such an array to the same plans. ok is false for anything else, which
// the caller then decodes with encoding/json. The plans' strings are
// slices of s.
func scanPlans(s string) (plans []Plan, ok bool) {
	p := skipSpace(s, 0)
	if p >= len(s) || s[p] != '[' {
		return nil, false
	}
	plans = []Plan{}
	if p = skipSpace(s, p+1); p < len(s) && s[p] == ']' {
		return plans, skipSpace(s, p+1) == len(s)
	}
	for {
		var pl Plan
		if pl, p, ok = scanPlan(s, p); !ok {
			return nil, false
		}
		plans = append(plans, pl)
		if p = skipSpace(s, p); p >= len(s) {
			return nil, false
		}
		switch s[p] {
		case ',':
			p = skipSpace(s, p+1)
		case ']':
			return plans, skipSpace(s, p+1) == len(s)
		default:
			return nil, false
		}
	}
}

// scanPlanObject reads one plan object and nothing else but white space.
func scanPlanObject(s string) (Plan, bool) {
	pl, p, ok := scanPlan(s, skipSpace(s, 0))
	return pl, ok && skipSpace(s, p) == len(s)
}

// scanPlan reads the plan object at p.
func scanPlan(s string, p int) (pl Plan, end int, ok bool) {
	if p >= len(s) || s[p] != '{' {
		return Plan{}, 0, false
	}
	var seenID, seenName bool
	if p = skipSpace(s, p+1); p < len(s) && s[p] == '}' {
		return pl, p + 1, true
	}
	for {
		kEnd, ok := scanString(s, p)
		if !ok {
			return Plan{}, 0, false
		}
		key := s[p+1 : kEnd-1]
		if p = skipSpace(s, kEnd); p >= len(s) || s[p] != ':' {
			return Plan{}, 0, false
		}
		p = skipSpace(s, p+1)
		vEnd, ok := scanString(s, p)
		if !ok {
			return Plan{}, 0, false
		}
		v := s[p+1 : vEnd-1]
		switch {
		case key == "id" && !seenID:
			pl.ID, seenID = v, true
		case key == "name" && !seenName:
			pl.Name, seenName = v, true
		default:
			return Plan{}, 0, false
		}
		if p = skipSpace(s, vEnd); p >= len(s) {
			return Plan{}, 0, false
		}
		switch s[p] {
		case ',':
			p = skipSpace(s, p+1)
		case '}':
			return pl, p + 1, true
		default:
			return Plan{}, 0, false
		}
	}
}

// AppendJSON appends the plan's JSON: exactly what encoding/json writes for
// it with HTML escaping off (FuzzPlanAppendJSON), without reflection.
func (p Plan) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = AppendJSONString(b, p.ID)
	b = append(b, `,"name":`...)
	b = AppendJSONString(b, p.Name)
	return append(b, '}')
}

// AppendJSONString appends s as encoding/json (HTML escaping off) quotes
// it. A string with nothing to escape is copied as it is; any other goes
// through encoding/json. The server's answers use it too.
func AppendJSONString(b []byte, s string) []byte {
	if needsNoEscape(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

// needsNoEscape reports whether encoding/json writes s between quotes as it
// is: printable ASCII but the quote and the backslash, and valid UTF-8
// other than U+2028 and U+2029.
func needsNoEscape(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if plainStringByte[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}
