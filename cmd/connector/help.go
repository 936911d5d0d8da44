package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// commandHelp is each subcommand's --help: what it does and examples; the
// flags are listed after it from the flag set itself.
var commandHelp = map[string]string{
	"serve": `Usage: connector [serve] [flags]

Runs the HTTP server: the manifest, connection verification, RPCs and module
execution for a scenario engine, plus /healthz, /readyz and /metrics.
Every flag is also an environment variable CONNECTOR_<NAME>; a flag wins.

Examples:
  connector --sandbox --log-format=console          # no account or key needed
  CONNECTOR_API_KEYS=$(openssl rand -hex 24) connector
  connector --addr :9000 --api-keys key-one-0123456789,key-two-0123456789
  connector --profitwell-url http://127.0.0.1:8081 --insecure-no-auth   # against "connector sandbox"
`,
	"sandbox": `Usage: connector sandbox [flags]

Runs the ProfitWell emulator alone, so that an engine under development or
several connector replicas (--profitwell-url) share one sandbox.

Examples:
  connector sandbox --addr 127.0.0.1:8081
  connector sandbox --sandbox-token my-test-token-1 --sandbox-seed 42
  curl -s http://127.0.0.1:8081/v2/plans/ -H 'Authorization: sandbox-private-token'
  curl -s -X POST http://127.0.0.1:8081/_sandbox/faults -H 'Authorization: sandbox-private-token' -d '{"kind":"status","status":503}'
`,
	"manifest": `Usage: connector manifest [flags]

Prints the app manifest (the document GET /v1/manifest serves): every module,
field, default, help text and output, generated from the code.

Examples:
  connector manifest | jq '.modules[].name'
  connector manifest --limit-cap 500 > manifest.json
`,
	"call": `Usage: connector call MODULE [key=value ...] [flags]

Runs one module once, in-process, exactly as the server would, and prints its
bundles. By default it runs against the embedded ProfitWell sandbox; with
--token-env it uses the real ProfitWell private token held in that
environment variable (never pass a token on the command line).

A value is read as JSON when it is valid JSON (limit=3, value=4900,
metrics='["active_customers"]', headers='[{"key":"Accept","value":"*/*"}]'),
and as a string otherwise (planId=pro-monthly, effectiveDate=2026-01-01).

Examples:
  connector call listPlans limit=3
  connector call createPlan planId=team-monthly name=Team --json
  connector call listCustomers limit=2 direction=desc
  connector call listCustomers limit=2 --cursor '<meta.nextCursor of the previous call>'
  connector call getMonthlyMetrics metrics='["recurring_revenue"]' limit=1
  PW_TOKEN=... connector call getCompanySettings --token-env PW_TOKEN
`,
	"export": `Usage: connector export make|zapier|n8n --out DIR [flags]

Writes the connector as a Make / Boost.space Integrator custom app ("make"), a
Zapier app ("zapier") or an n8n community node package ("n8n"); run
"connector export FORMAT --help" for its flags.

Examples:
  connector export make --out ./make-app --public-url https://connector.example.com
  connector export zapier --out ./zapier-app --public-url https://connector.example.com
  connector export n8n --out ./n8n-node --public-url https://connector.example.com
`,
	"export zapier": `Usage: connector export zapier --out DIR [flags]

Writes a Zapier app (zapier-platform-core 19.1.0: package.json, index.js,
definition.json) generated from the registry: the private token as custom
authentication verified by the connector, list and trigger modules as polling
triggers, read actions as searches, other actions as creates, RPCs as dynamic
dropdowns. Its operations call this connector at --public-url with the engine
key from the app's environment (zapier env:set VERSION CONNECTOR_API_KEY=...)
or from --api-key-env. Publish it with "npm install && zapier push" in DIR.

Examples:
  connector export zapier --out ./zapier-app --public-url https://profitwell-connector.example.com
`,
	"export n8n": `Usage: connector export n8n --out DIR [flags]

Writes an n8n community node package (a declarative node and its credential
type) generated from the registry: one resource per module group, one
operation per module, load-options methods from the RPCs, cursor pagination
for lists. Requests go to --public-url; the credential holds the private token
and the connector's engine key (its default from --api-key-env). Install DIR
in n8n as a community node (see the README).

Examples:
  connector export n8n --out ./n8n-node --public-url https://profitwell-connector.example.com
`,
	"export make": `Usage: connector export make --out DIR [flags]

Writes a Make custom app in Make's local-development layout (makecomapp.json
and one file per code of every component), generated from the registry. Its
modules call this connector at --public-url with the engine key from the app's
common data. Deploy it with the Make Apps Editor for VS Code ("Deploy to Make"
on makecomapp.json). Boost.space Integrator takes the same app.

Examples:
  connector export make --out ./make-app
  connector export make --out ./make-app --public-url https://profitwell-connector.example.com
  CONNECTOR_KEY=... connector export make --out ./make-app --api-key-env CONNECTOR_KEY \
      --make-url https://eu1.make.com/api --make-app-id profitwell-a1b2c3
`,
}

// usage is the top-level help.
const usage = `connector: the ProfitWell connector for Make and Boost.space Integrator

Usage:
  connector [serve] [flags]           run the HTTP server (default); --sandbox uses the embedded emulator
  connector sandbox [flags]           run the ProfitWell emulator alone
  connector manifest [flags]          print the app manifest
  connector call MODULE key=value...  run one module against the sandbox or a real token
  connector export make --out DIR     write the Make / Integrator custom app
  connector export zapier|n8n --out DIR  write the Zapier app or the n8n node
  connector version                   print the version
  connector help [COMMAND]            print this, or a command's help

Every command takes --help. Examples:
  connector --sandbox --log-format=console
  CONNECTOR_API_KEYS=$(openssl rand -hex 24) connector
  connector sandbox --addr 127.0.0.1:8081
  connector call listPlans limit=3
  connector export make --out ./make-app --public-url https://connector.example.com
`

// usageFor makes a flag set print the command's help, then its flags.
func usageFor(fs *flag.FlagSet, command string) func() {
	return func() {
		out := fs.Output()
		if text, ok := commandHelp[command]; ok {
			_, _ = io.WriteString(out, text)
		} else {
			_, _ = fmt.Fprintf(out, "Usage of connector %s:\n", command)
		}
		_, _ = io.WriteString(out, "\nFlags:\n")
		fs.PrintDefaults()
	}
}

// help prints the top-level help, or one command's.
func help(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		_, err := io.WriteString(stdout, usage)
		return err
	}
	text, ok := commandHelp[strings.Join(args, " ")]
	if !ok {
		return fmt.Errorf("no help for %q; commands: serve, sandbox, manifest, call, export make, version", strings.Join(args, " "))
	}
	_, err := io.WriteString(stdout, text+"\nRun \"connector "+strings.Join(args, " ")+" --help\" for its flags.\n")
	return err
}

// wantsHelp reports whether the arguments ask for help (before any "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help", "--h":
			return true
		}
	}
	return false
}

// configHelp prints the help of serve or sandbox: the examples, then the
// flags exactly as the command's own flag set lists them.
func configHelp(command string, getenv func(string) string, stderr io.Writer) error {
	var flags bytes.Buffer
	_, err := parseConfig("connector "+command, []string{"-h"}, getenv, &flags, command == "sandbox")
	if !errors.Is(err, flag.ErrHelp) {
		return fmt.Errorf("help for %s: %v", command, err)
	}
	listing := flags.String()
	if _, rest, ok := strings.Cut(listing, "\n"); ok && strings.HasPrefix(listing, "Usage") {
		listing = rest
	}
	_, _ = io.WriteString(stderr, commandHelp[command])
	_, _ = io.WriteString(stderr, "\nFlags:\n"+listing)
	return flag.ErrHelp
}
