package manifest

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
)

// Problem names one bad field and says what is wrong with it. Messages never
// contain the value itself.
type Problem struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// ValidationError lists every bad field of one request.
type ValidationError struct {
	Problems []Problem
	// now is the instant "now" stands for while this error collects the
	// problems of one validation (ValidateAt); zero means the wall clock.
	now time.Time
}

// clock is the instant "now" stands for in the validation e collects.
func (e *ValidationError) clock() time.Time {
	if e == nil || e.now.IsZero() {
		return time.Now()
	}
	return e.now
}

// Error joins the problems into one line.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Name + ": " + p.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem.
func (e *ValidationError) Add(name, message string) {
	e.Problems = append(e.Problems, Problem{Name: name, Message: message})
}

// Err returns e when it holds problems and nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Problems) == 0 {
		return nil
	}
	return e
}

// Invalid returns a ValidationError for one field.
func Invalid(name, message string) *ValidationError {
	return &ValidationError{Problems: []Problem{{Name: name, Message: message}}}
}

// Values are validated parameters keyed by field name, with defaults applied
// and every value normalised: text and single selects are string, integers
// int64, numbers float64, booleans bool, dates time.Time (UTC), multiple
// selects []string, arrays []any, collections map[string]any. Absent optional
// fields have no key.
type Values map[string]any

// validate is shared: building a validator is costly and it is safe for
// concurrent use.
var validate = sync.OnceValue(func() *validator.Validate { return validator.New() })

// patterns caches compiled field patterns.
var patterns sync.Map

// Validate checks raw input against the fields. Raw values are what a JSON
// decoder produced (numbers as json.Number or float64) or Go values of the
// field's kind. Defaults are applied first, then every rule; all problems are
// collected, in declaration order, followed by unknown names. Names in
// problems carry prefix (for nested values, "items[2].").
func Validate(fields []Field, raw map[string]any) (Values, error) {
	return ValidateAt(fields, raw, time.Now())
}

// ValidateAt is Validate with the instant the date "now" stands for.
func ValidateAt(fields []Field, raw map[string]any, now time.Time) (Values, error) {
	verr := &ValidationError{now: now}
	out := validateInto(fields, raw, "", verr)
	if err := verr.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func validateInto(fields []Field, raw map[string]any, prefix string, verr *ValidationError) Values {
	out := make(Values, len(fields))
	matched := 0
	for i := range fields {
		f := &fields[i]
		name := prefix + f.Name
		v, present := raw[f.Name]
		if present {
			matched++
		}
		if !present || isEmpty(v) {
			if f.Default == nil {
				if f.Required {
					verr.Add(name, "is required")
				}
				continue
			}
			v = f.Default
		}
		if norm, msg := convert(f, v, name, verr); msg != "" {
			verr.Add(name, msg)
		} else if norm != nil {
			out[f.Name] = norm
		}
	}
	if len(raw) > matched {
		var unknown []string
		for k := range raw {
			if !hasField(fields, k) {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			verr.Add(prefix+safeName(k), "is not a parameter of this module")
		}
	}
	return out
}

func hasField(fields []Field, name string) bool {
	for i := range fields {
		if fields[i].Name == name {
			return true
		}
	}
	return false
}

// safeName keeps unknown parameter names printable and short in messages,
// and never empty, so every problem names something.
func safeName(k string) string {
	if k == "" {
		return "(empty name)"
	}
	k = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, k)
	if k == "" {
		return "(unprintable name)"
	}
	if r := []rune(k); len(r) > 64 {
		k = string(r[:64]) + "…"
	}
	return k
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	}
	return false
}

// convert normalises one value and checks its rules, by the field type's
// descriptor. It returns the normalised value, or a message. Nested problems
// go straight into verr.
func convert(f *Field, v any, name string, verr *ValidationError) (any, string) {
	spec, ok := fieldTypes[f.Type]
	if !ok {
		return nil, "has an unsupported type"
	}
	return spec.convert(f, v, name, verr)
}

// converter is the convert step of one field type.
type converter func(f *Field, v any, name string, verr *ValidationError) (any, string)

func convertText(f *Field, v any, _ string, _ *ValidationError) (any, string) {
	s, ok := asString(v)
	if !ok {
		return nil, "must be text"
	}
	return s, checkText(f, s)
}

func convertInteger(f *Field, v any, _ string, _ *ValidationError) (any, string) {
	n, ok := asInt(v)
	if !ok {
		return nil, "must be a whole number" + unitSuffix(f)
	}
	if f.Type == TypeUInteger && n < 0 {
		return nil, "must not be negative"
	}
	return n, checkRange(f, float64(n), "")
}

func convertNumber(f *Field, v any, _ string, _ *ValidationError) (any, string) {
	x, ok := asFloat(v)
	if !ok {
		return nil, "must be a number" + unitSuffix(f)
	}
	return x, checkRange(f, x, "")
}

func convertBoolean(_ *Field, v any, _ string, _ *ValidationError) (any, string) {
	b, ok := asBool(v)
	if !ok {
		return nil, "must be true or false"
	}
	return b, ""
}

func convertDate(_ *Field, v any, _ string, verr *ValidationError) (any, string) {
	t, ok := ParseDate(v, verr.clock())
	if !ok {
		return nil, "must be an ISO 8601 date or date-time, or Unix seconds"
	}
	return t, ""
}

func convertSelect(f *Field, v any, _ string, _ *ValidationError) (any, string) {
	if !f.Multiple {
		return selectValue(f, v)
	}
	items, ok := v.([]any)
	if !ok {
		if s, isStr := v.([]string); isStr {
			items = make([]any, len(s))
			for i := range s {
				items[i] = s[i]
			}
		} else {
			items = []any{v}
		}
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, msg := selectValue(f, it)
		if msg != "" {
			return nil, msg
		}
		out = append(out, s)
	}
	return out, checkCount(f, len(out))
}

func convertArray(f *Field, v any, name string, verr *ValidationError) (any, string) {
	items, ok := v.([]any)
	if !ok {
		return nil, "must be a list"
	}
	if msg := checkCount(f, len(items)); msg != "" {
		return nil, msg
	}
	return convertItems(f, items, name, verr), ""
}

func convertCollection(f *Field, v any, name string, verr *ValidationError) (any, string) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "must be an object"
	}
	if len(f.Spec) == 0 {
		return m, ""
	}
	return map[string]any(validateInto(f.Spec, m, name+".", verr)), ""
}

func convertAny(_ *Field, v any, _ string, _ *ValidationError) (any, string) { return v, "" }

func convertItems(f *Field, items []any, name string, verr *ValidationError) []any {
	if len(f.Spec) == 0 {
		return items
	}
	out := make([]any, len(items))
	for i, it := range items {
		itemName := fmt.Sprintf("%s[%d]", name, i)
		if len(f.Spec) == 1 && f.Spec[0].Name == "" {
			norm, msg := convert(&f.Spec[0], it, itemName, verr)
			if msg != "" {
				verr.Add(itemName, msg)
			}
			out[i] = norm
			continue
		}
		m, ok := it.(map[string]any)
		if !ok {
			verr.Add(itemName, "must be an object")
			continue
		}
		out[i] = map[string]any(validateInto(f.Spec, m, itemName+".", verr))
	}
	return out
}

func selectValue(f *Field, v any) (string, string) {
	s, ok := asString(v)
	if !ok || s == "" {
		return "", "must be one of the listed options"
	}
	if f.OptionsRPC != "" || len(f.Options) == 0 {
		return s, checkText(f, s)
	}
	for _, o := range f.Options {
		ov := fmt.Sprint(o.Value)
		if strings.EqualFold(ov, s) {
			return ov, ""
		}
	}
	return "", optionsMessage(f.Options)
}

func optionsMessage(opts []Option) string {
	if len(opts) > 10 {
		return fmt.Sprintf("is not one of the %d allowed values", len(opts))
	}
	vals := make([]string, len(opts))
	for i, o := range opts {
		vals[i] = fmt.Sprint(o.Value)
	}
	return "must be one of: " + strings.Join(vals, ", ")
}

func unitSuffix(f *Field) string {
	if f.Unit == "" {
		return ""
	}
	return " of " + f.Unit
}

// breaksALine reports whether r, in text meant as one line, would break
// it or reorder what a reader sees: the Unicode line and paragraph
// separators (U+2028, U+2029) and the bidirectional embedding, override and
// isolate controls (U+202A to U+202E, U+2066 to U+2069), which can make an id
// display as another.
func breaksALine(r rune) bool {
	return r == '\u2028' || r == '\u2029' || ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069')
}

func checkText(f *Field, s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8 text"
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(f.Multiline && (r == '\n' || r == '\r' || r == '\t')) {
			return "must not contain control characters"
		}
		if !f.Multiline && breaksALine(r) {
			return "must not contain line separators or bidirectional controls"
		}
	}
	if msg := checkRange(f, float64(utf8.RuneCountInString(s)), " characters"); msg != "" {
		return msg
	}
	if f.Pattern != "" {
		re, ok := patterns.Load(f.Pattern)
		if !ok {
			re, _ = patterns.LoadOrStore(f.Pattern, regexp.MustCompile(f.Pattern))
		}
		if !re.(*regexp.Regexp).MatchString(s) {
			return "does not have the expected format"
		}
	}
	switch f.Type {
	case TypeEmail:
		if validate().Var(s, "email") != nil {
			return "must be an email address"
		}
	case TypeURL:
		if validate().Var(s, "url") != nil {
			return "must be a URL"
		}
	}
	return ""
}

func checkRange(f *Field, x float64, what string) string {
	if f.Min != nil && x < *f.Min {
		return "must be at least " + formatNum(*f.Min) + what
	}
	if f.Max != nil && x > *f.Max {
		return "must be at most " + formatNum(*f.Max) + what
	}
	return ""
}

func checkCount(f *Field, n int) string {
	return checkRange(f, float64(n), " items")
}

func formatNum(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func asString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case float64:
		return floatToInt(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, true
		}
		f, err := x.Float64()
		if err != nil {
			return 0, false
		}
		return floatToInt(f)
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return floatToInt(f)
	}
	return 0, false
}

func floatToInt(f float64) (int64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

func asFloat(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil {
			return 0, false
		}
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func asBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes":
			return true, true
		case "false", "0", "no":
			return false, true
		}
	}
	return false, false
}

// maxUnix is 9999-12-31T23:59:59Z; larger numbers are not Unix seconds.
const maxUnix = 253402300799

// ParseDate reads a date the way users of the connector write it: ISO 8601
// (a date "2025-01-31", a date-time with offset or Z, with or without
// fractional seconds, or without an offset meaning UTC), Unix seconds as a
// number or numeric string, or the word "now" (the instant now, to the
// second). The result is in UTC.
func ParseDate(v any, now time.Time) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case json.Number, float64, int, int64:
		n, ok := asInt(x)
		if !ok || n < 0 || n > maxUnix {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	case string:
		s := strings.TrimSpace(x)
		if strings.EqualFold(s, "now") {
			return now.UTC().Truncate(time.Second), true
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			if n < 0 || n > maxUnix {
				return time.Time{}, false
			}
			return time.Unix(n, 0).UTC(), true
		}
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02",
}
