package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/n8nnode"
	"github.com/profitwell-connector/connector/manifest/platform"
	"github.com/profitwell-connector/connector/manifest/zapierapp"
	"github.com/profitwell-connector/connector/modules"
)

// exportPlatform writes the Zapier app or the n8n node package, with the
// Make export's --public-url and engine-key handling.
func exportPlatform(format string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connector export "+format, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFor(fs, "export "+format)
	out := fs.String("out", "", "output directory (required); created when missing")
	publicURL := fs.String("public-url", platform.DefaultPublicURL, "the connector's URL as the platform reaches it")
	keyEnv := fs.String("api-key-env", "", "environment variable holding the engine API key to write into the export (default: none, set it on the platform)")
	lookback := fs.Int("trigger-lookback-days", zapierapp.DefaultTriggerLookbackDays, "how far back a trigger without a start date looks on each poll (zapier)")
	limitCap := fs.Int("limit-cap", manifest.DefaultLimitCap, "the largest limit the connector accepts (as its --limit-cap)")
	force := fs.Bool("force", false, "write into a directory that is not empty (replaces the export's files)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		fs.Usage()
		return errors.New("--out is required")
	}
	var key string
	if *keyEnv != "" {
		if key = getenv(*keyEnv); key == "" {
			return fmt.Errorf("--api-key-env: %s is empty or not set", *keyEnv)
		}
	}
	registry, err := modules.Default(modules.Options{LimitCap: *limitCap})
	if err != nil {
		return err
	}
	doc := modules.Document(registry)
	var files []platform.File
	if format == "zapier" {
		files, err = zapierapp.Build(doc, zapierapp.Options{PublicURL: *publicURL, APIKey: key, TriggerLookbackDays: *lookback})
	} else {
		files, err = n8nnode.Build(doc, n8nnode.Options{PublicURL: *publicURL, APIKey: key})
	}
	if err != nil {
		return err
	}
	if !*force {
		if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty; pass --force to replace the export's files in it", *out)
		}
	}
	if err := platform.Write(*out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the %s export (%d files) to %s; it calls %s.\n", format, len(files), *out, *publicURL)
	switch {
	case key != "":
		fmt.Fprintln(stdout, "The export holds the engine key: keep it out of version control.")
	case format == "zapier":
		fmt.Fprintf(stdout, "Engine key: zapier env:set <version> %s=<one of CONNECTOR_API_KEYS> (a sandbox connector needs none).\n", zapierapp.APIKeyEnv)
	default:
		fmt.Fprintln(stdout, "Engine key: enter one of CONNECTOR_API_KEYS in the n8n credential (a sandbox connector needs none).")
	}
	if format == "zapier" {
		fmt.Fprintln(stdout, "Publish: cd "+*out+" && npm install && zapier push (Zapier's CLI, Node 22).")
	} else {
		fmt.Fprintln(stdout, "Install: npm pack in "+*out+", then install the package as an n8n community node.")
	}
	return nil
}
