package conversation

import (
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/flows"
)

//go:embed scripts/session_step.lua
var sessionStepLua string

// sessionAttempts bounds how often a step is retried when another replica
// changed the same conversation in between: a person typing into two phones
// at once, or Twilio delivering two messages in parallel to two replicas.
// Messages of one sender on one replica never compete: they take turns
// (senderLocks). Between attempts the step waits a little, with jitter, so
// replicas stop colliding; all waits together stay under half a second.
const sessionAttempts = 12

// contentionBackoff is the longest wait between two attempts.
const contentionBackoff = 60 * time.Millisecond

// errSessionContention means a conversation kept changing under a step.
var errSessionContention = errors.New("session: changed by another request on every attempt")

// Session values in Redis. Layout (at most 4 + 8*8 + 15 + 2*16 = 115 bytes,
// and up to about 400 more, sealed, while a report is being written):
//
//	format (1) = sessionFormat
//	count  (1)   how many message hashes follow, 1..recentMessages
//	effect (1)   the effect kind of the latest message's step (re-applied when it is retried)
//	topic  (1)   that effect's topic
//	hashes (8 each) keyed hashes of the latest messages' ids, newest first
//	state        flows.Engine.Encode
const (
	sessionFormat  = 2
	recentMessages = 8
	sessionHeader  = 4
)

// sessionStore keeps conversation state in Redis under keyed hashes of senders,
// with an idle expiry.
//
// A message normally costs one Redis round trip: the state a message starts
// from is taken from a small in-process cache of states this replica wrote,
// and a Lua script stores the new state only if Redis still holds that one
// (compare-and-set). When the guess is wrong (first message to this replica,
// another replica answered in between, Redis expired it) the script returns
// what Redis holds and the step is computed again from it, so Redis stays
// the only truth and the cache only saves the read. Riders' writes go in the
// same script (or, on Redis Cluster, in one pipeline right after it).
type sessionStore struct {
	rdb    redis.UniversalClient
	keys   rkey.Space
	ttl    time.Duration
	cache  *stateCache
	now    func() time.Time
	script *redis.Script
	riders []Rider
	// nkeys and nargs are the script's keys and arguments per message, the
	// riders' shares included, so building them never grows a slice.
	nkeys, nargs int
	cluster      bool // riders go in a pipeline after the step, not in the script
	// contended counts compare-and-set conflicts caused by another request
	// (not by a stale guess from the cache).
	contended func()
	// riderFailed reports a Cluster rider pipeline that failed after the
	// step was stored.
	riderFailed func(error)
}

// sessionOptions configure a sessionStore.
type sessionOptions struct {
	Prefix string        // key prefix, e.g. "senda:"
	TTL    time.Duration // idle expiry
	// CacheSize is how many states the in-process cache holds; 0 turns the
	// cache off, so every message costs a compare-and-set and, for an
	// existing conversation, a second one.
	CacheSize   int
	Now         func() time.Time // the clock; time.Now when nil
	Riders      []Rider
	Contended   func()
	RiderFailed func(error)
}

// DefaultCacheSize holds the states of the 100,000 most recent conversations
// (about 15 MB), far more than a line like Senda sees in half an hour.
const DefaultCacheSize = 100_000

// newSessionStore returns a session store.
func newSessionStore(rdb redis.UniversalClient, opts sessionOptions) *sessionStore {
	s := &sessionStore{rdb: rdb, keys: rkey.Space(opts.Prefix), ttl: opts.TTL, now: opts.Now, riders: opts.Riders,
		contended: opts.Contended, riderFailed: opts.RiderFailed}
	if s.now == nil {
		s.now = time.Now
	}
	if s.contended == nil {
		s.contended = func() {}
	}
	if s.riderFailed == nil {
		s.riderFailed = func(error) {}
	}
	if opts.CacheSize > 0 {
		s.cache = newStateCache(opts.CacheSize)
	}
	_, s.cluster = rdb.(*redis.ClusterClient)
	s.nkeys, s.nargs = baseKeys, baseArgs
	if s.cluster {
		s.script = redis.NewScript(composeStepScript(nil))
	} else {
		s.script = redis.NewScript(composeStepScript(s.riders))
		for _, r := range s.riders {
			k, a := r.Shape()
			s.nkeys, s.nargs = s.nkeys+k, s.nargs+a
		}
	}
	return s
}

// composeStepScript is the compare-and-set script followed by each rider's
// fragment in a block of its own. The base script uses KEYS[1..2] and
// ARGV[1..4]; then come every rider's keys in KEYS and arguments in ARGV,
// in rider order, each rider's share as long as its Shape says, so each
// block starts by setting the locals K and A to the offsets of its share.
// The offsets are constants of the script: the script builds no table and
// reads no count per message.
func composeStepScript(riders []Rider) string {
	if len(riders) == 0 {
		return sessionStepLua
	}
	base, ok := strings.CutSuffix(strings.TrimRight(sessionStepLua, "\n"), "return 1")
	if !ok {
		panic("conversation: session_step.lua must end with `return 1`")
	}
	var b strings.Builder
	b.WriteString(base)
	k, a := baseKeys, baseArgs
	for _, r := range riders {
		fmt.Fprintf(&b, "do\nlocal K, A = %d, %d\n", k, a)
		b.WriteString(strings.TrimRight(r.Lua(), "\n"))
		b.WriteString("\nend\n")
		nk, na := r.Shape()
		k, a = k+nk, a+na
	}
	b.WriteString("return 1\n")
	return b.String()
}

// The session script's own keys and arguments, before the riders' shares.
const (
	baseKeys = 2
	baseArgs = 4
)

// outcome is what a step did.
type outcome struct {
	flows.Result
	// Duplicate means the message was seen before (a Twilio retry or a
	// replay): Result.State is what is stored now and nothing moved.
	// Result.Effect is set only when the message is the latest one: its
	// effect must be carried out again before the answer is repeated.
	Duplicate bool
	// Known says Result.State is the person's conversation as last known,
	// even when the step failed: its language is the one to apologize in.
	Known bool
}

// resolver finishes a step's result with I/O the pure engine cannot do, such
// as looking up which topics a person receives, before the state is stored.
type resolver func(ctx context.Context, id ident.SenderID, r flows.Result) (flows.Result, error)

// stepRequest is one message for Step.
type stepRequest struct {
	eng     *flows.Engine
	id      ident.SenderID
	msg     uint64 // keyed hash of the message id
	ride    Ride   // what riders get; Result is filled in by Step
	in      flows.Input
	resolve resolver
}

// Step runs one inbound message through a conversation: it reads the state
// (from the cache or Redis), steps the engine, and stores the new state with
// a fresh idle expiry, or deletes it when the step erases the conversation.
// A message among the conversation's recent ones gets the stored state
// without a second step. In the same round trip a subscriber's record
// learns the hour of this message, which decides whether WhatsApp
// broadcasts may go as free text, and the riders write what they add.
func (s *sessionStore) Step(ctx context.Context, r stepRequest) (outcome, error) {
	expected, cached := s.cache.get(r.id, s.now())
	var last outcome // the conversation as last known, for the apology
	for attempt := range sessionAttempts {
		prev, ok := decodeSession(r.eng, expected)
		if ok {
			last = outcome{Result: flows.Result{State: prev.state}, Known: true}
			if latest, seen := prev.seen(r.msg); seen {
				out := outcome{Result: flows.Result{State: prev.state}, Duplicate: true, Known: true}
				if latest {
					out.Effect = prev.effect
				}
				if out.Effect.Kind == flows.EffectNone || !cached {
					return out, nil
				}
				// Re-applying an effect must not trust a cache another
				// replica may have overtaken: ask Redis.
				cached = false
				cur, err := s.rdb.Get(ctx, s.keys.Session(r.id)).Result()
				if err != nil && !errors.Is(err, redis.Nil) {
					return last, fmt.Errorf("session: read: %w", err)
				}
				expected = cur
				continue
			}
		}
		r.in.New = !ok
		res := r.eng.Step(prev.state, r.in)
		if r.resolve != nil {
			var err error
			if res, err = r.resolve(ctx, r.id, res); err != nil {
				return last, err
			}
		}
		value := ""
		if res.Effect.Kind != flows.EffectErase {
			value = encodeSession(r.eng, r.msg, prev, res)
		}
		r.ride.Result = res
		stored, current, err := s.compareAndSet(ctx, r, expected, value)
		if err != nil {
			return last, err
		}
		if stored {
			if value == "" {
				s.cache.remove(r.id)
			} else {
				s.cache.put(r.id, value, s.now().Add(s.ttl-cacheMargin))
			}
			return outcome{Result: res, Known: true}, nil
		}
		cached = false
		if attempt > 0 {
			// The value changed after this step read it from Redis:
			// another request moved the conversation in between.
			s.contended()
			if err := s.backoff(ctx, attempt); err != nil {
				return last, err
			}
		}
		expected = current
	}
	return last, errSessionContention
}

// backoff waits before another attempt: up to contentionBackoff, growing
// with the attempt, with full jitter so competing replicas drift apart.
func (s *sessionStore) backoff(ctx context.Context, attempt int) error {
	ceiling := min(time.Millisecond<<min(attempt, 6), contentionBackoff)
	t := time.NewTimer(rand.N(ceiling) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// cacheMargin makes cached states go stale a little before Redis expires
// them, so a state Redis has just dropped is not offered as the guess.
const cacheMargin = time.Second

// storedSession is a decoded session value.
type storedSession struct {
	hashes string // count*8 bytes, newest first
	effect flows.Effect
	state  flows.State
}

// seen reports whether msg is among the recent messages, and whether it is
// the latest.
func (p storedSession) seen(msg uint64) (latest, ok bool) {
	for i := 0; i+8 <= len(p.hashes); i += 8 {
		if binary.BigEndian.Uint64([]byte(p.hashes[i:i+8])) == msg {
			return i == 0, true
		}
	}
	return false, false
}

// decodeSession reads a session value; ok is false for none, for a value of
// an unknown layout and for a state of another content pack. A value of the
// previous layout (one message hash, then the state) is read too, so an
// upgrade does not restart conversations in progress.
func decodeSession(eng *flows.Engine, v string) (storedSession, bool) {
	if p, ok := decodeCurrent(eng, v); ok {
		return p, true
	}
	if len(v) > 8 {
		if st, err := eng.Decode([]byte(v[8:])); err == nil {
			return storedSession{hashes: v[:8], state: st}, true
		}
	}
	return storedSession{}, false
}

func decodeCurrent(eng *flows.Engine, v string) (storedSession, bool) {
	if len(v) < sessionHeader || v[0] != sessionFormat {
		return storedSession{}, false
	}
	n := int(v[1])
	if n < 1 || n > recentMessages || len(v) < sessionHeader+8*n {
		return storedSession{}, false
	}
	st, err := eng.Decode([]byte(v[sessionHeader+8*n:]))
	if err != nil {
		return storedSession{}, false
	}
	p := storedSession{hashes: v[sessionHeader : sessionHeader+8*n], state: st}
	switch k := flows.EffectKind(v[2]); k {
	case flows.EffectSubscribe, flows.EffectUnsubscribeTopic, flows.EffectUnsubscribeAll:
		p.effect = flows.Effect{Kind: k, Topic: int(v[3])}
	}
	return p, true
}

// encodeSession writes the value of a step's result for message msg, which
// followed prev: msg joins prev's recent message hashes, newest first.
func encodeSession(eng *flows.Engine, msg uint64, prev storedSession, res flows.Result) string {
	older := prev.hashes[:min(len(prev.hashes), 8*(recentMessages-1))]
	buf := make([]byte, sessionHeader, sessionHeader+8+len(older)+48)
	buf[0], buf[1] = sessionFormat, byte(1+len(older)/8)
	switch res.Effect.Kind {
	case flows.EffectSubscribe, flows.EffectUnsubscribeTopic, flows.EffectUnsubscribeAll:
		buf[2], buf[3] = byte(res.Effect.Kind), byte(res.Effect.Topic)
	}
	buf = binary.BigEndian.AppendUint64(buf, msg)
	buf = append(buf, older...)
	return string(eng.Encode(buf, res.State))
}

func (s *sessionStore) compareAndSet(ctx context.Context, r stepRequest, expected, value string) (bool, string, error) {
	keys := make([]string, 0, s.nkeys)
	keys = append(keys, s.keys.Session(r.id), s.keys.Subscriber(r.id))
	args := make([]any, 0, s.nargs)
	args = append(args, expected, value, s.ttl.Milliseconds(), s.now().Unix()/3600)
	if !s.cluster {
		for _, rd := range s.riders {
			k, a := rd.Args(r.ride)
			if nk, na := rd.Shape(); len(k) != nk || len(a) != na {
				return false, "", fmt.Errorf("session: rider %T gave %d keys and %d arguments, its shape is %d and %d", rd, len(k), len(a), nk, na)
			}
			keys = append(keys, k...)
			args = append(args, a...)
		}
	}
	res, err := s.script.Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return false, "", fmt.Errorf("session: store: %w", err)
	}
	switch v := res.(type) {
	case int64:
		if v != 1 {
			return false, "", fmt.Errorf("session: store: unexpected reply %d", v)
		}
		if s.cluster && len(s.riders) > 0 {
			s.queueRiders(ctx, r.ride)
		}
		return true, "", nil
	case string:
		return false, v, nil
	}
	return false, "", fmt.Errorf("session: store: unexpected reply of type %T", res)
}

// queueRiders sends the riders' writes as one pipeline, on Redis Cluster
// where a script cannot reach their keys. The step is stored already: a
// failure is reported, and the person is answered all the same.
func (s *sessionStore) queueRiders(ctx context.Context, m Ride) {
	pipe := s.rdb.Pipeline()
	for _, rd := range s.riders {
		rd.Queue(ctx, pipe, m)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.riderFailed(err)
	}
}

// senderLocks makes the messages of one sender take turns on this replica,
// so they never compete for the conversation here: a burst from one person
// is answered one message after another. Senders share one of the stripes
// by their hash; a shared stripe only means an occasional short wait.
type senderLocks struct {
	stripes [1024]sync.Mutex
}

// lock takes id's stripe and returns it, to unlock.
func (l *senderLocks) lock(id ident.SenderID) *sync.Mutex {
	m := &l.stripes[binary.BigEndian.Uint16(id[:2])%uint16(len(l.stripes))]
	m.Lock()
	return m
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
