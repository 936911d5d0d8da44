// Command connector is the ProfitWell connector: an HTTP service that a
// scenario engine (Make, Boost.space Integrator) registers as an app and
// whose modules it executes.
//
// Usage:
//
//	connector [serve] [flags]           run the HTTP server (default)
//	connector sandbox [flags]           run the ProfitWell emulator alone
//	connector manifest                  print the app manifest
//	connector call MODULE key=value...  run one module in-process
//	connector export make --out DIR     write the Make / Integrator app
//	connector version                   print the version
//
// Every flag is also an environment variable CONNECTOR_<NAME>; see
// `connector serve --help` and the README.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/profitwell-connector/connector/modules"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "connector:", err)
		}
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 1
}

// run is the whole program, with its environment passed in so tests can run
// it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		if wantsHelp(args) {
			return configHelp(cmd, getenv, stderr)
		}
		return serve(ctx, args, getenv, stdout, stderr)
	case "sandbox":
		if wantsHelp(args) {
			return configHelp(cmd, getenv, stderr)
		}
		return sandbox(ctx, args, getenv, stdout, stderr)
	case "manifest":
		return manifestCmd(args, stdout, stderr)
	case "call":
		return call(ctx, args, getenv, stdout, stderr)
	case "export":
		return exportCmd(args, getenv, stdout, stderr)
	case "version":
		if wantsHelp(args) {
			_, _ = io.WriteString(stderr, "Usage: connector version\n\nPrints the connector's version.\n\nExample:\n  connector version\n")
			return flag.ErrHelp
		}
		_, err := fmt.Fprintln(stdout, modules.Version)
		return err
	case "help":
		return help(args, stdout)
	}
	_, _ = io.WriteString(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
