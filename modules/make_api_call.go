package modules

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
)

type makeAPICallParams struct {
	URL     string `param:"url"`
	Method  string `param:"method"`
	Headers []any  `param:"headers"`
	QS      []any  `param:"qs"`
	Body    any    `param:"body"`
}

// Limits of makeApiCall's inputs.
const (
	maxRawFullURLLen  = 8192    // the upstream path and query together
	maxRawHeaders     = 20      // caller headers
	maxRawHeaderBytes = 8 << 10 // caller header names and values together
)

// makeApiCall sends one request the user composes to ProfitWell's API v2 and
// returns ProfitWell's answer as it came: the one bundle {statusCode,
// headers, body} for any status but 401/403 (the token refused:
// RawResponse.TokenRefused) and 429 (the client's: waited out within the
// deadline, else a RateLimitError), so a scenario can branch on statusCode
// (GET is retried on 5xx first; redirects are never followed).
//
// The URL is a path relative to https://api.profitwell.com/v2 with an
// optional query, merged with Query String. The client's policy
// (profitwell.RawTarget, CheckRawHeader) is checked before anything is sent:
// a DataError on "url" or "headers[i].key"/"headers[i].value". A string Body
// is sent as is, any other JSON value as JSON. Response headers map
// lower-case names to their values joined with ", " (never Set-Cookie); body
// is the parsed JSON of a JSON answer, else the text ("" when empty).
var makeApiCall = &Action[makeAPICallParams]{
	Def: manifest.ModuleSpec{
		Name:        "makeApiCall",
		Label:       "Make an API Call",
		Description: "Performs an arbitrary authorized API call.",
		Group:       "Other",
		Kind:        manifest.KindUniversal,
		Annotations: manifest.Annotations{Destructive: true},
		Expect: []manifest.Field{
			{
				Name: "url", Label: "URL", Type: manifest.TypeText, Required: true, Max: manifest.Ptr(profitwell.MaxRawPathLen),
				Help: "Enter a path relative to https://api.profitwell.com/v2. For example: /plans/",
			},
			{
				Name: "method", Label: "Method", Type: manifest.TypeSelect, Required: true, Default: http.MethodGet,
				Options: []manifest.Option{
					{Label: "GET", Value: http.MethodGet},
					{Label: "POST", Value: http.MethodPost},
					{Label: "PUT", Value: http.MethodPut},
					{Label: "PATCH", Value: http.MethodPatch},
					{Label: "DELETE", Value: http.MethodDelete},
				},
				Help: "GET to retrieve information for an entry. POST to create a new entry. PUT to update/replace an existing entry. " +
					"PATCH to make a partial entry update. DELETE to delete an entry.",
			},
			{
				Name: "headers", Label: "Headers", Type: manifest.TypeArray, Max: manifest.Ptr(maxRawHeaders),
				Spec: keyValueSpec("The header name, e.g. Accept.", "The header value."),
				Help: "Enter the desired request headers. You don't have to add authorization headers; we already did that for you.",
			},
			{
				Name: "qs", Label: "Query String", Type: manifest.TypeArray, Max: manifest.Ptr(100),
				Spec: keyValueSpec("The parameter name.", "The parameter value."),
				Help: "Enter the request query string.",
			},
			{
				Name: "body", Label: "Body", Type: manifest.TypeAny,
				Help: "Enter the body content for your API call.",
			},
		},
		Interface: []manifest.Field{
			{Name: "statusCode", Label: "Status Code", Type: manifest.TypeNumber},
			{Name: "headers", Label: "Headers", Type: manifest.TypeCollection},
			{Name: "body", Label: "Body", Type: manifest.TypeAny},
		},
		Example: manifest.Example{
			Parameters: map[string]any{"url": "/plans/", "method": "GET"},
			Output: map[string]any{
				"statusCode": 200,
				"headers": map[string]any{
					"allow":          "GET, HEAD, POST",
					"content-length": "175",
					"content-type":   "application/json",
					"date":           "Thu, 15 Jan 2026 12:00:00 GMT",
				},
				"body": []any{
					map[string]any{"id": "starter", "name": "Starter"},
					map[string]any{"id": "growth", "name": "Growth"},
					map[string]any{"id": "pro", "name": "Pro"},
					map[string]any{"id": "enterprise", "name": "Enterprise"},
					map[string]any{"id": "annual-pro", "name": "Pro (annual)"},
				},
			},
		},
	},
	Bundle: BundleOf[rawCallBundle](),
	Run: func(ctx context.Context, env Env, p makeAPICallParams) (any, error) {
		verr := &manifest.ValidationError{}
		path, query, msg := profitwell.RawTarget(p.URL)
		if msg != "" {
			verr.Add("url", msg)
		}
		header := rawCallHeaders(p.Headers, verr)
		if query == nil {
			query = url.Values{}
		}
		for _, it := range p.QS {
			query.Add(keyValue(it))
		}
		if msg == "" && len(path)+1+len(query.Encode()) > maxRawFullURLLen {
			name := "url"
			if len(p.QS) > 0 {
				name = "qs"
			}
			verr.Add(name, "makes the URL longer than "+strconv.Itoa(maxRawFullURLLen)+" characters")
		}
		body, err := rawCallBody(p.Body)
		if err != nil {
			verr.Add("body", "cannot be sent as JSON")
		}
		if err := verr.Err(); err != nil {
			return nil, err
		}
		res, err := env.PW.Do(ctx, profitwell.RawRequest{Method: p.Method, Path: path, Query: query, Header: header, Body: body})
		if err != nil {
			return nil, err
		}
		if err := res.TokenRefused(); err != nil {
			return nil, err
		}
		return rawCallBundle{
			StatusCode: res.Status,
			Headers:    rawResponseHeaders(res.Header),
			Body:       rawResponseBody(res.Header, res.Body),
		}, nil
	},
}

// rawCallBundle is ProfitWell's answer to a raw call.
type rawCallBundle struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       any               `json:"body"`
}

// keyValueSpec is the item of a Headers or Query String array.
func keyValueSpec(keyHelp, valueHelp string) []manifest.Field {
	return []manifest.Field{
		{Name: "key", Label: "Key", Type: manifest.TypeText, Required: true, Help: keyHelp},
		{Name: "value", Label: "Value", Type: manifest.TypeText, Help: valueHelp},
	}
}

// keyValue reads an item of Headers or Query String.
func keyValue(item any) (key, value string) {
	kv, _ := item.(map[string]any)
	key, _ = kv["key"].(string)
	value, _ = kv["value"].(string)
	return key, value
}

// rawCallHeaders checks the Headers items against the client's policy
// (profitwell.CheckRawHeader) and builds the request header. Problems go to
// verr under "headers[i].key" or "headers[i].value".
func rawCallHeaders(items []any, verr *manifest.ValidationError) http.Header {
	h := make(http.Header, len(items))
	total := 0
	for i, it := range items {
		k, v := keyValue(it)
		if p := profitwell.CheckRawHeader(k, v); p != nil {
			verr.Add("headers["+strconv.Itoa(i)+"]."+p.Part, p.Message)
			continue
		}
		total += len(k) + len(v)
		ck := http.CanonicalHeaderKey(k)
		h[ck] = append(h[ck], v)
	}
	if total > maxRawHeaderBytes {
		verr.Add("headers", "must not exceed "+strconv.Itoa(maxRawHeaderBytes>>10)+" KiB in all")
	}
	return h
}

// rawCallBody encodes the Body: nil is no body, a string is sent as is, any
// other JSON value as JSON.
func rawCallBody(v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(x), nil
	}
	return json.Marshal(v)
}

// rawResponseHeaders lower-cases the names and joins repeated values.
func rawResponseHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if strings.EqualFold(k, "Set-Cookie") {
			continue
		}
		lk := strings.ToLower(k)
		if prev, ok := out[lk]; ok {
			vs = append([]string{prev}, vs...)
		}
		out[lk] = strings.Join(vs, ", ")
	}
	return out
}

// rawResponseBody is the parsed JSON of a JSON answer (numbers kept exact),
// the text of any other, and "" for an empty body.
func rawResponseBody(h http.Header, b []byte) any {
	if len(bytes.TrimSpace(b)) == 0 {
		return ""
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil &&
		(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			if _, err := dec.Token(); err == io.EOF {
				return v
			}
		}
	}
	return string(b)
}
