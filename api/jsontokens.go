package api

import (
	"encoding/json"
	"errors"
	"io"
)

// jsonTokens walks a JSON text token by token like json.Decoder.Token
// (with UseNumber): the same tokens in the same order, and a syntax error at
// the same token, but without decoding scalars or allocating per token. It
// exists for checkJSON, which runs on every request body.
type jsonTokens struct {
	s     []byte
	p     int
	state tokenState
	stack []tokenState
}

// tokenState mirrors json.Decoder's: what may come next.
type tokenState uint8

const (
	tokTopValue tokenState = iota
	tokArrayStart
	tokArrayValue
	tokArrayComma
	tokObjectStart
	tokObjectKey
	tokObjectColon
	tokObjectValue
	tokObjectComma
)

// jsonToken is one token: a delimiter ([ ] { }), an object key (unescaped)
// or a scalar value (string, number, true, false or null; not decoded).
type jsonToken struct {
	delim byte // '[', ']', '{' or '}'; 0 for a key or a scalar
	key   bool // an object key; name holds it
	name  string
}

var errJSONSyntax = errors.New("json: syntax error")

// next returns the next token, io.EOF at the end of the input, or
// errJSONSyntax where json.Decoder.Token would return a syntax error.
func (t *jsonTokens) next() (jsonToken, error) {
	for {
		for t.p < len(t.s) && isJSONSpace(t.s[t.p]) {
			t.p++
		}
		if t.p >= len(t.s) {
			return jsonToken{}, io.EOF
		}
		switch c := t.s[t.p]; c {
		case '[', '{':
			if !t.valueAllowed() {
				return jsonToken{}, errJSONSyntax
			}
			t.p++
			t.stack = append(t.stack, t.state)
			t.state = tokArrayStart
			if c == '{' {
				t.state = tokObjectStart
			}
			return jsonToken{delim: c}, nil
		case ']', '}':
			if c == ']' && t.state != tokArrayStart && t.state != tokArrayComma ||
				c == '}' && t.state != tokObjectStart && t.state != tokObjectComma {
				return jsonToken{}, errJSONSyntax
			}
			t.p++
			t.state = t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.valueEnd()
			return jsonToken{delim: c}, nil
		case ':':
			if t.state != tokObjectColon {
				return jsonToken{}, errJSONSyntax
			}
			t.p++
			t.state = tokObjectValue
		case ',':
			switch t.state {
			case tokArrayComma:
				t.state = tokArrayValue
			case tokObjectComma:
				t.state = tokObjectKey
			default:
				return jsonToken{}, errJSONSyntax
			}
			t.p++
		case '"':
			if t.state == tokObjectStart || t.state == tokObjectKey {
				start := t.p
				end, plain, ok := scanJSONString(t.s, t.p)
				if !ok {
					return jsonToken{}, errJSONSyntax
				}
				t.p = end
				t.state = tokObjectColon
				if plain {
					return jsonToken{key: true, name: string(t.s[start+1 : end-1])}, nil
				}
				var name string
				if err := json.Unmarshal(t.s[start:end], &name); err != nil {
					return jsonToken{}, errJSONSyntax
				}
				return jsonToken{key: true, name: name}, nil
			}
			fallthrough
		default:
			if !t.valueAllowed() {
				return jsonToken{}, errJSONSyntax
			}
			end, ok := scanJSONScalar(t.s, t.p)
			if !ok {
				return jsonToken{}, errJSONSyntax
			}
			t.p = end
			t.valueEnd()
			return jsonToken{}, nil
		}
	}
}

func (t *jsonTokens) valueAllowed() bool {
	switch t.state {
	case tokTopValue, tokArrayStart, tokArrayValue, tokObjectValue:
		return true
	}
	return false
}

func (t *jsonTokens) valueEnd() {
	switch t.state {
	case tokArrayStart, tokArrayValue:
		t.state = tokArrayComma
	case tokObjectValue:
		t.state = tokObjectComma
	}
}

// jsonText is JSON held as bytes (request bodies) or as a string (the
// execute envelope's fast path, whose values are slices of it).
type jsonText interface{ ~string | ~[]byte }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// scanJSONScalar checks the string, number or literal at p as
// encoding/json's scanner does; it ends at the first byte that cannot
// continue it.
func scanJSONScalar[T jsonText](s T, p int) (int, bool) {
	switch c := s[p]; {
	case c == '"':
		end, _, ok := scanJSONString(s, p)
		return end, ok
	case c == '-' || '0' <= c && c <= '9':
		return scanJSONNumber(s, p)
	case c == 't':
		return scanJSONLiteral(s, p, "true")
	case c == 'f':
		return scanJSONLiteral(s, p, "false")
	case c == 'n':
		return scanJSONLiteral(s, p, "null")
	}
	return 0, false
}

// scanJSONString checks the string starting at the quote at p: no control
// character, valid escapes. It returns the index after the closing quote
// and whether the string is plain: ASCII without escapes, so its bytes are
// its value (otherwise escapes and invalid UTF-8 need json's unquoting).
func scanJSONString[T jsonText](s T, p int) (end int, plain, ok bool) {
	plain = true
	for p++; p < len(s); p++ {
		switch c := s[p]; {
		case c == '"':
			return p + 1, plain, true
		case c < 0x20:
			return 0, false, false
		case c >= 0x80:
			plain = false
		case c == '\\':
			plain = false
			p++
			if p >= len(s) {
				return 0, false, false
			}
			switch s[p] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if p+4 >= len(s) {
					return 0, false, false
				}
				for i := p + 1; i < p+5; i++ {
					if h := s[i]; !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return 0, false, false
					}
				}
				p += 4
			default:
				return 0, false, false
			}
		}
	}
	return 0, false, false
}

// scanJSONNumber checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p.
func scanJSONNumber[T jsonText](s T, p int) (int, bool) {
	digits := func(p int) (int, bool) {
		start := p
		for p < len(s) && '0' <= s[p] && s[p] <= '9' {
			p++
		}
		return p, p > start
	}
	if s[p] == '-' {
		p++
	}
	switch {
	case p >= len(s):
		return 0, false
	case s[p] == '0':
		p++
	case '1' <= s[p] && s[p] <= '9':
		p, _ = digits(p)
	default:
		return 0, false
	}
	var ok bool
	if p < len(s) && s[p] == '.' {
		if p, ok = digits(p + 1); !ok {
			return 0, false
		}
	}
	if p < len(s) && (s[p] == 'e' || s[p] == 'E') {
		p++
		if p < len(s) && (s[p] == '+' || s[p] == '-') {
			p++
		}
		if p, ok = digits(p); !ok {
			return 0, false
		}
	}
	return p, true
}

func scanJSONLiteral[T jsonText](s T, p int, lit string) (int, bool) {
	if len(s)-p < len(lit) || string(s[p:p+len(lit)]) != lit {
		return 0, false
	}
	return p + len(lit), true
}
