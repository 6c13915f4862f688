package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/httpapi"
)

func guatemala(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Guatemala")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseAtLocalTimes(t *testing.T) {
	loc := guatemala(t)
	now := time.Date(2026, 11, 27, 15, 0, 0, 0, loc) // a Friday afternoon
	cases := []struct {
		at, want, says string
	}{
		{"2026-11-30 09:00", "2026-11-30T09:00:00-06:00", "lunes 30 de noviembre de 2026, 09:00"},
		{"lunes 9:00", "2026-11-30T09:00:00-06:00", "lunes 30 de noviembre de 2026, 09:00"},
		{"30/11/2026 9:00", "2026-11-30T09:00:00-06:00", "lunes 30 de noviembre de 2026, 09:00"},
		{"mañana 8:30", "2026-11-28T08:30:00-06:00", "sábado 28 de noviembre de 2026, 08:30"},
		{"viernes 9:00", "2026-12-04T09:00:00-06:00", "viernes 4 de diciembre de 2026, 09:00"},
		{"2026-12-01T15:00:00Z", "2026-12-01T15:00:00Z", "martes 1 de diciembre de 2026, 09:00"},
		{"nunca", "", ""},
		{"31/11/2026 9:00", "", ""},
	}
	for _, c := range cases {
		t.Run(c.at, func(t *testing.T) {
			got, says, err := parseAt(c.at, now, loc)
			if c.want == "" {
				if err == nil || !strings.Contains(err.Error(), "lunes 9:00") {
					t.Fatalf("parseAt(%q) = %q, %v; want an error with examples", c.at, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("parseAt(%q) = %q, %v; want %q", c.at, got, err, c.want)
			}
			if !strings.HasPrefix(says, "Entendí: "+c.says+" (hora de America/Guatemala).") || !strings.Contains(says, "Understood: ") {
				t.Errorf("parseAt(%q) says %q, want it to name %q", c.at, says, c.says)
			}
		})
	}
}

func TestStatsFlags(t *testing.T) {
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"stats", "--from", "2026-11-31"}, exitUsage, "--from \"2026-11-31\" no es AAAA-MM-DD"},
		{[]string{"stats", "--to", "30/11/2026"}, exitUsage, "is not YYYY-MM-DD"},
		{[]string{"stats", "--from", "2026-11-30", "--to", "2026-11-01"}, exitUsage, "--from is after --to"},
		{[]string{"stats", "--csv", "--json"}, exitUsage, "not both"},
		{[]string{"stats", "noviembre"}, exitUsage, "unexpected argument"},
		{[]string{"stats", "-h"}, exitOK, "senda stats --from 2026-11-01"},
		{[]string{"stats"}, exitError, "SENDA_ADMIN_TOKEN"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, _, errOut := runWith(t.Context(), map[string]string{}, "", c.args...)
			if code != c.code || !strings.Contains(errOut, c.says) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, c.code, c.says)
			}
		})
	}
}

func TestFigureList(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	fig := func(p *int64) string { return adminapi.FormatFigure(p, 5) }
	cases := []struct {
		m    map[string]*int64
		want string
	}{
		{nil, "-"},
		{map[string]*int64{"sexual": nil, "salud": n(9), "inicio": n(9), "derechos": n(0)}, "inicio 9 · salud 9 · sexual <5 · derechos 0"},
	}
	for _, c := range cases {
		if got := figureList(c.m, fig); got != c.want {
			t.Errorf("figureList = %q, want %q", got, c.want)
		}
	}
}

// TestStatsEightAndThree: 8 people open one topic and 3 another through
// the webhook; `senda stats` shows at least 11 people, the first topic's
// count and "<5" for the second, in text, JSON and CSV, and no number or
// message text anywhere.
func TestStatsEightAndThree(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	var numbers []string
	say := func(from, body string, i int) {
		form := url.Values{"From": {from}, "To": {"+50220000000"}, "Body": {body}, "MessageSid": {fmt.Sprintf("SM%032d", i)}}
		res, err := http.PostForm(f.srv.URL+httpapi.MessagesPath, form)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("webhook: %v %v", res, err)
		}
		res.Body.Close()
	}
	for i := range 11 {
		n := fmt.Sprintf("+5025990%04d", i)
		numbers = append(numbers, n)
		if i < 8 {
			say("whatsapp:"+n, "salud", i)
		} else {
			say(n, "prevencion", i)
		}
	}
	code, out, errOut := f.cli(t, "", "stats")
	if code != exitOK {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`distinct people +11\n`).MatchString(out) {
		t.Errorf("stats does not count 11 people:\n%s", out)
	}
	mustContain(t, "stats", out, "Temas / topics: salud 8", "sexual <5", "Canales / channels: whatsapp 8 · sms <5", "(America/Guatemala)")
	code, js, _ := f.cli(t, "", "stats", "--json")
	var rep adminapi.Stats
	if code != exitOK || json.Unmarshal([]byte(js), &rep) != nil || rep.Total.People == nil || *rep.Total.People < 11 {
		t.Fatalf("stats --json: exit %d %s", code, js)
	}
	if v, ok := rep.Total.Nodes["sexual"]; !ok || v != nil || *rep.Total.Nodes["salud"] != 8 {
		t.Errorf("nodes = %v", rep.Total.Nodes)
	}
	today := time.Now().In(guatemala(t)).Format(time.DateOnly)
	code, csv, _ := f.cli(t, "", "stats", "--from", today, "--to", today, "--csv")
	if code != exitOK || !strings.HasPrefix(csv, "date,people,messages") || !strings.Contains(csv, "<5") || !strings.Contains(csv, "\n"+today+",") {
		t.Errorf("stats --csv: exit %d\n%s", code, csv)
	}
	for _, o := range []string{out, js, csv} {
		for _, n := range numbers {
			if strings.Contains(o, n[1:]) || strings.Contains(o, n[5:]) {
				t.Errorf("a phone number in the output: %s", n)
			}
		}
		if strings.Contains(o, "prevencion") {
			t.Error("message text in the output")
		}
	}
}

// TestBroadcastSendAtLocalTime: --at "lunes 9:00" is read in SENDA_TIMEZONE,
// the CLI says which date it understood, and the API gets that instant.
func TestBroadcastSendAtLocalTime(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550031", "es", "salud")
	loc := guatemala(t)
	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Jornada de salud", "--at", "lunes 9:00")
	if code != exitOK {
		t.Fatalf("send: exit %d: %s", code, errOut)
	}
	req, _ := f.lastPOST(t)
	at, err := time.Parse(time.RFC3339, req.SendAt)
	if err != nil || at.In(loc).Weekday() != time.Monday || at.In(loc).Hour() != 9 || !at.After(time.Now()) {
		t.Fatalf("send_at = %q (%v), want the next Monday 09:00 in Guatemala", req.SendAt, err)
	}
	mustContain(t, "stderr", errOut, "Entendí: lunes ", ", 09:00 (hora de America/Guatemala).")
	mustContain(t, "stdout", out, "scheduled for "+at.In(loc).Format("2006-01-02")+" 09:00 CST")

	// Another zone: the same words are another instant, printed in that zone.
	env := map[string]string{}
	for k, v := range f.env {
		env[k] = v
	}
	env["SENDA_TIMEZONE"] = "Europe/Madrid"
	code, _, errOut = runWith(t.Context(), env, "", "broadcast", "send", "--topic", "salud", "--text", "Otra", "--at", "lunes 9:00")
	if code != exitOK || !strings.Contains(errOut, "(hora de Europe/Madrid)") {
		t.Fatalf("send in Madrid: exit %d: %s", code, errOut)
	}
	req, _ = f.lastPOST(t)
	if !strings.HasSuffix(req.SendAt, "+01:00") {
		t.Errorf("send_at = %q, want Madrid's offset", req.SendAt)
	}
	code, _, errOut = f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "x", "--at", "el lunes que viene")
	if code != exitUsage || !strings.Contains(errOut, "no entendí la fecha") {
		t.Errorf("an unreadable --at: exit %d: %s", code, errOut)
	}
}
