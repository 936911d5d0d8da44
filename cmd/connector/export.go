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

func exportMake(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connector export make", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = usageFor(fs, "export make")
	out := fs.String("out", "", "output directory (required); created when missing")
	publicURL := fs.String("public-url", makeapp.DefaultPublicURL, "the connector's URL as Make reaches it")
	keyEnv := fs.String("api-key-env", "", "environment variable holding the engine API key to write into the app's common data (default: leave it empty, to be set in Make)")
	makeURL := fs.String("make-url", "https://eu1.make.com/api", "the Make instance's API, for the origin in makecomapp.json (with --make-app-id)")
	appID := fs.String("make-app-id", "", "the custom app's id in Make; writes an origin into makecomapp.json")
	appVersion := fs.Int("make-app-version", 1, "the custom app's major version in Make")
	limitCap := fs.Int("limit-cap", manifest.DefaultLimitCap, "the largest limit the connector accepts (as its --limit-cap)")
	force := fs.Bool("force", false, "write into a directory that is not empty (replaces the app's files)")
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
	opts := makeapp.Options{PublicURL: *publicURL, Triggers: makeTriggers}
	if *keyEnv != "" {
		opts.APIKey = getenv(*keyEnv)
		if opts.APIKey == "" {
			return fmt.Errorf("--api-key-env: %s is empty or not set", *keyEnv)
		}
	}
	if *appID != "" {
		opts.Origin = &makeapp.Origin{Label: "Make", BaseURL: *makeURL, AppID: *appID, AppVersion: *appVersion}
	}
	registry, err := modules.Default(modules.Options{LimitCap: *limitCap})
	if err != nil {
		return err
	}
	files, err := makeapp.Build(modules.Document(registry), opts)
	if err != nil {
		return err
	}
	if !*force {
		if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty; pass --force to replace the app's files in it", *out)
		}
	}
	if err := makeapp.Write(*out, files); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote the Make app (%d files) to %s; its modules call %s.\n", len(files), *out, *publicURL)
	if opts.APIKey == "" {
		fmt.Fprintf(stdout, "Common data: set %q to one of the connector's engine keys (CONNECTOR_API_KEYS) in Make,\n"+
			"or write it with --api-key-env. A connector in sandbox mode accepts an empty key.\n", makeapp.APIKeyName)
	} else {
		fmt.Fprintf(stdout, "%s and the connection's common.json hold the engine key: keep them out of version control.\n", makeapp.CommonFile)
	}
	if opts.Origin == nil {
		fmt.Fprintln(stdout, "No Make origin: the Make Apps Editor asks for one at the first deploy (or pass --make-app-id).")
	}
	fmt.Fprintln(stdout, "Deploy: open "+strconv.Quote(*out)+" in VS Code with the Make Apps Editor and choose \"Deploy to Make\" on makecomapp.json.")
	return nil
}
