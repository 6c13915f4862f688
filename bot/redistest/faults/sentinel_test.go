package faults

import (
	"context"
	"testing"
	"time"
)

func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	g := StartSentinel(t, SentinelOptions{DownAfter: time.Second})
	t.Logf("timing: sentinel group start until settled: %s", time.Since(start).Round(time.Millisecond))
	if len(g.SentinelAddrs()) != 3 {
		t.Fatalf("SentinelAddrs() = %v, want 3", g.SentinelAddrs())
	}
	c := g.NewClient()
	if err := c.Set(ctx, "k", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	first, err := g.Master(ctx)
	if err != nil {
		t.Fatal(err)
	}

	start = time.Now()
	if err := g.Failover(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("timing: SENTINEL FAILOVER until settled: %s", time.Since(start).Round(time.Millisecond))
	second, err := g.Master(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatalf("master is still %s after Failover", first.Addr())
	}
	if got, err := second.NewClient().Get(ctx, "k").Result(); err != nil || got != "1" {
		t.Fatalf("GET k on the new master = %q, %v", got, err)
	}
	if err := c.Set(ctx, "k", "2", 0).Err(); err != nil {
		t.Fatalf("SET through the failover client after Failover: %v", err)
	}

	start = time.Now()
	if err := second.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := g.WaitPromoted(ctx, second); err != nil {
		t.Fatal(err)
	}
	t.Logf("timing: SIGKILL of the master until the replica is promoted (down-after 1s): %s", time.Since(start).Round(time.Millisecond))
	if m, err := g.Master(ctx); err != nil || m != first {
		t.Fatalf("master after the kill = %v, %v; want %s", m, err, first.Addr())
	}
	start = time.Now()
	if err := g.Rejoin(ctx, second); err != nil {
		t.Fatal(err)
	}
	t.Logf("timing: restart of the killed master until it is an in-sync replica: %s", time.Since(start).Round(time.Millisecond))
	if r, err := g.Replica(ctx); err != nil || r != second {
		t.Fatalf("replica after Rejoin = %v, %v; want %s", r, err, second.Addr())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.Get(ctx, "k").Result()
		if err == nil && got == "2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET k through the failover client after the kill = %q, %v", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
