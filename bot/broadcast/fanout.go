package broadcast

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed scripts/due.lua
	dueLua    string
	dueScript = redis.NewScript(dueLua)
	//go:embed scripts/start.lua
	startLua    string
	startScript = redis.NewScript(startLua)
	//go:embed scripts/fanned.lua
	fannedLua    string
	fannedScript = redis.NewScript(fannedLua)
)

// FanOutDue fans out every broadcast whose send time has come.
func (s *Store) FanOutDue(ctx context.Context) error {
	ids, err := dueScript.Run(ctx, s.rdb, []string{s.keys.Scheduled()}, s.now().UnixMilli(), fanOutLease.Milliseconds(), 10).StringSlice()
	if err != nil {
		return fmt.Errorf("broadcast: due: %w", err)
	}
	for _, id := range ids {
		if err := s.fanOut(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// fanOutLease is how long a fan-out may take before another worker assumes
// its worker died and does it again (the ledger makes that harmless).
const fanOutLease = time.Minute

// fanOutBatch is how many deliveries go into the stream per round trip.
const fanOutBatch = 500

// fanOut puts one delivery per subscriber of the topic into the queue.
func (s *Store) fanOut(ctx context.Context, id string) error {
	now := s.now()
	state, err := startScript.Run(ctx, s.rdb, []string{s.keys.Broadcast(id)}, now.UnixMilli()).Text()
	if err != nil {
		return fmt.Errorf("broadcast: start %s: %w", id, err)
	}
	if State(state) != StateSending {
		s.rdb.ZRem(ctx, s.keys.Scheduled(), id) // cancelled, done or gone
		return nil
	}
	topic, err := s.rdb.HGet(ctx, s.keys.Broadcast(id), fTopic).Result()
	if err != nil {
		return fmt.Errorf("broadcast: fan out %s: %w", id, err)
	}
	members, err := s.subs.Members(ctx, topic)
	if err != nil {
		return err
	}
	var r [6]byte
	rand.Read(r[:])
	token := hex.EncodeToString(r[:])
	for start := 0; start < len(members); start += fanOutBatch {
		batch := members[start:min(start+fanOutBatch, len(members))]
		// Entries a failover lost would be deliveries nobody makes: they
		// wait for replicas when WaitReplicas is set.
		err := s.pipelineReplicated(ctx, s.keys.Queue(), func(p redis.Pipeliner) {
			for _, m := range batch {
				p.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Queue(), Values: entryValues(id, m.String(), token)})
			}
		})
		if err != nil {
			return fmt.Errorf("broadcast: fan out %s: %w", id, err)
		}
		s.m.Add("broadcast_queued_total", "", "", int64(len(batch)))
	}
	after, err := fannedScript.Run(ctx, s.rdb, []string{s.keys.Broadcast(id), s.keys.Scheduled()}, id, len(members), s.now().UnixMilli()).Text()
	if err != nil {
		return fmt.Errorf("broadcast: fan out %s: %w", id, err)
	}
	if State(after) == StateDone {
		s.expire(ctx, id)
	}
	return nil
}
