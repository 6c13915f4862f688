package stats_test

import (
	"context"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
)

// sent returns how many commands and pipelines h saw since the last call.
func sent(h *faults.Hook, last *[2]int) (commands, pipelines int) {
	c, p := h.Commands(), h.Pipelines()
	commands, pipelines = c-last[0], p-last[1]
	*last = [2]int{c, p}
	return commands, pipelines
}

// failScript makes h fail the next EVALSHA (the flush script is loaded by
// then), before it reaches Redis or after Redis ran it (the reply lost on
// the way back).
func failScript(h *faults.Hook, when faults.When) {
	h.Set(faults.Rule{Name: "evalsha", Nth: 1, When: when})
}

func TestCountedInMemoryWrittenByFlush(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	hook := faults.NewHook()
	f.rdb.AddHook(hook)
	var last [2]int
	id := f.hasher.Sender(content.WhatsApp, "+50255550001")
	f.rec.Count(f.now, stats.Event{Person: id, Channel: "whatsapp", Lang: "es", Node: "salud", Keyword: "salud"})
	f.rec.Count(f.now, stats.Event{Person: id, Channel: "whatsapp", Lang: "es", OptIn: "vacunas", OptOut: stats.AllTopics})
	f.rec.Count(f.now, stats.Event{Channel: "sms", Lang: "es"}) // no person: adds no one
	if c, p := sent(hook, &last); c != 0 || p != 0 {
		t.Fatalf("counting sent %d commands and %d pipelines; want none", c, p)
	}
	if keys := redistest.Keys(t, f.rdb, f.prefix+"{stats}"); len(keys) != 0 {
		t.Fatalf("figures in Redis before a flush: %v", keys)
	}
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	day := f.rec.DayKey(ymd(f.now))
	h := f.rdb.HGetAll(ctx, day).Val()
	want := map[string]string{"x:whatsapp:es:salud:SALUD:": "1", "x:whatsapp:es:::": "1", "i:vacunas": "1", "o:all": "1", "x:sms:es:::": "1"}
	if len(h) != len(want) {
		t.Errorf("figures = %v, want %v", h, want)
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}
	if n := f.rdb.PFCount(ctx, f.rec.PeopleKey(ymd(f.now))).Val(); n != 1 {
		t.Errorf("people = %d, want 1", n)
	}
	for _, k := range []string{day, f.rec.PeopleKey(ymd(f.now))} {
		if ttl := f.rdb.TTL(ctx, k).Val(); ttl < 399*24*time.Hour {
			t.Errorf("%s TTL = %v, want about 400 days", k, ttl)
		}
	}
	// The script is loaded now: a second's batch is one command, and a flush
	// with nothing counted sends nothing.
	sent(hook, &last)
	for range 50 {
		f.rec.Count(f.now, stats.Event{Person: id, Channel: "sms", Lang: "es"})
	}
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c, p := sent(hook, &last); c != 1 || p != 0 {
		t.Errorf("a flush of 50 messages sent %d commands and %d pipelines; want one command", c, p)
	}
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := sent(hook, &last); c != 0 {
		t.Errorf("a flush with nothing counted sent %d commands", c)
	}
	if got := f.rdb.HGet(ctx, day, "x:sms:es:::").Val(); got != "51" {
		t.Errorf("sms messages = %s, want 51", got)
	}
}

// TestFlushCountsOnceThroughFailures: a batch that fails before it reaches
// Redis is kept and sent later; a batch Redis wrote whose reply was lost is
// sent again and not counted twice.
func TestFlushCountsOnceThroughFailures(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	hook := faults.NewHook()
	f.rdb.AddHook(hook)
	day := f.rec.DayKey(ymd(f.now))
	field := "x:sms:es:::"
	count := func(n int) {
		for range n {
			f.rec.Count(f.now, stats.Event{Channel: "sms", Lang: "es"})
		}
	}
	stored := func() string { return f.rdb.HGet(ctx, day, field).Val() }
	count(5)
	if err := f.rec.Flush(ctx); err != nil || stored() != "5" {
		t.Fatalf("first flush: %v, stored %s; want 5", err, stored())
	}

	count(4)
	failScript(hook, faults.After)
	if err := f.rec.Flush(ctx); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("flush with its reply lost: err = %v", err)
	}
	if stored() != "9" {
		t.Fatalf("stored %s after the lost reply; want 9 (Redis ran the script)", stored())
	}
	count(1) // counted while the batch waits: sent after it, in a batch of its own
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if stored() != "10" {
		t.Errorf("stored %s after the batch was sent again; want 10, not 14", stored())
	}

	count(2)
	failScript(hook, faults.Before)
	if err := f.rec.Flush(ctx); !errors.Is(err, faults.ErrInjected) {
		t.Fatalf("flush refused before Redis: err = %v", err)
	}
	if stored() != "10" {
		t.Fatalf("stored %s; want 10 (nothing reached Redis)", stored())
	}
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if stored() != "12" {
		t.Errorf("stored %s after the retry; want 12", stored())
	}
}

// TestCountsFollowTheirDay: messages on either side of midnight in the
// line's zone, flushed together, go to their own days with their own expiry.
func TestCountsFollowTheirDay(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	before := todayAt(23, 59, guatemala).Add(59 * time.Second)
	after := before.Add(2 * time.Second)
	for _, at := range []time.Time{before, after, after, before, after} {
		f.rec.Count(at, stats.Event{Channel: "sms", Lang: "es"})
	}
	if err := f.rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for at, want := range map[time.Time]string{before: "2", after: "3"} {
		key := f.rec.DayKey(ymd(at))
		if got := f.rdb.HGet(ctx, key, "x:sms:es:::").Val(); got != want {
			t.Errorf("%s: %s messages, want %s", ymd(at), got, want)
		}
		y, m, d := at.Date()
		expires := time.Date(y, m, d+1, 0, 0, 0, 0, guatemala).Add(stats.Retention)
		ttl := f.rdb.TTL(ctx, key).Val()
		if want := time.Until(expires); ttl < want-time.Hour || ttl > want+time.Hour {
			t.Errorf("%s: TTL %v, want about %v (400 days after its own day)", ymd(at), ttl, want)
		}
	}
}

// TestRunFlushesEveryIntervalAndAtTheEnd: Run writes what was counted
// without being asked, and once more when its context ends.
func TestRunFlushesEveryIntervalAndAtTheEnd(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var failures atomic.Int64
	go func() {
		defer close(done)
		f.rec.Run(ctx, 20*time.Millisecond, func(error) { failures.Add(1) })
	}()
	day := f.rec.DayKey(ymd(f.now))
	f.rec.Count(f.now, stats.Event{Channel: "sms", Lang: "es"})
	deadline := time.Now().Add(10 * time.Second)
	for f.rdb.HGet(context.Background(), day, "x:sms:es:::").Val() != "1" {
		if time.Now().After(deadline) {
			t.Fatal("Run did not write the figures within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for range 3 {
		f.rec.Count(f.now, stats.Event{Channel: "sms", Lang: "es"})
	}
	cancel()
	<-done
	if got := f.rdb.HGet(context.Background(), day, "x:sms:es:::").Val(); got != "4" {
		t.Errorf("after Run ended: %s messages, want 4", got)
	}
	if n := failures.Load(); n != 0 {
		t.Errorf("%d flushes failed", n)
	}
}

// TestConcurrentCountsAndFlushes: messages counted from many goroutines
// while Run flushes are each written once.
func TestConcurrentCountsAndFlushes(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.rec.Run(ctx, time.Millisecond, func(err error) { t.Error(err) })
	}()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				id := f.hasher.Sender(content.WhatsApp, "+5025555"+strconv.Itoa((g*500+i)%50))
				f.rec.Count(f.now, stats.Event{Person: id, Channel: "whatsapp", Lang: "es", Node: "salud"})
			}
		})
	}
	wg.Wait()
	cancel()
	<-done
	rep, err := f.rec.Read(context.Background(), ymd(f.now), ymd(f.now))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Messages != 4000 || rep.Total.People != 50 {
		t.Errorf("messages %d people %d; want 4000 and 50", rep.Total.Messages, rep.Total.People)
	}
}

// TestPeopleBeyondTheCap: a day's unwritten people are bounded in memory;
// the messages of those left out are still counted, and Flush says how many
// were left out.
func TestPeopleBeyondTheCap(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	n := stats.MaxPendingPeople + 3
	for i := range n {
		var id ident.SenderID
		binary.BigEndian.PutUint64(id[:], uint64(i)+1)
		f.rec.Count(f.now, stats.Event{Person: id, Channel: "sms", Lang: "es"})
	}
	err := f.rec.Flush(ctx)
	if !errors.Is(err, stats.ErrPeopleDropped) || !strings.Contains(err.Error(), ": 3") {
		t.Fatalf("err = %v, want ErrPeopleDropped for 3 people", err)
	}
	if got := f.rdb.HGet(ctx, f.rec.DayKey(ymd(f.now)), "x:sms:es:::").Val(); got != strconv.Itoa(n) {
		t.Errorf("messages = %s, want %d", got, n)
	}
	people := f.rdb.PFCount(ctx, f.rec.PeopleKey(ymd(f.now))).Val()
	if lo, hi := int64(stats.MaxPendingPeople*97/100), int64(stats.MaxPendingPeople*103/100); people < lo || people > hi {
		t.Errorf("people = %d, want about %d", people, stats.MaxPendingPeople)
	}
}

// TestFiguresWaitThroughRedisFaults: on a private redis-server, figures
// counted while Redis is killed, or while a Redis ACL denies the flush
// script, wait in memory and are written once, exactly, when it answers.
func TestFiguresWaitThroughRedisFaults(t *testing.T) {
	srv := faults.StartServer(t, faults.ServerOptions{AOF: true})
	ctx := context.Background()
	at := todayAt(15, 0, guatemala)
	count := func(rec *stats.Recorder, n int) {
		for range n {
			rec.Count(at, stats.Event{Channel: "sms", Lang: "es"})
		}
	}
	rdb := srv.NewClient()
	rec := stats.New(rdb, stats.Options{Prefix: "senda:", Location: guatemala})
	stored := func() string { return rdb.HGet(ctx, rec.DayKey(ymd(at)), "x:sms:es:::").Val() }
	count(rec, 3)
	if err := rec.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	// Redis killed: the flush fails, the figures wait; restarted, they go.
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	count(rec, 2)
	if err := rec.Flush(ctx); err == nil {
		t.Fatal("a flush to a killed Redis did not fail")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for err := rec.Flush(ctx); err != nil; err = rec.Flush(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("figures not written 10 s after Redis came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := stored(); got != "5" {
		t.Errorf("after the restart: %s messages, want 5", got)
	}

	// The flush script denied by an ACL: refused, kept, written once
	// allowed again.
	denial, err := srv.Deny("evalsha", "eval")
	if err != nil {
		t.Fatal(err)
	}
	denied := stats.New(denial.NewClient(), stats.Options{Prefix: "senda:", Location: guatemala})
	count(denied, 4)
	if err := denied.Flush(ctx); err == nil || !strings.Contains(err.Error(), "NOPERM") {
		t.Fatalf("flush under the ACL: err = %v, want NOPERM", err)
	}
	if got := stored(); got != "5" {
		t.Fatalf("a denied flush wrote: %s messages, want 5", got)
	}
	if err := denial.Lift(); err != nil {
		t.Fatal(err)
	}
	if err := denied.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := stored(); got != "9" {
		t.Errorf("after the ACL was lifted: %s messages, want 9", got)
	}
}
