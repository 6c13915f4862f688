package faults

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// SentinelOptions configures a Sentinel group.
type SentinelOptions struct {
	MasterName string        // "senda" when empty
	DownAfter  time.Duration // down-after-milliseconds; 1s when 0
}

// Sentinel is one master, one replica and three sentinels (quorum 2) on
// loopback.
type Sentinel struct {
	t         testing.TB
	name      string
	servers   []*Server // master and replica, in the order they started
	sentinels []*Server
}

// StartSentinel starts a master, a replica of it and three sentinels that
// monitor it, and returns once the replica is in sync and every sentinel
// knows the replica and the other two sentinels. Everything is killed when
// the test ends.
func StartSentinel(t testing.TB, opts SentinelOptions) *Sentinel {
	t.Helper()
	requireBinaries(t, "redis-server")
	if opts.MasterName == "" {
		opts.MasterName = "senda"
	}
	if opts.DownAfter == 0 {
		opts.DownAfter = time.Second
	}
	dir := t.TempDir()
	g := &Sentinel{t: t, name: opts.MasterName}
	master, err := startServer(t, dir, ServerOptions{}, nil)
	if err != nil {
		t.Fatalf("faults: sentinel master: %v", err)
	}
	replica, err := startServer(t, dir, ServerOptions{Config: []string{"replicaof 127.0.0.1 " + strconv.Itoa(master.Port())}}, nil)
	if err != nil {
		t.Fatalf("faults: sentinel replica: %v", err)
	}
	g.servers = []*Server{master, replica}
	down := strconv.FormatInt(opts.DownAfter.Milliseconds(), 10)
	conf := []string{
		fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 2", g.name, master.Port()),
		fmt.Sprintf("sentinel down-after-milliseconds %s %s", g.name, down),
		fmt.Sprintf("sentinel failover-timeout %s 10000", g.name),
		fmt.Sprintf("sentinel parallel-syncs %s 1", g.name),
	}
	for range 3 {
		s, err := startServer(t, dir, ServerOptions{Config: conf}, []string{"--sentinel"})
		if err != nil {
			t.Fatalf("faults: sentinel: %v", err)
		}
		g.sentinels = append(g.sentinels, s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := g.wait(ctx, "", true); err != nil {
		t.Fatalf("faults: sentinel group did not settle: %v", err)
	}
	return g
}

// MasterName returns the name the sentinels monitor.
func (g *Sentinel) MasterName() string { return g.name }

// SentinelAddrs returns the sentinels' addresses.
func (g *Sentinel) SentinelAddrs() []string {
	var out []string
	for _, s := range g.sentinels {
		out = append(out, s.Addr())
	}
	return out
}

// Sentinels returns the sentinel processes (to kill or restart one).
func (g *Sentinel) Sentinels() []*Server { return append([]*Server(nil), g.sentinels...) }

// Master returns the server that is master now, as the first sentinel
// that answers says.
func (g *Sentinel) Master(ctx context.Context) (*Server, error) {
	var lastErr error
	for _, s := range g.sentinels {
		if !s.p.running() {
			continue
		}
		addr, err := g.masterAddr(ctx, s)
		if err != nil {
			lastErr = err
			continue
		}
		for _, srv := range g.servers {
			if srv.Addr() == addr {
				return srv, nil
			}
		}
		return nil, fmt.Errorf("sentinel %s names master %s, not a server of this group", s.Addr(), addr)
	}
	return nil, fmt.Errorf("no sentinel answers: %v", lastErr)
}

// Replica returns the server that is not the master.
func (g *Sentinel) Replica(ctx context.Context) (*Server, error) {
	m, err := g.Master(ctx)
	if err != nil {
		return nil, err
	}
	if g.servers[0] == m {
		return g.servers[1], nil
	}
	return g.servers[0], nil
}

// FailoverOptions returns fresh go-redis options for a Sentinel-aware
// client of the group.
func (g *Sentinel) FailoverOptions() *redis.FailoverOptions {
	return &redis.FailoverOptions{MasterName: g.name, SentinelAddrs: g.SentinelAddrs()}
}

// NewClient returns a Sentinel-aware client of the master, closed when the
// test ends.
func (g *Sentinel) NewClient() *redis.Client {
	c := redis.NewFailoverClient(g.FailoverOptions())
	g.t.Cleanup(func() { c.Close() })
	return c
}

// Failover asks a sentinel for a failover (SENTINEL FAILOVER, no failure
// needed), waits until every sentinel names the former replica as master,
// and then rejoins the former master as its replica (see Rejoin).
func (g *Sentinel) Failover(ctx context.Context) error {
	old, err := g.Master(ctx)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	c := g.sentinelClient(g.sentinels[0])
	err = c.Do(ctx, "SENTINEL", "FAILOVER", g.name).Err()
	c.Close()
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	if err := g.WaitPromoted(ctx, old); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	if err := g.Rejoin(ctx, old); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	return nil
}

// WaitPromoted waits until every live sentinel names a master other than
// old and that server says it is master: after old.Kill() (sentinels need
// DownAfter plus an election) or a Failover.
func (g *Sentinel) WaitPromoted(ctx context.Context, old *Server) error {
	return g.wait(ctx, old.Addr(), false)
}

// Rejoin makes a former master (restarted first if it is down) a replica of
// the current master and waits until it is in sync. Sentinel would do the
// same, but only when it next polls the server's INFO, up to 10 s later;
// until then the former master accepts writes that will be lost.
func (g *Sentinel) Rejoin(ctx context.Context, old *Server) error {
	if !old.p.running() {
		if err := old.Restart(); err != nil {
			return fmt.Errorf("rejoin %s: %w", old.Addr(), err)
		}
	}
	m, err := g.Master(ctx)
	if err != nil {
		return fmt.Errorf("rejoin %s: %w", old.Addr(), err)
	}
	if m == old {
		return fmt.Errorf("rejoin %s: it is still the master", old.Addr())
	}
	c := redis.NewClient(&redis.Options{Addr: old.Addr(), MaxRetries: -1})
	err = c.Do(ctx, "REPLICAOF", "127.0.0.1", m.Port()).Err()
	c.Close()
	if err != nil {
		return fmt.Errorf("rejoin %s: %w", old.Addr(), err)
	}
	if err := g.wait(ctx, old.Addr(), true); err != nil {
		return fmt.Errorf("rejoin %s: %w", old.Addr(), err)
	}
	return nil
}

// wait polls until every live sentinel names the same master (not
// notAddr), which says it is master, and the sentinels know each other;
// with replica, also until the other server is that master's replica with
// its link up.
func (g *Sentinel) wait(ctx context.Context, notAddr string, replica bool) error {
	var why error
	for {
		if why = g.settled(ctx, notAddr, replica); why == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v", ctx.Err(), why)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// settled says why the group has not settled yet, or nil when it has (see
// wait): first the sentinels, then the servers.
func (g *Sentinel) settled(ctx context.Context, notAddr string, replica bool) error {
	master, err := g.agreedMaster(ctx, notAddr)
	if err != nil {
		return err
	}
	for _, srv := range g.servers {
		if !srv.p.running() || srv.Addr() != master && !replica {
			continue
		}
		if err := g.serverSettled(ctx, srv, master, notAddr); err != nil {
			return err
		}
	}
	return nil
}

// agreedMaster is the master every live sentinel names (not notAddr), once
// each of them also knows the others and flags that master as healthy.
func (g *Sentinel) agreedMaster(ctx context.Context, notAddr string) (string, error) {
	master := ""
	live := 0
	for _, s := range g.sentinels {
		if s.p.running() {
			live++
		}
	}
	for _, s := range g.sentinels {
		if !s.p.running() {
			continue
		}
		addr, err := g.masterAddr(ctx, s)
		if err != nil {
			return "", err
		}
		if addr == notAddr {
			return "", fmt.Errorf("sentinel %s still names %s", s.Addr(), addr)
		}
		if master != "" && addr != master {
			return "", fmt.Errorf("sentinels disagree: %s and %s", master, addr)
		}
		master = addr
		if err := g.sentinelSettled(ctx, s, live); err != nil {
			return "", err
		}
	}
	return master, nil
}

// sentinelSettled checks that sentinel s knows the other live sentinels
// and flags the master as nothing but a master (not down).
func (g *Sentinel) sentinelSettled(ctx context.Context, s *Server, live int) error {
	c := g.sentinelClient(s)
	info, err := c.Do(ctx, "SENTINEL", "MASTER", g.name).Slice()
	c.Close()
	if err != nil {
		return fmt.Errorf("sentinel %s: %w", s.Addr(), err)
	}
	f := pairs(info)
	if f["num-other-sentinels"] != strconv.Itoa(live-1) {
		return fmt.Errorf("sentinel %s knows %s other sentinels, want %d", s.Addr(), f["num-other-sentinels"], live-1)
	}
	if f["flags"] != "master" {
		return fmt.Errorf("sentinel %s flags the master %s", s.Addr(), f["flags"])
	}
	return nil
}

// serverSettled checks that srv agrees with the sentinels: the master says
// it is master; any other server is its in-sync replica, known to every
// sentinel.
func (g *Sentinel) serverSettled(ctx context.Context, srv *Server, master, notAddr string) error {
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	info, err := c.Info(ctx, "replication").Result()
	c.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", srv.Addr(), err)
	}
	f := infoFields(info)
	if srv.Addr() == master {
		if f["role"] != "master" {
			return fmt.Errorf("sentinels name %s master, it says %s", master, f["role"])
		}
		return nil
	}
	if f["role"] != "slave" || "127.0.0.1:"+f["master_port"] != master || f["master_link_status"] != "up" {
		return fmt.Errorf("%s: role %s of %s:%s link %s, want an in-sync replica of %s", srv.Addr(), f["role"], f["master_host"], f["master_port"], f["master_link_status"], master)
	}
	if notAddr != "" {
		return nil // sentinels learn of a rejoined replica on their next INFO
	}
	return g.replicaKnown(ctx, srv)
}

// replicaKnown checks that every live sentinel knows srv as a replica, so
// that it can promote it later.
func (g *Sentinel) replicaKnown(ctx context.Context, srv *Server) error {
	for _, s := range g.sentinels {
		if !s.p.running() {
			continue
		}
		c := g.sentinelClient(s)
		reps, err := c.Do(ctx, "SENTINEL", "REPLICAS", g.name).Slice()
		c.Close()
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", s.Addr(), err)
		}
		known := false
		for _, r := range reps {
			if rf := pairs(r); rf["name"] == srv.Addr() && rf["flags"] == "slave" {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("sentinel %s does not know replica %s yet", s.Addr(), srv.Addr())
		}
	}
	return nil
}

func (g *Sentinel) masterAddr(ctx context.Context, s *Server) (string, error) {
	c := g.sentinelClient(s)
	defer c.Close()
	a, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", g.name).StringSlice()
	if err != nil || len(a) != 2 {
		return "", fmt.Errorf("sentinel %s: master of %s: %v %v", s.Addr(), g.name, a, err)
	}
	return a[0] + ":" + a[1], nil
}

func (g *Sentinel) sentinelClient(s *Server) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1, Protocol: 2})
}

// pairs reads a flat [k1 v1 k2 v2 ...] reply (or a RESP3 map) into a map.
func pairs(v any) map[string]string {
	out := map[string]string{}
	switch x := v.(type) {
	case []any:
		for i := 0; i+1 < len(x); i += 2 {
			out[fmt.Sprint(x[i])] = fmt.Sprint(x[i+1])
		}
	case map[any]any:
		for k, v := range x {
			out[fmt.Sprint(k)] = fmt.Sprint(v)
		}
	}
	return out
}
