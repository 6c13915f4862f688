package erase

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/internal/luatest"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

func TestScriptsMatchGoConstants(t *testing.T) {
	t.Parallel()
	fields := []string{fieldSID, fieldNotBefore, fieldAttempt, fieldFirst}
	luatest.Check(t, "scripts", map[string]luatest.Script{
		"enqueue.lua": {Literals: []string{fieldSID, fieldFirst, "f", "1", "|0|"}, Returns: []int{0, 1}, Syntax: []string{"PX", "~", "*", "0"}},
		"undelay.lua": {Literals: fields, Syntax: []string{"-inf", "(", "LIMIT", "~", "*", "0", "^([^|]+)|([^|]+)|([^|]+)$"}},
	})
}

// fast makes a worker quick for tests.
func fast(c WorkerConfig) WorkerConfig {
	c.RPS = -1
	c.Block = 50 * time.Millisecond
	c.Tick = 20 * time.Millisecond
	if c.Incomplete == 0 {
		c.Incomplete = 50 * time.Millisecond
	}
	if c.RetryBase == 0 {
		c.RetryBase = 50 * time.Millisecond
	}
	return c
}

type env struct {
	rdb   redis.UniversalClient
	keys  rkey.Space
	q     *Queue
	fake  *twiliofake.Server
	twc   *twilio.Client
	block redis.UniversalClient
}

func setup(t *testing.T, opts ...Option) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	cfg := twilio.DefaultConfig()
	cfg.AccountSID, cfg.AuthToken, cfg.APIBase = fake.AccountSID, fake.AuthToken, fake.URL
	twc, err := twilio.NewDeleter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o := *rdb.(*redis.Client).Options()
	o.PoolSize = 2
	block := redis.NewClient(&o)
	t.Cleanup(func() { block.Close() })
	opts = append([]Option{WithDelay(0)}, opts...)
	return &env{rdb: rdb, keys: rkey.Space(prefix), q: New(rdb, rkey.Space(prefix), opts...), fake: fake, twc: twc, block: block}
}

// run starts a worker; the returned function stops it and waits.
func (e *env) run(t *testing.T, cfg WorkerConfig, del Deleter) func() {
	t.Helper()
	if del == nil {
		del = e.twc
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := e.q.Worker(fast(cfg), del, e.block, metrics.New(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// waitFigures waits until the figures satisfy ok.
func (e *env) waitFigures(t *testing.T, ok func(Figures) bool) Figures {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := e.q.Figures(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ok(f) {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatalf("figures stuck at %+v", f)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// successes counts the fake's successful DELETEs per SID.
func successes(fake *twiliofake.Server) map[string]int {
	n := map[string]int{}
	for _, d := range fake.Deletes() {
		if d.Status == 204 {
			n[d.SID]++
		}
	}
	return n
}

func TestEraseAfterIncomplete(t *testing.T) {
	e := setup(t)
	e.fake.SetIncomplete(0, 2) // 20009 twice, then deletable
	sid := e.fake.Add("inbound", url.Values{"From": {"+50212345678"}, "Body": {"Hola"}})
	ctx := context.Background()
	if err := e.q.Add(ctx, sid); err != nil {
		t.Fatal(err)
	}
	e.run(t, WorkerConfig{}, nil)
	f := e.waitFigures(t, func(f Figures) bool { return f.Erased == 1 && f.Pending == 0 })
	if f.Failed != 0 || f.Gone != 0 {
		t.Errorf("figures = %+v", f)
	}
	var codes []int
	for _, d := range e.fake.Deletes() {
		codes = append(codes, d.Code)
	}
	if !slices.Equal(codes, []int{20009, 20009, 0}) {
		t.Errorf("DELETE answers = %v, want 20009, 20009, then success", codes)
	}
}

func TestOutcomes(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.fake.FailNextDeletes(429, 20429, 1)
	e.fake.FailNextDeletes(503, 20503, 1)
	known := e.fake.Add("outbound-reply", nil)
	for _, sid := range []string{known, "SMunknown0000000000000000000000000"} {
		if err := e.q.Add(ctx, sid); err != nil {
			t.Fatal(err)
		}
	}
	// Not an entry at all: dropped, never sent to Twilio.
	e.rdb.XAdd(ctx, &redis.XAddArgs{Stream: e.keys.EraseQueue(), Values: []any{"x", "y"}})
	e.run(t, WorkerConfig{}, nil)
	f := e.waitFigures(t, func(f Figures) bool { return f.Erased == 1 && f.Gone == 1 && f.Pending == 0 })
	if f.Failed != 0 {
		t.Errorf("figures = %+v", f)
	}
	if n := successes(e.fake); n[known] != 1 || len(n) != 1 {
		t.Errorf("successful DELETEs = %v", n)
	}
}

func TestGivesUpAfterWindow(t *testing.T) {
	e := setup(t)
	e.fake.FailNextDeletes(503, 20503, 1000)
	if err := e.q.Add(context.Background(), e.fake.Add("inbound", nil)); err != nil {
		t.Fatal(err)
	}
	e.run(t, WorkerConfig{Window: 300 * time.Millisecond}, nil)
	f := e.waitFigures(t, func(f Figures) bool { return f.Failed == 1 && f.Pending == 0 })
	if f.Erased != 0 || len(e.fake.Deletes()) < 2 {
		t.Errorf("figures = %+v after %d DELETEs; want retries, then failed", f, len(e.fake.Deletes()))
	}
}

// TestCallbacksQueueOnce: however many callbacks come, one erasure; "sent"
// alone erases after the fallback.
func TestCallbacksQueueOnce(t *testing.T) {
	e := setup(t, WithSentFallback(200*time.Millisecond))
	ctx := context.Background()
	reply := e.fake.Add("outbound-reply", nil)
	smsOnly := e.fake.Add("outbound-reply", nil)
	for _, st := range []string{"queued", "sent", "delivered", "read", "delivered"} {
		if err := e.q.Callback(ctx, reply, st); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.q.Callback(ctx, smsOnly, "sent"); err != nil {
		t.Fatal(err)
	}
	if n := e.rdb.XLen(ctx, e.keys.EraseQueue()).Val(); n != 1 {
		t.Errorf("stream holds %d entries, want 1 (the reply's, once)", n)
	}
	if n := e.rdb.ZCard(ctx, e.keys.EraseDelayed()).Val(); n != 1 {
		t.Errorf("delayed set holds %d, want 1 (the fallback of the message that only got sent)", n)
	}
	e.run(t, WorkerConfig{}, nil)
	e.waitFigures(t, func(f Figures) bool { return f.Erased == 2 && f.Pending == 0 })
	time.Sleep(300 * time.Millisecond)
	if n := successes(e.fake); n[reply] != 1 || n[smsOnly] != 1 || len(e.fake.Deletes()) != 2 {
		t.Errorf("DELETEs = %+v, want one each", e.fake.Deletes())
	}
}

// TestRiderFragment runs the rider's fragment the way the riders contract
// composes it into the session script (its share of KEYS and ARGV after
// the session's own, at offsets K and A), and
// its Queue on a pipeline; both entries are erased.
func TestRiderFragment(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	r := e.q.Rider()
	a, b := e.fake.Add("inbound", nil), e.fake.Add("inbound", nil)
	keys, args := r.Args(a, time.Now())
	if len(keys) != 1 || len(args) != 2 {
		t.Fatalf("Args = %v %v, want one key and two arguments", keys, args)
	}
	if k, n := r.Shape(); k != len(keys) || n != len(args) {
		t.Fatalf("Shape = %d, %d; Args gave %d keys and %d arguments", k, n, len(keys), len(args))
	}
	script := redis.NewScript("do\nlocal K, A = 1, 3\n" + r.Lua() + "\nend\nreturn 1")
	keys = append([]string{e.keys.EraseQueue() + ":unused"}, keys...)
	args = append([]any{"x", "y", "z"}, args...)
	if err := script.Run(ctx, e.rdb, keys, args...).Err(); err != nil {
		t.Fatalf("fragment: %v", err)
	}
	pipe := e.rdb.Pipeline()
	r.Queue(ctx, pipe, b, time.Now())
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e.run(t, WorkerConfig{}, nil)
	e.waitFigures(t, func(f Figures) bool { return f.Erased == 2 && f.Pending == 0 })
	if n := successes(e.fake); n[a] != 1 || n[b] != 1 {
		t.Errorf("successful DELETEs = %v", n)
	}
}

// dying is a Deleter whose process dies in the middle of a DELETE: the
// DELETE reaches Twilio but the worker never records it.
type dying struct {
	next   Deleter
	mu     sync.Mutex
	calls  int
	killAt int
	kill   func()
}

func (d *dying) Delete(ctx context.Context, sid string) error {
	d.mu.Lock()
	d.calls++
	n := d.calls
	d.mu.Unlock()
	if n == d.killAt {
		err := d.next.Delete(ctx, sid)
		d.kill()
		<-ctx.Done()
		_ = err
		return ctx.Err()
	}
	return d.next.Delete(ctx, sid)
}

// TestDeadWorkerLosesNothing: a worker that dies mid-queue leaves its
// entries pending; another takes them over and every message is erased,
// the one deleted just before the death counting as gone.
func TestDeadWorkerLosesNothing(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	var sids []string
	for range 10 {
		sid := e.fake.Add("inbound", nil)
		sids = append(sids, sid)
		if err := e.q.Add(ctx, sid); err != nil {
			t.Fatal(err)
		}
	}
	var stop func()
	killed := make(chan struct{})
	d := &dying{next: e.twc, killAt: 4, kill: func() { close(killed) }}
	stop = e.run(t, WorkerConfig{Workers: 1, Consumer: "first"}, d)
	<-killed
	stop()
	if f, _ := e.q.Figures(ctx); f.Erased >= 10 {
		t.Fatalf("first worker finished everything: %+v", f)
	}
	e.run(t, WorkerConfig{Workers: 2, Consumer: "second", MinIdle: 100 * time.Millisecond, ClaimEvery: 50 * time.Millisecond}, nil)
	f := e.waitFigures(t, func(f Figures) bool { return f.Erased+f.Gone == 10 && f.Pending == 0 })
	if f.Gone != 1 || f.Failed != 0 {
		t.Errorf("figures = %+v, want the DELETE the dead worker made counted as gone", f)
	}
	n := successes(e.fake)
	for _, sid := range sids {
		if n[sid] != 1 {
			t.Errorf("%s deleted %d times, want 1", sid, n[sid])
		}
	}
	pending, err := e.rdb.XPending(ctx, e.keys.EraseQueue(), Group).Result()
	if err != nil || pending.Count != 0 {
		t.Errorf("pending after the takeover: %+v %v", pending, err)
	}
}

// TestEntriesHoldOnlySIDs: nothing the queue writes holds a number or text.
func TestEntriesHoldOnlySIDs(t *testing.T) {
	e := setup(t, WithDelay(time.Hour))
	ctx := context.Background()
	sid := e.fake.Add("inbound", url.Values{"From": {"+50212345678"}, "Body": {"necesito ayuda"}})
	e.q.Add(ctx, sid)
	e.q.Callback(ctx, e.fake.Add("outbound-reply", nil), "sent")
	for k, v := range redistest.Dump(t, e.rdb, string(e.keys)) {
		for _, bad := range []string{"+502", "12345678", "ayuda"} {
			if strings.Contains(k+v, bad) {
				t.Errorf("%s holds %q: %s", k, bad, v)
			}
		}
	}
}

// TestParseJob: the webhook's short entries (SID and time) are first
// attempts due the queue's delay after they were queued; entries back from
// the delayed set carry their own time and attempt; anything else is dropped.
func TestParseJob(t *testing.T) {
	t.Parallel()
	const first = 1_800_000_000_000
	delay := time.Minute
	tests := []struct {
		name      string
		values    map[string]any
		ok        bool
		notBefore int64
		attempt   int
	}{
		{"webhook entry", map[string]any{fieldSID: "SM1", fieldFirst: "1800000000000"}, true, first + delay.Milliseconds(), 0},
		{"back from the delayed set", map[string]any{fieldSID: "SM1", fieldNotBefore: "0", fieldAttempt: "3", fieldFirst: "1800000000000"}, true, 0, 3},
		{"old long entry", map[string]any{fieldSID: "SM1", fieldNotBefore: "1800000005000", fieldAttempt: "0", fieldFirst: "1800000000000"}, true, first + 5000, 0},
		{"no SID", map[string]any{fieldFirst: "1800000000000"}, false, 0, 0},
		{"no time", map[string]any{fieldSID: "SM1"}, false, 0, 0},
		{"bad attempt", map[string]any{fieldSID: "SM1", fieldAttempt: "x", fieldFirst: "1800000000000"}, false, 0, 0},
		{"bad not before", map[string]any{fieldSID: "SM1", fieldNotBefore: "x", fieldFirst: "1800000000000"}, false, 0, 0},
		{"separator in SID", map[string]any{fieldSID: "SM|1", fieldFirst: "1800000000000"}, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := parseJob(redis.XMessage{ID: "1-0", Values: tt.values}, delay)
			if j.parsedFields != tt.ok {
				t.Fatalf("parsed = %v, want %v (%+v)", j.parsedFields, tt.ok, j)
			}
			if !tt.ok {
				return
			}
			if j.notBefore.UnixMilli() != tt.notBefore || j.attempt != tt.attempt || j.first.UnixMilli() != first || j.sid != "SM1" {
				t.Errorf("job = %+v, want not before %d, attempt %d", j, tt.notBefore, tt.attempt)
			}
		})
	}
}

// TestWorkersTrimOldEntries: the webhook's appends do not trim the stream,
// so the workers do: entries older than Keep go, whatever the consumer group
// did with them (here it starts after them and never reads them).
func TestWorkersTrimOldEntries(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	stream := e.keys.EraseQueue()
	old := time.Now().Add(-DefaultKeep - time.Hour)
	const n = 300 // several of Redis's stream nodes: MINID ~ trims whole nodes
	pipe := e.rdb.Pipeline()
	for i := range n {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: stream, ID: fmt.Sprintf("%d-%d", old.UnixMilli(), i+1),
			Values: []any{fieldSID, fmt.Sprintf("SMold%d", i), fieldFirst, ms(old)}})
	}
	pipe.XGroupCreate(ctx, stream, Group, "$")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	sid := e.fake.Add("inbound", nil)
	if err := e.q.Add(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if got := e.rdb.XLen(ctx, stream).Val(); got != n+1 {
		t.Fatalf("XLEN = %d before the workers, want %d: the append must not trim", got, n+1)
	}
	e.run(t, WorkerConfig{}, nil)
	e.waitFigures(t, func(f Figures) bool { return f.Erased == 1 })
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e.rdb.XLen(ctx, stream).Val()
		if got < 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("XLEN = %d: the workers did not trim entries older than Keep", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(e.fake.Deletes()) != 1 {
		t.Errorf("DELETEs = %+v, want only the fresh message's", e.fake.Deletes())
	}
}
