package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/profitwell-connector/connector/manifest/n8nnode"
	"github.com/profitwell-connector/connector/manifest/platform"
	"github.com/profitwell-connector/connector/manifest/zapierapp"
)

// exportPlatform writes the Zapier app or the n8n node package, with the
// Make export's --public-url and engine-key handling.
func exportPlatform(format string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var lookback int
	f, err := parseExportFlags(exportSetup{
		format: format, defaultURL: platform.DefaultPublicURL,
		urlUsage:   "the connector's URL as the platform reaches it",
		keyUsage:   "environment variable holding the engine API key to write into the export (default: none, set it on the platform)",
		forceUsage: "write into a directory that is not empty (replaces the export's files)",
		extra: func(fs *flag.FlagSet) {
			fs.IntVar(&lookback, "trigger-lookback-days", zapierapp.DefaultTriggerLookbackDays, "how far back a trigger without a start date looks on each poll (zapier)")
		},
	}, args, getenv, stderr)
	if err != nil {
		return err
	}
	doc, err := f.document()
	if err != nil {
		return err
	}
	var files []platform.File
	if format == "zapier" {
		files, err = zapierapp.Build(doc, zapierapp.Options{PublicURL: f.publicURL, APIKey: f.key, TriggerLookbackDays: lookback})
	} else {
		files, err = n8nnode.Build(doc, n8nnode.Options{PublicURL: f.publicURL, APIKey: f.key})
	}
	if err != nil {
		return err
	}
	if err := f.checkOut(); err != nil {
		return err
	}
	if err := platform.Write(f.out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the %s export (%d files) to %s; it calls %s.\n", format, len(files), f.out, f.publicURL)
	switch {
	case f.key != "":
		fmt.Fprintln(stdout, "The export holds the engine key: keep it out of version control.")
	case format == "zapier":
		fmt.Fprintf(stdout, "Engine key: zapier env:set <version> %s=<one of CONNECTOR_API_KEYS> (a sandbox connector needs none).\n", zapierapp.APIKeyEnv)
	default:
		fmt.Fprintln(stdout, "Engine key: enter one of CONNECTOR_API_KEYS in the n8n credential (a sandbox connector needs none).")
	}
	if format == "zapier" {
		fmt.Fprintln(stdout, "Publish: cd "+f.out+" && npm install && zapier push (Zapier's CLI, Node 22).")
	} else {
		fmt.Fprintln(stdout, "Install: npm pack in "+f.out+", then install the package as an n8n community node.")
	}
	return nil
}
