package content

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// StatsIn measures every node's reply in one language, in node order.
func (p *Pack) StatsIn(lang int) []NodeStats {
	out := make([]NodeStats, len(p.Nodes))
	for i, n := range p.Nodes {
		s := Screen{Kind: ScreenNode, Arg: uint16(i)}
		read := Screen{Kind: ScreenNode, Arg: uint16(i), Note: NoteHelpLine}
		out[i] = NodeStats{ID: n.ID, SMS: measurePages(p.Pages(s, lang, SMS)), WhatsApp: measurePages(p.Pages(s, lang, WhatsApp)),
			SMSPagesRead: len(p.Pages(read, lang, SMS))}
	}
	return out
}

// SummaryOptions say what WriteSummary reports besides the figures.
type SummaryOptions struct {
	Figures  bool          // the per-language table of what each reply costs
	Now      time.Time     // the date stale facts are measured from
	StaleAge time.Duration // list facts checked longer ago than this; 0 skips the list
}

// WriteSummary writes what `senda content check` shows after the issues:
// for every language, whether people are offered it and what each reply
// costs per channel; the facts that must still be confirmed; and, when
// asked, the facts nobody has checked for too long. It returns how many
// facts are stale.
func (p *Pack) WriteSummary(w io.Writer, opts SummaryOptions) int {
	if opts.Figures {
		for lang, l := range p.Languages {
			fmt.Fprintf(w, "\nReplies in %s (SMS: %d segment(s) of GSM-7 per page after transliteration; read: SMS pages when a sentence leads there, with the help line; WhatsApp: text as written, shown as if sent by SMS):\n",
				l.Code, p.SMS.Segments)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "node\tsms chars\tsms enc\tsms pages\tread\tsms segs\twa chars\twa enc\twa msgs\twa segs as sms\t")
			for _, s := range p.StatsIn(lang) {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%d\t%d\t\n", s.ID,
					s.SMS.MaxChars, s.SMS.Encoding, s.SMS.Pages, s.SMSPagesRead, s.SMS.Segments,
					s.WhatsApp.MaxChars, s.WhatsApp.Encoding, s.WhatsApp.Pages, s.WhatsApp.Segments)
			}
			tw.Flush()
		}
	}
	fmt.Fprintln(w, "\nLanguages / Idiomas:")
	for i, l := range p.Languages {
		state := "offered / se ofrece"
		switch {
		case i == 0:
			state = "default / predeterminado"
		case !l.Offered:
			state = "not offered yet: its menus and urgent pages are not all reviewed / aún no se ofrece"
		}
		fmt.Fprintf(w, "  %s %s: %d of %d texts reviewed; %s\n", l.Code, l.Name, l.Reviewed, l.Total, state)
	}
	if c := p.ToConfirm(); len(c) > 0 {
		fmt.Fprintln(w, "\nTo confirm before launch / Confirmar antes de lanzar (facts.yaml):")
		for _, f := range c {
			fmt.Fprintf(w, "  %s (%s): %s\n", f.ID, f.Value[0], f.Confirm)
		}
	}
	if opts.StaleAge <= 0 {
		return 0
	}
	stale := p.Stale(opts.Now, opts.StaleAge)
	days := int(opts.StaleAge.Hours() / 24)
	if len(stale) == 0 {
		fmt.Fprintf(w, "\nEvery fact was checked in the last %d days / Todos los datos se revisaron en los últimos %d días.\n", days, days)
		return 0
	}
	fmt.Fprintf(w, "\nNot checked for more than %d days / Sin revisar hace más de %d días:\n", days, days)
	for _, f := range stale {
		fmt.Fprintf(w, "  facts.yaml:%d: %s (%s), checked %s by %s: %s\n", f.Line, f.ID, f.Value[0], f.Checked, f.CheckedBy, f.What)
	}
	if c := p.Contact; c.Set() {
		if d, err := time.Parse(time.DateOnly, c.Checked); err != nil || d.Before(opts.Now.Add(-opts.StaleAge)) {
			fmt.Fprintf(w, "  pack.yaml: contact %s, checked %s by %s\n", c.Name, c.Checked, c.CheckedBy)
		}
	}
	return len(stale)
}

// WriteLaunch writes the launch gate: every phone number people can be
// shown that the NGO has not rung within LaunchAge before now, and the
// NGO's own contact when nobody rang it in that time. It returns how many
// there are; Senda is ready to launch when it is zero.
func (p *Pack) WriteLaunch(w io.Writer, now time.Time) int {
	days := int(LaunchAge.Hours() / 24)
	missing := p.Uncalled(now, LaunchAge)
	fmt.Fprintf(w, "\nLaunch gate / Antes de lanzar (called: in facts.yaml, within %d days):\n", days)
	for _, f := range missing {
		called := "never rung / nunca se llamó"
		if f.Called != "" {
			called = "last rung / última llamada " + f.Called
		}
		fmt.Fprintf(w, "  facts.yaml:%d: %s (%s), %s: %s\n", f.Line, f.ID, f.Value[0], called, f.What)
	}
	n := len(missing)
	if c := p.Contact; c.Set() && !recent(c.Checked, now, LaunchAge) {
		fmt.Fprintf(w, "  pack.yaml: contact %s, last rung %s by %s\n", c.Name, c.Checked, c.CheckedBy)
		n++
	}
	if n == 0 {
		fmt.Fprintf(w, "Launch: every number people see was confirmed by a call in the last %d days / Todos los números se confirmaron por llamada en los últimos %d días.\n", days, days)
		return 0
	}
	fmt.Fprintf(w, "Launch: %d number(s) not confirmed by a call in the last %d days / %d número(s) sin confirmar por llamada en los últimos %d días.\n", n, days, n, days)
	fmt.Fprintf(w, "Ring each one; when the service answers, write called: YYYY-MM-DD under it in facts.yaml (docs/GUIA.md).\n")
	return n
}
