package localtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// QuietHours is a daily span, in a time zone, when no broadcast goes out
// (aggregators allow business SMS in Guatemala only 08:00–20:00).
type QuietHours struct {
	start, end int // minutes after midnight
	loc        *time.Location
	on         bool
}

// ParseQuietHours parses "20:00-08:00" in a time zone. An empty span turns
// quiet hours off.
func ParseQuietHours(span, zone string) (QuietHours, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return QuietHours{}, fmt.Errorf("SENDA_TIMEZONE=%q is not a time zone name like America/Guatemala", zone)
	}
	span = strings.TrimSpace(span)
	if span == "" {
		return QuietHours{loc: loc}, nil
	}
	from, to, ok := strings.Cut(span, "-")
	start, err1 := clock(from)
	end, err2 := clock(to)
	if !ok || err1 != nil || err2 != nil || start == end {
		return QuietHours{}, fmt.Errorf("SENDA_QUIET_HOURS=%q: write it as HH:MM-HH:MM, e.g. 20:00-08:00, or leave it empty for none", span)
	}
	return QuietHours{start: start, end: end, loc: loc, on: true}, nil
}

func clock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad clock time %q", s)
	}
	return hh*60 + mm, nil
}

// Location is the time zone quiet hours and daily caps are counted in.
func (q QuietHours) Location() *time.Location {
	if q.loc == nil {
		return time.UTC
	}
	return q.loc
}

// Until reports whether t falls in quiet hours, and if so when they end.
func (q QuietHours) Until(t time.Time) (time.Time, bool) {
	if !q.on {
		return time.Time{}, false
	}
	local := t.In(q.loc)
	now := local.Hour()*60 + local.Minute()
	inside := false
	if q.start < q.end {
		inside = now >= q.start && now < q.end
	} else { // spans midnight
		inside = now >= q.start || now < q.end
	}
	if !inside {
		return time.Time{}, false
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), q.end/60, q.end%60, 0, 0, q.loc)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end, true
}

// String shows the span as configured, for logs.
func (q QuietHours) String() string {
	if !q.on {
		return "off"
	}
	return fmt.Sprintf("%02d:%02d-%02d:%02d %s", q.start/60, q.start%60, q.end/60, q.end%60, q.loc)
}
