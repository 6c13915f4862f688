package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/adminapi/client"
	"github.com/senda-org/senda/bot/config"
)

// `senda broadcast` is a thin client of the admin API of a running `senda
// serve`: it builds requests, shows answers, and keeps nothing.

const broadcastEnvHelp = `Environment:
  SENDA_ADMIN_URL         the admin API's base URL, where senda serve listens
                          (default ` + client.DefaultURL + `); --admin-url overrides it
  SENDA_ADMIN_TOKEN       a token from the server's SENDA_ADMIN_TOKENS. Only from the
                          environment: a command line is visible to every user
  SENDA_ADMIN_TOKEN_FILE  or the path of a file whose content is the token
  SENDA_TIMEZONE          the time zone --at is read in and times are printed in
                          (default ` + config.DefaultTimeZone + `)
`

const broadcastUsage = `Usage: senda broadcast COMMAND [flags]

Sends updates to the people who opted in to a topic (ALTA), and follows them,
through the admin API of a running senda serve.

Commands:
  send       send or schedule a broadcast to a topic
  list       the latest broadcasts and their figures
  status ID  one broadcast: figures, why messages were not sent, what waits
  cancel ID  stop a broadcast; what was sent stays sent
  topics     the topics people can subscribe to, with subscriber counts

` + broadcastEnvHelp + `
Run "senda broadcast COMMAND -h" for a command's flags. See docs/BROADCASTS.md.
`

const (
	// maxTextFile bounds a --file; the admin API takes 64 KiB bodies.
	maxTextFile = 64 << 10
	// waitGiveUp is how long --wait keeps polling an admin API it cannot
	// reach before it gives up.
	waitGiveUp = time.Minute
	// progressEvery is how often --wait prints a line when stderr is not a
	// terminal (a log, a CI job).
	progressEvery = 10 * time.Second
	// defaultSendLang is the language of a --text or --file without a
	// "lang=" prefix: the default pack's default language.
	defaultSendLang = "es"
)

func runBroadcast(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, broadcastUsage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "send":
		return broadcastSend(ctx, rest, stdin, stdout, stderr, getenv)
	case "list":
		return broadcastList(ctx, rest, stdout, stderr, getenv)
	case "status":
		return broadcastStatus(ctx, rest, stdout, stderr, getenv)
	case "cancel":
		return broadcastCancel(ctx, rest, stdout, stderr, getenv)
	case "topics":
		return broadcastTopics(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, broadcastUsage)
		return nil
	}
	fmt.Fprintf(stderr, "senda broadcast: unknown command %q\n\n%s", cmd, broadcastUsage)
	return errUsage
}

// ---------------------------------------------------------------------------
// Flags

// subcommand is a broadcast subcommand's flag set and the flags they share.
type subcommand struct {
	fs       *flag.FlagSet
	adminURL *string
	asJSON   *bool
	stderr   io.Writer
}

func newSubcommand(name, synopsis, about string, stderr io.Writer) *subcommand {
	fs := flag.NewFlagSet("broadcast "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &subcommand{fs: fs, stderr: stderr}
	s.adminURL = fs.String("admin-url", "", "the admin API's base URL (SENDA_ADMIN_URL, default "+client.DefaultURL+")")
	s.asJSON = fs.Bool("json", false, "print the admin API's JSON answer as it is")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: senda broadcast %s\n\n%s\n%s\nFlags:\n", synopsis, about, broadcastEnvHelp)
		fs.PrintDefaults()
	}
	return s
}

// parse parses flags wherever they are among the arguments (so `status ID
// --wait` works as well as `status --wait ID`) and checks the number of
// positional arguments. A wrong command line is errUsage (the message is
// printed), -h is flag.ErrHelp.
func (s *subcommand) parse(args []string, positional int) ([]string, error) {
	var pos []string
	for {
		if err := s.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if s.fs.NArg() == 0 {
			break
		}
		// A "--" ends the flags: everything after it is positional.
		rest := s.fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != positional {
		switch {
		case positional == 0:
			fmt.Fprintf(s.stderr, "senda %s: unexpected argument %q (put a text with spaces in quotes)\n", s.fs.Name(), pos[0])
		case len(pos) == 0:
			fmt.Fprintf(s.stderr, "senda %s: give the broadcast id (senda broadcast list shows them)\n", s.fs.Name())
		default:
			fmt.Fprintf(s.stderr, "senda %s: give one broadcast id, not %d arguments\n", s.fs.Name(), len(pos))
		}
		s.fs.Usage()
		return nil, errUsage
	}
	return pos, nil
}

// usageError reports a command line the user must fix.
func (s *subcommand) usageError(format string, args ...any) error {
	fmt.Fprintf(s.stderr, "senda %s: %s\n", s.fs.Name(), fmt.Sprintf(format, args...))
	return errUsage
}

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// waitFlags are the flags of commands that can follow a broadcast.
type waitFlags struct {
	wait     *bool
	interval *time.Duration
	timeout  *time.Duration
}

func addWaitFlags(fs *flag.FlagSet) waitFlags {
	return waitFlags{
		wait:     fs.Bool("wait", false, "follow the broadcast until it is done or cancelled (Ctrl-C stops watching; the broadcast goes on)"),
		interval: fs.Duration("interval", time.Second, "with --wait: how often to ask for the figures"),
		timeout:  fs.Duration("timeout", 0, "with --wait: stop watching after this long, and exit 1 if it is not done (default: no limit)"),
	}
}

func (w waitFlags) check(s *subcommand) error {
	if *w.interval < 100*time.Millisecond {
		return s.usageError("--interval %s is too short; use 100ms or more", *w.interval)
	}
	if *w.timeout < 0 {
		return s.usageError("--timeout must not be negative")
	}
	return nil
}

// ---------------------------------------------------------------------------
// The admin API client

// newAdminClient reads the URL (the flag, else SENDA_ADMIN_URL, else the
// default), the token and SENDA_TIMEZONE (times are typed and printed in it), and warns when the token would cross the network
// unencrypted. It fails, before any request, when either is missing or wrong.
func newAdminClient(getenv config.Lookup, flagURL string, stderr io.Writer) (*client.Client, *time.Location, error) {
	cfg, err := config.LoadClient(getenv)
	if err != nil {
		return nil, nil, err
	}
	loc, err := cfg.Location()
	if err != nil {
		return nil, nil, err
	}
	base, source := strings.TrimSpace(flagURL), "--admin-url"
	if base == "" {
		base, source = cfg.AdminURL, "SENDA_ADMIN_URL"
	}
	if base == "" {
		base, source = client.DefaultURL, "the default admin URL"
	}
	c, err := client.New(base, source, cfg.AdminToken)
	if err != nil {
		return nil, nil, err
	}
	if c.Insecure {
		fmt.Fprintf(stderr, "senda broadcast: warning: %s is plain http, so the admin token crosses the network unencrypted; use https\n", c.Base())
	}
	return c, loc, nil
}

// fail prints an error the way every broadcast command does and returns
// errReported.
func fail(stderr io.Writer, err error) error {
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "senda broadcast: interrupted")
	default:
		fmt.Fprintf(stderr, "senda broadcast: %v\n", err)
	}
	return errReported
}
