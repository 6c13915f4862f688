package localtime_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/localtime"
)

func TestParse(t *testing.T) {
	loc, err := time.LoadLocation("America/Guatemala")
	if err != nil {
		t.Fatal(err)
	}
	// Friday 27 November 2026, 15:07 in Guatemala.
	now := time.Date(2026, 11, 27, 15, 7, 0, 0, loc)
	tests := []struct {
		in       string
		want     string // RFC 3339 in loc; "" means an error
		sentence string
	}{
		{"2026-11-30 09:00", "2026-11-30T09:00:00-06:00", "Entendí: lunes 30 de noviembre de 2026, 09:00 (hora de America/Guatemala)."},
		{"2026-11-30T09:00", "2026-11-30T09:00:00-06:00", ""},
		{"2026-11-30", "2026-11-30T09:00:00-06:00", ""},
		{"30/11/2026 9:00", "2026-11-30T09:00:00-06:00", ""},
		{"1/12/2026 18:30", "2026-12-01T18:30:00-06:00", "Entendí: martes 1 de diciembre de 2026, 18:30 (hora de America/Guatemala)."},
		{"lunes 9:00", "2026-11-30T09:00:00-06:00", ""},
		{"Lunes a las 9:00", "2026-11-30T09:00:00-06:00", ""},
		{"viernes 16:00", "2026-11-27T16:00:00-06:00", ""}, // still ahead today
		{"viernes 15:00", "2026-12-04T15:00:00-06:00", ""}, // already past: next week
		{"miércoles 10:15", "2026-12-02T10:15:00-06:00", ""},
		{"miercoles 10:15", "2026-12-02T10:15:00-06:00", ""},
		{"sábado", "2026-11-28T09:00:00-06:00", ""},
		{"mañana 8:30", "2026-11-28T08:30:00-06:00", "Entendí: sábado 28 de noviembre de 2026, 08:30 (hora de America/Guatemala)."},
		{"manana 8:30", "2026-11-28T08:30:00-06:00", ""},
		{"pasado mañana 7:00", "2026-11-29T07:00:00-06:00", ""},
		{"hoy 15:00", "2026-11-27T15:00:00-06:00", ""},
		{"  HOY   17:45 ", "2026-11-27T17:45:00-06:00", ""},
		{"tomorrow 8:30", "2026-11-28T08:30:00-06:00", ""},
		{"monday 9:00", "2026-11-30T09:00:00-06:00", ""},
		{"2026-11-30T15:00:00Z", "2026-11-30T09:00:00-06:00", ""},
		{"2026-11-30T09:00:00-06:00", "2026-11-30T09:00:00-06:00", ""},
		{"31/11/2026 9:00", "", ""},
		{"2026-13-01 9:00", "", ""},
		{"lunes 25:00", "", ""},
		{"lunes 9:75", "", ""},
		{"el lunes que viene", "", ""},
		{"", "", ""},
		{"funday 9:00", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, sentence, err := localtime.Parse(tt.in, now, loc)
			if tt.want == "" {
				var le *localtime.Error
				if !errors.As(err, &le) {
					t.Fatalf("Parse(%q) = %v, %v; want a *localtime.Error", tt.in, got, err)
				}
				if !strings.Contains(err.Error(), "no entendí") || !strings.Contains(err.Error(), "could not read") {
					t.Errorf("error %q is not in Spanish and English", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if s := got.In(loc).Format(time.RFC3339); s != tt.want {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, s, tt.want)
			}
			if tt.sentence != "" && sentence != tt.sentence {
				t.Errorf("sentence = %q, want %q", sentence, tt.sentence)
			}
		})
	}
}

func TestFormatUsesZone(t *testing.T) {
	loc, _ := time.LoadLocation("America/Guatemala")
	got := localtime.Format(time.Date(2026, 11, 30, 15, 0, 0, 0, time.UTC), loc)
	if want := "lunes 30 de noviembre de 2026, 09:00"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}
