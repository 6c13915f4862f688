package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/adminapi/client"
	"github.com/senda-org/senda/bot/config"
	"golang.org/x/term"
)

// The other `senda broadcast` subcommands, and following a broadcast
// (--wait).

// ---------------------------------------------------------------------------
// list

func broadcastList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("list", "list [--limit N] [--json]", "Shows the latest broadcasts, newest first, with their figures (see senda broadcast status).", stderr)
	limit := s.fs.Int("limit", 20, "how many broadcasts to show, 1 to 100")
	if _, err := s.parse(args, 0); err != nil {
		return err
	}
	if *limit < 1 || *limit > 100 {
		return s.usageError("--limit must be from 1 to 100")
	}
	c, loc, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	list, raw, err := c.List(ctx, *limit)
	if raw != nil && *s.asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	if err != nil {
		return fail(stderr, err)
	}
	if len(list.Broadcasts) == 0 {
		fmt.Fprintln(stdout, "No broadcasts yet. Send one with: senda broadcast send --topic TOPIC --text TEXT")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTOPIC\tSTATE\tRECIPIENTS\tSENT\tDELIVERED\tFAILED\tSKIPPED\tCREATED")
	for _, b := range list.Broadcasts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", b.ID, b.Topic, b.State,
			b.Recipients, b.Sent, b.Delivered, b.Failed, b.Skipped, localTime(b.CreatedAt, loc))
	}
	tw.Flush()
	return nil
}

// ---------------------------------------------------------------------------
// status

const statusAbout = `Shows one broadcast: its state, its figures, why messages were not sent or
not delivered, and what is waiting (for quiet hours to end, for room in the
WhatsApp 24-hour limit, for a retry). With --wait, follows it until it is done.`

func broadcastStatus(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("status", "status ID [--wait] [--json]", statusAbout, stderr)
	wf := addWaitFlags(s.fs)
	pos, err := s.parse(args, 1)
	if err != nil {
		return err
	}
	if err := wf.check(s); err != nil {
		return err
	}
	c, loc, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	st, raw, err := c.Get(ctx, pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	if *wf.wait && !st.Settled() {
		return follow(ctx, c, loc, st, raw, wf, *s.asJSON, stdout, stderr)
	}
	if *s.asJSON {
		writeJSON(stdout, raw)
	} else {
		printStatus(stdout, st, loc)
	}
	return nil
}

// ---------------------------------------------------------------------------
// cancel

func broadcastCancel(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("cancel", "cancel ID [--json]", "Stops a broadcast: what was not sent yet will not be (counted as skipped, \"cancelled\").\nWhat was already sent cannot be called back.", stderr)
	pos, err := s.parse(args, 1)
	if err != nil {
		return err
	}
	c, _, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	st, raw, err := c.Cancel(ctx, pos[0])
	if raw != nil && *s.asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Broadcast %s cancelled: %d of %s had been sent; the rest will not be.\n", st.ID, st.Sent, plural(st.Recipients, "recipient"))
	return nil
}

// ---------------------------------------------------------------------------
// topics

func broadcastTopics(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("topics", "topics [--json]", "Lists the topics of the content pack (content/pack/topics.yaml) and how many people\nsubscribe to each.", stderr)
	if _, err := s.parse(args, 0); err != nil {
		return err
	}
	c, _, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	list, raw, err := c.Topics(ctx)
	if raw != nil && *s.asJSON {
		writeJSON(stdout, raw)
		return nil
	}
	if err != nil {
		return fail(stderr, err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tNAME\tSUBSCRIBERS")
	for _, t := range list.Topics {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", t.ID, t.Name, t.Subscribers)
	}
	tw.Flush()
	return nil
}

// ---------------------------------------------------------------------------
// Following a broadcast (--wait)

// follow polls a broadcast until it settles, ctx ends (Ctrl-C: the figures
// so far, exit 0) or --timeout passes (the figures so far, exit 1). It
// draws a progress line on stderr: redrawn in place on a terminal, a line
// every progressEvery otherwise.
func follow(ctx context.Context, c *client.Client, loc *time.Location, st adminapi.Broadcast, raw []byte, wf waitFlags, asJSON bool, stdout, stderr io.Writer) error {
	wctx := ctx
	if *wf.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, *wf.timeout)
		defer cancel()
	}
	p := newProgress(stderr, loc)
	finish := func() {
		p.endLine()
		showBroadcast(stdout, st, raw, asJSON, loc)
	}
	p.draw(st)
	var failingSince time.Time
	for !st.Settled() {
		if !sleepCtx(wctx, *wf.interval) {
			break
		}
		next, body, err := c.Get(wctx, st.ID)
		switch {
		case err == nil:
			st, raw, failingSince = next, body, time.Time{}
			p.draw(st)
		case wctx.Err() != nil:
			// Interrupted or timed out: handled below.
		case !client.Temporary(err):
			p.endLine()
			return fail(stderr, err)
		case failingSince.IsZero():
			failingSince = time.Now()
			p.endLine()
			fmt.Fprintf(stderr, "senda broadcast: %v\nStill trying...\n", err)
		case time.Since(failingSince) > waitGiveUp:
			fmt.Fprintf(stderr, "senda broadcast: gave up after %s without an answer; the broadcast goes on. Figures so far:\n", waitGiveUp)
			finish()
			return errReported
		}
	}
	switch {
	case st.Settled():
		finish()
		return nil
	case ctx.Err() != nil:
		p.stop()
		fmt.Fprintf(stderr, "Stopped watching; broadcast %s goes on. Watch it again with: senda broadcast status %s --wait\n", st.ID, st.ID)
		finish()
		return nil
	default:
		p.stop()
		fmt.Fprintf(stderr, "senda broadcast: broadcast %s is still %s after %s; it goes on. Figures so far:\n", st.ID, st.State, *wf.timeout)
		finish()
		return errReported
	}
}

// showBroadcast prints a broadcast: its JSON as the API sent it, or for
// people.
func showBroadcast(w io.Writer, st adminapi.Broadcast, raw []byte, asJSON bool, loc *time.Location) {
	if asJSON {
		writeJSON(w, raw)
	} else {
		printStatus(w, st, loc)
	}
}

// progress is the progress line of --wait.
type progress struct {
	w       io.Writer
	tty     bool // redraw one line in place
	cols    int
	printed time.Time
	loc     *time.Location // SENDA_TIMEZONE
}

func newProgress(w io.Writer, loc *time.Location) *progress {
	tty, cols := terminal(w)
	return &progress{w: w, tty: tty, cols: cols, loc: loc}
}

func (p *progress) draw(st adminapi.Broadcast) {
	line := progressLine(st, p.loc)
	switch {
	case p.tty:
		// A line wider than the terminal would wrap, and the next redraw
		// would start on the wrapped part.
		if r := []rune(line); p.cols > 1 && len(r) >= p.cols {
			line = string(r[:p.cols-2]) + "…"
		}
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	case p.printed.IsZero() || time.Since(p.printed) >= progressEvery || st.Settled():
		fmt.Fprintln(p.w, line)
		p.printed = time.Now()
	}
}

// endLine ends the line being redrawn, so other output starts on its own.
func (p *progress) endLine() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// stop ends the line for good: nothing is redrawn after it.
func (p *progress) stop() {
	p.endLine()
	p.tty = false
}

// sleepCtx waits d, and reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// terminal reports whether w is a terminal, and its width (0 if unknown).
func terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return true, 0
	}
	return true, cols
}

// progressLine is one line of figures:
// [#####.....] 312/1000 sent 3 failed 12 skipped · waiting: quiet hours 400
func progressLine(st adminapi.Broadcast, loc *time.Location) string {
	const width = 20
	done := min(st.Sent+st.Failed+st.Skipped, st.Recipients)
	filled := width
	if st.Recipients > 0 {
		filled = int(done * width / st.Recipients)
	}
	if !st.Settled() && filled == width && done < st.Recipients {
		filled = width - 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s%s] %d/%d sent %d failed %d skipped", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		st.Sent, st.Recipients, st.Failed, st.Skipped)
	if st.Delivered > 0 {
		fmt.Fprintf(&b, " %d delivered", st.Delivered)
	}
	if len(st.Waiting) > 0 {
		b.WriteString(" · waiting:")
		for _, k := range slices.Sorted(maps.Keys(st.Waiting)) {
			fmt.Fprintf(&b, " %s %d", strings.ReplaceAll(k, "_", " "), st.Waiting[k])
		}
	}
	switch st.State {
	case adminapi.StateScheduled:
		fmt.Fprintf(&b, " · scheduled for %s", localTime(st.SendAt, loc))
	case adminapi.StateDone, adminapi.StateCancelled:
		fmt.Fprintf(&b, " · %s", st.State)
	}
	return b.String()
}
