package content

import (
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/twiml"
)

// Steps of a report, as ScreenReport's Arg numbers them.
const (
	ReportStepKind    = 1 // what happened: a numbered list
	ReportStepWhere   = 2 // an area or place, in a few words
	ReportStepWhen    = 3 // today, yesterday, this week: a numbered list
	ReportStepLooks   = 4 // what the person or vehicle looks like
	ReportStepConfirm = 5 // what will be kept, then send or not
	ReportSteps       = 5
)

// reportTexts are the texts of a report. They are optional: a pack takes
// reports only when it has every one of them (TakesReports), so packs
// written before reports load as they are.
var reportTexts = []string{"report_kind", "report_where", "report_when", "report_looks", "report_preview",
	"report_confirm", "report_sent", "report_dropped", "report_limit", "report_off", "report_nav"}

// The report texts are optional texts of the pack, without placeholders.
func init() {
	for _, k := range reportTexts {
		optionalTexts[k] = nil
	}
}

// reportCommand is the command that starts a report (AVISAR); optional too.
const reportCommand = "report"

// TakesReports reports whether the pack has every text a report needs.
func (p *Pack) TakesReports() bool {
	for _, k := range reportTexts {
		if p.Text(k, 0) == "" {
			return false
		}
	}
	return true
}

// reportStepTexts names the text each step asks with (index: the step).
var reportStepTexts = [...]string{"report_kind", "report_kind", "report_where", "report_when", "report_looks", "report_preview"}

// reportScreens lists the screens of a report.
func (p *Pack) reportScreens() []Screen {
	if !p.TakesReports() {
		return nil
	}
	out := []Screen{{Kind: ScreenReportSent}, {Kind: ScreenReportDropped}, {Kind: ScreenReportLimit}, {Kind: ScreenReportOff}}
	for step := uint16(1); step <= ReportSteps; step++ {
		out = append(out, Screen{Kind: ScreenReport, Arg: step})
	}
	return out
}

// reportBlocks is what a report's screen says. The confirmation shows
// kept, the lines that will be kept, between its head and its question
// (after a note, if any);
// pre-rendered, it shows none.
func (p *Pack) reportBlocks(s Screen, lang int, note, kept []string) [][]string {
	text := func(key string) []string { return lines(p.Text(key, lang)) }
	switch s.Kind {
	case ScreenReportSent:
		return [][]string{text("report_sent"), text("nav")}
	case ScreenReportDropped:
		return [][]string{text("report_dropped"), text("nav")}
	case ScreenReportLimit:
		return [][]string{text("report_limit"), text("nav")}
	case ScreenReportOff:
		return [][]string{text("report_off"), text("nav")}
	}
	step := min(int(s.Arg), len(reportStepTexts)-1)
	if step == ReportStepConfirm {
		return [][]string{note, text("report_preview"), kept, text("report_confirm")}
	}
	question := text(reportStepTexts[step])
	if note != nil && len(question) > 1 {
		// A numbered question again after a note: the note asks, the
		// options follow, and it still fits one SMS.
		question = question[1:]
	}
	return [][]string{note, question, text("report_nav")}
}

// ReportOption returns option n of a report's numbered question (key
// "report_kind" or "report_when") without its number: the line of the text
// that starts with n and a space, or "" when there is none.
func (p *Pack) ReportOption(key string, lang, n int) string {
	prefix := strconv.Itoa(n) + " "
	for _, l := range lines(p.Text(key, lang)) {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

// ReportPreview is the confirmation of a report with the lines that will
// be kept. It is composed when asked for (it holds what the person wrote),
// and it goes as one reply: on SMS, each page a message of its own in one
// response, so reading it costs no MAS.
func (p *Pack) ReportPreview(kept []string, note Note, lang int, ch Channel) Page {
	s := Screen{Kind: ScreenReport, Arg: ReportStepConfirm}
	pages, _ := p.renderBlocks(p.reportBlocks(s, lang, p.noteLines(note, lang), kept), lang, ch)
	if len(pages) == 0 {
		return Page{}
	}
	more := p.Text("more", lang)
	if ch == SMS {
		more, _ = ToGSM7(more)
	}
	texts := make([]string, len(pages))
	verbs := make([]twiml.Element, len(pages))
	for i, pg := range pages {
		texts[i] = strings.TrimSuffix(pg.Text, "\n"+more)
		verbs[i] = twiml.MessagingMessage{Body: texts[i]}
	}
	xml, err := twiml.Messages(verbs)
	if err != nil {
		return pages[0] // twiml.Messages only fails if writing to a string fails
	}
	return Page{Text: strings.Join(texts, "\n\n"), TwiML: []byte(xml)}
}
