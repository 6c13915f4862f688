package faults

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterOptions configures a local Redis Cluster.
type ClusterOptions struct {
	Masters           int           // 3 when 0 (the fewest Redis Cluster accepts)
	ReplicasPerMaster int           // replicas of each master; 0 means none
	NodeTimeout       time.Duration // cluster-node-timeout; 2s when 0
	Config            []string      // extra redis.conf lines for every node
}

// Cluster is a Redis Cluster of redis-server processes on loopback.
type Cluster struct {
	t     testing.TB
	nodes []*Node
}

// Node is one server of a Cluster.
type Node struct {
	Addr string // 127.0.0.1:port
	p    *proc
}

// StartCluster starts Masters*(1+ReplicasPerMaster) cluster-enabled
// servers, joins them with `redis-cli --cluster create`, and returns once
// every node reports cluster_state:ok, knows every other node, and every
// replica's link to its master is up. The processes are killed when the
// test ends.
func StartCluster(t testing.TB, opts ClusterOptions) *Cluster {
	t.Helper()
	requireBinaries(t, "redis-server", "redis-cli")
	if opts.Masters == 0 {
		opts.Masters = 3
	}
	if opts.Masters < 3 {
		t.Fatalf("faults: a Redis Cluster needs at least 3 masters, not %d", opts.Masters)
	}
	if opts.NodeTimeout == 0 {
		opts.NodeTimeout = 2 * time.Second
	}
	n := opts.Masters * (1 + opts.ReplicasPerMaster)
	ports, err := freePorts(2 * n)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	dir := t.TempDir()
	c := &Cluster{t: t}
	for i := range n {
		port, bus := ports[2*i], ports[2*i+1]
		lines := []string{
			"cluster-enabled yes",
			"cluster-config-file nodes.conf",
			"cluster-node-timeout " + strconv.FormatInt(opts.NodeTimeout.Milliseconds(), 10),
			"cluster-port " + strconv.Itoa(bus),
			// A replica may always take over, however long its link was down.
			"cluster-replica-validity-factor 0",
		}
		p, err := newProc(filepath.Join(dir, strconv.Itoa(port)), port, "", append(lines, opts.Config...))
		if err != nil {
			t.Fatalf("faults: %v", err)
		}
		c.nodes = append(c.nodes, &Node{Addr: p.addr(), p: p})
	}
	t.Cleanup(func() {
		for _, nd := range c.nodes {
			nd.p.cleanup()
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, nd := range c.nodes {
		wg.Go(func() { errs[i] = nd.p.start() })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("faults: cluster node: %v", err)
		}
	}
	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", strconv.Itoa(opts.ReplicasPerMaster), "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("faults: redis-cli --cluster create: %v\n%s", err, out)
	}
	if err := c.waitStable(ctx, n); err != nil {
		t.Fatalf("faults: cluster did not settle: %v", err)
	}
	return c
}

// Addrs returns every node's address, masters and replicas.
func (c *Cluster) Addrs() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.Addr)
	}
	return out
}

// Nodes returns every node.
func (c *Cluster) Nodes() []*Node { return append([]*Node(nil), c.nodes...) }

// Options returns fresh ClusterClient options for the cluster (go-redis
// defaults), to adjust before calling redis.NewClusterClient. With the
// defaults a client keeps sending a dead master's slots to it until its
// ClusterStateReloadInterval (60s) passes: connection errors do not make
// go-redis reload the slot map.
func (c *Cluster) Options() *redis.ClusterOptions {
	return &redis.ClusterOptions{Addrs: c.Addrs()}
}

// NewClient returns a ClusterClient of the cluster, closed when the test
// ends.
func (c *Cluster) NewClient() *redis.ClusterClient {
	cc := redis.NewClusterClient(c.Options())
	c.t.Cleanup(func() { cc.Close() })
	return cc
}

// MasterFor returns the node that serves key's slot now.
func (c *Cluster) MasterFor(ctx context.Context, key string) (*Node, error) {
	var lastErr error
	for _, n := range c.live() {
		cl := n.client()
		slot, err := cl.ClusterKeySlot(ctx, key).Result()
		if err != nil {
			cl.Close()
			lastErr = err
			continue
		}
		owners, err := slotOwners(ctx, cl)
		cl.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if nd := c.node(owners[int(slot)]); nd != nil {
			return nd, nil
		}
		return nil, fmt.Errorf("slot %d of %q is served by %q, not a node of this cluster", slot, key, owners[int(slot)])
	}
	return nil, fmt.Errorf("master for %q: no live node answers: %v", key, lastErr)
}

// KillMaster sends SIGKILL to a master and waits for its process to exit;
// WaitHealed then waits for a replica to take its slots over.
func (c *Cluster) KillMaster(n *Node) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl := n.client()
	role, err := cl.Do(ctx, "ROLE").Slice()
	cl.Close()
	if err != nil {
		return fmt.Errorf("kill master %s: read its role: %w", n.Addr, err)
	}
	if len(role) == 0 || role[0] != "master" {
		return fmt.Errorf("kill master %s: it is not a master (role %v)", n.Addr, role)
	}
	if err := n.p.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill master %s: %w", n.Addr, err)
	}
	return nil
}

// RestartNode starts a stopped node again on its port and directory; it
// rejoins the cluster (a former master comes back as a replica of the node
// that took its slots). WaitHealed waits for it to be in sync.
func (c *Cluster) RestartNode(n *Node) error {
	if n.p.running() {
		if err := n.p.signal(syscall.SIGKILL); err != nil {
			return fmt.Errorf("restart %s: %w", n.Addr, err)
		}
	}
	if err := n.p.start(); err != nil {
		return fmt.Errorf("restart %s: %w", n.Addr, err)
	}
	return nil
}

// WaitHealed waits until every live node reports cluster_state:ok, all
// agree on which node serves each slot, every slot is served by a live
// node (so the slots of killed masters are served by promoted replicas),
// and every live replica's link is up.
// Call it after KillMaster (failover) and after RestartNode (resync).
func (c *Cluster) WaitHealed(ctx context.Context) error {
	return c.waitStable(ctx, 0)
}

// waitStable polls until the cluster is healthy; known > 0 also requires
// every node to know that many nodes.
func (c *Cluster) waitStable(ctx context.Context, known int) error {
	var why error
	for {
		if why = c.healthy(ctx, known); why == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %v", ctx.Err(), why)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// healthy returns why the cluster is not healthy, or nil.
func (c *Cluster) healthy(ctx context.Context, known int) error {
	live := c.live()
	alive := map[string]bool{}
	for _, n := range live {
		alive[n.Addr] = true
	}
	var first []string
	for _, n := range live {
		cl := n.client()
		owners, err := nodeHealthy(ctx, cl, n.Addr, known, alive)
		cl.Close()
		if err != nil {
			return err
		}
		if first == nil {
			first = owners
			continue
		}
		for slot := range owners {
			if owners[slot] != first[slot] {
				return fmt.Errorf("%s sees slot %d served by %s, %s by %s", n.Addr, slot, owners[slot], live[0].Addr, first[slot])
			}
		}
	}
	return nil
}

// nodeHealthy checks one node and returns its view of the slots' owners.
func nodeHealthy(ctx context.Context, cl *redis.Client, addr string, known int, alive map[string]bool) ([]string, error) {
	info, err := cl.ClusterInfo(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: cluster info: %w", addr, err)
	}
	fields := infoFields(info)
	if fields["cluster_state"] != "ok" {
		return nil, fmt.Errorf("%s: cluster_state:%s", addr, fields["cluster_state"])
	}
	if known > 0 && fields["cluster_known_nodes"] != strconv.Itoa(known) {
		return nil, fmt.Errorf("%s: knows %s nodes, not %d", addr, fields["cluster_known_nodes"], known)
	}
	owners, err := slotOwners(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", addr, err)
	}
	for slot, owner := range owners {
		if owner == "" {
			return nil, fmt.Errorf("%s: slot %d is served by no one", addr, slot)
		}
		if !alive[owner] {
			return nil, fmt.Errorf("%s: slot %d is still served by %s, which is down", addr, slot, owner)
		}
	}
	repl, err := cl.Info(ctx, "replication").Result()
	if err != nil {
		return nil, fmt.Errorf("%s: info replication: %w", addr, err)
	}
	rf := infoFields(repl)
	if rf["role"] == "slave" && rf["master_link_status"] != "up" {
		return nil, fmt.Errorf("%s: replica link to %s:%s is %s", addr, rf["master_host"], rf["master_port"], rf["master_link_status"])
	}
	return owners, nil
}

// slotOwners maps each of the 16384 slots to the address of its master as
// cl's node sees it ("" when unassigned).
func slotOwners(ctx context.Context, cl *redis.Client) ([]string, error) {
	//lint:ignore SA1019 CLUSTER SLOTS still answers on Redis 7 and is the slot-to-master map this needs; CLUSTER SHARDS would need a reshaping for the same answer
	ranges, err := cl.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("cluster slots: %w", err)
	}
	owners := make([]string, 16384)
	for _, r := range ranges {
		if len(r.Nodes) == 0 {
			continue
		}
		for s := r.Start; s <= r.End && s < len(owners); s++ {
			owners[s] = r.Nodes[0].Addr
		}
	}
	return owners, nil
}

func infoFields(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			out[k] = v
		}
	}
	return out
}

// live returns the nodes whose processes run.
func (c *Cluster) live() []*Node {
	var out []*Node
	for _, n := range c.nodes {
		if n.p.running() {
			out = append(out, n)
		}
	}
	return out
}

func (c *Cluster) node(addr string) *Node {
	for _, n := range c.nodes {
		if n.Addr == addr {
			return n
		}
	}
	return nil
}

// Running reports whether the node's process runs.
func (n *Node) Running() bool { return n.p.running() }

// client returns a plain client of this one node; the caller closes it.
func (n *Node) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
}
