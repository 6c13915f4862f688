package stats_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
)

// casLua has the shape of bot/scripts/session_step.lua: compare the stored
// state with the expected one and set the new one, or answer the current
// value. A random comment makes it unknown to the server, so the first
// EVALSHA meets NOSCRIPT as after a Redis restart.
func casScript() *redis.Script {
	b := make([]byte, 8)
	rand.Read(b)
	return redis.NewScript(`-- ` + hex.EncodeToString(b) + `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {1}`)
}

// roundTrips counts what a client sends: single commands and pipelines.
type roundTrips struct{ single, pipelines atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.single.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.pipelines.Add(1); return next(ctx, cmds) }
}

// step is the conversation step's store as the integrator joins the
// figures to it: the compare-and-set and the figures in one pipeline; on
// NOSCRIPT the script is loaded and the pipeline sent again (the tally adds
// nothing twice); on a conflict the step is computed again from the current
// value and the tally queues only the difference.
func step(ctx context.Context, rdb redis.UniversalClient, cas *redis.Script, key string, tally *stats.Tally, expected string, events func(current string) (string, stats.Event)) error {
	value, ev := events(expected)
	for range 4 {
		pipe := rdb.Pipeline()
		res := cas.EvalSha(ctx, pipe, []string{key}, expected, value, 60000)
		tally.Queue(ctx, pipe, ev)
		_, err := pipe.Exec(ctx)
		if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			if err := cas.Load(ctx, rdb).Err(); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		out, _ := res.Slice()
		if ok, _ := out[0].(int64); ok == 1 {
			return nil
		}
		expected, _ = out[1].(string)
		value, ev = events(expected)
	}
	return tally.Withdraw(ctx)
}

func TestOneRoundTripWithSessionScript(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	if redistest.Embedded() {
		t.Skip("counts round trips of a real server")
	}
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/Guatemala")
	now := todayAt(12, 0, loc)
	rec := stats.New(rdb, stats.Options{Prefix: prefix, Location: loc, Now: func() time.Time { return now }})
	id := ident.NewHasher([]byte("k")).Sender(content.SMS, "+50255550001")
	key := prefix + "{" + id.String() + "}:s"
	cas := casScript()
	counter := &roundTrips{}
	rdb.AddHook(counter)

	// Another replica stored "b" meanwhile: this replica expects "" and its
	// first step shows the node "salud"; from "b" the step shows "sexual".
	rdb.Set(ctx, key, "b", time.Minute)
	events := func(current string) (string, stats.Event) {
		if current == "b" {
			return "c", stats.Event{Person: id, Channel: "sms", Lang: "es", Node: "sexual"}
		}
		return "a", stats.Event{Person: id, Channel: "sms", Lang: "es", Node: "salud"}
	}
	counter.single.Store(0)
	counter.pipelines.Store(0)
	if err := step(ctx, rdb, cas, key, rec.Begin(now), "", events); err != nil {
		t.Fatal(err)
	}
	if got := rdb.Get(ctx, key).Val(); got != "c" {
		t.Fatalf("session = %q, want c", got)
	}
	h := rdb.HGetAll(ctx, rec.DayKey(ymd(now))).Val()
	if len(h) != 2 || h["x:sms:es:salud::"] != "0" || h["x:sms:es:sexual::"] != "1" {
		t.Errorf("figures after NOSCRIPT and a conflict = %v; want one message, one visit to sexual", h)
	}

	// The usual message: the script is loaded and the guess is right.
	counter.single.Store(0)
	counter.pipelines.Store(0)
	next := func(string) (string, stats.Event) {
		return "d", stats.Event{Person: id, Channel: "sms", Lang: "es", Node: "salud"}
	}
	if err := step(ctx, rdb, cas, key, rec.Begin(now), "c", next); err != nil {
		t.Fatal(err)
	}
	if s, p := counter.single.Load(), counter.pipelines.Load(); s != 0 || p != 1 {
		t.Errorf("a message cost %d commands and %d pipelines; want one pipeline (one round trip)", s, p)
	}
	if got := rdb.HGet(ctx, rec.DayKey(ymd(now)), "x:sms:es:salud::").Val(); got != "1" {
		t.Errorf("messages to salud = %s, want 1", got)
	}
}

// BenchmarkStep compares the conversation step's store alone with the same
// store carrying the day's figures in its pipeline (one round trip each).
func BenchmarkStep(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	ctx := context.Background()
	rec := stats.New(rdb, stats.Options{Prefix: prefix})
	cas := casScript()
	cas.Load(ctx, rdb)
	h := ident.NewHasher([]byte("k"))
	for _, withFigures := range []bool{false, true} {
		name := "alone"
		if withFigures {
			name = "with-figures"
		}
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				id := h.Sender(content.WhatsApp, "+5025555"+string(rune('0'+i%10)))
				pipe := rdb.Pipeline()
				key := prefix + "{" + id.String() + "}:s"
				cas.EvalSha(ctx, pipe, []string{key}, "", "x", 60000)
				if withFigures {
					rec.Begin(time.Now()).Queue(ctx, pipe, stats.Event{Person: id, Channel: "whatsapp", Lang: "es", Node: "salud", Keyword: "salud"})
				}
				pipe.Exec(ctx) // from the second round the compare fails: the same cost
			}
		})
	}
}

// casWithTally is casScript's shape with the figures counted inside it, as
// the session script does on a single Redis.
func casWithTally() *redis.Script {
	b := make([]byte, 8)
	rand.Read(b)
	return redis.NewScript(`-- ` + hex.EncodeToString(b) + `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if KEYS[2] then
local K, A = 1, 3
` + stats.TallyLua + `
end
return {1}`)
}

func TestCountedInsideTheScript(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	if !stats.InScript(rdb) {
		t.Skip("a cluster client")
	}
	ctx := context.Background()
	loc, _ := time.LoadLocation("America/Guatemala")
	now := todayAt(23, 30, loc) // the next day in UTC
	rec := stats.New(rdb, stats.Options{Prefix: prefix, Location: loc, Now: func() time.Time { return now }})
	id := ident.NewHasher([]byte("k")).Sender(content.WhatsApp, "+50255550002")
	key := prefix + "{" + id.String() + "}:s"
	cas := casWithTally()
	counter := &roundTrips{}
	rdb.AddHook(counter)
	run := func(expected, value string, e stats.Event) []any {
		t.Helper()
		keys, args := rec.ScriptArgs(now, e)
		res, err := cas.Run(ctx, rdb, append([]string{key}, keys...), append([]any{expected, value, 60000}, args...)...).Slice()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ev := stats.Event{Person: id, Channel: "whatsapp", Lang: "es", Node: "salud", Keyword: "salud"}
	if res := run("", "a", ev); res[0] != int64(1) {
		t.Fatalf("first store: %v", res)
	}
	// A conflict stores nothing and counts nothing.
	if res := run("stale", "b", stats.Event{Person: id, Channel: "whatsapp", Node: "sexual"}); res[0] != int64(0) {
		t.Fatalf("conflict: %v", res)
	}
	counter.single.Store(0)
	counter.pipelines.Store(0)
	run("a", "c", stats.Event{Person: id, Channel: "whatsapp", Lang: "es"})
	if s, p := counter.single.Load(), counter.pipelines.Load(); s != 1 || p != 0 {
		t.Errorf("a step with its figures cost %d commands and %d pipelines; want one command", s, p)
	}
	// An opt-in and an opt-out count in fields of their own; a step with no
	// person adds no one.
	run("c", "d", stats.Event{Person: id, Channel: "whatsapp", Lang: "es", OptIn: "vacunas", OptOut: stats.AllTopics})
	run("d", "e", stats.Event{Channel: "sms", Lang: "es"})
	h := rdb.HGetAll(ctx, rec.DayKey(ymd(now))).Val()
	want := map[string]string{"x:whatsapp:es:salud:SALUD:": "1", "x:whatsapp:es:::": "2", "i:vacunas": "1", "o:all": "1", "x:sms:es:::": "1"}
	if len(h) != len(want) {
		t.Errorf("figures = %v, want %v", h, want)
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}
	if n := rdb.PFCount(ctx, rec.PeopleKey(ymd(now))).Val(); n != 1 {
		t.Errorf("people = %d, want 1", n)
	}
	for _, k := range []string{rec.DayKey(ymd(now)), rec.PeopleKey(ymd(now))} {
		if ttl := rdb.TTL(ctx, k).Val(); ttl < 399*24*time.Hour {
			t.Errorf("%s TTL = %v, want about 400 days", k, ttl)
		}
	}
}

// TestScriptArgsFollowTheDay: ScriptArgs keeps the last day's keys, and a
// message on either side of midnight in the line's zone (forward, and back
// again, as clocks of replicas differ) gets its own day's keys and expiry.
func TestScriptArgsFollowTheDay(t *testing.T) {
	loc, err := time.LoadLocation("America/Guatemala")
	if err != nil {
		t.Fatal(err)
	}
	rec := stats.New(nil, stats.Options{Prefix: "senda:", Location: loc})
	before := time.Date(2026, 12, 7, 23, 59, 59, 0, loc)
	after := before.Add(2 * time.Second)
	for _, tm := range []time.Time{before, before, after, after, before} {
		keys, args := rec.ScriptArgs(tm, stats.Event{Channel: "sms"})
		day := ymd(tm)
		if len(keys) != stats.ScriptKeyCount || len(args) != stats.ScriptArgCount {
			t.Fatalf("ScriptArgs gave %d keys and %d arguments", len(keys), len(args))
		}
		if keys[0] != rec.DayKey(day) || keys[1] != rec.PeopleKey(day) {
			t.Errorf("at %v: keys %v, want the keys of %s", tm, keys, day)
		}
		y, m, d := tm.Date()
		want := time.Date(y, m, d+1, 0, 0, 0, 0, loc).Add(stats.Retention).Unix()
		if x := args[1].(int64); x != 0 && x != want {
			t.Errorf("at %v: expires at %d, want %d", tm, x, want)
		}
	}
}
