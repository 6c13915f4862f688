package localtime

import (
	"strings"
	"testing"
	"time"
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
