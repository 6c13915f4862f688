package stats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

var guatemala = mustZone("America/Guatemala")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// todayAt is the given time of day on today's date in loc, by the real
// clock. Figures expire 400 days after their day (EXPIREAT, judged by the
// Redis server's own clock), so tests that write them use today, never a
// fixed date that a later run would find long expired.
func todayAt(hour, minute int, loc *time.Location) time.Time {
	y, m, d := time.Now().In(loc).Date()
	return time.Date(y, m, d, hour, minute, 0, 0, loc)
}

// ymd is a time's date as the figures' keys and reports write it.
func ymd(t time.Time) string { return t.Format(time.DateOnly) }

type fixture struct {
	rdb    redis.UniversalClient
	prefix string
	rec    *stats.Recorder
	eng    *flows.Engine
	hasher *ident.Hasher
	now    time.Time
}

func setup(t *testing.T) *fixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	p, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{rdb: rdb, prefix: prefix, eng: flows.New(p, flows.Options{Subscriptions: true}),
		hasher: ident.NewHasher([]byte("stats-test-key-0123456789abcdef")),
		now:    todayAt(15, 0, guatemala)}
	f.rec = stats.New(rdb, stats.Options{Prefix: prefix, Location: guatemala, Now: func() time.Time { return f.now }})
	return f
}

// say runs one message of a new conversation through the engine and counts
// it the way the conversation step does once the step is stored.
func (f *fixture) say(t *testing.T, number, text string, at time.Time) {
	t.Helper()
	id := f.hasher.Sender(content.WhatsApp, number)
	in := flows.Input{Text: text, Channel: content.WhatsApp, New: true}
	res := f.eng.Step(flows.State{}, in)
	f.rec.Count(at, stats.FromStep(f.eng.Pack(), in, res, id, stats.DefaultDistressNodes))
}

func TestEightAndThree(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	numbers := []string{}
	for i := range 8 {
		n := fmt.Sprintf("whatsapp:+5025550%04d", i)
		numbers = append(numbers, n)
		f.say(t, n, "salud", f.now)
	}
	for i := range 3 {
		n := fmt.Sprintf("whatsapp:+5025551%04d", i)
		numbers = append(numbers, n)
		f.say(t, n, "prevencion", f.now)
	}
	rep, err := f.rec.Read(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(rep)
	var got struct {
		From, To, Timezone string
		MinCount           int `json:"min_count"`
		Days               []map[string]any
		Total              map[string]any
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if got.To != ymd(f.now) || got.From != ymd(f.now.AddDate(0, 0, -29)) || got.Timezone != "America/Guatemala" || got.MinCount != 5 || len(got.Days) != 30 {
		t.Fatalf("range = %s..%s %s min %d, %d days; want the last 30 days to %s", got.From, got.To, got.Timezone, got.MinCount, len(got.Days), ymd(f.now))
	}
	total := got.Total
	if p, _ := total["people"].(float64); p < 11 {
		t.Errorf("total.people = %v, want ≥ 11", total["people"])
	}
	nodes := total["nodes"].(map[string]any)
	if nodes["salud"] != float64(8) {
		t.Errorf("nodes.salud = %v, want 8", nodes["salud"])
	}
	if v, ok := nodes["sexual"]; !ok || v != nil {
		t.Errorf("nodes.sexual = %v (present %v), want null", v, ok)
	}
	if kw := total["keywords"].(map[string]any); kw["SALUD"] != float64(8) {
		t.Errorf("keywords = %v, want SALUD 8", kw)
	}
	if total["messages"] != float64(11) || total["distress"] != float64(0) {
		t.Errorf("messages %v distress %v, want 11 and 0", total["messages"], total["distress"])
	}
	today := got.Days[29]
	if today["date"] != ymd(f.now) || today["people"] != float64(11) {
		t.Errorf("today = %v", today)
	}
	if got.Days[0]["opt_outs"] == nil || got.Days[0]["broadcasts"] == nil {
		t.Errorf("empty day lacks {} maps: %v", got.Days[0])
	}
	var csv bytes.Buffer
	if err := stats.WriteCSV(&csv, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "node:sexual") || !strings.Contains(csv.String(), "<5") {
		t.Errorf("CSV lacks the hidden figure:\n%s", csv.String())
	}
	// No number or message text anywhere: not in JSON, CSV or Redis.
	dump := fmt.Sprint(redistest.Dump(t, f.rdb, f.prefix+"{stats}"))
	for _, out := range []string{string(body), csv.String(), dump} {
		for _, n := range numbers {
			digits := strings.TrimPrefix(n, "whatsapp:+")
			if strings.Contains(out, digits) || strings.Contains(out, digits[3:]) {
				t.Errorf("output holds a number: %s", n)
			}
		}
		if strings.Contains(out, "prevencion") { // what the 3 typed; figures name the node, "sexual"
			t.Errorf("output holds message text: %s", out)
		}
	}
}

func TestFreeTextNeverBecomesAField(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.rec.Count(f.now, stats.Event{Channel: "sms", Node: "hola me llamo Ana +50255551234", Keyword: "mi número es 5555", OptIn: "a b"})
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for k := range f.rdb.HGetAll(ctx, f.rec.DayKey(ymd(f.now))).Val() {
		if k != "x:sms::::" {
			t.Errorf("field %q written from free text", k)
		}
	}
	if err := f.rec.Subscription(ctx, "+50255551234", false); err == nil {
		t.Error("Subscription took a number as a topic")
	}
}

func TestPeopleMergedOverDays(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	day1 := f.now.AddDate(0, 0, -1).Add(-5 * time.Hour) // 10:00 the day before
	for i := range 7 {                                  // the same 7 people on two days, and 2 more on the second
		n := fmt.Sprintf("+5025550%04d", i)
		f.say(t, n, "hola", day1)
		f.say(t, n, "hola", f.now)
	}
	f.say(t, "+50255559998", "hola", f.now)
	f.say(t, "+50255559999", "hola", f.now)
	// 23:30 in Guatemala is the next day in UTC, but still the same day here.
	f.say(t, "+50255559997", "hola", f.now.Add(8*time.Hour+30*time.Minute))
	rep, err := f.rec.Read(ctx, ymd(day1), ymd(f.now))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Days) != 2 || rep.Days[0].People != 7 || rep.Days[1].People != 10 {
		t.Fatalf("days = %+v", rep.Days)
	}
	if rep.Total.People != 10 {
		t.Errorf("total people = %d, want 10 (merged, not 17)", rep.Total.People)
	}
	if rep.Total.Messages != 17 {
		t.Errorf("total messages = %d, want 17", rep.Total.Messages)
	}
}

func TestOutsideTheConversation(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if err := f.rec.Broadcast(ctx, 12, 3); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := f.rec.Subscription(ctx, "salud", true); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.rec.Subscription(ctx, stats.AllTopics, false); err != nil {
		t.Fatal(err)
	}
	rep, err := f.rec.Read(ctx, ymd(f.now), ymd(f.now))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rep.Total.Broadcast)
	if string(b) != `{"sent":12,"failed":null}` {
		t.Errorf("broadcasts = %s", b)
	}
	if rep.Total.OptIns["salud"] != 5 || rep.Total.OptOuts["all"] != 1 {
		t.Errorf("opt-ins %v opt-outs %v", rep.Total.OptIns, rep.Total.OptOuts)
	}
}

func TestRange(t *testing.T) {
	f := setup(t)
	// Range only reads the clock: a fixed day makes the table's dates exact.
	f.now = time.Date(2026, 11, 27, 15, 0, 0, 0, guatemala)
	tests := []struct {
		from, to, wantFrom, wantTo string
		bad                        bool
	}{
		{"", "", "2026-10-29", "2026-11-27", false},
		{"2026-11-01", "2026-11-30", "2026-11-01", "2026-11-30", false},
		{"", "2026-01-30", "2026-01-01", "2026-01-30", false},
		{"2025-10-24", "2026-11-27", "2025-10-24", "2026-11-27", false}, // 400 days
		{"2025-10-23", "2026-11-27", "", "", true},                      // 401 days
		{"2026-11-28", "2026-11-27", "", "", true},
		{"27/11/2026", "", "", "", true},
		{"", "2026-02-30", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.from+".."+tt.to, func(t *testing.T) {
			from, to, err := f.rec.Range(tt.from, tt.to)
			if tt.bad {
				var re *stats.RangeError
				if !errors.As(err, &re) {
					t.Fatalf("err = %v, want a RangeError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := from.Format(time.DateOnly) + ".." + to.Format(time.DateOnly); got != tt.wantFrom+".."+tt.wantTo {
				t.Errorf("range = %s", got)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n          stats.Count
		json, text string
	}{{0, "0", "0"}, {1, "null", "<5"}, {4, "null", "<5"}, {5, "5", "5"}, {1234, "1234", "1234"}} {
		b, _ := json.Marshal(tt.n)
		if string(b) != tt.json || tt.n.String() != tt.text {
			t.Errorf("%d: json %s text %s", tt.n, b, tt.n.String())
		}
	}
}
