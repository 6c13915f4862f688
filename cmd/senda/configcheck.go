package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/senda-org/senda/bot/config"
)

const configUsage = `Usage: senda config check

Prints every setting, where its value comes from (env: the variable; file:
the file NAME_FILE names; default: unset) and the value, with secrets masked,
then what production (SENDA_ENV=production) would refuse, whatever SENDA_ENV
says. Exits 1 when production would refuse to start. It connects to nothing:
Redis and the content pack are checked when senda serve starts.

With systemd, read the service's file first:
  (set -a; . /etc/senda/senda.env; senda config check)
`

// runConfig runs `senda config check`.
func runConfig(args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	if err := helpFirst(args, configUsage, stdout); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, configUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, configUsage) }
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "senda config check: unexpected %q\n", fs.Arg(0))
		return errUsage
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tSOURCE\tVALUE")
	for _, l := range config.Explain(getenv) {
		v := l.Value
		switch {
		case l.Source == config.FromEnv && v == "":
			v = "(set, empty)"
		case v == "":
			v = "-"
		}
		if l.Client {
			v += "   [senda broadcast/stats only]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", l.Name, l.Source, v)
	}
	tw.Flush()
	problems := config.ProductionProblems(getenv)
	if len(problems) == 0 {
		fmt.Fprintln(stdout, "\nProduction would start with these settings (Redis and the content pack are checked at start).")
		return nil
	}
	fmt.Fprintln(stdout, "\nProduction would refuse to start:")
	for _, p := range problems {
		fmt.Fprintf(stdout, "  - %s\n", p)
	}
	return errReported
}
