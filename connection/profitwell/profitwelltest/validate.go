package profitwelltest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes caps request bodies; ProfitWell's bodies are tiny.
const maxBodyBytes = 1 << 20

// maxEffectiveDate is 9999-12-31T23:59:59Z, the largest Unix time a Python
// datetime can hold.
const maxEffectiveDate = 253402300799

// jsonBody is a decoded JSON object request body, kept raw per field so each
// field can be validated with DRF's rules for its type.
type jsonBody map[string]json.RawMessage

// readJSONBody decodes a JSON object body the way DRF's JSONParser does:
// an empty body is an empty object; a non-JSON content type is 415; invalid
// JSON is 400 {"detail": "JSON parse error - ..."}; a non-object is 400
// non_field_errors.
// existing reports, under c's read lock, whether the record an update or
// a churn names exists (ProfitWell answers 404 before it looks at a body).
func existing(c *company, exists func() bool) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return exists()
}

// readExistingBody is the start of an update: 404 when the record does not
// exist, else the JSON body (or the answer refusing it).
func readExistingBody(w http.ResponseWriter, r *http.Request, c *company, exists func() bool) (jsonBody, *response) {
	if !existing(c, exists) {
		nf := notFound()
		return jsonBody{}, &nf
	}
	return readJSONBody(w, r)
}

func readJSONBody(w http.ResponseWriter, r *http.Request) (jsonBody, *response) {
	if r.Body == nil {
		return jsonBody{}, nil
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			resp := detail(http.StatusRequestEntityTooLarge, "Request body too large.")
			return nil, &resp
		}
		resp := detail(http.StatusBadRequest, "Could not read the request body.")
		return nil, &resp
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return jsonBody{}, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt != "application/json" {
		resp := detail(http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type %q in request.", ct))
		return nil, &resp
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		resp := detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
		return nil, &resp
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		resp := detail(http.StatusBadRequest, "JSON parse error - Extra data")
		return nil, &resp
	}
	t := bytes.TrimSpace(v)
	switch {
	case bytes.Equal(t, []byte("null")):
		resp := nonField("No data provided")
		return nil, &resp
	case t[0] != '{':
		resp := nonField(fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonTypeName(t)))
		return nil, &resp
	}
	var body jsonBody
	if err := json.Unmarshal(t, &body); err != nil {
		resp := detail(http.StatusBadRequest, "JSON parse error - "+err.Error())
		return nil, &resp
	}
	return body, nil
}

func pythonTypeName(raw []byte) string {
	switch raw[0] {
	case '[':
		return "list"
	case '"':
		return "str"
	case 't', 'f':
		return "bool"
	default:
		if bytes.ContainsAny(raw, ".eE") {
			return "float"
		}
		return "int"
	}
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// rawString converts a raw JSON value the way DRF's CharField does: strings
// and numbers are accepted (numbers as their literal text), anything else is
// "Not a valid string.". Surrounding whitespace is trimmed (trim_whitespace).
func rawString(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "", false
	}
	switch {
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return "", false
		}
		return strings.TrimSpace(s), true
	case t[0] == '-' || (t[0] >= '0' && t[0] <= '9'):
		return string(t), true
	default:
		return "", false
	}
}

type strSpec struct {
	required bool
	maxLen   int // 0 = unlimited
}

// str reads a CharField. Optional fields that are absent, null or blank
// return ok=false without an error (see doc.go: empty optional values).
func (b jsonBody) str(errs *fieldErrors, field string, spec strSpec) (val string, ok bool) {
	raw, present := b[field]
	if !present {
		if spec.required {
			errs.add(field, msgRequired)
		}
		return "", false
	}
	if isNull(raw) {
		if spec.required {
			errs.add(field, msgNotNull)
		}
		return "", false
	}
	s, good := rawString(raw)
	if !good {
		errs.add(field, msgInvalidString)
		return "", false
	}
	if s == "" {
		if spec.required {
			errs.add(field, msgBlank)
		}
		return "", false
	}
	if spec.maxLen > 0 && len([]rune(s)) > spec.maxLen {
		errs.add(field, maxLenMsg(spec.maxLen))
		return "", false
	}
	return s, true
}

type intSpec struct {
	required bool
	min, max int64
}

var reDecimalZeros = regexp.MustCompile(`\.0*\s*$`)

// parseDRFInt applies DRF IntegerField.to_internal_value to a string: strip
// a trailing ".000" (regexp \.0*\s*$), then Python's int().
func parseDRFInt(s string) (int64, bool) {
	s = strings.TrimSpace(reDecimalZeros.ReplaceAllString(s, ""))
	if s == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || strings.HasPrefix(s, "+-") {
		return 0, false
	}
	return n, true
}

// rawInt converts a raw JSON value the way DRF's IntegerField does: JSON
// integers, integral floats (5.0) and numeric strings ("2000", "2000.00")
// are accepted; fractions, booleans, objects and arrays are not.
func rawInt(raw json.RawMessage) (int64, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return 0, false
	}
	switch {
	case t[0] == '"':
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return 0, false
		}
		return parseDRFInt(s)
	case t[0] == '-' || (t[0] >= '0' && t[0] <= '9'):
		if !bytes.ContainsAny(t, ".eE") {
			n, err := strconv.ParseInt(string(t), 10, 64)
			if err != nil {
				return 0, false
			}
			return n, true
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	default:
		return 0, false
	}
}

func checkRange(errs *fieldErrors, field string, n int64, spec intSpec) bool {
	if n < spec.min {
		errs.add(field, minValueMsg(spec.min))
		return false
	}
	if n > spec.max {
		errs.add(field, maxValueMsg(spec.max))
		return false
	}
	return true
}

func (b jsonBody) integer(errs *fieldErrors, field string, spec intSpec) (int64, bool) {
	raw, present := b[field]
	if !present {
		if spec.required {
			errs.add(field, msgRequired)
		}
		return 0, false
	}
	if isNull(raw) {
		if spec.required {
			errs.add(field, msgNotNull)
		}
		return 0, false
	}
	n, good := rawInt(raw)
	if !good {
		errs.add(field, msgInvalidInt)
		return 0, false
	}
	return n, checkRange(errs, field, n, spec)
}

// choice reads a ChoiceField case-insensitively and returns the lower-case
// value. Optional choices that are absent, null or "" return ok=false.
func (b jsonBody) choice(errs *fieldErrors, field string, required bool, valid func(string) bool) (string, bool) {
	raw, present := b[field]
	if !present {
		if required {
			errs.add(field, msgRequired)
		}
		return "", false
	}
	if isNull(raw) {
		if required {
			errs.add(field, msgNotNull)
		}
		return "", false
	}
	s, good := rawString(raw)
	if !good {
		errs.add(field, invalidChoice(strings.TrimSpace(string(raw))))
		return "", false
	}
	if s == "" && !required {
		return "", false
	}
	v := strings.ToLower(s)
	if !valid(v) {
		errs.add(field, invalidChoice(s))
		return "", false
	}
	return v, true
}

// queryInt reads an integer query parameter (DRF rules on a string).
func queryInt(errs *fieldErrors, field, s string, spec intSpec) (int64, bool) {
	if s == "" {
		if spec.required {
			errs.add(field, msgRequired)
		}
		return 0, false
	}
	n, good := parseDRFInt(s)
	if !good {
		errs.add(field, msgInvalidInt)
		return 0, false
	}
	return n, checkRange(errs, field, n, spec)
}

func oneOf(vals ...string) func(string) bool {
	return func(s string) bool {
		for _, v := range vals {
			if s == v {
				return true
			}
		}
		return false
	}
}

var reUnixTime = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseFlexibleTime parses the customers API's date parameters: Unix seconds
// (optionally with a fraction), RFC 3339 with or without fractional seconds
// or zone, "2006-01-02 15:04:05" and "2006-01-02". A missing zone means UTC.
func parseFlexibleTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if reUnixTime.MatchString(s) {
		whole, frac, _ := strings.Cut(s, ".")
		sec, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || sec > maxEffectiveDate || sec < -maxEffectiveDate {
			return time.Time{}, false
		}
		var nsec int64
		if frac != "" {
			frac = (frac + "000000000")[:9]
			nsec, _ = strconv.ParseInt(frac, 10, 64)
			if strings.HasPrefix(whole, "-") {
				nsec = -nsec
			}
		}
		return time.Unix(sec, nsec).UTC(), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
