// Command senda runs Senda, the WhatsApp/SMS information line: the Twilio
// webhook (serve), a terminal simulator of the same conversation (chat), and
// the content pack checker (content check).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // quiet hours are counted in SENDA_TIMEZONE even where the system has no zone files

	"github.com/senda-org/senda/bot"
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
  senda subscribers rotate-key
                           seal every stored address again with the current key
  senda healthcheck        exit 0 when the local serve is ready (for containers)
  senda version            show the version and the commit it was built from
  senda help               show this help

Run "senda COMMAND -h" for a command's flags. Settings come from SENDA_*
environment variables; flags override them. See README.md.
`

// run is main without the process: tests drive it with their own streams
// and environment.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv bot.Getenv) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if isVersionCommand(args) {
		return runVersion(args[1:], stdout, stderr)
	}
	if args[0] == "healthcheck" {
		return runHealthcheck(ctx, args[1:], stdout, stderr, getenv)
	}
	code := dispatch(ctx, args, stdin, stdout, stderr, getenv)
	if code == exitUsage && helpRequested(args[1:]) {
		return exitOK // the subcommand printed its usage for -h
	}
	return code
}

// dispatch runs the subcommand args[0] names.
func dispatch(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv bot.Getenv) int {
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr, getenv)
	case "chat":
		return runChat(ctx, rest, stdin, stdout, stderr, getenv)
	case "content":
		return runContent(rest, stdout, stderr, getenv)
	case "worker":
		return runWorker(ctx, rest, stdout, stderr, getenv)
	case "broadcast":
		return runBroadcast(ctx, rest, stdin, stdout, stderr, getenv)
	case "subscribers":
		return runSubscribers(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "senda: unknown command %q\n\n%s", cmd, usage)
	return exitUsage
}
