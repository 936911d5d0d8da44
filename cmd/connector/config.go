package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/profitwell-connector/connector/api"
	"github.com/profitwell-connector/connector/connection/profitwell/profitwelltest"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// config is every setting of the service. Each is a flag and an environment
// variable CONNECTOR_<NAME>; a flag given on the command line wins.
type config struct {
	Addr                string
	ProfitWellURL       string
	Sandbox             bool
	SandboxToken        string
	SandboxSeed         int64
	SandboxRateLimit    bool
	LogLevel            string
	LogFormat           string
	APIKeys             []string
	InsecureNoAuth      bool
	SigningSecrets      []string
	CursorKeys          []string
	RedisURL            string
	IdempotencyTTL      time.Duration
	ExecutionTimeout    time.Duration
	MaxExecutionTimeout time.Duration
	LimitCap            int
	DrainDelay          time.Duration
	ShutdownTimeout     time.Duration
	MaxConnections      int
	UpstreamRate        float64
	UpstreamBurst       int
	DebugAddr           string
	Console             bool
}

// setting describes one configuration entry, for flags, env and README.
type setting struct {
	name    string // flag name; the env var is CONNECTOR_ + upper snake case
	usage   string
	def     string
	set     func(c *config, v string) error
	sandbox bool // only for `connector sandbox`
	serve   bool // only for `connector serve`
}

// envName is the environment variable of a setting.
func envName(flagName string) string {
	return "CONNECTOR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func settings() []setting {
	return []setting{
		{name: "addr", def: ":8080", usage: "listen address (host:port)", set: func(c *config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return errors.New("must be host:port, e.g. :8080")
			}
			c.Addr = v
			return nil
		}},
		{name: "profitwell-url", serve: true, def: "https://api.profitwell.com", usage: "ProfitWell API base URL (without /v2)", set: func(c *config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
				return errors.New("must be an http(s) URL with a host and no credentials, query or fragment")
			}
			c.ProfitWellURL = v
			return nil
		}},
		{name: "sandbox", serve: true, def: "false", usage: "serve against the embedded ProfitWell emulator (no account needed)", set: boolSetter(func(c *config) *bool { return &c.Sandbox })},
		{name: "sandbox-token", def: profitwelltest.DefaultToken, usage: "the private token the embedded emulator accepts", set: func(c *config, v string) error {
			if len(v) < 8 || len(v) > 512 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r > '~' }) {
				return errors.New("must be 8 to 512 printable ASCII characters without spaces")
			}
			c.SandboxToken = v
			return nil
		}},
		{name: "sandbox-seed", def: "1", usage: "seed of the emulator's generated data", set: func(c *config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return errors.New("must be a whole number")
			}
			c.SandboxSeed = n
			return nil
		}},
		{name: "sandbox-rate-limit", def: "true", usage: "enforce ProfitWell's rate limits in the emulator (false for benchmarks)", set: boolSetter(func(c *config) *bool { return &c.SandboxRateLimit })},
		{name: "log-level", def: "info", usage: "debug, info, warn or error", set: oneOf([]string{"debug", "info", "warn", "error"}, func(c *config) *string { return &c.LogLevel })},
		{name: "log-format", def: "json", usage: "json or console", set: oneOf([]string{"json", "console"}, func(c *config) *string { return &c.LogFormat })},
		{name: "api-keys", serve: true, def: "", usage: "comma-separated engine API keys (Authorization: Bearer <key>); several allow rotation", set: func(c *config, v string) error {
			c.APIKeys = nil
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k == "" {
					continue
				}
				if len(k) < 16 || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r > '~' }) {
					return errors.New("each key must be at least 16 printable ASCII characters without spaces")
				}
				c.APIKeys = append(c.APIKeys, k)
			}
			return nil
		}},
		{name: "signing-secrets", serve: true, def: "", usage: "Standard Webhooks secrets (whsec_<base64>, comma-separated for rotation); when set, every engine request must be signed", set: func(c *config, v string) error {
			c.SigningSecrets = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
			if len(c.SigningSecrets) > 0 {
				if _, err := api.NewVerifier(c.SigningSecrets, nil, nil); err != nil {
					return err
				}
			}
			return nil
		}},
		{name: "cursor-keys", serve: true, def: "", usage: "secrets (at least 32 characters each, comma-separated; the first signs, all verify) that authenticate list cursors and trigger states; replicas must share them; empty: a random key per process", set: func(c *config, v string) error {
			c.CursorKeys = nil
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k == "" {
					continue
				}
				if len(k) < modules.MinCursorKeyLen || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r > '~' }) {
					return errors.New("each key must be at least 32 printable ASCII characters without spaces")
				}
				c.CursorKeys = append(c.CursorKeys, k)
			}
			return nil
		}},
		{name: "redis-url", serve: true, def: "", usage: "Redis (redis://host:port/db) shared by replicas for per-token pacing, idempotency records and the replay guard; empty keeps them in memory", set: func(c *config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
					return errors.New("must be a redis:// or rediss:// URL with a host")
				}
			}
			c.RedisURL = v
			return nil
		}},
		{name: "idempotency-retention", serve: true, def: "24h", usage: "how long the answer of a write sent with an Idempotency-Key is replayed", set: durationSetter(func(c *config) *time.Duration { return &c.IdempotencyTTL })},
		{name: "insecure-no-auth", serve: true, def: "false", usage: "serve without engine API keys (development only)", set: boolSetter(func(c *config) *bool { return &c.InsecureNoAuth })},
		{name: "execution-timeout", serve: true, def: "25s", usage: "execution deadline when the engine sends none", set: durationSetter(func(c *config) *time.Duration { return &c.ExecutionTimeout })},
		{name: "max-execution-timeout", serve: true, def: "40s", usage: "largest deadline an engine may ask for (execution.timeoutMs)", set: durationSetter(func(c *config) *time.Duration { return &c.MaxExecutionTimeout })},
		{name: "limit-cap", serve: true, def: strconv.Itoa(manifest.DefaultLimitCap), usage: "largest limit a list module accepts", set: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000000 {
				return errors.New("must be a whole number from 1 to 1000000")
			}
			c.LimitCap = n
			return nil
		}},
		{name: "drain-delay", def: "5s", usage: "after SIGTERM, how long /readyz answers 503 before the server stops accepting", set: durationSetter(func(c *config) *time.Duration { return &c.DrainDelay })},
		{name: "shutdown-timeout", def: "45s", usage: "after the drain delay, how long in-flight requests may take to finish (at least --max-execution-timeout, so every execution can end on its own)", set: durationSetter(func(c *config) *time.Duration { return &c.ShutdownTimeout })},
		{name: "max-connections", serve: true, def: "2048", usage: "most client connections held at once (idle keep-alive ones included); more wait to be accepted", set: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000000 {
				return errors.New("must be a whole number from 1 to 1000000")
			}
			c.MaxConnections = n
			return nil
		}},
		{name: "upstream-rate", serve: true, def: "5", usage: "ProfitWell requests per second per token", set: func(c *config, v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f > 10000 {
				return errors.New("must be a number above 0")
			}
			c.UpstreamRate = f
			return nil
		}},
		{name: "upstream-burst", serve: true, def: "25", usage: "ProfitWell request burst per token", set: func(c *config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 100000 {
				return errors.New("must be a whole number above 0")
			}
			c.UpstreamBurst = n
			return nil
		}},
		{name: "console", serve: true, def: "false", usage: "serve the web console at /console (always on with --sandbox); its calls carry the engine key typed into it", set: boolSetter(func(c *config) *bool { return &c.Console })},
		{name: "debug-addr", def: "", usage: "listen address of a separate profiling server (net/http/pprof under /debug/pprof/); empty: off. Keep it on loopback or a private port", set: func(c *config, v string) error {
			if v != "" {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return errors.New("must be host:port, e.g. 127.0.0.1:6060, or empty")
				}
			}
			c.DebugAddr = v
			return nil
		}},
	}
}

func boolSetter(field func(*config) *bool) func(*config, string) error {
	return func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*field(c) = b
		return nil
	}
}

func durationSetter(field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return errors.New("must be a duration such as 25s or 1m")
		}
		*field(c) = d
		return nil
	}
}

func oneOf(allowed []string, field func(*config) *string) func(*config, string) error {
	return func(c *config, v string) error {
		v = strings.ToLower(v)
		for _, a := range allowed {
			if v == a {
				*field(c) = v
				return nil
			}
		}
		return fmt.Errorf("must be one of: %s", strings.Join(allowed, ", "))
	}
}

// parseConfig reads defaults, then the environment, then flags, and checks
// every value; the error names each bad setting by flag and env name.
// sandboxCmd selects the settings of `connector sandbox`.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, sandboxCmd bool) (*config, error) {
	c := &config{}
	var errs []error
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, s := range settings() {
		if (sandboxCmd && s.serve) || (!sandboxCmd && s.sandbox) {
			continue
		}
		if err := s.set(c, s.def); err != nil && s.def != "" {
			panic(fmt.Sprintf("default of %s: %v", s.name, err))
		}
		if v, ok := lookup(getenv, envName(s.name)); ok {
			if err := s.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName(s.name), err))
			}
		}
		s := s
		usage := fmt.Sprintf("%s (env %s)", s.usage, envName(s.name))
		// A bad value is reported by name only: the flag package would
		// quote the value (an API key list, a Redis password) in its
		// message, so the error is kept here and the flag package told
		// the value was fine.
		set := func(v string) error {
			if err := s.set(c, v); err != nil {
				errs = append(errs, fmt.Errorf("--%s: %w", s.name, err))
			}
			return nil
		}
		if s.def == "true" || s.def == "false" {
			// "--sandbox" stands alone like a boolean flag.
			fs.BoolFunc(s.name, usage, set)
		} else {
			fs.Func(s.name, usage, set)
		}
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if !sandboxCmd && c.MaxExecutionTimeout < c.ExecutionTimeout {
		errs = append(errs, fmt.Errorf("--max-execution-timeout (%s) must not be below --execution-timeout (%s)", c.MaxExecutionTimeout, c.ExecutionTimeout))
	}
	if !sandboxCmd && c.ExecutionTimeout < 100*time.Millisecond {
		errs = append(errs, errors.New("--execution-timeout must be at least 100ms"))
	}
	if !sandboxCmd && !c.Sandbox && len(c.APIKeys) == 0 && len(c.SigningSecrets) == 0 && !c.InsecureNoAuth {
		errs = append(errs, fmt.Errorf("no engine authentication: set %s (or --api-keys) and/or %s, or start with --sandbox or --insecure-no-auth for development", envName("api-keys"), envName("signing-secrets")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

func lookup(getenv func(string) string, key string) (string, bool) {
	v := getenv(key)
	return v, v != ""
}
