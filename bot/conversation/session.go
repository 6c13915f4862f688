package conversation

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/flows"
)

//go:embed scripts/session_step.lua
var sessionStepLua string

var sessionStep = redis.NewScript(sessionStepLua)

// sessionAttempts bounds how often a step is retried when another replica
// changed the same conversation in between: a person typing into two phones
// at once, or Twilio delivering two messages in parallel.
const sessionAttempts = 4

// errSessionContention means a conversation kept changing under a step.
var errSessionContention = errors.New("session: changed by another request on every attempt")

// sessionStore keeps conversation state in Redis under keyed hashes of senders,
// with an idle expiry.
//
// A message normally costs one Redis round trip: the state a message starts
// from is taken from a small in-process cache of states this replica wrote,
// and a Lua script stores the new state only if Redis still holds that one
// (compare-and-set). When the guess is wrong (first message to this replica,
// another replica answered in between, Redis expired it) the script returns
// what Redis holds and the step is computed again from it, so Redis stays
// the only truth and the cache only saves the read.
type sessionStore struct {
	rdb   redis.UniversalClient
	keys  rkey.Space
	ttl   time.Duration
	cache *stateCache
	now   func() time.Time
}

// sessionOptions configure a sessionStore.
type sessionOptions struct {
	Prefix string        // key prefix, e.g. "senda:"
	TTL    time.Duration // idle expiry
	// CacheSize is how many states the in-process cache holds; 0 turns the
	// cache off, so every message costs a compare-and-set and, for an
	// existing conversation, a second one.
	CacheSize int
	Now       func() time.Time // the clock; time.Now when nil
}

// DefaultCacheSize holds the states of the 100,000 most recent conversations
// (about 10 MB), far more than a line like Senda sees in half an hour.
const DefaultCacheSize = 100_000

// newSessionStore returns a session store.
func newSessionStore(rdb redis.UniversalClient, opts sessionOptions) *sessionStore {
	s := &sessionStore{rdb: rdb, keys: rkey.Space(opts.Prefix), ttl: opts.TTL, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.CacheSize > 0 {
		s.cache = newStateCache(opts.CacheSize)
	}
	return s
}

// outcome is what a step did.
type outcome struct {
	flows.Result
	// Duplicate means the message was seen before (a Twilio retry or a
	// replay): Result.State is what was stored then and nothing changed.
	Duplicate bool
}

// resolver finishes a step's result with I/O the pure engine cannot do, such
// as looking up which topics a person receives, before the state is stored.
type resolver func(ctx context.Context, id ident.SenderID, r flows.Result) (flows.Result, error)

// Step runs one inbound message through a conversation: it reads the state
// (from the cache or Redis), steps the engine, and stores the new state with
// a fresh idle expiry, or deletes it when the step erases the conversation.
// msg is the keyed hash of the message's id: a message already answered
// gets the same answer again without a second step. In the same round trip
// a subscriber's record learns the hour of this message, which decides
// whether WhatsApp broadcasts may go as free text.
func (s *sessionStore) Step(ctx context.Context, eng *flows.Engine, id ident.SenderID, msg uint64, in flows.Input, resolve resolver) (outcome, error) {
	expected, _ := s.cache.get(id, s.now())
	for range sessionAttempts {
		st, isNew := flows.State{}, true
		if len(expected) >= 8 {
			decoded, err := eng.Decode([]byte(expected[8:]))
			if err == nil {
				if binary.BigEndian.Uint64([]byte(expected[:8])) == msg {
					return outcome{Result: flows.Result{State: decoded}, Duplicate: true}, nil
				}
				st, isNew = decoded, false
			}
		}
		in.New = isNew
		res := eng.Step(st, in)
		if resolve != nil {
			var err error
			if res, err = resolve(ctx, id, res); err != nil {
				return outcome{}, err
			}
		}
		value := ""
		if res.Effect.Kind != flows.EffectErase {
			buf := make([]byte, 8, 32)
			binary.BigEndian.PutUint64(buf, msg)
			value = string(eng.Encode(buf, res.State))
		}
		stored, current, err := s.compareAndSet(ctx, id, expected, value)
		if err != nil {
			return outcome{}, err
		}
		if stored {
			if value == "" {
				s.cache.remove(id)
			} else {
				s.cache.put(id, value, s.now().Add(s.ttl-cacheMargin))
			}
			return outcome{Result: res}, nil
		}
		expected = current
	}
	return outcome{}, errSessionContention
}

// cacheMargin makes cached states go stale a little before Redis expires
// them, so a state Redis has just dropped is not offered as the guess.
const cacheMargin = time.Second

func (s *sessionStore) compareAndSet(ctx context.Context, id ident.SenderID, expected, value string) (bool, string, error) {
	keys := []string{s.keys.Session(id), s.keys.Subscriber(id)}
	hour := s.now().Unix() / 3600
	res, err := sessionStep.Run(ctx, s.rdb, keys, expected, value, s.ttl.Milliseconds(), hour).Slice()
	if err != nil {
		return false, "", fmt.Errorf("session: store: %w", err)
	}
	if len(res) == 0 {
		return false, "", errors.New("session: store: empty reply from script")
	}
	if ok, _ := res[0].(int64); ok == 1 {
		return true, "", nil
	}
	if len(res) < 2 {
		return false, "", errors.New("session: store: conflict without current value")
	}
	current, _ := res[1].(string)
	return false, current, nil
}

// stateCache remembers the session values this replica wrote, so the next
// message of a conversation can skip reading them. It is sharded to keep
// lock contention low and bounded by evicting an arbitrary entry when full.
type stateCache struct {
	shards   [64]cacheShard
	perShard int
}

type cacheShard struct {
	mu sync.Mutex
	m  map[ident.SenderID]cacheEntry
}

type cacheEntry struct {
	value   string
	expires time.Time
}

func newStateCache(size int) *stateCache {
	c := &stateCache{perShard: max(size/64, 1)}
	for i := range c.shards {
		c.shards[i].m = make(map[ident.SenderID]cacheEntry)
	}
	return c
}

func (c *stateCache) shard(id ident.SenderID) *cacheShard { return &c.shards[id[0]%64] }

func (c *stateCache) get(id ident.SenderID, now time.Time) (string, bool) {
	if c == nil {
		return "", false
	}
	sh := c.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[id]
	if !ok {
		return "", false
	}
	if !now.Before(e.expires) {
		delete(sh.m, id)
		return "", false
	}
	return e.value, true
}

func (c *stateCache) put(id ident.SenderID, value string, expires time.Time) {
	if c == nil {
		return
	}
	sh := c.shard(id)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.m[id]; !ok && len(sh.m) >= c.perShard {
		for k := range sh.m { // map order is random enough for eviction
			delete(sh.m, k)
			break
		}
	}
	sh.m[id] = cacheEntry{value: value, expires: expires}
}

func (c *stateCache) remove(id ident.SenderID) {
	if c == nil {
		return
	}
	sh := c.shard(id)
	sh.mu.Lock()
	delete(sh.m, id)
	sh.mu.Unlock()
}
