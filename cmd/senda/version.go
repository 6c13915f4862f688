package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/senda-org/senda/bot/buildinfo"
)

// runVersion prints the build's version. `senda version -v` adds every build
// setting (module dependencies and their versions included).
func runVersion(args []string, stdout, stderr io.Writer) error {
	verbose := false
	for _, a := range args {
		switch a {
		case "-v", "--verbose":
			verbose = true
		case "-h", "-help", "--help":
			fmt.Fprint(stdout, "Usage: senda version [-v]\n\nPrints the release version, the commit and commit time it was built from, and the Go\nversion. -v adds every module and build setting.\n")
			return nil
		default:
			fmt.Fprintf(stderr, "senda version: unexpected argument %q\n", a)
			return errUsage
		}
	}
	fmt.Fprintln(stdout, buildinfo.Read())
	if verbose {
		if info, ok := debug.ReadBuildInfo(); ok {
			fmt.Fprint(stdout, info.String())
		}
	}
	return nil
}
