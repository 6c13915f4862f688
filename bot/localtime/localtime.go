// Package localtime reads the dates and times NGO staff type ("lunes 9:00",
// "30/11/2026 9:00", "mañana 8:30", "2026-11-30 09:00" or RFC 3339) in the
// line's time zone (SENDA_TIMEZONE), and writes times back in that zone with
// a Spanish sentence, so staff can check which day was understood. It also
// reads the daily quiet hours (SENDA_QUIET_HOURS, quiet.go) that broadcasts
// wait out. It does no I/O and reads no clock: the caller passes "now".
package localtime

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Error is input that is not a date and time staff can be told how to fix.
// Its message is in Spanish, then English.
type Error struct{ Input string }

func (e *Error) Error() string {
	return fmt.Sprintf("no entendí la fecha %q: escribe por ejemplo \"2026-11-30 09:00\", \"30/11/2026 9:00\", \"lunes 9:00\", \"mañana 8:30\" u \"hoy 15:00\" / "+
		"could not read the date %q: write e.g. \"2026-11-30 09:00\", \"30/11/2026 9:00\", \"monday 9:00\", \"tomorrow 8:30\" or \"today 15:00\"", e.Input, e.Input)
}

var (
	isoPattern   = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]+(\d{1,2})(?::(\d{2}))?)?$`)
	dmyPattern   = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})(?::(\d{2}))?)?$`)
	wordPattern  = regexp.MustCompile(`^(\p{L}+)(?:\s+(?:a\s+las\s+|at\s+)?(\d{1,2})(?::(\d{2}))?)?$`)
	spanishDays  = []string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	spanishMonth = []string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
)

// dayWords maps a folded day word to a weekday (0..6) or, below zero, a
// number of days from today: -1 today, -2 tomorrow, -3 the day after.
var dayWords = map[string]int{
	"domingo": 0, "lunes": 1, "martes": 2, "miercoles": 3, "jueves": 4, "viernes": 5, "sabado": 6,
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
	"hoy": -1, "today": -1, "manana": -2, "tomorrow": -2, "pasado": -3,
}

// Parse reads s as a time in loc, relative to now. A date without a time
// means 09:00. A weekday means its next occurrence: today if that time is
// still ahead, otherwise next week. It returns the time and a Spanish
// sentence naming the date it understood. It does not refuse times in the
// past; callers that schedule decide that.
func Parse(s string, now time.Time, loc *time.Location) (time.Time, string, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, "", &Error{Input: s}
	}
	if t, err := time.Parse(time.RFC3339, in); err == nil {
		return t, Sentence(t, loc), nil
	}
	now = now.In(loc)
	low := strings.ToLower(in)
	low = strings.Join(strings.Fields(strings.ReplaceAll(low, "pasado mañana", "pasado")), " ")
	var t time.Time
	var ok bool
	if m := isoPattern.FindStringSubmatch(low); m != nil {
		t, ok = build(m[1], m[2], m[3], m[4], m[5], loc)
	} else if m := dmyPattern.FindStringSubmatch(low); m != nil {
		t, ok = build(m[3], m[2], m[1], m[4], m[5], loc)
	} else if m := wordPattern.FindStringSubmatch(low); m != nil {
		t, ok = relative(fold(m[1]), m[2], m[3], now, loc)
	}
	if !ok {
		return time.Time{}, "", &Error{Input: s}
	}
	return t, Sentence(t, loc), nil
}

func hourMinute(h, m string) (int, int, bool) {
	if h == "" {
		return 9, 0, true
	}
	hh, _ := strconv.Atoi(h)
	mm := 0
	if m != "" {
		mm, _ = strconv.Atoi(m)
	}
	return hh, mm, hh <= 23 && mm <= 59
}

func build(y, mo, d, h, mi string, loc *time.Location) (time.Time, bool) {
	year, _ := strconv.Atoi(y)
	month, _ := strconv.Atoi(mo)
	day, _ := strconv.Atoi(d)
	hh, mm, ok := hourMinute(h, mi)
	if !ok || month < 1 || month > 12 || day < 1 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hh, mm, 0, 0, loc)
	if t.Day() != day { // 31/11 would roll over into December
		return time.Time{}, false
	}
	return t, true
}

func relative(word, h, mi string, now time.Time, loc *time.Location) (time.Time, bool) {
	n, known := dayWords[word]
	hh, mm, ok := hourMinute(h, mi)
	if !known || !ok {
		return time.Time{}, false
	}
	at := func(days int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+days, hh, mm, 0, 0, loc)
	}
	if n < 0 {
		return at(-n - 1), true
	}
	days := (n - int(now.Weekday()) + 7) % 7
	t := at(days)
	if !t.After(now) {
		t = at(days + 7)
	}
	return t, true
}

// fold lowers accents in day words so "miercoles" and "miércoles" agree.
func fold(s string) string {
	return strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n").Replace(s)
}

// Format writes t in loc the way staff read it: "lunes 30 de noviembre de
// 2026, 09:00".
func Format(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%s %d de %s de %d, %02d:%02d", spanishDays[t.Weekday()], t.Day(), spanishMonth[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// FormatDate writes t's day in loc: "lunes 30 de noviembre de 2026".
func FormatDate(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return fmt.Sprintf("%s %d de %s de %d", spanishDays[t.Weekday()], t.Day(), spanishMonth[t.Month()-1], t.Year())
}

// Sentence says which time was understood, in Spanish: "Entendí: lunes 30
// de noviembre de 2026, 09:00 (hora de America/Guatemala)."
func Sentence(t time.Time, loc *time.Location) string {
	return fmt.Sprintf("Entendí: %s (hora de %s).", Format(t, loc), loc.String())
}
