package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/adminapi/client"
	"github.com/senda-org/senda/bot/config"
)

// `senda reports` reads the reports people send in (AVISAR) and publishes
// or discards them, through the admin API of a running senda serve, like
// `senda broadcast`. It keeps nothing.

const reportsUsage = `Usage: senda reports COMMAND [flags]

Reports people send in with AVISAR (a violent client, a police operation),
waiting for staff. Nothing is sent until staff publish one.

Commands:
  list             the open reports, oldest first
  show ID          one report in full
  publish ID       send it, as you edited it, to the seguridad topic
                   (--text es="…" --text en="…" [--urgent])
  discard ID       delete it unpublished (--reason, one of: ` + "%s" + `)

Before publishing, remove anything that could tell who reported it; keep the
description of the person or vehicle. See docs/GUIA.md.

` + broadcastEnvHelp

func reportsHelp() string {
	return fmt.Sprintf(reportsUsage, strings.Join(discardReasonIDs(), ", "))
}

func runReports(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, reportsHelp())
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "list":
		return reportsList(ctx, rest, stdout, stderr, getenv)
	case "show":
		return reportsShow(ctx, rest, stdout, stderr, getenv)
	case "publish":
		return reportsPublish(ctx, rest, stdin, stdout, stderr, getenv)
	case "discard":
		return reportsDiscard(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, reportsHelp())
		return nil
	}
	fmt.Fprintf(stderr, "senda reports: unknown command %q\n\n%s", cmd, reportsHelp())
	return errUsage
}

// reportsCommand is a reports subcommand's flags.
func reportsCommand(name, synopsis string, stderr io.Writer) *subcommand {
	fs := flag.NewFlagSet("reports "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &subcommand{fs: fs, stderr: stderr}
	s.adminURL = fs.String("admin-url", "", "the admin API's base URL (SENDA_ADMIN_URL, default "+client.DefaultURL+")")
	s.asJSON = fs.Bool("json", false, "print the admin API's JSON answer as it is")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: senda reports %s\n\n%s\nFlags:\n", synopsis, broadcastEnvHelp)
		fs.PrintDefaults()
	}
	return s
}

// reportArg parses flags and the one report id.
func reportArg(s *subcommand, args []string) (string, error) {
	var pos []string
	for {
		if err := s.fs.Parse(args); err != nil {
			if err == flag.ErrHelp {
				return "", err
			}
			return "", errUsage
		}
		if s.fs.NArg() == 0 {
			break
		}
		pos = append(pos, s.fs.Arg(0))
		args = s.fs.Args()[1:]
	}
	if len(pos) != 1 {
		return "", s.usageError("give one report id (senda reports list shows them)")
	}
	return pos[0], nil
}

func reportsList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := reportsCommand("list", "list [--json]", stderr)
	if err := s.fs.Parse(args); err != nil {
		return usageOrHelp(err)
	}
	if s.fs.NArg() > 0 {
		return s.usageError("unexpected argument %q", s.fs.Arg(0))
	}
	list, raw, err := fetchReports(ctx, s, getenv)
	if err != nil {
		return err
	}
	if *s.asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	if len(list.Reports) == 0 {
		fmt.Fprintln(stdout, "No open reports.")
	}
	for _, r := range list.Reports {
		fmt.Fprintf(stdout, "%s  %s  %-9s  %s\n", r.ID, r.Day, r.Kind, oneLine(r.Area, 40))
	}
	return nil
}

func reportsShow(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := reportsCommand("show", "show ID", stderr)
	id, err := reportArg(s, args)
	if err != nil {
		return err
	}
	list, _, err := fetchReports(ctx, s, getenv)
	if err != nil {
		return err
	}
	for _, r := range list.Reports {
		if r.ID == id {
			if *s.asJSON {
				b, _ := json.Marshal(r)
				writeJSON(stdout, b)
				return nil
			}
			fmt.Fprintf(stdout, "Report %s\nDay:   %s\nKind:  %s\nWhen:  %s\nWhere: %s\nWhat the person or vehicle looks like:\n  %s\n",
				r.ID, r.Day, r.Kind, r.When, r.Area, r.Text)
			return nil
		}
	}
	return fail(stderr, fmt.Errorf("no open report with id %q; senda reports list shows them", id))
}

// fetchReports asks the admin API for the open reports.
func fetchReports(ctx context.Context, s *subcommand, getenv config.Lookup) (adminapi.ReportList, []byte, error) {
	c, _, err := newAdminClient(getenv, *s.adminURL, s.stderr)
	if err != nil {
		return adminapi.ReportList{}, nil, fail(s.stderr, err)
	}
	list, raw, err := c.Reports(ctx)
	if err != nil {
		return adminapi.ReportList{}, nil, fail(s.stderr, err)
	}
	return list, raw, nil
}

func reportsPublish(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := reportsCommand("publish", `publish ID --text es="…" [--text en="…"] [--urgent]`, stderr)
	f := &sendFlags{}
	s.fs.Var(&f.texts, "text", "the alert `[LANG=]TEXT`, once per language")
	s.fs.Var(&f.files, "file", "read the alert from a file `[LANG=]PATH` (- for standard input), trimmed")
	f.lang = s.fs.String("lang", defaultSendLang, "the language of a --text or --file without a LANG= prefix")
	urgent := s.fs.Bool("urgent", false, "may go out during quiet hours (WhatsApp only; SMS still waits)")
	id, err := reportArg(s, args)
	if err != nil {
		return err
	}
	text, err := f.messages(s, stdin)
	if err != nil {
		return err
	}
	c, _, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	pub, raw, err := c.PublishReport(ctx, id, adminapi.ReportPublish{Text: text, Urgent: *urgent})
	if err != nil {
		return fail(stderr, err)
	}
	if *s.asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	fmt.Fprintf(stdout, "Published to %s as broadcast %s; the report is deleted.\nFollow it: senda broadcast status %s --wait\n", adminapi.ReportTopic, pub.BroadcastID, pub.BroadcastID)
	return nil
}

func reportsDiscard(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := reportsCommand("discard", "discard ID --reason REASON", stderr)
	reason := s.fs.String("reason", "", "why: "+strings.Join(discardReasonIDs(), ", "))
	id, err := reportArg(s, args)
	if err != nil {
		return err
	}
	if !adminapi.ValidDiscardReason(*reason) {
		return s.usageError("--reason must be one of: %s", strings.Join(discardReasonIDs(), ", "))
	}
	c, _, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	if err := c.DiscardReport(ctx, id, *reason); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Report %s discarded and deleted.\n", id)
	return nil
}

func discardReasonIDs() []string {
	ids := make([]string, len(adminapi.DiscardReasons))
	for i, d := range adminapi.DiscardReasons {
		ids[i] = d.ID
	}
	return ids
}

// usageOrHelp maps a flag parse error: -h is help, anything else a usage error.
func usageOrHelp(err error) error {
	if err == flag.ErrHelp {
		return err
	}
	return errUsage
}

// oneLine shortens a text to n characters on one line, for lists.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
