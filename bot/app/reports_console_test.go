package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/broadcast"
)

// In the console: staff open a report (its words escaped), edit it into an
// alert, preview it in Spanish and English, publish it (each seguridad
// subscriber gets it once) and discard another with a reason.
func TestConsoleReportsEndToEnd(t *testing.T) {
	fake, client := fakeSender(t)
	ts := newTestService(t, consoleConfig(), Deps{Sender: client})
	subs := []*sender{ts.sms("+50257770001"), ts.whatsapp("+50257770002")}
	for _, s := range subs {
		s.optIn(t, "2") // seguridad
	}
	reporter := ts.sms("+50257770100")
	for _, text := range []string{"<script>alert(1)</script> camisa roja", "otra cosa"} {
		for _, a := range []string{"AVISAR", "2", "Mercado", "2", text, "1"} {
			reporter.say(t, a)
		}
	}
	list, err := ts.Reports().List(t.Context())
	if err != nil || len(list) != 2 {
		t.Fatalf("reports: %v %v", list, err)
	}
	b := ts.browser(t)
	b.signIn(testAdminToken)

	queue := b.do(http.MethodGet, "/admin/reportes", nil)
	if queue.Code != http.StatusOK || !strings.Contains(queue.Body.String(), "/admin/reportes/"+list[0].ID) || !strings.Contains(queue.Body.String(), "Robo o no pagó") {
		t.Fatalf("queue: %d %s", queue.Code, queue.Body.String())
	}
	open := b.do(http.MethodGet, "/admin/reportes/"+list[0].ID, nil)
	body := open.Body.String()
	if open.Code != http.StatusOK || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Fatalf("the report page does not escape the report: %d\n%s", open.Code, body)
	}
	csrf := csrfField.FindStringSubmatch(body)[1]
	form := url.Values{"csrf": {csrf}, "text_es": {"Alerta: hombre con camisa roja en el mercado. Cuídense."},
		"text_en": {"Alert: man in a red shirt at the market. Take care."}, "action": {"preview"}}
	preview := b.do(http.MethodPost, "/admin/reportes/"+list[0].ID, form)
	if preview.Code != http.StatusOK || strings.Count(preview.Body.String(), `class="phone lock"`) != 2 || !strings.Contains(preview.Body.String(), "Alert: man in a red shirt") {
		t.Fatalf("preview: %d %s", preview.Code, preview.Body.String())
	}
	startWorkers(t, ts, fastWorkers)
	form.Set("action", "publish")
	pub := b.do(http.MethodPost, "/admin/reportes/"+list[0].ID, form)
	if pub.Code != http.StatusSeeOther || !strings.Contains(pub.Header().Get("Location"), "hecho=publicado") {
		t.Fatalf("publish: %d %s", pub.Code, pub.Body.String())
	}
	eventually(t, 10*time.Second, "the alert reaches both subscribers", func() bool { return len(fake.Messages()) >= 2 })
	bcs, _ := ts.broadcasts.List(t.Context(), 5)
	if len(bcs) != 1 || bcs[0].Topic != "seguridad" {
		t.Fatalf("broadcasts: %+v", bcs)
	}
	ts.waitStatus(t, bcs[0].ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	got := sentTo(fake)
	for _, s := range subs {
		if got[s.from] != 1 {
			t.Fatalf("%s got the alert %d times (%v)", s.from, got[s.from], got)
		}
	}
	if len(got) != 2 {
		t.Fatalf("the alert went to %v", got)
	}

	noReason := b.do(http.MethodPost, "/admin/reportes/"+list[1].ID+"/descartar", url.Values{"csrf": {csrf}, "reason": {""}})
	if noReason.Code != http.StatusOK || !strings.Contains(noReason.Body.String(), "Elige una razón") {
		t.Fatalf("discard without a reason: %d", noReason.Code)
	}
	disc := b.do(http.MethodPost, "/admin/reportes/"+list[1].ID+"/descartar", url.Values{"csrf": {csrf}, "reason": {"duplicate"}})
	if disc.Code != http.StatusSeeOther {
		t.Fatalf("discard: %d %s", disc.Code, disc.Body.String())
	}
	if l, _ := ts.Reports().List(t.Context()); len(l) != 0 {
		t.Fatalf("open after publish and discard: %+v", l)
	}
	if gone := b.do(http.MethodGet, "/admin/reportes/"+list[1].ID, nil); gone.Code != http.StatusNotFound {
		t.Fatalf("a discarded report: %d", gone.Code)
	}
	audit := b.do(http.MethodGet, "/admin/registro", nil).Body.String()
	for _, secret := range []string{list[0].ID, list[1].ID, "camisa roja", "Mercado"} {
		if strings.Contains(audit, secret) {
			t.Fatalf("the audit page holds %q", secret)
		}
	}
	if !strings.Contains(audit, "publicó un reporte") || !strings.Contains(audit, "descartó un reporte") {
		t.Fatalf("the audit lacks the report actions")
	}
}
