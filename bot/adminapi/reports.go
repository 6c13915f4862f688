package adminapi

// Reports people send in (AVISAR), waiting for staff.
const PathReports = PathPrefix + "/reports" // GET lists the open reports, oldest first

// ReportPublishPath publishes a report as an alert to ReportTopic; id must
// already be escaped for a path.
func ReportPublishPath(id string) string { return PathReports + "/" + id + "/publish" }

// ReportDiscardPath discards a report; id must already be escaped.
func ReportDiscardPath(id string) string { return PathReports + "/" + id + "/discard" }

// ReportTopic is the topic a published report goes to.
const ReportTopic = "seguridad"

// Report is an open report. It holds what the person wrote and nothing
// about who she is or when she wrote it beyond the day.
type Report struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // violent, robbery, condom, police, following, other
	Area string `json:"area"`
	When string `json:"when"` // today, yesterday or week, counted from Day
	Text string `json:"text"`
	Day  string `json:"day"` // YYYY-MM-DD it came in
}

// ReportList is the answer to GET /admin/reports.
type ReportList struct {
	Reports []Report `json:"reports"`
}

// ReportPublish is the body of POST /admin/reports/{id}/publish: the alert
// as staff edited it, by language code.
type ReportPublish struct {
	Text   map[string]string `json:"text"`
	Urgent bool              `json:"urgent"`
}

// ReportPublished is the answer to a publish (202).
type ReportPublished struct {
	BroadcastID string `json:"broadcast_id"`
}

// ReportDiscard is the body of POST /admin/reports/{id}/discard.
type ReportDiscard struct {
	Reason string `json:"reason"` // one of DiscardReasons
}

// DiscardReasons are the reasons a report may be discarded for, with what
// staff read (Spanish, then English).
var DiscardReasons = []struct{ ID, Label string }{
	{"not_a_warning", "No es un aviso / Not a warning"},
	{"duplicate", "Repetido / Duplicate"},
	{"unsafe", "Publicarlo pondría en riesgo a alguien / Publishing it would put someone at risk"},
	{"not_credible", "No parece real / Does not seem real"},
	{"other", "Otra razón / Other reason"},
}

// ValidDiscardReason reports whether r is one of DiscardReasons.
func ValidDiscardReason(r string) bool {
	for _, d := range DiscardReasons {
		if d.ID == r {
			return true
		}
	}
	return false
}
