package profitwell

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CustomerRow is one row of a customers page as the listing modules use it:
// the keys paging needs, and the row's JSON, which is exactly what
// encoding/json (HTML escaping off) writes for the row's Customer. A row
// can thus be passed through to an answer without being decoded and
// encoded again.
type CustomerRow struct {
	// CustomerID is the row's customer_id.
	CustomerID string
	// UpdatedOn is the row's updated_on as sent ("" when null).
	UpdatedOn string

	json string
}

// AppendJSON appends the row's JSON: encoding/json's encoding of its
// Customer with HTML escaping off.
func (r CustomerRow) AppendJSON(b []byte) []byte { return append(b, r.json...) }

// MarshalJSON returns the encoding of the row's Customer, so encoding a row
// gives the same bytes as encoding its Customer.
func (r CustomerRow) MarshalJSON() ([]byte, error) { return []byte(r.json), nil }

// Customer decodes the row.
func (r CustomerRow) Customer() (Customer, error) {
	var c Customer
	err := json.Unmarshal([]byte(r.json), &c)
	return c, err
}

// UpdatedTime parses UpdatedOn (RFC 3339, fractional seconds allowed).
func (r CustomerRow) UpdatedTime() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, r.UpdatedOn)
}

// ListCustomerRows is ListCustomers for listings that pass rows through:
// the same request, decoding and errors, with each row kept as its JSON.
func (s *Session) ListCustomerRows(ctx context.Context, q CustomerQuery) ([]CustomerRow, error) {
	return call(ctx, s, opListCustomers, "", q.encode(), nil, func(b []byte) ([]CustomerRow, error) {
		if isEmpty(b) {
			return nil, errEmptyBody
		}
		return decodeCustomerRows(b)
	})
}

// decodeCustomerRows decodes a customers page into rows. A page whose rows
// are all in encoding/json's canonical form for a Customer (ProfitWell's
// and the emulator's usual output) is only scanned: each row's JSON is a
// slice of one copy of the body. Any other page is decoded like
// ListCustomers does (same results, same errors) and each row re-encoded.
func decodeCustomerRows(body []byte) ([]CustomerRow, error) {
	if rows, ok := scanCustomerRows(string(body)); ok {
		return rows, nil
	}
	cs, err := decodeCustomers(body)
	if err != nil {
		return nil, err
	}
	rows := make([]CustomerRow, len(cs))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range cs {
		buf.Reset()
		if err := enc.Encode(&cs[i]); err != nil {
			return nil, err
		}
		rows[i] = CustomerRow{CustomerID: cs[i].CustomerID, json: string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))}
		if cs[i].UpdatedOn != nil {
			rows[i].UpdatedOn = *cs[i].UpdatedOn
		}
	}
	return rows, nil
}

// The members of a canonical customer object, in Customer's field order.
type rowValue uint8

const (
	valString        rowValue = iota // a string
	valStringOrNull                  // a *string
	valInt                           // an int64
	valStringsOrNull                 // a []string
)

var customerMembers = []struct {
	prefix string // the member's key with what precedes it
	kind   rowValue
}{
	{`{"customer_id":`, valString},
	{`,"email":`, valStringOrNull},
	{`,"first_name":`, valStringOrNull},
	{`,"last_name":`, valStringOrNull},
	{`,"mrr_cents":`, valInt},
	{`,"plans":`, valStringsOrNull},
	{`,"status":`, valString},
	{`,"created_on":`, valStringOrNull},
	{`,"activated_on":`, valStringOrNull},
	{`,"churned_on":`, valStringOrNull},
	{`,"updated_on":`, valStringOrNull},
	{`,"total_spend_cents":`, valInt},
}

const (
	memberCustomerID = 0
	memberUpdatedOn  = 10
)

// scanCustomerRows reads a JSON array whose elements are all canonical
// customer objects: exactly Customer's keys in its order, no whitespace
// inside an element, strings that encoding/json neither unescapes nor
// escapes (no backslash, no control character, valid UTF-8 without U+2028
// and U+2029), integers in their shortest form within int64, and null only
// where Customer has a pointer or a slice. Whitespace between elements is
// allowed. Decoding such an element gives a Customer whose encoding is the
// element itself. ok is false for anything else.
func scanCustomerRows(s string) (rows []CustomerRow, ok bool) {
	p := skipSpace(s, 0)
	if p >= len(s) || s[p] != '[' {
		return nil, false
	}
	rows = make([]CustomerRow, 0, strings.Count(s, customerMembers[0].prefix))
	p = skipSpace(s, p+1)
	if p < len(s) && s[p] == ']' {
		return rows, skipSpace(s, p+1) == len(s)
	}
	for {
		row, end, ok := scanCustomerRow(s, p)
		if !ok {
			return nil, false
		}
		rows = append(rows, row)
		p = skipSpace(s, end)
		if p >= len(s) {
			return nil, false
		}
		switch s[p] {
		case ',':
			p = skipSpace(s, p+1)
			continue
		case ']':
			return rows, skipSpace(s, p+1) == len(s)
		}
		return nil, false
	}
}

// scanCustomerRow reads one canonical customer object starting at p.
func scanCustomerRow(s string, p int) (row CustomerRow, end int, ok bool) {
	start := p
	for i, m := range customerMembers {
		if !strings.HasPrefix(s[p:], m.prefix) {
			return row, 0, false
		}
		p += len(m.prefix)
		v := p
		switch m.kind {
		case valString:
			p, ok = scanString(s, p)
		case valStringOrNull:
			if strings.HasPrefix(s[p:], "null") {
				p, ok = p+4, true
			} else {
				p, ok = scanString(s, p)
			}
		case valInt:
			p, ok = scanInt(s, p)
		case valStringsOrNull:
			p, ok = scanStrings(s, p)
		}
		if !ok {
			return row, 0, false
		}
		switch i {
		case memberCustomerID:
			row.CustomerID = s[v+1 : p-1]
		case memberUpdatedOn:
			if s[v] == '"' {
				row.UpdatedOn = s[v+1 : p-1]
			}
		}
	}
	if p >= len(s) || s[p] != '}' {
		return row, 0, false
	}
	p++
	row.json = s[start:p]
	return row, p, true
}

// scanString reads a string that needs no unescaping and no escaping.
func scanString(s string, p int) (int, bool) {
	if p >= len(s) || s[p] != '"' {
		return 0, false
	}
	for p++; p < len(s); {
		c := s[p]
		if plainStringByte[c] {
			p++
			continue
		}
		switch {
		case c == '"':
			return p + 1, true
		case c < 0x20 || c == '\\':
			return 0, false
		case c < utf8.RuneSelf:
			p++
		default:
			r, size := utf8.DecodeRuneInString(s[p:])
			if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
				return 0, false
			}
			p += size
		}
	}
	return 0, false
}

// plainStringByte marks the bytes a canonical string holds as they are:
// printable ASCII but the quote and the backslash.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanInt reads an integer in the form strconv.FormatInt writes, within
// int64.
func scanInt(s string, p int) (int, bool) {
	start := p
	if p < len(s) && s[p] == '-' {
		p++
	}
	digits := p
	for p < len(s) && s[p] >= '0' && s[p] <= '9' {
		p++
	}
	n := p - digits
	switch {
	case n == 0:
		return 0, false
	case s[digits] == '0' && (n > 1 || digits > start): // leading zero, or -0
		return 0, false
	case n >= 19:
		if _, err := strconv.ParseInt(s[start:p], 10, 64); err != nil {
			return 0, false
		}
	}
	return p, true
}

// scanStrings reads null or an array of strings.
func scanStrings(s string, p int) (int, bool) {
	if strings.HasPrefix(s[p:], "null") {
		return p + 4, true
	}
	if p >= len(s) || s[p] != '[' {
		return 0, false
	}
	p++
	if p < len(s) && s[p] == ']' {
		return p + 1, true
	}
	for {
		var ok bool
		if p, ok = scanString(s, p); !ok || p >= len(s) {
			return 0, false
		}
		switch s[p] {
		case ',':
			p++
		case ']':
			return p + 1, true
		default:
			return 0, false
		}
	}
}

func skipSpace(s string, p int) int {
	for p < len(s) && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r') {
		p++
	}
	return p
}
