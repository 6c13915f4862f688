// Package hashkey keeps SENDA_HASH_KEY and the subscriber records filed
// under it together. Subscribers are found by a keyed hash of their
// address: with another key, a `BAJA` finds nothing to delete and the next
// broadcast still reaches the person. So Redis holds a keyed fingerprint of
// the key, Check refuses a different key while subscribers exist, and
// Rotate moves every record to its id under a new key.
package hashkey

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

//go:embed scripts/move.lua
var moveLua string

var moveScript = redis.NewScript(moveLua)

// Status is what Check found.
type Status int

// What Check can find.
const (
	Recorded Status = iota // no fingerprint was stored; the key's is now
	Same                   // the stored fingerprint is the key's
	Rotating               // the stored fingerprint is the old key's: run Rotate
	Replaced               // another key's, with no subscriber: the key's replaced it
	Mismatch               // another key's, with subscribers (refused in production)
)

// Check compares the key's fingerprint with the one stored in Redis. old is
// SENDA_HASH_KEY_OLD's hasher, or nil. With another key's fingerprint and
// subscribers in Redis it returns an error in production (and Mismatch
// otherwise); without subscribers it stores the new fingerprint.
func Check(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space, cur, old *ident.Hasher, production bool) (Status, error) {
	fp := cur.Fingerprint()
	stored, err := rdb.Get(ctx, keys.HashKeyFingerprint()).Result()
	switch {
	case errors.Is(err, redis.Nil):
		if err := rdb.SetNX(ctx, keys.HashKeyFingerprint(), fp, 0).Err(); err != nil {
			return 0, fmt.Errorf("hash key: record fingerprint: %w", err)
		}
		return Recorded, nil
	case err != nil:
		return 0, fmt.Errorf("hash key: read fingerprint: %w", err)
	case stored == fp:
		return Same, nil
	case old != nil && stored == old.Fingerprint():
		return Rotating, nil
	}
	exists, err := anySubscriber(ctx, rdb, keys)
	if err != nil {
		return 0, fmt.Errorf("hash key: look for subscribers: %w", err)
	}
	if !exists {
		if err := rdb.Set(ctx, keys.HashKeyFingerprint(), fp, 0).Err(); err != nil {
			return 0, fmt.Errorf("hash key: record fingerprint: %w", err)
		}
		return Replaced, nil
	}
	if production {
		return Mismatch, errors.New("SENDA_HASH_KEY is not the key this Redis's subscribers are filed under (its fingerprint differs from the one Senda stored). " +
			"Starting with it would cut every subscriber off from BAJA: they would be told they were deleted, and the next broadcast would still reach them. " +
			"Set SENDA_HASH_KEY back to the previous key; or, to change the key, put the previous one in SENDA_HASH_KEY_OLD and the new one in SENDA_HASH_KEY and run `senda subscribers rotate-hash-key` (docs/OPERATIONS.md, Rotating secrets).")
	}
	return Mismatch, nil
}

// anySubscriber reports whether at least one subscriber record exists.
func anySubscriber(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space) (bool, error) {
	found := false
	var mu sync.Mutex
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, keys.SubscriberPattern(), 1000).Iterator()
		if iter.Next(ctx) {
			mu.Lock()
			found = true
			mu.Unlock()
			return nil
		}
		return iter.Err()
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err := cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
		return found, err
	}
	return found, scan(ctx, rdb)
}

// RotateResult counts what a rotation did.
type RotateResult struct {
	Scanned int
	Moved   int // records moved to their id under the new key
	Current int // records already under the new key
	Failed  int // records that could not be opened or belong to neither key
}

// Rotate moves every subscriber record from its id under the old key to its
// id under the new one: it opens the sealed address (the id is its
// associated data), seals it for the new id, writes the new record, moves
// the id in the topic sets and deletes the old record. On one server (or
// Sentinel) each subscriber's move is one MULTI/EXEC; on Redis Cluster,
// where the record and the topic sets live in different slots, it is three
// ordered steps that are safe to repeat: new record, topic sets (one
// MULTI/EXEC in the {topics} slot), old record deleted. Rotate is resumable:
// run it again after an interruption. When nothing failed it stores the new
// key's fingerprint.
func Rotate(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space, ring *sealer.Keyring, old, cur *ident.Hasher) (RotateResult, error) {
	if ring == nil {
		return RotateResult{}, subscribers.ErrNoKey
	}
	var (
		mu  sync.Mutex
		res RotateResult
	)
	cc, cluster := rdb.(*redis.ClusterClient)
	scan := func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, keys.SubscriberPattern(), 500).Iterator()
		for iter.Next(ctx) {
			r, err := moveOne(ctx, rdb, cluster, keys, ring, old, cur, iter.Val())
			if err != nil {
				return err
			}
			mu.Lock()
			res.Scanned++
			switch r {
			case moved:
				res.Moved++
			case current:
				res.Current++
			case failed:
				res.Failed++
			}
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cluster {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, rdb)
	}
	if err != nil {
		return res, fmt.Errorf("rotate hash key: %w", err)
	}
	if res.Failed == 0 {
		if err := rdb.Set(ctx, keys.HashKeyFingerprint(), cur.Fingerprint(), 0).Err(); err != nil {
			return res, fmt.Errorf("rotate hash key: record fingerprint: %w", err)
		}
	}
	return res, nil
}

type moveResult int

const (
	gone moveResult = iota // deleted in between
	moved
	current
	failed
)

// moveOne moves one record, named by key. A record it cannot read or
// that is filed under neither hash key is failed, not an error: the rest
// still move, and the fingerprint stays until a later run moves it.
func moveOne(ctx context.Context, rdb redis.UniversalClient, cluster bool, keys rkey.Space, ring *sealer.Keyring, old, cur *ident.Hasher, key string) (moveResult, error) {
	id, ok := recordID(keys, key)
	if !ok {
		return failed, nil
	}
	f, err := rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return 0, err
	}
	if len(f) == 0 {
		return gone, nil
	}
	addr, err := ring.Open([]byte(f["a"]), id[:])
	if err != nil {
		return failed, nil
	}
	ch, err := content.ParseChannel(f["c"])
	if err != nil {
		return failed, nil
	}
	newID := cur.Sender(ch, string(addr))
	if newID == id {
		return current, nil
	}
	if old.Sender(ch, string(addr)) != id {
		return failed, nil // filed under neither key
	}
	sealed, err := ring.Seal(addr, newID[:])
	if err != nil {
		return 0, err
	}
	m := newMove(keys, key, id, newID, sealed, f)
	if cluster {
		err = m.stepwise(ctx, rdb)
	} else {
		err = m.atOnce(ctx, rdb)
	}
	if err != nil {
		return 0, err
	}
	return moved, nil
}

// recordID is the subscriber id in a record's key, if the key is one.
func recordID(keys rkey.Space, key string) (ident.SenderID, bool) { return keys.SubscriberID(key) }

// move is one record's move from the old hash key's id to the new one's.
type move struct {
	key, newKey string
	id, newID   ident.SenderID
	args        []any    // moveScript's arguments: the new record
	topics      []string // the keys of the topic sets the id is in
}

// newMove prepares a move of record f (its address sealed again for newID).
func newMove(keys rkey.Space, key string, id, newID ident.SenderID, sealed []byte, f map[string]string) move {
	m := move{key: key, newKey: keys.Subscriber(newID), id: id, newID: newID, args: []any{sealed, f["t"]}}
	for k, v := range f {
		if k != "a" && k != "t" {
			m.args = append(m.args, k, v)
		}
	}
	for t := range strings.SplitSeq(f["t"], ",") {
		if t != "" {
			m.topics = append(m.topics, keys.Topic(t))
		}
	}
	return m
}

func (m move) moveTopics(ctx context.Context, pipe redis.Pipeliner) {
	for _, t := range m.topics {
		pipe.SAdd(ctx, t, m.newID.String())
		pipe.SRem(ctx, t, m.id.String())
	}
}

// atOnce moves the record in one transaction (one server or Sentinel).
func (m move) atOnce(ctx context.Context, rdb redis.UniversalClient) error {
	_, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		moveScript.Eval(ctx, pipe, []string{m.newKey}, m.args...)
		m.moveTopics(ctx, pipe)
		pipe.Del(ctx, m.key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("move subscriber %s: %w", m.id, err)
	}
	return nil
}

// stepwise moves the record on Redis Cluster, where its keys are in
// different slots: ordered steps, each safe to repeat.
func (m move) stepwise(ctx context.Context, rdb redis.UniversalClient) error {
	if err := moveScript.Run(ctx, rdb, []string{m.newKey}, m.args...).Err(); err != nil {
		return fmt.Errorf("move subscriber %s: write new record: %w", m.id, err)
	}
	if len(m.topics) > 0 {
		if _, err := rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error { m.moveTopics(ctx, pipe); return nil }); err != nil {
			return fmt.Errorf("move subscriber %s: topic sets: %w", m.id, err)
		}
	}
	if err := rdb.Del(ctx, m.key).Err(); err != nil {
		return fmt.Errorf("move subscriber %s: delete old record: %w", m.id, err)
	}
	return nil
}
