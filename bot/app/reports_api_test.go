package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
)

// listReports calls GET /admin/reports.
func (ts *testService) listReports(t testing.TB) []adminapi.Report {
	t.Helper()
	rec := ts.admin(t, http.MethodGet, adminapi.PathReports, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("list reports: %d %s", rec.Code, rec.Body.String())
	}
	var l adminapi.ReportList
	if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil || l.Reports == nil {
		t.Fatalf("list reports: %s (%v)", rec.Body.String(), err)
	}
	return l.Reports
}

// Staff list reports, publish one as an alert that each `seguridad`
// subscriber gets exactly once, and discard the other; the audit says who
// did what without a word of either report.
func TestAdminReportsPublishAndDiscard(t *testing.T) {
	fake, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	subs := []*sender{ts.sms("+50256660001"), ts.whatsapp("+50256660002"), ts.sms("+50256660003")}
	for _, s := range subs {
		s.optIn(t, "2") // seguridad
	}
	ts.sms("+50256660009").optIn(t, "1") // salud only: gets nothing
	reporter := ts.whatsapp("+50256660100")
	for _, text := range []string{"Carro blanco placa P-1", "Nada importante"} {
		for _, a := range []string{"AVISAR", "1", "Km 62", "1", text, "1"} {
			reporter.say(t, a)
		}
	}
	list := ts.listReports(t)
	if len(list) != 2 || list[0].Text != "Carro blanco placa P-1" || list[0].Kind != "violent" || list[0].Day == "" {
		t.Fatalf("reports: %+v", list)
	}
	if rec := ts.admin(t, http.MethodGet, adminapi.PathReports, nil, "Authorization", "Bearer wrong"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a wrong token lists reports: %d", rec.Code)
	}

	startWorkers(t, ts, fastWorkers)
	alert := adminapi.ReportPublish{Text: map[string]string{"es": "Alerta: hombre violento en carro blanco placa P-1, Km 62.", "en": "Alert: violent man in a white car, plates P-1, Km 62."}, Urgent: true}
	rec := ts.admin(t, http.MethodPost, adminapi.ReportPublishPath(list[0].ID), alert)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("publish: %d %s", rec.Code, rec.Body.String())
	}
	var pub adminapi.ReportPublished
	if err := json.Unmarshal(rec.Body.Bytes(), &pub); err != nil || pub.BroadcastID == "" {
		t.Fatalf("publish answer %s", rec.Body.String())
	}
	st := ts.waitStatus(t, pub.BroadcastID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if st.Topic != "seguridad" || !st.Urgent || st.Sent != 3 {
		t.Fatalf("broadcast %+v", st)
	}
	got := sentTo(fake)
	for _, s := range subs {
		if got[s.from] != 1 {
			t.Fatalf("%s got the alert %d times, want once (%v)", s.from, got[s.from], got)
		}
	}
	if len(got) != 3 {
		t.Fatalf("the alert went to %v", got)
	}
	if rec := ts.admin(t, http.MethodPost, adminapi.ReportPublishPath(list[0].ID), alert); rec.Code != http.StatusNotFound {
		t.Fatalf("publishing a published report: %d %s", rec.Code, rec.Body.String())
	}

	if rec := ts.admin(t, http.MethodPost, adminapi.ReportDiscardPath(list[1].ID), adminapi.ReportDiscard{Reason: "because"}); rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown reason: %d %s", rec.Code, rec.Body.String())
	}
	if rec := ts.admin(t, http.MethodPost, adminapi.ReportDiscardPath(list[1].ID), adminapi.ReportDiscard{Reason: "not_a_warning"}); rec.Code != http.StatusNoContent {
		t.Fatalf("discard: %d %s", rec.Code, rec.Body.String())
	}
	if l := ts.listReports(t); len(l) != 0 {
		t.Fatalf("after publish and discard: %+v", l)
	}
	if rec := ts.admin(t, http.MethodPost, adminapi.ReportDiscardPath("nope"), adminapi.ReportDiscard{Reason: "other"}); rec.Code != http.StatusNotFound {
		t.Fatalf("discard an unknown id: %d", rec.Code)
	}
	audit := ts.admin(t, http.MethodGet, adminapi.PathAudit, nil).Body.String()
	if !strings.Contains(audit, `"action":"report_publish"`) || !strings.Contains(audit, `"action":"report_discard"`) {
		t.Fatalf("audit lacks the report actions: %s", audit)
	}
	for _, secret := range []string{list[0].ID, list[1].ID, "P-1", "Km 62", "Nada importante"} {
		if strings.Contains(audit, secret) {
			t.Fatalf("the audit holds %q: %s", secret, audit)
		}
	}
}
