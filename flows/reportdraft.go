package flows

// ReportKinds names what a report can be about, in the order the question
// lists them (option 1 is ReportKinds[0]). The names are what the report
// keeps and staff see; the words people read are the pack's.
var ReportKinds = [...]string{"violent", "robbery", "condom", "police", "following", "other"}

// ReportWhens names when it happened, in the order the question lists them.
var ReportWhens = [...]string{"today", "yesterday", "week"}

// Longest free answers a report keeps, in characters: a place, and what the
// person or vehicle looks like. Longer answers are cut, and the preview
// shows exactly what is kept.
const (
	MaxReportArea = 60
	MaxReportText = 280
)

// ReportDraft is a report being written. Kind and When are 1-based option
// numbers (0: not answered yet). It lives only in the conversation's
// state, sealed, until it is sent or dropped.
type ReportDraft struct {
	Kind uint8
	When uint8
	Area string
	Text string
}

// KindName is the draft's kind as ReportKinds names it, or "".
func (d ReportDraft) KindName() string {
	if d.Kind == 0 || int(d.Kind) > len(ReportKinds) {
		return ""
	}
	return ReportKinds[d.Kind-1]
}

// WhenName is the draft's when as ReportWhens names it, or "".
func (d ReportDraft) WhenName() string {
	if d.When == 0 || int(d.When) > len(ReportWhens) {
		return ""
	}
	return ReportWhens[d.When-1]
}
