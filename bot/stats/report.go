package stats

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Count is a figure that leaves the server: from 1 to MinCount-1 it is
// hidden (null in JSON, "<5" in text), 0 stays 0.
type Count int64

// Hidden reports whether the figure is too small to show.
func (c Count) Hidden() bool { return c > 0 && c < MinCount }

// Shown returns the figure to display, and false when it is hidden.
func (c Count) Shown() (int64, bool) {
	if c.Hidden() {
		return 0, false
	}
	return int64(c), true
}

// String is the figure for pages and CSV: "<5" when hidden.
func (c Count) String() string {
	if c.Hidden() {
		return "<" + strconv.Itoa(MinCount)
	}
	return strconv.FormatInt(int64(c), 10)
}

// MarshalJSON writes null for a hidden figure.
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Hidden() {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(c), 10), nil
}

// Broadcasts are broadcast messages sent and failed.
type Broadcasts struct {
	Sent   Count `json:"sent"`
	Failed Count `json:"failed"`
}

// Figures are one day's figures, or the whole range's.
type Figures struct {
	People    Count            `json:"people"`
	Messages  Count            `json:"messages"`
	Channels  map[string]Count `json:"channels"`
	Languages map[string]Count `json:"languages"`
	Nodes     map[string]Count `json:"nodes"`
	Keywords  map[string]Count `json:"keywords"`
	Distress  Count            `json:"distress"`
	OptIns    map[string]Count `json:"opt_ins"`
	OptOuts   map[string]Count `json:"opt_outs"`
	Broadcast Broadcasts       `json:"broadcasts"`
}

func newFigures() Figures {
	return Figures{Channels: map[string]Count{}, Languages: map[string]Count{}, Nodes: map[string]Count{},
		Keywords: map[string]Count{}, OptIns: map[string]Count{}, OptOuts: map[string]Count{}}
}

// add adds one day hash's counters.
func (f *Figures) add(h map[string]string) {
	for k, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n == 0 {
			continue
		}
		c := Count(n)
		prefix, rest, _ := strings.Cut(k, ":")
		switch prefix + ":" {
		case pMessage:
			f.addMessages(rest, c)
		case pOptIn:
			f.OptIns[rest] += c
		case pOptOut:
			f.OptOuts[rest] += c
		default:
			switch k {
			case fSent:
				f.Broadcast.Sent += c
			case fFailed:
				f.Broadcast.Failed += c
			}
		}
	}
}

// addMessages adds the messages of one "channel:lang:node:KEYWORD:d" field.
func (f *Figures) addMessages(parts string, c Count) {
	p := strings.Split(parts, ":")
	if len(p) != 5 {
		return
	}
	f.Messages += c
	add := func(m map[string]Count, k string) {
		if k != "" {
			m[k] += c
		}
	}
	add(f.Channels, p[0])
	add(f.Languages, p[1])
	add(f.Nodes, p[2])
	add(f.Keywords, p[3])
	if p[4] == "d" {
		f.Distress += c
	}
}

// Day is one day's figures.
type Day struct {
	Date string `json:"date"`
	Figures
}

// Report is the figures of a range of days, as GET /admin/stats answers.
type Report struct {
	From     string  `json:"from"`
	To       string  `json:"to"`
	Timezone string  `json:"timezone"`
	MinCount int     `json:"min_count"`
	Days     []Day   `json:"days"`
	Total    Figures `json:"total"`
}

// RangeError is a range of dates staff can fix; the message is in Spanish,
// then English.
type RangeError struct{ Problem string }

func (e *RangeError) Error() string { return e.Problem }

// Range resolves from and to ("YYYY-MM-DD", either may be empty) into the
// days to read: by default the last DefaultDays days up to today; at most
// MaxDays days.
func (r *Recorder) Range(from, to string) (time.Time, time.Time, error) {
	parse := func(s, name string) (time.Time, error) {
		t, err := time.ParseInLocation(time.DateOnly, s, r.loc)
		if err != nil {
			return t, &RangeError{fmt.Sprintf("la fecha %q (%s) no es AAAA-MM-DD / %s %q is not YYYY-MM-DD", s, name, name, s)}
		}
		return t, nil
	}
	now := r.now().In(r.loc)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, r.loc)
	var err error
	if to != "" {
		if end, err = parse(to, "to"); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	start := end.AddDate(0, 0, -(DefaultDays - 1))
	if from != "" {
		if start, err = parse(from, "from"); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if start.After(end) {
		return time.Time{}, time.Time{}, &RangeError{"«desde» va después de «hasta» / from is after to"}
	}
	if days := dayCount(start, end); days > MaxDays {
		return time.Time{}, time.Time{}, &RangeError{fmt.Sprintf("el rango tiene %d días; el máximo es %d / the range has %d days; at most %d", days, MaxDays, days, MaxDays)}
	}
	return start, end, nil
}

func dayCount(start, end time.Time) int {
	n := 0
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// Read returns the figures from one day to another, both included ("YYYY-MM-DD";
// empty means the default range, see Range). It costs one round trip, and
// one more when this process has figures not yet written (Flush).
func (r *Recorder) Read(ctx context.Context, from, to string) (Report, error) {
	start, end, err := r.Range(from, to)
	if err != nil {
		return Report{}, err
	}
	// What this process counted and has not written yet goes first, so it
	// reads its own figures (other processes' are at most FlushEvery old).
	if _, err := r.flush(ctx); err != nil {
		return Report{}, fmt.Errorf("stats: read: %w", err)
	}
	var days []string
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		days = append(days, d.Format(time.DateOnly))
	}
	pipe := r.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(days))
	people := make([]*redis.IntCmd, len(days))
	allPeople := make([]string, len(days))
	for i, d := range days {
		hashes[i] = pipe.HGetAll(ctx, r.DayKey(d))
		people[i] = pipe.PFCount(ctx, r.PeopleKey(d))
		allPeople[i] = r.PeopleKey(d)
	}
	// Distinct people over the range: PFMERGE the days into a short-lived
	// key and count that. PFCOUNT over several keys would do it in one
	// command on Redis, but the embedded store adds the days' counts there
	// (the same person on two days counted twice); merging is right on both.
	merged := r.mergeKey()
	pipe.PFMerge(ctx, merged, allPeople...)
	pipe.PExpire(ctx, merged, mergeTTL)
	total := pipe.PFCount(ctx, merged)
	pipe.Del(ctx, merged)
	if _, err := pipe.Exec(ctx); err != nil {
		return Report{}, fmt.Errorf("stats: read %s to %s: %w", days[0], days[len(days)-1], err)
	}
	rep := Report{From: days[0], To: days[len(days)-1], Timezone: r.loc.String(), MinCount: MinCount,
		Days: make([]Day, len(days)), Total: newFigures()}
	for i, d := range days {
		f := newFigures()
		f.add(hashes[i].Val())
		f.People = Count(people[i].Val())
		rep.Days[i] = Day{Date: d, Figures: f}
		rep.Total.add(hashes[i].Val())
	}
	rep.Total.People = Count(total.Val())
	return rep, nil
}

// column is one CSV column: its header and how to read it off figures.
type column struct {
	name string
	get  func(Figures) Count
}

func mapColumns(prefix string, keys map[string]bool, m func(Figures) map[string]Count) []column {
	var cols []column
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		cols = append(cols, column{prefix + k, func(f Figures) Count { return m(f)[k] }})
	}
	return cols
}

// WriteCSV writes the report as CSV: one row per day and a last row
// "total", one column per figure; hidden figures read "<5".
func WriteCSV(w io.Writer, rep Report) error {
	keys := func(m func(Figures) map[string]Count) map[string]bool {
		out := map[string]bool{}
		for k := range m(rep.Total) {
			out[k] = true
		}
		return out
	}
	channels := func(f Figures) map[string]Count { return f.Channels }
	languages := func(f Figures) map[string]Count { return f.Languages }
	nodes := func(f Figures) map[string]Count { return f.Nodes }
	keywords := func(f Figures) map[string]Count { return f.Keywords }
	optIns := func(f Figures) map[string]Count { return f.OptIns }
	optOuts := func(f Figures) map[string]Count { return f.OptOuts }
	cols := []column{
		{"people", func(f Figures) Count { return f.People }},
		{"messages", func(f Figures) Count { return f.Messages }},
	}
	cols = append(cols, mapColumns("channel:", keys(channels), channels)...)
	cols = append(cols, mapColumns("language:", keys(languages), languages)...)
	cols = append(cols, mapColumns("node:", keys(nodes), nodes)...)
	cols = append(cols, mapColumns("keyword:", keys(keywords), keywords)...)
	cols = append(cols, column{"distress", func(f Figures) Count { return f.Distress }})
	cols = append(cols, mapColumns("opt_in:", keys(optIns), optIns)...)
	cols = append(cols, mapColumns("opt_out:", keys(optOuts), optOuts)...)
	cols = append(cols,
		column{"broadcasts_sent", func(f Figures) Count { return f.Broadcast.Sent }},
		column{"broadcasts_failed", func(f Figures) Count { return f.Broadcast.Failed }})

	cw := csv.NewWriter(w)
	row := []string{"date"}
	for _, c := range cols {
		row = append(row, c.name)
	}
	cw.Write(row)
	write := func(date string, f Figures) {
		row := []string{date}
		for _, c := range cols {
			row = append(row, c.get(f).String())
		}
		cw.Write(row)
	}
	for _, d := range rep.Days {
		write(d.Date, d.Figures)
	}
	write("total", rep.Total)
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("stats: write csv: %w", err)
	}
	return nil
}
