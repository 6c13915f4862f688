package broadcast

import (
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
)

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
