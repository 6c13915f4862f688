package broadcast

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitTimeout bounds how long a write waits for replicas (WAIT). When they
// do not answer in time the write stands on the master alone: delivery
// goes on rather than stopping when a replica is down, and the guarantee is
// what it is without replicas (docs/BROADCASTS.md).
const waitTimeout = 500 * time.Millisecond

// WaitReplicas makes the writes a failover must not lose (the ledger claim
// before each send, and the queue entries of a fan-out) wait until n
// replicas have them (Redis WAIT) before the store goes on. 0, the
// default, waits for none: right for one Redis server, which WAIT would
// only delay.
func (s *Store) WaitReplicas(n int) { s.replicas = max(n, 0) }

// master returns a client of the node that owns key: the one server, or
// the master of key's slot in a cluster. WAIT counts the writes of its own
// connection, so the write and its WAIT must go there together.
func (s *Store) master(ctx context.Context, key string) (*redis.Client, error) {
	switch c := s.rdb.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		return c.MasterForKey(ctx, key)
	}
	return nil, fmt.Errorf("broadcast: SENDA_WAIT_REPLICAS needs a Redis server or cluster client, not %T", s.rdb)
}

// runReplicated runs script on key's master and, with WaitReplicas set,
// WAITs in the same pipeline (one connection) until the replicas have the
// write. It returns the script's reply.
func (s *Store) runReplicated(ctx context.Context, script *redis.Script, keys []string, args ...any) (*redis.Cmd, error) {
	if !s.waiting() {
		cmd := script.Run(ctx, s.rdb, keys, args...)
		return cmd, cmd.Err()
	}
	node, err := s.master(ctx, keys[0])
	if err != nil {
		return nil, err
	}
	for range 2 { // a new master may not have the script yet: load it once
		var cmd *redis.Cmd
		var wait *redis.IntCmd
		_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
			cmd = script.EvalSha(ctx, p, keys, args...)
			wait = redis.NewIntCmd(ctx, "wait", s.replicas, waitTimeout.Milliseconds())
			_ = p.Process(ctx, wait)
			return nil
		})
		if err != nil && cmd.Err() != nil && strings.HasPrefix(cmd.Err().Error(), "NOSCRIPT") {
			if err := script.Load(ctx, node).Err(); err != nil {
				return nil, err
			}
			continue
		}
		if cmd.Err() != nil {
			return cmd, cmd.Err()
		}
		s.noteReplicas(wait)
		return cmd, nil
	}
	return nil, errors.New("broadcast: script not loaded on the master")
}

// shortWaitPause is how long writes stop waiting for replicas after a
// WAIT came back short (a master without its replica, after a failover):
// each would otherwise wait the whole waitTimeout for a replica that is
// not there.
const shortWaitPause = 10 * time.Second

// waiting reports whether writes wait for replicas now.
func (s *Store) waiting() bool {
	return s.replicas > 0 && time.Now().UnixMilli() >= s.noWaitUntil.Load()
}

// noteReplicas notes a WAIT that came back short: counted, and writes stop
// waiting for shortWaitPause.
func (s *Store) noteReplicas(wait *redis.IntCmd) {
	if wait.Err() == nil && wait.Val() >= int64(s.replicas) {
		return
	}
	s.shortWaits.Add(1)
	s.noWaitUntil.Store(time.Now().Add(shortWaitPause).UnixMilli())
}

// ShortWaits counts writes whose WAIT came back with fewer replicas than
// WaitReplicas asked for (or failed): those writes could be lost in a
// failover.
func (s *Store) ShortWaits() int64 { return s.shortWaits.Load() }

// pipelineReplicated runs fn's commands in one pipeline on key's master
// and, with WaitReplicas set, WAITs at its end until the replicas have
// them.
func (s *Store) pipelineReplicated(ctx context.Context, key string, fn func(p redis.Pipeliner)) error {
	if !s.waiting() {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error { fn(p); return nil })
		return err
	}
	node, err := s.master(ctx, key)
	if err != nil {
		return err
	}
	var wait *redis.IntCmd
	_, err = node.Pipelined(ctx, func(p redis.Pipeliner) error {
		fn(p)
		wait = redis.NewIntCmd(ctx, "wait", s.replicas, waitTimeout.Milliseconds())
		return p.Process(ctx, wait)
	})
	if err != nil {
		return err
	}
	s.noteReplicas(wait)
	return nil
}
