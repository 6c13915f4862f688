// Package erase deletes Senda's messages from Twilio once they are final,
// so no record of who wrote or what was said stays in the Twilio account:
// every inbound message, every reply and every broadcast message.
//
// The queue is a Redis Stream of message SIDs read through one consumer
// group by workers in every `senda serve` and `senda worker` (the pattern
// of bot/broadcast: XREADGROUP, XAUTOCLAIM of a dead worker's entries,
// XACK only once the outcome is recorded). An entry holds a message SID and
// when it was first queued; an entry back from the delayed set also holds
// when it is due and its attempt count — never a number or a text. A first
// attempt is due the queue's delay (DefaultDelay) after it was queued, so
// entries arrive in the order they are due and a worker holds the entry it
// read until its time; entries that must wait longer (Twilio has not
// finished the message, a retry's backoff, the fallback after "sent") sit in
// a sorted set and go back to the stream when their time comes. Each entry
// thus costs its writer one XADD and the workers one read and one
// acknowledgement, at the pace of the deletions. The stream is trimmed by
// MINID to Keep (48 hours) and the sorted set likewise, by the workers every
// Tick (they run in every process that queues) and by each status callback's
// append. The webhook's append (Rider) does not trim: it is the hot path.
//
// Inbound messages are queued in the webhook's one Redis round trip (Rider);
// replies and broadcast messages from their status callbacks (Final).
package erase

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/rkey"
)

// Defaults, with the reason for each.
const (
	// DefaultDelay is how long after a message is final its erasure is
	// first tried: Twilio asks to wait at least a minute before deleting a
	// message it has just sent or received (error 20009).
	DefaultDelay = time.Minute
	// DefaultSentFallback is how long after "sent" a message is erased when
	// no later status comes: an SMS to a carrier without delivery receipts
	// stays "sent" for good. A later final status replaces the fallback.
	DefaultSentFallback = 2 * time.Hour
	// DefaultKeep is how long entries are kept in the stream and the
	// delayed set before trimming: twice the retry window.
	DefaultKeep = 48 * time.Hour
	// markerTTL is how long a message's "queued" marker lives: longer than
	// Twilio sends status callbacks for a message.
	markerTTL = 48 * time.Hour
)

// Entry fields in the stream. Scripts use the same letters.
const (
	fieldSID       = "s"
	fieldNotBefore = "n"
	fieldAttempt   = "a"
	fieldFirst     = "f"
)

var (
	//go:embed scripts/enqueue.lua
	enqueueLua    string
	enqueueScript = redis.NewScript(enqueueLua)
	//go:embed scripts/undelay.lua
	undelayLua    string
	undelayScript = redis.NewScript(undelayLua)
)

// Queue is the durable queue of message SIDs to delete at Twilio.
type Queue struct {
	rdb          redis.UniversalClient
	keys         rkey.Space
	now          func() time.Time
	delay        time.Duration
	sentFallback time.Duration
	keep         time.Duration
}

// Option changes a Queue (tests shorten the waits).
type Option func(*Queue)

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(q *Queue) { q.now = now } }

// WithDelay sets how long after a message is final its erasure is first
// tried (DefaultDelay).
func WithDelay(d time.Duration) Option { return func(q *Queue) { q.delay = max(d, 0) } }

// WithSentFallback sets how long after "sent" a message is erased when no
// final status comes (DefaultSentFallback).
func WithSentFallback(d time.Duration) Option { return func(q *Queue) { q.sentFallback = max(d, 0) } }

// New returns the queue under keys.
func New(rdb redis.UniversalClient, keys rkey.Space, opts ...Option) *Queue {
	q := &Queue{rdb: rdb, keys: keys, now: time.Now, delay: DefaultDelay, sentFallback: DefaultSentFallback, keep: DefaultKeep}
	for _, o := range opts {
		o(q)
	}
	return q
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// minID is the stream ID below which entries are trimmed.
func (q *Queue) minID(now time.Time) string { return ms(now.Add(-q.keep)) + "-0" }

// Add queues the erasure of one message, tried after the queue's delay. It
// is one XADD; the webhook uses Rider instead, to stay at one round trip.
func (q *Queue) Add(ctx context.Context, sid string) error {
	if sid == "" {
		return nil
	}
	now := q.now()
	err := q.rdb.XAdd(ctx, q.entry(now, sid)).Err()
	if err != nil {
		return fmt.Errorf("erase: queue: %w", err)
	}
	return nil
}

// entry is a first attempt's entry: the SID and when it was queued; it is
// due the queue's delay later (see notBefore). It does not trim the stream:
// the workers do.
func (q *Queue) entry(now time.Time, sid string) *redis.XAddArgs {
	return &redis.XAddArgs{Stream: q.keys.EraseQueue(), ID: "*", Values: []any{fieldSID, sid, fieldFirst, ms(now)}}
}

// Final reports what a message's status means for its erasure: final
// statuses (delivered, undelivered, failed, read, canceled) queue it now;
// "sent" queues a fallback in case no later status comes (an SMS whose
// carrier sends no delivery receipt stays "sent"); the others (queued,
// sending, accepted, scheduled) wait for a later status.
func Final(status string) (queue, final bool) {
	switch status {
	case "delivered", "undelivered", "failed", "read", "canceled":
		return true, true
	case "sent":
		return true, false
	}
	return false, false
}

// Callback queues a message's erasure from its status callback, once per
// message however many callbacks come (one round trip). It does nothing for
// statuses that are not final or "sent".
func (q *Queue) Callback(ctx context.Context, sid, status string) error {
	queue, final := Final(status)
	if !queue || sid == "" {
		return nil
	}
	now := q.now()
	flag := "0"
	if final {
		flag = "1"
	}
	keys := []string{q.keys.EraseQueue(), q.keys.EraseDelayed(), q.keys.EraseMarker(sid)}
	err := enqueueScript.Run(ctx, q.rdb, keys, sid, ms(now), q.minID(now), flag,
		markerTTL.Milliseconds(), ms(now.Add(q.sentFallback))).Err()
	if err != nil {
		return fmt.Errorf("erase: queue from status callback: %w", err)
	}
	return nil
}

// Figures are the queue's aggregate counts, for /metrics and the console.
type Figures struct {
	Erased  int64 // deleted at Twilio
	Gone    int64 // Twilio had no such message any more (404): counted as erased already
	Pending int64 // queued or waiting for a retry
	Failed  int64 // given up on after the retry window, or refused for good
}

// Figures field names in the figures hash.
const (
	figErased = "erased"
	figGone   = "gone"
	figFailed = "failed"
)

// Figures reads the counts, shared by every process (one round trip).
func (q *Queue) Figures(ctx context.Context) (Figures, error) {
	var h *redis.SliceCmd
	var xl, zc *redis.IntCmd
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HMGet(ctx, q.keys.EraseFigures(), figErased, figGone, figFailed)
		xl = p.XLen(ctx, q.keys.EraseQueue())
		zc = p.ZCard(ctx, q.keys.EraseDelayed())
		return nil
	})
	if err != nil {
		return Figures{}, fmt.Errorf("erase: figures: %w", err)
	}
	n := func(i int) int64 {
		s, _ := h.Val()[i].(string)
		v, _ := strconv.ParseInt(s, 10, 64)
		return v
	}
	return Figures{Erased: n(0), Gone: n(1), Failed: n(2), Pending: xl.Val() + zc.Val()}, nil
}

// Rider queues an inbound message's erasure inside the webhook's session
// step, so the webhook still costs one Redis round trip. Its Lua fragment
// follows the riders contract (bot/conversation's session script runs it
// after it stored the step, its key at KEYS[K+1] and arguments at
// ARGV[A+1…]); Queue adds the same entry to a pipeline on Redis Cluster.
//
// Its Args and Queue take the message's SID and time rather than
// conversation.Ride, so this package need not import bot/conversation; a
// three-line adapter in bot/app passes Ride.SID and Ride.Now.
type Rider struct {
	q    *Queue
	keys []string // the fragment's one key, built once: callers copy it, never change it
}

// Rider returns the queue's rider for the webhook.
func (q *Queue) Rider() Rider { return Rider{q: q, keys: []string{q.keys.EraseQueue()}} }

// riderLua XADDs the SID: KEYS[K+1] the stream; ARGV[A+1] SID, ARGV[A+2]
// now (ms). Nothing else: no MINID trimming (the workers trim), no
// not-before time or attempt count (derived from the time and the queue's
// delay).
const riderLua = `redis.call('XADD', KEYS[K + 1], '*', '` + fieldSID + `', ARGV[A + 1], '` + fieldFirst + `', ARGV[A + 2])`

// Lua returns the fragment the session script runs.
func (Rider) Lua() string { return riderLua }

// Shape returns how many keys and arguments Args returns: one and two.
func (Rider) Shape() (keys, args int) { return 1, 2 }

// Args returns the fragment's keys and arguments for one message.
func (r Rider) Args(sid string, now time.Time) ([]string, []any) {
	return r.keys, []any{sid, now.UnixMilli()}
}

// Queue adds the same entry to pipe (Redis Cluster).
func (r Rider) Queue(ctx context.Context, pipe redis.Pipeliner, sid string, now time.Time) {
	pipe.XAdd(ctx, r.q.entry(now, sid))
}
