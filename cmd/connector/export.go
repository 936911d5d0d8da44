package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/manifest/makeapp"
	"github.com/profitwell-connector/connector/modules"
)

// exportCmd writes the connector in another platform's app format: "make"
// (Make and Boost.space Integrator), "zapier" or "n8n".
func exportCmd(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		_, _ = io.WriteString(stderr, commandHelp["export"])
		if len(args) == 0 {
			return errors.New(`export needs a format: "connector export make --out DIR"`)
		}
		return flag.ErrHelp
	}
	switch args[0] {
	case "make":
		return exportMake(args[1:], getenv, stdout, stderr)
	case "zapier", "n8n":
		return exportPlatform(args[0], args[1:], getenv, stdout, stderr)
	}
	_, _ = io.WriteString(stderr, commandHelp["export"])
	return fmt.Errorf("unknown export format %q (the formats are \"make\", \"zapier\" and \"n8n\")", args[0])
}

// makeTriggers maps the triggers onto Make's model where the interface alone
// does not say enough: Watch Customers' "Choose where to start" panel lists
// the newest changes first (List Customers, newest first), each labelled by
// email or, without one, by name (by id when it has neither).
var makeTriggers = map[string]makeapp.Trigger{
	"watchCustomers": {ID: "customer_id", Date: "updated_on", Since: "since", Epoch: &makeapp.Epoch{
		Module:     "listCustomers",
		Parameters: map[string]any{"direction": "desc"},
		Label: "{{ifempty(item.email, if(item.first_name || item.last_name, " +
			"ifempty(item.first_name, '') + ' ' + ifempty(item.last_name, ''), item.customer_id))}}",
	}},
}

// exportFlags are the settings every export format takes.
type exportFlags struct {
	out, publicURL string
	// key is the engine key read from --api-key-env's variable ("" without it).
	key      string
	limitCap int
	force    bool
}

// exportSetup describes one format's flags: its public URL's default and
// the texts that differ between formats; extra registers its own flags.
type exportSetup struct {
	format, defaultURL, urlUsage, keyUsage, forceUsage string
	extra                                              func(fs *flag.FlagSet)
}

// parseExportFlags parses an export's arguments and reads the engine key
// from the named environment variable.
func parseExportFlags(setup exportSetup, args []string, getenv func(string) string, stderr io.Writer) (exportFlags, error) {
	var f exportFlags
	fs := flag.NewFlagSet("connector export "+setup.format, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFor(fs, "export "+setup.format)
	fs.StringVar(&f.out, "out", "", "output directory (required); created when missing")
	fs.StringVar(&f.publicURL, "public-url", setup.defaultURL, setup.urlUsage)
	keyEnv := fs.String("api-key-env", "", setup.keyUsage)
	fs.IntVar(&f.limitCap, "limit-cap", manifest.DefaultLimitCap, "the largest limit the connector accepts (as its --limit-cap)")
	fs.BoolVar(&f.force, "force", false, setup.forceUsage)
	if setup.extra != nil {
		setup.extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if f.out == "" {
		fs.Usage()
		return f, errors.New("--out is required")
	}
	if *keyEnv != "" {
		if f.key = getenv(*keyEnv); f.key == "" {
			return f, fmt.Errorf("--api-key-env: %s is empty or not set", *keyEnv)
		}
	}
	return f, nil
}

// document is the manifest document the export is built from.
func (f exportFlags) document() (manifest.Document, error) {
	registry, err := modules.Default(modules.Options{LimitCap: f.limitCap})
	if err != nil {
		return manifest.Document{}, err
	}
	return modules.Document(registry), nil
}

// checkOut refuses a directory that is not empty, unless --force.
func (f exportFlags) checkOut() error {
	if !f.force {
		if entries, err := os.ReadDir(f.out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty; pass --force to replace the export's files in it", f.out)
		}
	}
	return nil
}

func exportMake(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var makeURL, appID string
	var appVersion int
	f, err := parseExportFlags(exportSetup{
		format: "make", defaultURL: makeapp.DefaultPublicURL,
		urlUsage:   "the connector's URL as Make reaches it",
		keyUsage:   "environment variable holding the engine API key to write into the app's common data (default: leave it empty, to be set in Make)",
		forceUsage: "write into a directory that is not empty (replaces the app's files)",
		extra: func(fs *flag.FlagSet) {
			fs.StringVar(&makeURL, "make-url", "https://eu1.make.com/api", "the Make instance's API, for the origin in makecomapp.json (with --make-app-id)")
			fs.StringVar(&appID, "make-app-id", "", "the custom app's id in Make; writes an origin into makecomapp.json")
			fs.IntVar(&appVersion, "make-app-version", 1, "the custom app's major version in Make")
		},
	}, args, getenv, stderr)
	if err != nil {
		return err
	}
	opts := makeapp.Options{PublicURL: f.publicURL, APIKey: f.key, Triggers: makeTriggers}
	if appID != "" {
		opts.Origin = &makeapp.Origin{Label: "Make", BaseURL: makeURL, AppID: appID, AppVersion: appVersion}
	}
	doc, err := f.document()
	if err != nil {
		return err
	}
	files, err := makeapp.Build(doc, opts)
	if err != nil {
		return err
	}
	if err := f.checkOut(); err != nil {
		return err
	}
	if err := makeapp.Write(f.out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the Make app (%d files) to %s; its modules call %s.\n", len(files), f.out, f.publicURL)
	if opts.APIKey == "" {
		fmt.Fprintf(stdout, "Common data: set %q to one of the connector's engine keys (CONNECTOR_API_KEYS) in Make,\n"+
			"or write it with --api-key-env. A connector in sandbox mode accepts an empty key.\n", makeapp.APIKeyName)
	} else {
		fmt.Fprintf(stdout, "%s and the connection's common.json hold the engine key: keep them out of version control.\n", makeapp.CommonFile)
	}
	if opts.Origin == nil {
		fmt.Fprintln(stdout, "No Make origin: the Make Apps Editor asks for one at the first deploy (or pass --make-app-id).")
	}
	fmt.Fprintln(stdout, "Deploy: open "+strconv.Quote(f.out)+" in VS Code with the Make Apps Editor and choose \"Deploy to Make\" on makecomapp.json.")
	return nil
}
