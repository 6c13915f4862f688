// Package subscribers keeps the people who asked for broadcast updates: the
// only place Senda stores an address, sealed with AES-256-GCM and filed
// under the same keyed hash that names the person's conversation.
//
// A record holds the sealed address, the channel, the language, the topics,
// the hour of the person's last message (WhatsApp allows free text for 24
// hours after it), the fingerprint of the hash key its id comes from and,
// after WhatsApp declined a marketing template, until when templates are
// suspended. Nothing else is known about a subscriber. Each topic has a set
// of subscriber ids; broadcasts fan out from it.
//
// This package is the one owner of the record's layout: the fields below,
// and the Lua scripts that write them (tied to these constants by
// TestScriptsMatchGoConstants). Other packages go through its functions.
package subscribers

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/content"
)

var (
	//go:embed scripts/add.lua
	addLua string
	//go:embed scripts/remove.lua
	removeLua string
	//go:embed scripts/delete.lua
	deleteLua string
	//go:embed scripts/reseal.lua
	resealLua string
	//go:embed scripts/move.lua
	moveLua string

	addScript    = redis.NewScript(addLua)
	removeScript = redis.NewScript(removeLua)
	deleteScript = redis.NewScript(deleteLua)
	resealScript = redis.NewScript(resealLua)
	moveScript   = redis.NewScript(moveLua)
)

// Record fields in Redis.
const (
	fieldAddress   = "a"
	fieldChannel   = "c"
	fieldLang      = "l"
	fieldHour      = "h"
	fieldTopics    = "t"
	fieldSuspended = "ms"
	fieldHashKey   = "k" // ident.Hasher.Fingerprint of the key the record's id comes from
	// topicSep separates the topics in fieldTopics, kept sorted.
	topicSep = ","
)

// reseal.lua's answers: whether it replaced the sealed address.
const (
	resealStale = 0 // the address changed since it was read: left alone
	resealDone  = 1
)

// Subscriber is one subscriber's record, with the address opened.
type Subscriber struct {
	ID       ident.SenderID
	Address  string // the Twilio address to send to, e.g. "whatsapp:+502…"
	Channel  content.Channel
	Lang     string    // language code, e.g. "es"
	LastSeen time.Time // the start of the hour of their last message
	Topics   []string
	// TemplatesSuspendedUntil is set after WhatsApp declined a marketing
	// template for them; templates wait until then.
	TemplatesSuspendedUntil time.Time
}

// Store reads and writes subscriber records.
type Store struct {
	rdb     redis.UniversalClient
	keys    rkey.Space
	ring    *sealer.Keyring
	now     func() time.Time
	journal *Journal // nil without SENDA_OPTOUT_DIR
	// fingerprint is written with every record: the hash key's (see
	// FiledUnder); "" writes none.
	fingerprint string
}

// Option adjusts a Store.
type Option func(*Store)

// FiledUnder writes h's fingerprint with every record Subscribe writes, so
// a start with another SENDA_HASH_KEY can tell even when Redis lost the
// fingerprint it keeps apart (see SampleFiling). Senda always sets it;
// tools that seed records should too.
func FiledUnder(h *ident.Hasher) Option {
	return func(s *Store) {
		if h != nil {
			s.fingerprint = h.Fingerprint()
		}
	}
}

// New returns a store. ring seals addresses; without one (subscriptions off)
// records can be deleted but not written or read.
func New(rdb redis.UniversalClient, keys rkey.Space, ring *sealer.Keyring, now func() time.Time, opts ...Option) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{rdb: rdb, keys: keys, ring: ring, now: now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ErrNoKey means subscriptions are off: no SENDA_SUBSCRIBER_KEY is set.
var ErrNoKey = errors.New("subscribers: no SENDA_SUBSCRIBER_KEY set, so no address can be stored")

// Subscribe records address under id for a topic, sealed, with the
// channel and language, and adds id to the topic's set.
func (s *Store) Subscribe(ctx context.Context, id ident.SenderID, address string, ch content.Channel, lang, topic string) error {
	if s.ring == nil {
		return ErrNoKey
	}
	sealed, err := s.ring.Seal([]byte(address), id[:])
	if err != nil {
		return fmt.Errorf("subscribers: seal: %w", err)
	}
	if err := s.journal.record(opIn, id, topic); err != nil {
		return err
	}
	hour := s.now().Unix() / 3600
	if err := addScript.Run(ctx, s.rdb, []string{s.keys.Subscriber(id)}, sealed, ch.String(), lang, hour, topic, s.fingerprint).Err(); err != nil {
		return fmt.Errorf("subscribers: subscribe: %w", err)
	}
	if err := s.rdb.SAdd(ctx, s.keys.Topic(topic), id.String()).Err(); err != nil {
		return fmt.Errorf("subscribers: subscribe: add to topic: %w", err)
	}
	return nil
}

// Unsubscribe takes id out of one topic. When no topic is left the record
// and its sealed address are deleted.
func (s *Store) Unsubscribe(ctx context.Context, id ident.SenderID, topic string) error {
	if err := s.journal.record(opOut, id, topic); err != nil {
		return err
	}
	return s.unsubscribe(ctx, id, topic)
}

func (s *Store) unsubscribe(ctx context.Context, id ident.SenderID, topic string) error {
	if err := removeScript.Run(ctx, s.rdb, []string{s.keys.Subscriber(id)}, topic).Err(); err != nil {
		return fmt.Errorf("subscribers: unsubscribe: %w", err)
	}
	if err := s.rdb.SRem(ctx, s.keys.Topic(topic), id.String()).Err(); err != nil {
		return fmt.Errorf("subscribers: unsubscribe: remove from topic: %w", err)
	}
	return nil
}

// Delete removes id's record and address at once, then takes id out of
// every topic set: the ones the record named and, in case a record was
// lost half-written, every topic in known.
func (s *Store) Delete(ctx context.Context, id ident.SenderID, known []string) error {
	if err := s.journal.record(opErase, id, allTopics); err != nil {
		return err
	}
	return s.delete(ctx, id, known)
}

func (s *Store) delete(ctx context.Context, id ident.SenderID, known []string) error {
	had, err := deleteScript.Run(ctx, s.rdb, []string{s.keys.Subscriber(id)}).Text()
	if err != nil {
		return fmt.Errorf("subscribers: delete: %w", err)
	}
	topics := slices.Clone(known)
	for _, t := range strings.Split(had, topicSep) {
		if t != "" && !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	if len(topics) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for _, t := range topics {
		pipe.SRem(ctx, s.keys.Topic(t), id.String())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("subscribers: delete: remove from topics: %w", err)
	}
	return nil
}

// Topics returns the topics id receives.
func (s *Store) Topics(ctx context.Context, id ident.SenderID) ([]string, error) {
	v, err := s.rdb.HGet(ctx, s.keys.Subscriber(id), fieldTopics).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("subscribers: topics: %w", err)
	}
	return splitTopics(v), nil
}

func splitTopics(v string) []string {
	var out []string
	for _, t := range strings.Split(v, topicSep) {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// Get returns id's record with the address opened; ok is false when id is
// not subscribed (any more).
func (s *Store) Get(ctx context.Context, id ident.SenderID) (sub Subscriber, ok bool, err error) {
	if s.ring == nil {
		return Subscriber{}, false, ErrNoKey
	}
	f, err := s.rdb.HGetAll(ctx, s.keys.Subscriber(id)).Result()
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribers: get: %w", err)
	}
	if f[fieldAddress] == "" {
		return Subscriber{}, false, nil
	}
	addr, err := s.ring.Open([]byte(f[fieldAddress]), id[:])
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribers: open address of %s: %w", id, err)
	}
	ch, err := content.ParseChannel(f[fieldChannel])
	if err != nil {
		return Subscriber{}, false, fmt.Errorf("subscribers: record %s: %w", id, err)
	}
	sub = Subscriber{ID: id, Address: string(addr), Channel: ch, Lang: f[fieldLang], Topics: splitTopics(f[fieldTopics])}
	if h, err := strconv.ParseInt(f[fieldHour], 10, 64); err == nil {
		sub.LastSeen = time.Unix(h*3600, 0)
	}
	if h, err := strconv.ParseInt(f[fieldSuspended], 10, 64); err == nil {
		sub.TemplatesSuspendedUntil = time.Unix(h*3600, 0)
	}
	return sub, true, nil
}

// SuspendTemplates stops WhatsApp templates to id until the given time
// (rounded up to the hour), after WhatsApp declined one.
func (s *Store) SuspendTemplates(ctx context.Context, id ident.SenderID, until time.Time) error {
	key := s.keys.Subscriber(id)
	hour := (until.Unix() + 3599) / 3600
	// HSET only if the record still exists: a suspension must not
	// resurrect a deleted subscriber as an empty record.
	n, err := s.rdb.Exists(ctx, key).Result()
	if err != nil || n == 0 {
		return err
	}
	if err := s.rdb.HSet(ctx, key, fieldSuspended, hour).Err(); err != nil {
		return fmt.Errorf("subscribers: suspend templates: %w", err)
	}
	return nil
}

// Members returns the ids subscribed to a topic.
func (s *Store) Members(ctx context.Context, topic string) ([]ident.SenderID, error) {
	raw, err := s.rdb.SMembers(ctx, s.keys.Topic(topic)).Result()
	if err != nil {
		return nil, fmt.Errorf("subscribers: members of %s: %w", topic, err)
	}
	ids := make([]ident.SenderID, 0, len(raw))
	for _, r := range raw {
		id, err := ParseID(r)
		if err != nil {
			continue // not ours; never fail a broadcast over it
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Count returns how many subscribe to a topic.
func (s *Store) Count(ctx context.Context, topic string) (int64, error) {
	n, err := s.rdb.SCard(ctx, s.keys.Topic(topic)).Result()
	if err != nil {
		return 0, fmt.Errorf("subscribers: count %s: %w", topic, err)
	}
	return n, nil
}

// ParseID decodes an id as ident.SenderID.String writes it.
func ParseID(s string) (ident.SenderID, error) {
	id, err := ident.ParseSenderID(s)
	if err != nil {
		return id, fmt.Errorf("subscribers: %q is not a subscriber id", s)
	}
	return id, nil
}

// RotateResult counts what a key rotation did.
type RotateResult struct {
	Scanned, Resealed, Current int
	Failed                     int // records no key of the ring could open
}

// Rotate seals every address again with the ring's current key, so old
// keys can then be retired. It is safe to run while Senda runs, and to run
// again: records already under the current key are left alone.
func (s *Store) Rotate(ctx context.Context) (RotateResult, error) {
	if s.ring == nil {
		return RotateResult{}, ErrNoKey
	}
	var (
		mu  sync.Mutex
		res RotateResult
	)
	scan := func(ctx context.Context, rdb redis.UniversalClient) error {
		var part RotateResult
		defer func() {
			mu.Lock()
			res.Scanned += part.Scanned
			res.Resealed += part.Resealed
			res.Current += part.Current
			res.Failed += part.Failed
			mu.Unlock()
		}()
		iter := rdb.Scan(ctx, 0, s.keys.SubscriberPattern(), 500).Iterator()
		for iter.Next(ctx) {
			key := iter.Val()
			id, ok := s.idFromKey(key)
			if !ok {
				continue
			}
			part.Scanned++
			old, err := rdb.HGet(ctx, key, fieldAddress).Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err != nil {
				return err
			}
			if !s.ring.NeedsRotation([]byte(old)) {
				part.Current++
				continue
			}
			plain, err := s.ring.Open([]byte(old), id[:])
			if err != nil {
				part.Failed++
				continue
			}
			sealed, err := s.ring.Seal(plain, id[:])
			if err != nil {
				return err
			}
			n, err := resealScript.Run(ctx, rdb, []string{key}, old, sealed).Int()
			if err != nil {
				return err
			}
			part.Resealed += n
		}
		return iter.Err()
	}
	var err error
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		err = c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return res, fmt.Errorf("subscribers: rotate: %w", err)
	}
	return res, nil
}

// idFromKey reads the id out of a subscriber key: prefix "{" id "}:sub".
func (s *Store) idFromKey(key string) (ident.SenderID, bool) { return s.keys.SubscriberID(key) }
