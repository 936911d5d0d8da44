package api

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// decodeEnvelope is the fast path of decodeJSON for the engine's request
// bodies (execute, verify, rpc): one pass over the bytes that builds the
// same values encoding/json would (maps of any, json.Number, RawMessage
// copies) with far fewer allocations. It accepts only what the strict path
// accepts without a word: valid UTF-8, one object, the exact member names,
// the expected types, no duplicate keys, bounded nesting, nothing after it.
// On anything else it resets dst and returns false, and decodeJSON runs
// the strict path, which produces the error (or, for an unusual but valid
// body, the result). FuzzEnvelopeFastPath
// holds the two paths to the same results.
func decodeEnvelope(body []byte, dst any) bool {
	switch dst.(type) {
	case *executeRequest, *verifyRequest, *rpcRequest:
	default:
		return false
	}
	if !utf8.Valid(body) {
		return false
	}
	// One copy of the body: keys, strings and numbers are slices of it.
	d := envelopeDecoder{s: string(body)}
	var seen fields
	ok := d.members(func(key string) bool {
		switch v := dst.(type) {
		case *executeRequest:
			switch key {
			case "connection":
				return seen.first(0) && d.mapField(&v.Connection)
			case "parameters":
				return seen.first(1) && d.mapField(&v.Parameters)
			case "cursor":
				return seen.first(2) && d.stringField(&v.Cursor)
			case "state":
				return seen.first(3) && d.rawField(&v.State)
			case "execution":
				return seen.first(4) && d.executionField(&v.Execution)
			}
		case *verifyRequest:
			if key == "connection" {
				return seen.first(0) && d.mapField(&v.Connection)
			}
		case *rpcRequest:
			switch key {
			case "connection":
				return seen.first(0) && d.mapField(&v.Connection)
			case "parameters":
				return seen.first(1) && d.mapField(&v.Parameters)
			case "query":
				return seen.first(2) && d.stringField(&v.Query)
			case "cursor":
				return seen.first(3) && d.stringField(&v.Cursor)
			}
		}
		return false
	})
	if d.space(); ok && d.p == len(d.s) {
		return true
	}
	switch v := dst.(type) {
	case *executeRequest:
		*v = executeRequest{}
	case *verifyRequest:
		*v = verifyRequest{}
	case *rpcRequest:
		*v = rpcRequest{}
	}
	return false
}

// envelopeDecoder reads one JSON text; every method returns false on
// anything the fast path does not take.
type envelopeDecoder struct {
	s     string
	p     int
	depth int
}

func (d *envelopeDecoder) space() {
	for d.p < len(d.s) && isJSONSpace(d.s[d.p]) {
		d.p++
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (d *envelopeDecoder) peek() byte {
	d.space()
	if d.p >= len(d.s) {
		return 0
	}
	return d.s[d.p]
}

// members reads an object, calling member with each key once the decoder
// stands on its value; member must consume the value and refuse a key it
// has seen before in this object.
func (d *envelopeDecoder) members(member func(key string) bool) bool {
	if d.peek() != '{' || d.depth >= maxJSONDepth-1 {
		return false
	}
	d.p++
	d.depth++
	if d.peek() == '}' {
		d.p++
		d.depth--
		return true
	}
	for {
		key, ok := d.str()
		if !ok || d.peek() != ':' {
			return false
		}
		d.p++
		if !member(key) {
			return false
		}
		switch d.peek() {
		case ',':
			d.p++
		case '}':
			d.p++
			d.depth--
			return true
		default:
			return false
		}
	}
}

// fields tracks which members of a request struct were read: a second
// occurrence refuses the body.
type fields uint8

// first marks member i as read and reports whether it was the first time.
func (f *fields) first(i uint) bool {
	if *f&(1<<i) != 0 {
		return false
	}
	*f |= 1 << i
	return true
}

// str reads a string. Plain ASCII is sliced as is; escapes and non-ASCII
// bytes are left to encoding/json's unquoting, so the value is the same.
func (d *envelopeDecoder) str() (string, bool) {
	if d.peek() != '"' {
		return "", false
	}
	start := d.p
	end, plain, ok := scanJSONString(d.s, d.p)
	if !ok {
		return "", false
	}
	d.p = end
	if plain {
		return d.s[start+1 : end-1], true
	}
	var v string
	if json.Unmarshal([]byte(d.s[start:end]), &v) != nil {
		return "", false
	}
	return v, true
}

// null consumes a null literal if one comes next.
func (d *envelopeDecoder) null() bool {
	if d.peek() == 'n' {
		if end, ok := scanJSONLiteral(d.s, d.p, "null"); ok {
			d.p = end
			return true
		}
	}
	return false
}

// value reads any value as encoding/json decodes it into an interface
// with UseNumber.
func (d *envelopeDecoder) value() (any, bool) {
	switch c := d.peek(); {
	case c == '{':
		m := map[string]any{}
		ok := d.members(func(key string) bool {
			if _, dup := m[key]; dup {
				return false
			}
			v, ok := d.value()
			m[key] = v
			return ok
		})
		return m, ok
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || '0' <= c && c <= '9':
		end, ok := scanJSONNumber(d.s, d.p)
		if !ok {
			return nil, false
		}
		n := json.Number(d.s[d.p:end])
		d.p = end
		return n, true
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, false
}

func (d *envelopeDecoder) literal(lit string) bool {
	end, ok := scanJSONLiteral(d.s, d.p, lit)
	d.p = end
	return ok
}

func (d *envelopeDecoder) array() ([]any, bool) {
	if d.depth >= maxJSONDepth-1 {
		return nil, false
	}
	d.p++ // '['
	d.depth++
	out := []any{}
	if d.peek() == ']' {
		d.p++
		d.depth--
		return out, true
	}
	for {
		v, ok := d.value()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		switch d.peek() {
		case ',':
			d.p++
		case ']':
			d.p++
			d.depth--
			return out, true
		default:
			return nil, false
		}
	}
}

// mapField reads an object into a map field; null leaves it nil.
func (d *envelopeDecoder) mapField(dst *map[string]any) bool {
	if d.null() {
		return true
	}
	if d.peek() != '{' {
		return false
	}
	v, ok := d.value()
	if ok {
		*dst = v.(map[string]any)
	}
	return ok
}

// stringField reads a string field; null leaves it unchanged.
func (d *envelopeDecoder) stringField(dst *string) bool {
	if d.null() {
		return true
	}
	v, ok := d.str()
	*dst = v
	return ok
}

// rawField copies any value's bytes into a RawMessage (null included, as
// encoding/json does).
func (d *envelopeDecoder) rawField(dst *json.RawMessage) bool {
	d.space()
	start := d.p
	if _, ok := d.value(); !ok {
		return false
	}
	*dst = json.RawMessage(d.s[start:d.p])
	return true
}

// executionField reads the execution object; null leaves it nil.
func (d *envelopeDecoder) executionField(dst **executionInfo) bool {
	if d.null() {
		return true
	}
	e := &executionInfo{}
	var seen fields
	ok := d.members(func(key string) bool {
		switch key {
		case "id":
			return seen.first(0) && d.stringField(&e.ID)
		case "cycle":
			n, ok := d.integer()
			e.Cycle = int(n)
			return seen.first(1) && ok
		case "timeoutMs":
			n, ok := d.integer()
			e.TimeoutMs = n
			return seen.first(2) && ok
		}
		return false
	})
	if ok {
		*dst = e
	}
	return ok
}

// integer reads a whole number that fits an int64 (null reads as 0, which
// leaves the field unchanged).
func (d *envelopeDecoder) integer() (int64, bool) {
	if d.null() {
		return 0, true
	}
	c := d.peek()
	if c != '-' && (c < '0' || c > '9') {
		return 0, false
	}
	end, ok := scanJSONNumber(d.s, d.p)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(string(d.s[d.p:end]), 10, 64)
	d.p = end
	return n, err == nil
}
