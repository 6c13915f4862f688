// Command senda runs Senda, the WhatsApp/SMS information line: the Twilio
// webhook (serve), a terminal simulator of the same conversation (chat), and
// the content pack checker (content check).
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
	_ "time/tzdata" // quiet hours are counted in SENDA_TIMEZONE even where the system has no zone files

	"github.com/senda-org/senda/bot/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command ran and failed
	exitUsage = 2 // the command line was wrong
)

const usage = `Senda: an anonymous WhatsApp/SMS information line.

Usage:
  senda serve              run the Twilio webhook (embedded Redis in development)
  senda chat               try the conversation in this terminal
  senda content check DIR  check a content pack and show what each reply costs
  senda worker             deliver broadcasts (serve does too)
  senda broadcast ...      send and follow broadcasts through the admin API
  senda stats              the anonymous daily figures (--from, --to, --csv)
  senda reports ...        read, publish or discard the reports people send (AVISAR)
  senda subscribers rotate-key
                           seal every stored address again with the current key
  senda subscribers rotate-hash-key
                           move every subscriber to its id under a new SENDA_HASH_KEY
  senda config check       show every setting and its source; exit 1 if production would refuse
  senda healthcheck        exit 0 when the local serve is ready (for containers)
  senda version            show the version and the commit it was built from
  senda help               show this help

Run "senda COMMAND -h" for a command's flags. Settings come from SENDA_*
environment variables; flags override them. See README.md.
`

// run is main without the process: tests drive it with their own streams
// and environment. Commands return errors; this is the one place they
// become exit codes.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "version", "--version", "-version":
		err = runVersion(rest, stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, rest, stdout, stderr, getenv)
	case "serve":
		err = runServe(ctx, rest, stdout, stderr, getenv)
	case "chat":
		err = runChat(ctx, rest, stdin, stdout, stderr, getenv)
	case "content":
		err = runContent(rest, stdout, stderr, getenv)
	case "worker":
		err = runWorker(ctx, rest, stderr, getenv)
	case "broadcast":
		err = runBroadcast(ctx, rest, stdin, stdout, stderr, getenv)
	case "subscribers":
		err = runSubscribers(ctx, rest, stdout, stderr, getenv)
	case "stats":
		err = runStats(ctx, rest, stdout, stderr, getenv)
	case "config":
		err = runConfig(rest, stdout, stderr, getenv)
	case "reports":
		err = runReports(ctx, rest, stdin, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "senda: unknown command %q\n\n%s", cmd, usage)
		err = errUsage
	}
	return exitCode(cmd, err, stderr)
}

// helpFirst prints usage to stdout and reports flag.ErrHelp when a command
// that takes a subcommand is asked for help instead (senda content -h).
func helpFirst(args []string, usage string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return flag.ErrHelp
	}
	return nil
}

// errUsage means the command line was wrong; the command has said how.
var errUsage = errors.New("usage")

// errReported means the command failed and has already told the user.
var errReported = errors.New("reported")

// exitCode maps a command's error to the process's exit code, printing it
// unless the command already did.
func exitCode(cmd string, err error, stderr io.Writer) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	case errors.Is(err, errReported):
		return exitError
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "senda %s: interrupted\n", cmd)
		return exitError
	}
	fmt.Fprintf(stderr, "senda %s: %v\n", cmd, err)
	return exitError
}
