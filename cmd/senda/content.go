package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/content"
)

const contentUsage = `Usage: senda content check [DIR]

Checks a content pack: prints every error and warning as file:line, then a
table of what each node's reply costs per channel (characters of the longest
page, encoding, pages and SMS segments). Without DIR it checks
$SENDA_CONTENT_DIR, or the embedded default pack. Exits 1 when the pack has
errors.
`

func runContent(args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, contentUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("content check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, contentUsage) }
	quiet := fs.Bool("q", false, "print only errors and warnings, no table")
	if err := fs.Parse(args[1:]); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 1 {
		fmt.Fprint(stderr, contentUsage)
		return errUsage
	}
	dir := config.ContentDir(getenv)
	if fs.NArg() == 1 {
		dir = fs.Arg(0)
	}
	var (
		pack   *content.Pack
		report *content.Report
		err    error
		name   = dir
	)
	if dir == "" {
		name = content.DefaultName + " (embedded)"
		pack, report, err = content.Default()
	} else {
		pack, report, err = content.LoadDir(dir)
	}
	for _, i := range report.Issues {
		fmt.Fprintln(stdout, i)
	}
	var le *content.LoadError
	if err != nil && !errors.As(err, &le) {
		return err
	}
	if err != nil {
		fmt.Fprintf(stdout, "\n%s: %d error(s), %d warning(s)\n", name, len(report.Errors()), len(report.Warnings()))
		return errReported
	}
	if !*quiet {
		writeStats(stdout, pack)
	}
	fmt.Fprintf(stdout, "\n%s: ok, %d nodes, %d topics, %d languages, %d warning(s)\n", name, len(pack.Nodes), len(pack.Topics), len(pack.Languages), len(report.Warnings()))
	return nil
}

func writeStats(w io.Writer, p *content.Pack) {
	fmt.Fprintf(w, "\nReplies in %s (SMS: %d segment(s) of GSM-7 per page after transliteration; WhatsApp: text as written, shown as if sent by SMS):\n",
		p.Languages[0].Code, p.SMS.Segments)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "node\tsms chars\tsms enc\tsms pages\tsms segs\twa chars\twa enc\twa msgs\twa segs as sms\t")
	for _, s := range p.Stats() {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\t%d\t%d\t\n", s.ID,
			s.SMS.MaxChars, s.SMS.Encoding, s.SMS.Pages, s.SMS.Segments,
			s.WhatsApp.MaxChars, s.WhatsApp.Encoding, s.WhatsApp.Pages, s.WhatsApp.Segments)
	}
	tw.Flush()
}
