package manifest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testFields = []Field{
	{Name: "alias", Label: "Alias", Help: "h", Type: TypeText, Max: Ptr(36)},
	{Name: "email", Label: "Email", Help: "h", Type: TypeEmail},
	{Name: "value", Label: "Value", Help: "h", Type: TypeUInteger, Required: true, Unit: "cents"},
	{Name: "interval", Label: "Interval", Help: "h", Type: TypeSelect, Required: true, Options: []Option{{Label: "Month", Value: "month"}, {Label: "Year", Value: "year"}}},
	{Name: "currency", Label: "Currency", Help: "h", Type: TypeSelect, Default: "usd", Options: []Option{{Label: "USD", Value: "usd"}, {Label: "EUR", Value: "eur"}}},
	{Name: "when", Label: "When", Help: "h", Type: TypeDate},
	{Name: "plan", Label: "Plan", Help: "h", Type: TypeSelect, OptionsRPC: "listPlans"},
	{Name: "flag", Label: "Flag", Help: "h", Type: TypeBoolean},
	{Name: "ratio", Label: "Ratio", Help: "h", Type: TypeNumber, Min: Ptr(0), Max: Ptr(1)},
	{Name: "tags", Label: "Tags", Help: "h", Type: TypeArray, Max: Ptr(2), Spec: []Field{{Type: TypeText}}},
	{Name: "names", Label: "Names", Help: "h", Type: TypeSelect, Multiple: true, Options: []Option{{Label: "A", Value: "a"}, {Label: "B", Value: "b"}}},
	{Name: "headers", Label: "Headers", Help: "h", Type: TypeArray, Spec: []Field{
		{Name: "key", Label: "Key", Help: "h", Type: TypeText, Required: true},
		{Name: "value", Label: "Value", Help: "h", Type: TypeText},
	}},
	LimitField("things"),
}

func decodeParams(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	require.NoError(t, dec.Decode(&m))
	return m
}

func problems(t *testing.T, err error) map[string]string {
	t.Helper()
	require.Error(t, err)
	verr, ok := err.(*ValidationError)
	require.True(t, ok, "want *ValidationError, got %T", err)
	out := map[string]string{}
	for _, p := range verr.Problems {
		out[p.Name] = p.Message
	}
	return out
}

func TestValidateAppliesDefaultsAndNormalises(t *testing.T) {
	t.Parallel()
	v, err := Validate(testFields, decodeParams(t, `{
		"value": "1500", "interval": "MONTH", "when": "2025-01-31",
		"plan": "anything-mapped", "flag": "true", "ratio": 0.5,
		"tags": ["a", "b"], "names": ["A"], "headers": [{"key": "X-A", "value": "1"}]
	}`))
	require.NoError(t, err)
	assert.Equal(t, int64(1500), v["value"])
	assert.Equal(t, "month", v["interval"], "select values are matched case-insensitively and normalised")
	assert.Equal(t, "usd", v["currency"], "default applied")
	assert.Equal(t, int64(DefaultLimit), v["limit"], "limit default applied")
	assert.Equal(t, time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC), v["when"])
	assert.Equal(t, "anything-mapped", v["plan"], "rpc selects accept mapped values")
	assert.Equal(t, true, v["flag"])
	assert.Equal(t, 0.5, v["ratio"])
	assert.Equal(t, []any{"a", "b"}, v["tags"])
	assert.Equal(t, []string{"a"}, v["names"])
	assert.Equal(t, []any{map[string]any{"key": "X-A", "value": "1"}}, v["headers"])
	_, hasAlias := v["alias"]
	assert.False(t, hasAlias, "absent optional fields have no key")
}

func TestValidateNamesEveryBadField(t *testing.T) {
	t.Parallel()
	err := func() error {
		_, err := Validate(testFields, decodeParams(t, `{
			"alias": "`+strings.Repeat("x", 37)+`", "email": "not-an-email", "value": 12.5,
			"interval": "week", "currency": "xyz", "when": "yesterday", "flag": "maybe",
			"ratio": 2, "tags": ["a", "b", "c"], "names": ["c"], "headers": [{"value": "1"}],
			"limit": 0, "bogus": 1
		}`))
		return err
	}()
	got := problems(t, err)
	assert.Equal(t, map[string]string{
		"alias":          "must be at most 36 characters",
		"email":          "must be an email address",
		"value":          "must be a whole number of cents",
		"interval":       "must be one of: month, year",
		"currency":       "must be one of: usd, eur",
		"when":           "must be an ISO 8601 date or date-time, or Unix seconds",
		"flag":           "must be true or false",
		"ratio":          "must be at most 1",
		"tags":           "must be at most 2 items",
		"names":          "must be one of: a, b",
		"headers[0].key": "is required",
		"limit":          "must be at least 1",
		"bogus":          "is not a parameter of this module",
	}, got)
}

func TestValidateRequiredAndEmpty(t *testing.T) {
	t.Parallel()
	got := problems(t, func() error {
		_, err := Validate(testFields, decodeParams(t, `{"value": null, "interval": ""}`))
		return err
	}())
	assert.Equal(t, map[string]string{"value": "is required", "interval": "is required"}, got)
}

func TestValidateNumbers(t *testing.T) {
	t.Parallel()
	f := []Field{{Name: "n", Label: "N", Help: "h", Type: TypeUInteger, Unit: "cents"}}
	for _, tc := range []struct {
		in   string
		want any
		msg  string
	}{
		{in: `10`, want: int64(10)},
		{in: `"10"`, want: int64(10)},
		{in: `1e3`, want: int64(1000)},
		{in: `10.0`, want: int64(10)},
		{in: `-1`, msg: "must not be negative"},
		{in: `10.5`, msg: "must be a whole number of cents"},
		{in: `"ten"`, msg: "must be a whole number of cents"},
		{in: `true`, msg: "must be a whole number of cents"},
		{in: `1e300`, msg: "must be a whole number of cents"},
	} {
		v, err := Validate(f, decodeParams(t, `{"n": `+tc.in+`}`))
		if tc.msg != "" {
			assert.Equal(t, tc.msg, problems(t, err)["n"], tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, v["n"], tc.in)
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	want := time.Date(2025, 3, 1, 12, 30, 0, 0, time.UTC)
	for _, in := range []any{
		"2025-03-01T12:30:00Z", "2025-03-01T14:30:00+02:00", "2025-03-01T12:30:00.000Z",
		"2025-03-01T12:30:00", "2025-03-01 12:30:00", json.Number("1740832200"), "1740832200",
		float64(1740832200), int64(1740832200),
	} {
		got, ok := ParseDate(in, time.Now())
		require.True(t, ok, "%v", in)
		assert.True(t, want.Equal(got), "%v gave %v", in, got)
	}
	for _, in := range []any{"", "tomorrow", "2025-13-01", json.Number("-5"), json.Number("99999999999999"), "1.5", true} {
		_, ok := ParseDate(in, time.Now())
		assert.False(t, ok, "%v", in)
	}
	now := time.Date(2026, 12, 4, 17, 30, 15, 500, time.FixedZone("x", 3600))
	got, ok := ParseDate("now", now)
	assert.True(t, ok)
	assert.Equal(t, time.Date(2026, 12, 4, 16, 30, 15, 0, time.UTC), got, "the given clock, to the second, in UTC")
}

func TestValidateTextRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	f := []Field{
		{Name: "id", Label: "Id", Help: "h", Type: TypeText},
		{Name: "body", Label: "Body", Help: "h", Type: TypeText, Multiline: true},
	}
	got := problems(t, func() error {
		_, err := Validate(f, map[string]any{"id": "a\r\nInjected: 1", "body": "line\nline"})
		return err
	}())
	assert.Equal(t, map[string]string{"id": "must not contain control characters"}, got)
	v, err := Validate(f, map[string]any{"body": "line\nline\ttab"})
	require.NoError(t, err)
	assert.Equal(t, "line\nline\ttab", v["body"])
}

// TestValidateSingleLineRefusesSeparatorsAndBidiControls: text meant as one
// line refuses the Unicode line and paragraph separators and the
// bidirectional controls that reorder what is displayed; multi-line text
// keeps its separators.
func TestValidateSingleLineRefusesSeparatorsAndBidiControls(t *testing.T) {
	t.Parallel()
	f := []Field{
		{Name: "id", Label: "Id", Help: "h", Type: TypeText},
		{Name: "body", Label: "Body", Help: "h", Type: TypeText, Multiline: true},
	}
	for _, r := range []rune{'\u2028', '\u2029', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069'} {
		_, err := Validate(f, map[string]any{"id": "cus_1" + string(r) + "2"})
		assert.Equal(t, map[string]string{"id": "must not contain line separators or bidirectional controls"}, problems(t, err), "%U", r)
	}
	v, err := Validate(f, map[string]any{"id": "שלום-cus_1", "body": "a\u2028b\u2029c"})
	require.NoError(t, err, "right-to-left letters are text; separators are allowed on several lines")
	assert.Equal(t, "a\u2028b\u2029c", v["body"])
}

func TestValidationErrorMessageNeverHoldsValues(t *testing.T) {
	t.Parallel()
	secret := "s3cr3t-value-that-must-not-leak"
	f := []Field{{Name: "token", Label: "Token", Help: "h", Type: TypePassword, Max: Ptr(5)}}
	_, err := Validate(f, map[string]any{"token": secret, secret: 1})
	require.Error(t, err)
	assert.NotContains(t, strings.ReplaceAll(err.Error(), secret+": is not", ""), secret)
	assert.Contains(t, err.Error(), "token: must be at most 5 characters")
}

func TestBind(t *testing.T) {
	t.Parallel()
	type params struct {
		Alias    *string   `param:"alias"`
		Value    int64     `param:"value"`
		Interval string    `param:"interval"`
		When     time.Time `param:"when"`
		Limit    int       `param:"limit"`
		Names    []string  `param:"names"`
		Flag     *bool     `param:"flag"`
	}
	when := time.Unix(100, 0).UTC()
	var p params
	require.NoError(t, Bind(Values{"value": int64(5), "interval": "year", "when": when, "limit": int64(7), "names": []string{"a"}, "flag": false}, &p))
	assert.Nil(t, p.Alias)
	assert.Equal(t, int64(5), p.Value)
	assert.Equal(t, "year", p.Interval)
	assert.Equal(t, when, p.When)
	assert.Equal(t, 7, p.Limit)
	assert.Equal(t, []string{"a"}, p.Names)
	require.NotNil(t, p.Flag)
	assert.False(t, *p.Flag)

	assert.Error(t, Bind(Values{"value": "five"}, &p), "a wrong Go type is reported")
	assert.Error(t, Bind(Values{}, p), "a non-pointer is reported")
}

func TestCheckBinding(t *testing.T) {
	t.Parallel()
	fields := []Field{
		{Name: "a", Type: TypeText},
		{Name: "b", Type: TypeUInteger},
		{Name: "c", Type: TypeDate},
	}
	type good struct {
		A string     `param:"a"`
		B int        `param:"b"`
		C *time.Time `param:"c"`
	}
	assert.Empty(t, CheckBinding(fields, reflectType[good]()))
	type bad struct {
		A int    `param:"a"`
		B int    `param:"b"`
		D string `param:"d"`
	}
	errs := CheckBinding(fields, reflectType[bad]())
	require.Len(t, errs, 3)
	text := errs[0].Error() + errs[1].Error() + errs[2].Error()
	assert.Contains(t, text, `field "a" is text`)
	assert.Contains(t, text, `field "c" has no Go field`)
	assert.Contains(t, text, `tagged "d"`)
}

func TestValidateRefusesUnknownNamesEvenWhenDefaultsFill(t *testing.T) {
	t.Parallel()
	_, err := Validate([]Field{LimitField("things")}, map[string]any{"limti": 5})
	assert.Equal(t, map[string]string{"limti": "is not a parameter of this module"}, problems(t, err))
}
