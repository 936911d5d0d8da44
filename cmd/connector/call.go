package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/connection"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// manifestCmd prints the app manifest.
func manifestCmd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connector manifest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFor(fs, "manifest")
	limitCap := fs.Int("limit-cap", manifest.DefaultLimitCap, "the largest limit a list module accepts (as the server's --limit-cap)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	registry, err := modules.Default(modules.Options{LimitCap: *limitCap})
	if err != nil {
		return err
	}
	body, _, err := modules.Document(registry).Encode()
	if err != nil {
		return err
	}
	_, err = stdout.Write(body)
	return err
}

// callOptions are the flags of `connector call`.
type callOptions struct {
	json          bool
	tokenEnv      string
	profitwellURL string
	cursor        string
	state         string
	timeout       time.Duration
	sandboxToken  string
	sandboxSeed   int64
}

// errCallFailed marks a module run that answered an error; the error
// envelope has been printed already.
var errCallFailed = errors.New("the module answered an error")

// call runs one module in-process through the same HTTP handler the server
// uses, so validation, deadlines and errors are exactly the server's.
func call(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var o callOptions
	fs := flag.NewFlagSet("connector call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFor(fs, "call")
	fs.BoolVar(&o.json, "json", false, "print the connector's JSON answer instead of readable bundles")
	fs.StringVar(&o.tokenEnv, "token-env", "", "environment variable holding a real ProfitWell private token (default: the embedded sandbox)")
	fs.StringVar(&o.profitwellURL, "profitwell-url", "", "ProfitWell API base URL (default: https://api.profitwell.com with --token-env, else the embedded sandbox)")
	fs.StringVar(&o.cursor, "cursor", "", "continue a search module's list (meta.nextCursor of the previous call)")
	fs.StringVar(&o.state, "state", "", "a trigger's saved state (the JSON \"state\" of the previous call)")
	fs.DurationVar(&o.timeout, "timeout", 25*time.Second, "execution deadline")
	fs.StringVar(&o.sandboxToken, "sandbox-token", profitwelltest.DefaultToken, "the token the embedded sandbox accepts, and that is sent to it")
	fs.Int64Var(&o.sandboxSeed, "sandbox-seed", 1, "seed of the embedded sandbox's generated data")

	// Flags may come before, between or after the key=value arguments.
	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) == 0 {
		fs.Usage()
		return errors.New("call needs a module name, e.g. \"connector call listPlans limit=3\"")
	}
	if o.timeout < 100*time.Millisecond {
		return errors.New("--timeout must be at least 100ms")
	}
	module := positional[0]
	params, err := parseParams(positional[1:])
	if err != nil {
		return err
	}
	body := map[string]any{"parameters": params}
	if o.cursor != "" {
		body["cursor"] = o.cursor
	}
	if o.state != "" {
		var st json.RawMessage
		if err := json.Unmarshal([]byte(o.state), &st); err != nil {
			return errors.New("--state must be the JSON state of a previous call")
		}
		body["state"] = st
	}

	token, baseURL, cleanup, err := callTarget(o, getenv)
	if err != nil {
		return err
	}
	defer cleanup()
	body["connection"] = map[string]any{connection.TokenField: token}

	reg := prometheus.NewRegistry()
	client, err := profitwell.New(profitwell.Config{BaseURL: baseURL, Registerer: reg, Logger: zerolog.Nop()})
	if err != nil {
		return fmt.Errorf("profitwell client: %w", err)
	}
	defer client.Close()
	// Cursors and states printed by one call are continued by another
	// process: they are signed with a key derived from the token, which
	// only its holder can reproduce.
	cursorKey := sha256.Sum256([]byte("connector call cursor key\x00" + token))
	registry, err := modules.Default(modules.Options{CursorKeys: [][]byte{cursorKey[:]}})
	if err != nil {
		return err
	}
	srv, err := api.NewServer(api.Deps{
		Registry: registry, Client: client, Manifest: modules.Document(registry),
		Logger: zerolog.Nop(), Registerer: reg, Gatherer: reg,
		DefaultTimeout: o.timeout, MaxTimeout: o.timeout,
	})
	if err != nil {
		return err
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/modules/"+module+"/execute", bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return printAnswer(rec.Code, rec.Body.Bytes(), o.json, stdout)
}

// callTarget picks the ProfitWell to call and the token to send: a real
// token from the environment, or the embedded sandbox (started here).
func callTarget(o callOptions, getenv func(string) string) (token, baseURL string, cleanup func(), err error) {
	cleanup = func() {}
	if o.tokenEnv != "" {
		token = getenv(o.tokenEnv)
		if token == "" {
			return "", "", cleanup, fmt.Errorf("--token-env: %s is empty or not set", o.tokenEnv)
		}
		baseURL = o.profitwellURL
		if baseURL == "" {
			baseURL = "https://api.profitwell.com"
		}
		return token, baseURL, cleanup, nil
	}
	if o.profitwellURL != "" {
		// Another sandbox, e.g. `connector sandbox`.
		return o.sandboxToken, o.profitwellURL, cleanup, nil
	}
	emu, err := profitwelltest.Start(profitwelltest.Options{Seed: o.sandboxSeed, Tokens: []string{o.sandboxToken}})
	if err != nil {
		return "", "", cleanup, fmt.Errorf("start the sandbox: %w", err)
	}
	return o.sandboxToken, emu.URL, func() { _ = emu.Close() }, nil
}

// parseParams reads key=value arguments: a value that is valid JSON is
// taken as JSON (numbers, booleans, lists, objects, quoted strings, null),
// anything else as a string.
func parseParams(args []string) (map[string]any, error) {
	params := map[string]any{}
	for _, a := range args {
		key, value, ok := strings.Cut(a, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("argument %q must be key=value", a)
		}
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("parameter %q is given twice", key)
		}
		params[key] = parseValue(value)
	}
	return params, nil
}

func parseValue(s string) any {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return s // "2026-01-01" decodes 2026 and stops: not JSON
	}
	return v
}

// answer is the part of an execute answer the readable output shows.
type answer struct {
	Bundles []map[string]any `json:"bundles"`
	Meta    struct {
		Module           string `json:"module"`
		Returned         int    `json:"returned"`
		HasMore          bool   `json:"hasMore"`
		NextCursor       string `json:"nextCursor"`
		UpstreamRequests int    `json:"upstreamRequests"`
	} `json:"meta"`
	State json.RawMessage `json:"state"`
	Error *struct {
		Type      string `json:"type"`
		Code      string `json:"code"`
		Message   string `json:"message"`
		Retryable bool   `json:"retryable"`
		Fields    []struct {
			Name    string `json:"name"`
			Message string `json:"message"`
		} `json:"fields"`
		RequestID string `json:"requestId"`
	} `json:"error"`
}

func printAnswer(status int, body []byte, asJSON bool, w io.Writer) error {
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("unreadable answer (HTTP %d): %s", status, firstLine(string(body)))
	}
	if asJSON {
		var out bytes.Buffer
		if err := json.Indent(&out, body, "", "  "); err != nil {
			return err
		}
		if _, err := w.Write(out.Bytes()); err != nil {
			return err
		}
		if status >= 300 {
			return errCallFailed
		}
		return nil
	}
	if status >= 300 || a.Error != nil {
		if a.Error == nil {
			return fmt.Errorf("HTTP %d without an error object", status)
		}
		fmt.Fprintf(w, "%s (%s, HTTP %d): %s\n", a.Error.Type, a.Error.Code, status, a.Error.Message)
		for _, f := range a.Error.Fields {
			fmt.Fprintf(w, "  %s: %s\n", f.Name, f.Message)
		}
		if a.Error.Retryable {
			fmt.Fprintln(w, "  (retryable)")
		}
		return errCallFailed
	}
	for i, b := range a.Bundles {
		fmt.Fprintf(w, "Bundle %d:\n", i+1)
		keys := make([]string, 0, len(b))
		for k := range b {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", k, readable(b[k]))
		}
	}
	word := "bundles"
	if len(a.Bundles) == 1 {
		word = "bundle"
	}
	requests := "requests"
	if a.Meta.UpstreamRequests == 1 {
		requests = "request"
	}
	fmt.Fprintf(w, "%d %s from %s (%d ProfitWell %s).\n", len(a.Bundles), word, a.Meta.Module, a.Meta.UpstreamRequests, requests)
	if a.Meta.HasMore && a.Meta.NextCursor != "" {
		fmt.Fprintf(w, "More available: add --cursor %s\n", a.Meta.NextCursor)
	}
	if len(a.State) > 0 {
		fmt.Fprintf(w, "State for the next run: --state '%s'\n", a.State)
	}
	return nil
}

// readable renders one bundle value: text as is, anything else as JSON.
func readable(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(raw)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
