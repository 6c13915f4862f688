package subscribers

// This file files records under SENDA_HASH_KEY: it tells which key a
// stored record is filed under, and moves a record to its id under a new
// key (bot/hashkey decides when).

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/content"
)

// Filing is which hash key a stored record is filed under.
type Filing int

// What SampleFiling can find.
const (
	FilingNone    Filing = iota // no record at all
	FilingCurrent               // under the current key
	FilingOld                   // under the old key (a rotation is due)
	FilingOther                 // under neither
	FilingUnknown               // a record without a fingerprint whose address cannot be opened to tell
)

// SampleFiling looks at one stored record and says which key it is filed
// under: by the fingerprint written with it or, for a record written before
// records carried one, by opening its address and hashing it with each
// key, which needs the ring. old may be nil.
func (s *Store) SampleFiling(ctx context.Context, cur, old *ident.Hasher) (Filing, error) {
	key, f, err := s.anyRecord(ctx)
	if err != nil || f == nil {
		return FilingNone, err
	}
	is := func(h *ident.Hasher, fp string) bool { return h != nil && h.Fingerprint() == fp }
	if fp := f[fieldHashKey]; fp != "" {
		switch {
		case is(cur, fp):
			return FilingCurrent, nil
		case is(old, fp):
			return FilingOld, nil
		}
		return FilingOther, nil
	}
	id, ok := s.idFromKey(key)
	if !ok || s.ring == nil {
		return FilingUnknown, nil
	}
	addr, err := s.ring.Open([]byte(f[fieldAddress]), id[:])
	if err != nil {
		return FilingUnknown, nil
	}
	ch, err := content.ParseChannel(f[fieldChannel])
	if err != nil {
		return FilingUnknown, nil
	}
	switch id {
	case cur.Sender(ch, string(addr)):
		return FilingCurrent, nil
	case senderOf(old, ch, string(addr)):
		return FilingOld, nil
	}
	return FilingOther, nil
}

func senderOf(h *ident.Hasher, ch content.Channel, addr string) ident.SenderID {
	if h == nil {
		return ident.SenderID{}
	}
	return h.Sender(ch, addr)
}

// anyRecord returns the key and fields of one stored record, or a nil map
// when there is none. On Redis Cluster it looks on every master.
func (s *Store) anyRecord(ctx context.Context) (string, map[string]string, error) {
	var (
		mu    sync.Mutex
		found string
		rec   map[string]string
	)
	scan := func(ctx context.Context, c redis.UniversalClient) error {
		iter := c.Scan(ctx, 0, s.keys.SubscriberPattern(), 1000).Iterator()
		for iter.Next(ctx) {
			f, err := c.HGetAll(ctx, iter.Val()).Result()
			if err != nil {
				return err
			}
			if len(f) > 0 { // not deleted in between
				mu.Lock()
				found, rec = iter.Val(), f
				mu.Unlock()
				return nil
			}
		}
		return iter.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return "", nil, fmt.Errorf("subscribers: look for a record: %w", err)
	}
	return found, rec, nil
}

// Rekeyed is what Rekey did with one record.
type Rekeyed int

// What Rekey can do.
const (
	RekeyGone    Rekeyed = iota // deleted in between
	RekeyMoved                  // moved to its id under the new key
	RekeyCurrent                // already under the new key
	RekeyFailed                 // cannot be read, or filed under neither key
)

// Rekey moves the record stored under key from its id under old to its id
// under cur: it opens the sealed address (the id is its associated data),
// seals it for the new id, writes the new record with cur's fingerprint,
// moves the id in the topic sets and deletes the old record. On one server
// (or Sentinel) that is one MULTI/EXEC; on Redis Cluster, where the record
// and the topic sets live in different slots, three ordered steps that are
// safe to repeat: new record, topic sets (one MULTI/EXEC in the {topics}
// slot), old record deleted. A record it cannot read or that is filed under
// neither key is RekeyFailed, not an error.
func (s *Store) Rekey(ctx context.Context, key string, old, cur *ident.Hasher, cluster bool) (Rekeyed, error) {
	if s.ring == nil {
		return 0, ErrNoKey
	}
	id, ok := s.idFromKey(key)
	if !ok {
		return RekeyFailed, nil
	}
	f, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return 0, err
	}
	if len(f) == 0 {
		return RekeyGone, nil
	}
	addr, err := s.ring.Open([]byte(f[fieldAddress]), id[:])
	if err != nil {
		return RekeyFailed, nil
	}
	ch, err := content.ParseChannel(f[fieldChannel])
	if err != nil {
		return RekeyFailed, nil
	}
	newID := cur.Sender(ch, string(addr))
	if newID == id {
		return RekeyCurrent, nil
	}
	if old.Sender(ch, string(addr)) != id {
		return RekeyFailed, nil // filed under neither key
	}
	sealed, err := s.ring.Seal(addr, newID[:])
	if err != nil {
		return 0, err
	}
	m := s.newMove(key, id, newID, sealed, cur.Fingerprint(), f)
	if cluster {
		err = m.stepwise(ctx, s.rdb)
	} else {
		err = m.atOnce(ctx, s.rdb)
	}
	if err != nil {
		return 0, err
	}
	return RekeyMoved, nil
}

// move is one record's move from the old hash key's id to the new one's.
type move struct {
	key, newKey string
	id, newID   ident.SenderID
	args        []any    // move.lua's arguments: the new record
	topics      []string // the keys of the topic sets the id is in
}

// newMove prepares a move of record f (its address sealed again for newID).
func (s *Store) newMove(key string, id, newID ident.SenderID, sealed []byte, fingerprint string, f map[string]string) move {
	m := move{key: key, newKey: s.keys.Subscriber(newID), id: id, newID: newID, args: []any{sealed, f[fieldTopics], fingerprint}}
	for k, v := range f {
		if k != fieldAddress && k != fieldTopics && k != fieldHashKey {
			m.args = append(m.args, k, v)
		}
	}
	for t := range strings.SplitSeq(f[fieldTopics], topicSep) {
		if t != "" {
			m.topics = append(m.topics, s.keys.Topic(t))
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
