package conversation

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/content"
)

// failoverPromise is how soon after Redis healed conversations must be
// answered normally again (issue 7).
const failoverPromise = 10 * time.Second

// clientFromURL builds the client the way `senda serve` does, from
// SENDA_REDIS_URL, so the options under test are bot/config's.
func clientFromURL(t *testing.T, url string) redis.UniversalClient {
	t.Helper()
	o, err := config.ParseRedisURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := o.Client()
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// answeredAgainAfter sends messages from `from` until one is answered
// normally, for at most 30 s, and returns how long that took.
func answeredAgainAfter(t *testing.T, c *Conversation, from string) time.Duration {
	t.Helper()
	start := time.Now()
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		got := c.Handle(ctx, Inbound{From: from, Body: "MENU", SID: fmt.Sprintf("SMafter%d", i)}).Text
		cancel()
		if !strings.Contains(got, tryLater) {
			return time.Since(start)
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("still answered %q 30 s after Redis healed", tryLater)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisClusterRidersAndMasterFailover runs on a local Redis Cluster (3
// masters, 3 replicas) with the client bot/config builds from
// SENDA_REDIS_URL: riders go in a pipeline after the step, and a
// conversation whose key lived on a killed master is answered normally
// within 10 s of the cluster healing.
func TestRedisClusterRidersAndMasterFailover(t *testing.T) {
	t.Parallel()
	cl := faults.StartCluster(t, faults.ClusterOptions{Masters: 3, ReplicasPerMaster: 1, NodeTimeout: 2 * time.Second})
	addrs := cl.Addrs()
	url := "redis://" + addrs[0] + "?addr=" + strings.Join(addrs[1:3], "&addr=")
	rdb := clientFromURL(t, url)
	hook := faults.NewHook()
	rdb.AddHook(hook)
	var logs bytes.Buffer
	m := metrics.New()
	cr, lr := countRider{counter: "{stats}:n", stream: "{stats}:s"}, langRider{key: "lang"}
	c := replica(t, rdb, "cl:", m, &logs, WithRiders(cr, lr))
	c2 := replica(t, rdb, "cl:", m, &logs, WithRiders(cr, lr))

	t.Run("riders use the Queue pipeline", func(t *testing.T) {
		if c.sessions.script.Hash() != redis.NewScript(sessionStepLua).Hash() {
			t.Fatal("on Redis Cluster the session script must not hold the riders' fragments")
		}
		riderChecks(t, c, c2, rdb, cr, lr, hook, false)
	})

	t.Run("master failover", func(t *testing.T) {
		ctx := context.Background()
		from := "+50255500090"
		key := rkey.Space("cl:").Session(c.hasher.Sender(content.SMS, from))
		if got := c.Handle(ctx, Inbound{From: from, Body: "HOLA", SID: "SMbefore"}).Text; strings.Contains(got, tryLater) {
			t.Fatalf("before the failover: %s", got)
		}
		master, err := cl.MasterFor(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		if err := cl.KillMaster(master); err != nil {
			t.Fatal(err)
		}
		// Messages during the outage are answered "try later"; keep one
		// going, as webhook traffic would.
		waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := cl.WaitHealed(waitCtx); err != nil {
			t.Fatal(err)
		}
		healed := time.Now()
		took := answeredAgainAfter(t, c, from)
		t.Logf("master %s killed; cluster healed after %s; conversation answered normally %s after healing", master.Addr, healed.Sub(killed).Round(time.Millisecond), took.Round(time.Millisecond))
		if took > failoverPromise {
			t.Fatalf("conversations were answered normally %s after the cluster healed, want within %s", took, failoverPromise)
		}
	})
}

// TestRedisSentinelFailover: with SENDA_REDIS_URL naming sentinels, a
// conversation is answered normally within 10 s of the sentinels promoting
// the replica of a killed master.
func TestRedisSentinelFailover(t *testing.T) {
	t.Parallel()
	g := faults.StartSentinel(t, faults.SentinelOptions{DownAfter: time.Second})
	s := g.SentinelAddrs()
	url := "redis://" + s[0] + "/0?master_name=" + g.MasterName() + "&addr=" + strings.Join(s[1:], "&addr=")
	rdb := clientFromURL(t, url)
	var logs bytes.Buffer
	c := replica(t, rdb, "sn:", metrics.New(), &logs)
	ctx := context.Background()
	from := "+50255500091"
	if got := c.Handle(ctx, Inbound{From: from, Body: "HOLA", SID: "SMbefore"}).Text; strings.Contains(got, tryLater) {
		t.Fatalf("before the failover: %s", got)
	}
	old, err := g.Master(ctx)
	if err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	if err := old.Kill(); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := g.WaitPromoted(waitCtx, old); err != nil {
		t.Fatal(err)
	}
	promoted := time.Now()
	took := answeredAgainAfter(t, c, from)
	t.Logf("master killed; replica promoted after %s; conversation answered normally %s after the promotion", promoted.Sub(killed).Round(time.Millisecond), took.Round(time.Millisecond))
	if took > failoverPromise {
		t.Fatalf("conversations were answered normally %s after the promotion, want within %s", took, failoverPromise)
	}
}
