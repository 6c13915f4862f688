package stats_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// fragment is one rider's Lua and the shape of its share of KEYS and ARGV.
type fragment struct {
	lua    string
	nk, na int
}

// composeRiders builds a session script the way the Rider contract
// (bot/conversation/rider.go) says bot/conversation composes it: the base
// compare-and-set on KEYS[1] with ARGV[1..2], then each rider's fragment
// inside do … end, with K and A set to the offsets of its share of KEYS and
// ARGV, which follow the base script's and each other in rider order.
func composeRiders(riders ...fragment) *redis.Script {
	s := `local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', 60000)
`
	k, a := 1, 2
	for _, f := range riders {
		s += "do\nlocal K, A = " + strconv.Itoa(k) + ", " + strconv.Itoa(a) + "\n" + f.lua + "\nend\n"
		k, a = k+f.nk, a+f.na
	}
	return redis.NewScript(s + "return 1")
}

// markLua is a second rider's fragment: it sets its one key to its one
// argument, proving the stats rider leaves the next rider its own share.
var markLua = fragment{"redis.call('SET', KEYS[K + 1], ARGV[A + 1], 'PX', 60000)", 1, 1}

func TestRiderInTheSessionScript(t *testing.T) {
	f := setup(t)
	if !stats.InScript(f.rdb) {
		t.Skip("a cluster client")
	}
	ctx := context.Background()
	rider := stats.Rider{Recorder: f.rec}
	nk, na := rider.Shape()
	script := composeRiders(fragment{rider.Lua(), nk, na}, markLua)
	pack := f.eng.Pack()
	step := func(number, text, expected, value string) int64 {
		t.Helper()
		id := f.hasher.Sender(content.SMS, number)
		in := flows.Input{Text: text, Channel: content.SMS, New: true}
		ride := stats.StepRide{Now: f.now, Sender: id, Channel: content.SMS, Pack: pack, Input: in, Result: f.eng.Step(flows.State{}, in)}
		rk, ra := rider.Args(ride)
		if len(rk) != nk || len(ra) != na {
			t.Fatalf("Args gave %d keys and %d arguments, Shape says %d and %d", len(rk), len(ra), nk, na)
		}
		keys := append([]string{f.prefix + "{" + id.String() + "}:s"}, rk...)
		keys = append(keys, f.prefix+"mark")
		args := append([]any{expected, value}, ra...)
		args = append(args, "after-"+value)
		n, err := script.Run(ctx, f.rdb, keys, args...).Int64()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i := range 6 {
		if step("+50255560"+strconv.Itoa(i), "salud", "", "a") != 1 {
			t.Fatal("first step not stored")
		}
	}
	// A compare-and-set that fails stores nothing, counts nothing, and
	// runs no rider.
	if step("+502555600", "baja", "stale", "b") != 0 {
		t.Fatal("a stale step was stored")
	}
	if got := f.rdb.Get(ctx, f.prefix+"mark").Val(); got != "after-a" {
		t.Errorf("the next rider saw %q, want after-a: the stats rider took its arguments", got)
	}
	day := f.rec.DayKey(ymd(f.now))
	h := f.rdb.HGetAll(ctx, day).Val()
	if h["x:sms:es:salud:SALUD:"] != "6" || len(h) != 1 {
		t.Errorf("counters = %v; want six SMS visits to salud by keyword and nothing else", h)
	}
	if n := f.rdb.PFCount(ctx, f.rec.PeopleKey(ymd(f.now))).Val(); n != 6 {
		t.Errorf("people = %d, want 6", n)
	}
	if ttl := f.rdb.TTL(ctx, day).Val(); ttl < 399*24*time.Hour {
		t.Errorf("day TTL = %v, want about 400 days", ttl)
	}
}

func TestRiderQueueForCluster(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	rider := stats.Rider{Recorder: f.rec}
	pack := f.eng.Pack()
	in := flows.Input{Text: "salud", Channel: content.WhatsApp, New: true}
	id := f.hasher.Sender(content.WhatsApp, "whatsapp:+50255570000")
	pipe := f.rdb.Pipeline()
	rider.Queue(ctx, pipe, stats.StepRide{Now: f.now, Sender: id, Channel: content.WhatsApp, Pack: pack, Input: in, Result: f.eng.Step(flows.State{}, in)})
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.rdb.HGet(ctx, f.rec.DayKey(ymd(f.now)), "x:whatsapp:es:salud:SALUD:").Val(); got != "1" {
		t.Errorf("queued visit = %q, want 1", got)
	}
}

// BenchmarkRiderInScript compares the session step's compare-and-set alone
// with the same script carrying the stats rider (one EVALSHA each).
func BenchmarkRiderInScript(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	ctx := context.Background()
	p, _, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	eng := flows.New(p, flows.Options{})
	rec := stats.New(rdb, stats.Options{Prefix: prefix})
	rider := stats.Rider{Recorder: rec}
	h := ident.NewHasher([]byte("bench-key-0123456789abcdef012345"))
	in := flows.Input{Text: "salud", Channel: content.WhatsApp, New: true}
	res := eng.Step(flows.State{}, in)
	for _, with := range []bool{false, true} {
		name, script := "alone", composeRiders()
		if with {
			nk, na := rider.Shape()
			name, script = "with-stats-rider", composeRiders(fragment{rider.Lua(), nk, na})
		}
		script.Load(ctx, rdb)
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				id := h.Sender(content.WhatsApp, "+5025555"+strconv.Itoa(i)) // a new session: the step is stored
				keys := []string{prefix + "{" + id.String() + "}:s"}
				args := []any{"", "x"}
				if with {
					rk, ra := rider.Args(stats.StepRide{Now: time.Now(), Sender: id, Channel: content.WhatsApp, Pack: p, Input: in, Result: res})
					keys = append(keys, rk...)
					args = append(args, ra...)
				}
				if err := script.EvalSha(ctx, rdb, keys, args...).Err(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
