package faults

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// roleOf returns "master" or "slave" as the node itself says.
func roleOf(t *testing.T, n *Node) string {
	t.Helper()
	cl := n.client()
	defer cl.Close()
	role, err := cl.Do(context.Background(), "ROLE").Slice()
	if err != nil || len(role) == 0 {
		t.Fatalf("ROLE of %s: %v %v", n.Addr, role, err)
	}
	return fmt.Sprint(role[0])
}

// One cluster serves the whole life cycle, to keep the test short: start,
// route keys, kill the master of a key, wait for its replica to take over,
// bring the old master back as a replica.
func TestClusterFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	start := time.Now()
	c := StartCluster(t, ClusterOptions{Masters: 3, ReplicasPerMaster: 1, NodeTimeout: 2 * time.Second})
	t.Logf("timing: create + wait for cluster_state:ok and replica links: %s", time.Since(start).Round(time.Millisecond))

	if len(c.Addrs()) != 6 {
		t.Fatalf("Addrs() = %v, want 6 nodes", c.Addrs())
	}
	roles := map[string]int{}
	for _, n := range c.Nodes() {
		roles[roleOf(t, n)]++
	}
	if roles["master"] != 3 || roles["slave"] != 3 {
		t.Fatalf("roles %v, want 3 masters and 3 replicas", roles)
	}

	cc := c.NewClient()
	o := c.Options()
	o.ClusterStateReloadInterval = time.Second
	quick := redis.NewClusterClient(o)
	defer quick.Close()
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	masters := map[string]bool{}
	for _, k := range keys {
		if err := cc.Set(ctx, k, "v-"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if err := quick.Get(ctx, k).Err(); err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		m, err := c.MasterFor(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Addr] = true
		// The key is on the node MasterFor names, not elsewhere.
		cl := m.client()
		got, err := cl.Get(ctx, k).Result()
		cl.Close()
		if err != nil || got != "v-"+k {
			t.Fatalf("GET %s on its master %s = %q, %v", k, m.Addr, got, err)
		}
	}
	if len(masters) < 2 {
		t.Fatalf("8 keys all on %v: MasterFor does not tell slots apart", masters)
	}

	victim, err := c.MasterFor(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	// Make sure the replica has every write before the kill, so the data
	// must survive the failover.
	cl := victim.client()
	if n, err := cl.Do(ctx, "WAIT", 1, 2000).Int(); err != nil || n < 1 {
		t.Fatalf("WAIT 1 on %s = %d, %v", victim.Addr, n, err)
	}
	cl.Close()
	var replica *Node
	for _, n := range c.Nodes() {
		if n != victim && roleOf(t, n) == "slave" {
			cl := n.client()
			info := infoFields(cl.Info(ctx, "replication").Val())
			cl.Close()
			if "127.0.0.1:"+info["master_port"] == victim.Addr {
				replica = n
			}
		}
	}
	if replica == nil {
		t.Fatalf("no replica of %s", victim.Addr)
	}
	if err := c.KillMaster(replica); err == nil {
		t.Fatal("KillMaster of a replica did not fail")
	}

	start = time.Now()
	if err := c.KillMaster(victim); err != nil {
		t.Fatal(err)
	}
	if victim.Running() {
		t.Fatal("victim still running after KillMaster")
	}
	if err := c.healthy(ctx, 0); err == nil {
		t.Fatal("cluster reported healthy right after a master was killed")
	}
	if err := c.WaitHealed(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("timing: SIGKILL of a master until healed (node timeout 2s): %s", time.Since(start).Round(time.Millisecond))

	promoted, err := c.MasterFor(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if promoted != replica {
		t.Fatalf("slot of a served by %s after failover, want its replica %s", promoted.Addr, replica.Addr)
	}
	// Every key written before the kill is read back from the promoted
	// replica. A fresh client learns the new topology at once.
	fresh := c.NewClient()
	for _, k := range keys {
		if got, err := fresh.Get(ctx, k).Result(); err != nil || got != "v-"+k {
			t.Fatalf("GET %s through a new cluster client after failover = %q, %v", k, got, err)
		}
	}
	// The client that was open during the failover only reloads its slot
	// map on MOVED, READONLY or every ClusterStateReloadInterval (60s by
	// default), not on connection errors: measure, do not assert, how long
	// it keeps failing (issue 7's 55 s of "technical problem").
	if err := cc.Get(ctx, "a").Err(); err != nil {
		t.Logf("note: the go-redis ClusterClient open during failover still fails after healing: %v", err)
	}

	start = time.Now()
	for quick.Get(ctx, "a").Err() != nil {
		if ctx.Err() != nil {
			t.Fatalf("a client with ClusterStateReloadInterval 1s never recovered: %v", quick.Get(ctx, "a").Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("timing: a ClusterClient with ClusterStateReloadInterval=1s reads the lost slot %s after healing", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	if err := c.RestartNode(victim); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealed(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("timing: restart of the old master until it is an in-sync replica: %s", time.Since(start).Round(time.Millisecond))
	if r := roleOf(t, victim); r != "slave" {
		t.Fatalf("old master came back as %s, want a replica", r)
	}
	if err := fresh.Set(ctx, "a", "again", 0).Err(); err != nil {
		t.Fatalf("SET a after the old master came back: %v", err)
	}
}

// The cluster client options must reach every node: go-redis hooks added
// per node with OnNewNode see and fail cluster commands.
func TestClusterClientWithHook(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, ClusterOptions{Masters: 3})
	ctx := context.Background()
	cc := c.NewClient()
	h := NewHook(Rule{Name: "set"})
	cc.OnNewNode(func(n *redis.Client) { n.AddHook(h) })
	if err := cc.Set(ctx, "k", "v", 0).Err(); err == nil {
		t.Fatal("SET through a node hook did not fail")
	}
	if err := cc.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET k = %v, want redis.Nil (the failed SET was not sent)", err)
	}
}
