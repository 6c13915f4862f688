package flows

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/senda-org/senda/content"
)

// A report to the organization (AVISAR) is a short series of questions,
// one a message: what happened, where, when, what the person or vehicle
// looks like, then what will be kept and whether to send it. The draft
// lives in State.Report, which Encode seals, until the last answer: then
// the step's Result carries it with EffectReportSubmit and the state keeps
// nothing of it. 0 (or any command but a yes or no) leaves the report at any
// step and nothing is kept; SALIR erases the conversation with it.

// startReport asks the first question, or says that this line takes no
// reports.
func (e *Engine) startReport(st State) Result {
	st.Report = nil
	if e.sealer == nil || !e.pack.TakesReports() {
		return Result{State: e.show(st, content.ScreenReportOff, 0)}
	}
	st.Report = &ReportDraft{}
	return Result{State: e.show(st, content.ScreenReport, content.ReportStepKind)}
}

// reportStep answers a message while a report is being written.
func (e *Engine) reportStep(st State, in Input) Result {
	st.Misses = 0
	step := int(st.Screen.Arg)
	if st.Screen.Kind != content.ScreenReport {
		st.Report = nil // a draft outside its screens is not kept
		return e.Step(st, in)
	}
	norm := content.Normalize(in.Text)
	word, known := e.pack.Exact(norm)
	n, number := e.reportNumber(norm, word, known)
	switch {
	case number && n == 0:
		return e.dropReport(st)
	case known && isCommand(word.Kind) && word.Kind != content.WordYes && word.Kind != content.WordNo:
		// Any other command (SALIR, BAJA, MENU, AYUDA…) leaves the report
		// and is carried out as always.
		st.Report = nil
		return e.command(st, word, in)
	}
	d := *st.Report
	switch step {
	case content.ReportStepKind, content.ReportStepWhen:
		return e.reportChoice(st, d, step, n, number, norm, in)
	case content.ReportStepWhere, content.ReportStepLooks:
		text := clip(in.Text, MaxReportText)
		if step == content.ReportStepWhere {
			text = clip(in.Text, MaxReportArea)
		}
		if text == "" {
			return Result{State: e.reportMiss(st, in)}
		}
		if step == content.ReportStepWhere {
			d.Area = text
		} else {
			d.Text = text
		}
		st.Report = &d
		return Result{State: e.show(st, content.ScreenReport, uint16(step+1))}
	}
	return e.reportConfirm(st, d, n, number, word, known, in)
}

// reportNumber reads an answer typed as a number (digits or a number word).
func (e *Engine) reportNumber(norm string, word content.Word, known bool) (int, bool) {
	if n, err := strconv.Atoi(norm); err == nil && len(norm) <= 2 {
		return n, true
	}
	if known && word.Kind == content.WordNumber {
		return word.Node, true
	}
	return 0, false
}

// reportChoice answers the numbered questions: what happened, and when.
// Danger named instead of a number shows the urgent page first; the
// report is left, and AVISAR starts it again.
func (e *Engine) reportChoice(st State, d ReportDraft, step, n int, number bool, norm string, in Input) Result {
	limit := len(ReportKinds)
	if step == content.ReportStepWhen {
		limit = len(ReportWhens)
	}
	if !number || n < 1 || n > limit {
		if rd := e.understand(norm); rd.Verdict == VerdictPage && (rd.Kind >= 0 || e.pack.Nodes[rd.Node].Urgent) {
			st.Report = nil
			return e.understood(st, rd)
		}
		return Result{State: e.reportMiss(st, in)}
	}
	if step == content.ReportStepKind {
		d.Kind = uint8(n)
	} else {
		d.When = uint8(n)
	}
	st.Report = &d
	return Result{State: e.show(st, content.ScreenReport, uint16(step+1))}
}

// reportConfirm answers "send it?": yes files the report, no leaves it.
func (e *Engine) reportConfirm(st State, d ReportDraft, n int, number bool, word content.Word, known bool, in Input) Result {
	yes := number && n == 1 || known && word.Kind == content.WordYes
	no := number && n == 2 || known && word.Kind == content.WordNo
	switch {
	case yes:
		st.Report = nil
		return Result{State: e.show(st, content.ScreenReportSent, 0), Effect: Effect{Kind: EffectReportSubmit}, Report: &d}
	case no:
		return e.dropReport(st)
	}
	return Result{State: e.reportMiss(st, in)}
}

// dropReport leaves the report: nothing of it is kept.
func (e *Engine) dropReport(st State) Result {
	st.Report = nil
	return Result{State: e.show(st, content.ScreenReportDropped, 0)}
}

// reportMiss asks the same question again with a note.
func (e *Engine) reportMiss(st State, in Input) State {
	note := content.NoteUnknown
	if strings.TrimSpace(in.Text) == "" && in.Media > 0 {
		note = content.NoteMedia
	}
	st.Page = 0
	st.Screen.Note = note
	return st
}

// ReportLimited turns the state after a report's last step into "too
// many today": the caller found the sender at the daily limit.
func (e *Engine) ReportLimited(st State) State {
	st.Report = nil
	return e.show(st, content.ScreenReportLimit, 0)
}

// reportPreview is the confirmation with what will be kept.
func (e *Engine) reportPreview(st State, ch content.Channel) content.Page {
	d, lang := st.Report, int(st.Lang)
	kept := []string{
		e.pack.ReportOption("report_kind", lang, int(d.Kind)) + ".",
		e.pack.ReportOption("report_when", lang, int(d.When)) + ": " + d.Area,
		d.Text,
	}
	return e.pack.ReportPreview(kept, st.Screen.Note, lang, ch)
}

// clip tidies a free answer: control characters and runs of spaces or
// lines become one space, and it is cut to max characters.
func clip(s string, limit int) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if r := []rune(s); len(r) > limit {
		s = strings.TrimSpace(string(r[:limit]))
	}
	return s
}
