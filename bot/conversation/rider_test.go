package conversation

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
)

// countRider counts stored steps and appends each to a stream: what a
// stats or erase-queue rider does. Its keys share a hash tag of their own.
type countRider struct{ counter, stream string }

func (r countRider) Lua() string {
	return `redis.call('INCR', KEYS[K + 1])
redis.call('XADD', KEYS[K + 2], '*', 'sid', ARGV[A + 1], 'screen', ARGV[A + 2])`
}

func (r countRider) Shape() (int, int) { return 2, 2 }

func (r countRider) Args(m Ride) ([]string, []any) {
	return []string{r.counter, r.stream}, []any{m.SID, m.Result.State.Screen.String()}
}

func (r countRider) Queue(ctx context.Context, pipe redis.Pipeliner, m Ride) {
	pipe.Incr(ctx, r.counter)
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: r.stream, Values: []any{"sid", m.SID, "screen", m.Result.State.Screen.String()}})
}

// langRider is a second rider, with one key and two arguments, so the
// composed script must find each rider's slice at the right offset.
type langRider struct{ key string }

func (r langRider) Lua() string {
	return `redis.call('SET', KEYS[K + 1], ARGV[A + 1] .. '/' .. ARGV[A + 2])`
}

func (r langRider) Shape() (int, int) { return 1, 2 }

func (r langRider) Args(m Ride) ([]string, []any) {
	return []string{r.key}, []any{m.Pack.Languages[m.Result.State.Lang].Code, m.Channel.String()}
}

func (r langRider) Queue(ctx context.Context, pipe redis.Pipeliner, m Ride) {
	pipe.Set(ctx, r.key, m.Pack.Languages[m.Result.State.Lang].Code+"/"+m.Channel.String(), 0)
}

// riderChecks drives one conversation over c (and, for the failed
// compare-and-set, a second replica c2 on the same Redis) and checks that
// the riders ran exactly once per stored step: never for a duplicate, never
// for a compare-and-set that failed.
func riderChecks(t *testing.T, c, c2 *Conversation, admin redis.UniversalClient, cr countRider, lr langRider, hook *faults.Hook, oneCommand bool) {
	t.Helper()
	ctx := context.Background()
	from := "+50255500070"
	say := func(c *Conversation, body, sid string) string {
		return c.Handle(ctx, Inbound{From: from, Body: body, SID: sid}).Text
	}
	count := func() int64 {
		n, err := admin.Get(ctx, cr.counter).Int64()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		return n
	}
	say(c, "HOLA", "SM1") // loads the script
	cmds, pipes := hook.Commands(), hook.Pipelines()
	say(c, "2", "SM2")
	if oneCommand {
		if d, p := hook.Commands()-cmds, hook.Pipelines()-pipes; d != 1 || p != 0 {
			t.Fatalf("a step with two riders cost %d commands and %d pipelines, want 1 command: %v", d, p, hook.Names()[cmds:])
		}
	} else if p := hook.Pipelines() - pipes; p != 1 {
		t.Fatalf("on Redis Cluster a step with riders sent %d pipelines, want 1: %v", p, hook.Names()[cmds:])
	}
	if n := count(); n != 2 {
		t.Fatalf("after 2 stored steps the rider counted %d", n)
	}
	say(c, "2", "SM2") // a duplicate
	if n := count(); n != 2 {
		t.Fatalf("a duplicate ran the riders: count %d, want 2", n)
	}
	// Replica c2 moves the conversation; c's cached guess is then stale,
	// so its next step fails one compare-and-set before it is stored.
	say(c2, "0", "SM3")
	say(c, "1", "SM4")
	if n := count(); n != 4 {
		t.Fatalf("after 4 stored steps (one after a failed compare-and-set) the rider counted %d, want 4", n)
	}
	entries, err := admin.XRange(ctx, cr.stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var sids []string
	for _, e := range entries {
		sids = append(sids, fmt.Sprint(e.Values["sid"]))
	}
	if got := strings.Join(sids, ","); got != "SM1,SM2,SM3,SM4" {
		t.Fatalf("the rider's stream holds %s, want SM1,SM2,SM3,SM4", got)
	}
	if v, _ := admin.Get(ctx, lr.key).Result(); v != "es/sms" {
		t.Fatalf("the second rider wrote %q, want es/sms", v)
	}
}

// TestRidersWriteInTheStepsOneRoundTrip: on a single Redis the riders'
// fragments run inside the session script: a step with two riders costs
// one command.
func TestRidersWriteInTheStepsOneRoundTrip(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	hook := faults.NewHook()
	rdb := srv.NewClient()
	rdb.AddHook(hook)
	cr, lr := countRider{counter: "{stats}:n", stream: "{stats}:s"}, langRider{key: "lang"}
	var logs bytes.Buffer
	m := metrics.New()
	c := replica(t, rdb, "rider:", m, &logs, WithRiders(cr, lr))
	c2 := replica(t, rdb, "rider:", m, &logs, WithRiders(cr, lr))
	riderChecks(t, c, c2, srv.NewClient(), cr, lr, hook, true)
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("errors logged:\n%s", logs.String())
	}
}

func TestComposedScriptKeepsTheBaseScriptWithoutRiders(t *testing.T) {
	t.Parallel()
	if composeStepScript(nil) != sessionStepLua {
		t.Fatal("without riders the session script must be the base script")
	}
	s := composeStepScript([]Rider{countRider{}, langRider{}})
	// The second rider's share starts after the base script's 2 keys and 4
	// arguments and the first rider's 2 and 2.
	if !strings.HasSuffix(s, "return 1\n") || strings.Count(s, "do\n") != 2 ||
		!strings.Contains(s, "local K, A = 2, 4\n") || !strings.Contains(s, "local K, A = 4, 6\n") {
		t.Fatalf("composed script:\n%s", s)
	}
}

// lyingRider says it has one key and one argument but gives two arguments.
type lyingRider struct{ langRider }

func (r lyingRider) Shape() (int, int) { return 1, 1 }

// TestRiderOutOfShapeStoresNothing: a rider whose Args do not match its
// Shape would shift every later rider's share, so the step is refused as an
// error (the person gets "try again later") and nothing is written.
func TestRiderOutOfShapeStoresNothing(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	m := metrics.New()
	var logs bytes.Buffer
	lr := lyingRider{langRider{key: prefix + "lang"}}
	c := replica(t, rdb, prefix, m, &logs, WithRiders(lr))
	if got := c.Handle(context.Background(), Inbound{From: "+50255500071", Body: "HOLA", SID: "SM1"}).Text; !strings.Contains(got, tryLater) {
		t.Fatalf("reply %q, want the try-again-later page", got)
	}
	if n := rdb.Exists(context.Background(), prefix+"lang").Val(); n != 0 {
		t.Fatal("the rider's fragment ran")
	}
	if !strings.Contains(logs.String(), "its shape is 1 and 1") {
		t.Fatalf("log does not name the shape:\n%s", logs.String())
	}
	var out bytes.Buffer
	m.Write(&out)
	if !strings.Contains(out.String(), "\nsenda_webhook_errors_total 1\n") {
		t.Fatalf("not counted as an error:\n%s", grepLines(out.String(), "errors"))
	}
}
