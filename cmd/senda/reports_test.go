package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// fileReport files a report as the conversation would.
func (f *adminFixture) fileReport(t *testing.T, from string, d flows.ReportDraft) string {
	t.Helper()
	filed, err := f.svc.Reports().Submit(context.Background(), f.hasher.Sender(content.SMS, from), d)
	if err != nil {
		t.Fatal(err)
	}
	return filed.ID
}

func TestReportsCommands(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550061", "es", "seguridad")
	if code, out, errOut := f.cli(t, "", "reports", "list"); code != exitOK || !strings.Contains(out, "No open reports.") {
		t.Fatalf("empty list: exit %d\n%s%s", code, out, errOut)
	}
	a := f.fileReport(t, "+50255550071", flows.ReportDraft{Kind: 4, When: 1, Area: "Parque central", Text: "Patrulla pidiendo dinero"})
	b := f.fileReport(t, "+50255550072", flows.ReportDraft{Kind: 6, When: 3, Area: "Mercado", Text: "Nada"})

	code, out, errOut := f.cli(t, "", "reports", "list")
	if code != exitOK {
		t.Fatalf("list: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], a) || !strings.Contains(lines[0], "police") || !strings.HasPrefix(lines[1], b) {
		t.Fatalf("list, oldest first:\n%s", out)
	}
	code, out, _ = f.cli(t, "", "reports", "list", "--json")
	var l adminapi.ReportList
	if code != exitOK || json.Unmarshal([]byte(out), &l) != nil || len(l.Reports) != 2 {
		t.Fatalf("list --json: exit %d\n%s", code, out)
	}
	code, out, _ = f.cli(t, "", "reports", "show", a)
	mustContain(t, "show", out, "Parque central", "Patrulla pidiendo dinero", "police", "today")
	if code != exitOK {
		t.Fatalf("show: exit %d", code)
	}
	if code, _, errOut := f.cli(t, "", "reports", "show", "0123456789abcdef01234567"); code != exitError || !strings.Contains(errOut, "no open report") {
		t.Fatalf("show an unknown id: exit %d: %s", code, errOut)
	}

	code, out, errOut = f.cli(t, "", "reports", "publish", a, "--text", "es=Alerta: patrulla pide dinero en el parque.", "--text", "en=Alert: police asking for money at the park.", "--urgent")
	if code != exitOK || !strings.Contains(out, "Published to seguridad as broadcast") {
		t.Fatalf("publish: exit %d\n%s%s", code, out, errOut)
	}
	var req adminapi.ReportPublish
	reqs := f.requests()
	last := reqs[len(reqs)-1]
	if last.path != adminapi.ReportPublishPath(a) || json.Unmarshal(last.body, &req) != nil || !req.Urgent || req.Text["en"] == "" {
		t.Fatalf("the CLI posted %s %s", last.path, last.body)
	}
	if code, _, errOut := f.cli(t, "", "reports", "publish", b); code != exitUsage || !strings.Contains(errOut, "--text") {
		t.Fatalf("publish without a text: exit %d: %s", code, errOut)
	}

	if code, _, errOut := f.cli(t, "", "reports", "discard", b, "--reason", "whatever"); code != exitUsage || !strings.Contains(errOut, "not_a_warning") {
		t.Fatalf("discard with a bad reason: exit %d: %s", code, errOut)
	}
	if code, out, errOut := f.cli(t, "", "reports", "discard", b, "--reason", "duplicate"); code != exitOK || !strings.Contains(out, "discarded") {
		t.Fatalf("discard: exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut := f.cli(t, "", "reports", "discard", b, "--reason", "duplicate"); code != exitError || !strings.Contains(errOut, "no open report") {
		t.Fatalf("discard twice: exit %d: %s", code, errOut)
	}
	if code, out, _ := f.cli(t, "", "reports", "list"); code != exitOK || !strings.Contains(out, "No open reports.") {
		t.Fatalf("after publish and discard:\n%s", out)
	}
	if code, _, _ := f.cli(t, "", "reports", "nope"); code != exitUsage {
		t.Fatalf("unknown command: exit %d", code)
	}
}
