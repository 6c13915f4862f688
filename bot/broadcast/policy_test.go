package broadcast

import (
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
)

func TestQuietHours(t *testing.T) {
	t.Parallel()
	gt, _ := time.LoadLocation("America/Guatemala")
	at := func(h, m int) time.Time { return time.Date(2026, 11, 27, h, m, 0, 0, gt) }
	q, err := ParseQuietHours("20:00-08:00", "America/Guatemala")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		t     time.Time
		quiet bool
		until time.Time
	}{
		{at(19, 59), false, time.Time{}},
		{at(20, 0), true, at(8, 0).AddDate(0, 0, 1)},
		{at(23, 30), true, at(8, 0).AddDate(0, 0, 1)},
		{at(3, 0), true, at(8, 0)},
		{at(7, 59), true, at(8, 0)},
		{at(8, 0), false, time.Time{}},
		{at(12, 0).UTC(), false, time.Time{}},                                            // the zone is Guatemala's, whatever the input's
		{time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC), true, at(8, 0).AddDate(0, 0, 1)}, // 21:00 on the 27th in Guatemala
	}
	for _, c := range cases {
		until, quiet := q.Until(c.t)
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("%v: quiet=%v until %v; want %v until %v", c.t, quiet, until, c.quiet, c.until)
		}
	}
	day, _ := ParseQuietHours("13:00-14:00", "UTC")
	if _, quiet := day.Until(time.Date(2026, 1, 1, 13, 30, 0, 0, time.UTC)); !quiet {
		t.Error("a span within one day is not honoured")
	}
	off, err := ParseQuietHours("", "America/Guatemala")
	if err != nil {
		t.Fatal(err)
	}
	if _, quiet := off.Until(at(23, 0)); quiet || off.String() != "off" {
		t.Error("an empty span must turn quiet hours off")
	}
	for _, bad := range []string{"20-08", "25:00-08:00", "20:00", "08:00-08:00", "20:00-08:61"} {
		if _, err := ParseQuietHours(bad, "UTC"); err == nil || !strings.Contains(err.Error(), "HH:MM-HH:MM") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := ParseQuietHours("20:00-08:00", "Mars/Olympus"); err == nil {
		t.Error("an unknown time zone was accepted")
	}
}

func TestWhatsAppWindowIsConservative(t *testing.T) {
	t.Parallel()
	hour := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) // a message at some time between 10:00 and 11:00
	if !inWindow(hour, hour.Add(23*time.Hour+59*time.Minute)) {
		t.Error("inside 24 hours of the hour's start the window is open")
	}
	if inWindow(hour, hour.Add(24*time.Hour)) {
		t.Error("24 hours after the hour began, the window may have closed: treat it as closed")
	}
	if inWindow(time.Time{}, hour) {
		t.Error("someone never seen has no window")
	}
}

func TestValidateRendersWhatIsSent(t *testing.T) {
	t.Parallel()
	p, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	texts, sendAt, err := validate(Request{Topic: "salud", Text: map[string]string{"es": "Jornada médica: vacunación y pruebas rápidas."}}, p, now)
	if err != nil {
		t.Fatal(err)
	}
	if !sendAt.Equal(now) {
		t.Errorf("send_at = %v, want now", sendAt)
	}
	if got := texts.body("en", "es", content.SMS); got != "Senda\nJornada médica: vacunacion y pruebas rapidas." {
		t.Errorf("SMS body (English falls back to Spanish) = %q", got)
	}
	if got := texts.body("es", "es", content.WhatsApp); got != "Senda\nJornada médica: vacunación y pruebas rápidas." {
		t.Errorf("WhatsApp body = %q", got)
	}
	if m := content.MeasureSMS(texts.body("es", "es", content.SMS)); m.Encoding != content.GSM7 || m.Segments != 1 {
		t.Errorf("SMS body is %+v", m)
	}
	_, _, err = validate(Request{Topic: "salud", Text: map[string]string{"es": "x"}, SendAt: now.Add(91 * 24 * time.Hour).Format(time.RFC3339)}, p, now)
	if err == nil || !strings.Contains(err.Error(), "90 days") {
		t.Errorf("far send_at: %v", err)
	}
	_, _, err = validate(Request{Text: map[string]string{"es": "x 😀"}}, p, now)
	if err == nil || !strings.Contains(err.Error(), "topic is missing") || !strings.Contains(err.Error(), "SMS cannot carry") {
		t.Errorf("every problem at once: %v", err)
	}
}
