package broadcast

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

// Record fields of a broadcast.
const (
	fTopic     = "topic"
	fTexts     = "texts"
	fTemplate  = "tpl"
	fSendAt    = "send_at"
	fUrgent    = "urgent"
	fState     = "state"
	fCreated   = "created"
	fBy        = "by"
	fRecipient = "rcpt"
	fSent      = "sent"
	fDelivered = "delivered"
	fFailed    = "failed"
	fSkipped   = "skipped"
	fFinished  = "fin"
	fFanned    = "fanned"
	fStarted   = "started"
	fDoneAt    = "done_at"
)

// Retention of a finished broadcast's records. The ledger names who got it
// (by keyed hash), so it goes soon after late status callbacks stop; the
// aggregate figures stay longer for the NGO's reports.
const (
	ledgerRetention = 3 * 24 * time.Hour
	recordRetention = 180 * 24 * time.Hour
	idempotencyTTL  = 24 * time.Hour
)

// ErrNotFound means there is no broadcast with that id (or it expired).
var ErrNotFound = errors.New("broadcast: not found")

// ErrIdempotencyMismatch means an Idempotency-Key was used before for a
// different request.
var ErrIdempotencyMismatch = errors.New("this Idempotency-Key was used in the last 24 hours for a different request; use a new key for a new broadcast")

// monthWindow is the span a topic's max_per_month is counted over.
const monthWindow = 30 * 24 * time.Hour

var (
	//go:embed scripts/monthly.lua
	monthlyLua    string
	monthlyScript = redis.NewScript(monthlyLua)
)

// reserveMonthly keeps the promise made to subscribers when they opted in:
// at most max_per_month messages of a topic in any 30 days. It reserves the
// broadcast's place in the topic's count atomically, so concurrent creates
// cannot both pass; release gives the place back. Broadcasts cancelled
// before anything went out do not count.
func (s *Store) reserveMonthly(ctx context.Context, topic, id string, sendAt, now time.Time) error {
	t, ok := s.pack().TopicByID(topic)
	if !ok {
		return nil // validate reports it
	}
	res, err := monthlyScript.Run(ctx, s.rdb, []string{s.keys.TopicBroadcasts(topic)},
		now.Add(-2*monthWindow).UnixMilli(), now.Add(-monthWindow).UnixMilli(), t.MaxPerMonth, sendAt.UnixMilli(), id).Int64Slice()
	if err != nil || len(res) != 2 {
		return fmt.Errorf("broadcast: monthly limit: %w", err)
	}
	if res[0] == 0 {
		return &ValidationError{Problems: []string{fmt.Sprintf(
			"topic %q promises subscribers at most %d messages a month, and %d are sent or scheduled in the last 30 days; wait, fold this into a scheduled one, or raise max_per_month in topics.yaml (subscribers were told the old number).",
			topic, t.MaxPerMonth, res[1])}}
	}
	return nil
}

// Store keeps broadcasts in Redis.
type Store struct {
	rdb  redis.UniversalClient
	keys rkey.Space
	subs *subscribers.Store
	pack func() *content.Pack
	now  func() time.Time
	m    *metrics.Set // nil counts nothing

	outcomes Outcomes // nil: outcomes are not reported (see SetOutcomes)

	replicas    int          // WaitReplicas
	shortWaits  atomic.Int64 // WAITs that came back short
	noWaitUntil atomic.Int64 // ms: no WAIT before then, after a short one
}

// StoreOption adjusts a Store.
type StoreOption func(*Store)

// CountInto counts queued deliveries and outcomes in m
// (senda_broadcast_queued_total, senda_broadcast_messages_total).
func CountInto(m *metrics.Set) StoreOption { return func(s *Store) { s.m = m } }

// NewStore returns a broadcast store. pack returns the current content pack
// (it may be reloaded).
func NewStore(rdb redis.UniversalClient, keys rkey.Space, subs *subscribers.Store, pack func() *content.Pack, now func() time.Time, opts ...StoreOption) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{rdb: rdb, keys: keys, subs: subs, pack: pack, now: now}
	for _, o := range opts {
		o(s)
	}
	return s
}

func newID(now time.Time) string {
	var r [3]byte
	rand.Read(r[:])
	return fmt.Sprintf("%011x%s", now.UnixMilli(), hex.EncodeToString(r[:]))
}

// Create validates and stores a broadcast, scheduled for its send time.
// With an idempotency key already used by the same token in the last 24
// hours it returns that broadcast instead, with created false.
func (s *Store) Create(ctx context.Context, req Request, by, idempotencyKey string) (st Status, created bool, err error) {
	now := s.now()
	texts, sendAt, err := validate(req, s.pack(), now)
	if err != nil {
		return Status{}, false, err
	}
	id := newID(now)
	if idempotencyKey != "" {
		sum := sha256.Sum256([]byte(by + "\x00" + idempotencyKey))
		key := s.keys.Idempotency(hex.EncodeToString(sum[:16]))
		body, _ := json.Marshal(req)
		bodySum := sha256.Sum256(body)
		claim := id + ":" + hex.EncodeToString(bodySum[:8])
		prev, err := s.rdb.SetArgs(ctx, key, claim, redis.SetArgs{Mode: "NX", Get: true, TTL: idempotencyTTL}).Result()
		switch {
		case err == nil && prev != "":
			prevID, prevSum, _ := strings.Cut(prev, ":")
			if prevSum != claim[len(id)+1:] {
				return Status{}, false, ErrIdempotencyMismatch
			}
			st, err := s.Get(ctx, prevID)
			if err == nil {
				return st, false, nil
			}
			if !errors.Is(err, ErrNotFound) {
				// Not knowing is not "not there": taking over now could
				// send the broadcast twice.
				return Status{}, false, fmt.Errorf("broadcast: idempotency replay: %w", err)
			}
			// The first attempt did not get as far as storing it: take over.
			if err := s.rdb.Set(ctx, key, claim, idempotencyTTL).Err(); err != nil {
				return Status{}, false, fmt.Errorf("broadcast: idempotency: %w", err)
			}
		case err != nil && !errors.Is(err, redis.Nil):
			return Status{}, false, fmt.Errorf("broadcast: idempotency: %w", err)
		}
	}
	if err := s.reserveMonthly(ctx, req.Topic, id, sendAt, now); err != nil {
		return Status{}, false, err
	}
	if err := s.store(ctx, id, req, texts, sendAt, by, now); err != nil {
		s.rdb.ZRem(context.WithoutCancel(ctx), s.keys.TopicBroadcasts(req.Topic), id) // give the place back
		return Status{}, false, err
	}
	st, err = s.Get(ctx, id)
	return st, true, err
}

// store writes a new broadcast's record and indexes it.
func (s *Store) store(ctx context.Context, id string, req Request, texts rendered, sendAt time.Time, by string, now time.Time) error {
	var tpl string
	if req.Template != nil {
		b, _ := json.Marshal(req.Template)
		tpl = string(b)
	}
	rcpt, err := s.subs.Count(ctx, req.Topic)
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.Broadcast(id), map[string]any{
			fTopic: req.Topic, fTexts: texts.encode(), fTemplate: tpl, fSendAt: sendAt.UnixMilli(),
			fUrgent: boolField(req.Urgent), fState: string(StateScheduled), fCreated: now.UnixMilli(), fBy: by,
			fRecipient: rcpt, fSent: 0, fDelivered: 0, fFailed: 0, fSkipped: 0, fFinished: 0, fFanned: 0,
		})
		p.ZAdd(ctx, s.keys.Broadcasts(), redis.Z{Score: float64(now.UnixMilli()), Member: id})
		p.ZAdd(ctx, s.keys.Scheduled(), redis.Z{Score: float64(sendAt.UnixMilli()), Member: id})
		return nil
	})
	if err != nil {
		return fmt.Errorf("broadcast: create: %w", err)
	}
	return nil
}

// Flag values of record fields and script arguments.
const (
	flagOn  = "1"
	flagOff = "0"
)

func boolField(b bool) string {
	if b {
		return flagOn
	}
	return flagOff
}

// Get returns a broadcast's status.
func (s *Store) Get(ctx context.Context, id string) (Status, error) {
	if !validID(id) {
		return Status{}, ErrNotFound
	}
	var meta *redis.MapStringStringCmd
	var reasons *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HGetAll(ctx, s.keys.Broadcast(id))
		reasons = p.HGetAll(ctx, s.keys.Reasons(id))
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("broadcast: get %s: %w", id, err)
	}
	m := meta.Val()
	if len(m) == 0 {
		return Status{}, ErrNotFound
	}
	st := Status{
		ID: id, Topic: m[fTopic], State: State(m[fState]),
		Recipients: num(m[fRecipient]), Sent: num(m[fSent]), Delivered: num(m[fDelivered]),
		Failed: num(m[fFailed]), Skipped: num(m[fSkipped]), Finished: num(m[fFinished]),
		Reasons: map[string]int64{}, Waiting: map[string]int64{},
		Urgent: m[fUrgent] == flagOn, Template: m[fTemplate] != "",
		SendAt: msTime(m[fSendAt]), CreatedAt: msTime(m[fCreated]), CreatedBy: m[fBy],
	}
	for k, v := range reasons.Val() {
		if n := num(v); n != 0 {
			st.Reasons[k] = n
		}
	}
	for field, name := range waitingFields {
		if n := num(m[string(field)]); n > 0 {
			st.Waiting[string(name)] = n
		}
	}
	if m[fDoneAt] != "" {
		t := msTime(m[fDoneAt])
		st.DoneAt = &t
	}
	return st, nil
}

func validID(id string) bool {
	if len(id) != 17 {
		return false
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

func num(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

func msTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	return time.UnixMilli(num(s)).UTC()
}

// List returns the most recent broadcasts, newest first.
func (s *Store) List(ctx context.Context, limit int) ([]Status, error) {
	ids, err := s.rdb.ZRevRange(ctx, s.keys.Broadcasts(), 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("broadcast: list: %w", err)
	}
	out := make([]Status, 0, len(ids))
	for _, id := range ids {
		st, err := s.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			s.rdb.ZRem(ctx, s.keys.Broadcasts(), id) // expired record
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// ErrSettled means a broadcast is already done or cancelled.
var ErrSettled = errors.New("broadcast: already finished")

// Cancel stops a broadcast: nothing not yet sent will be.
func (s *Store) Cancel(ctx context.Context, id string) (Status, error) {
	st, err := s.Get(ctx, id)
	if err != nil {
		return Status{}, err
	}
	if st.Settled() {
		return st, ErrSettled
	}
	now := s.now()
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, s.keys.Broadcast(id), fState, string(StateCancelled), fDoneAt, now.UnixMilli())
		p.ZRem(ctx, s.keys.Scheduled(), id)
		if st.Sent == 0 {
			p.ZRem(ctx, s.keys.TopicBroadcasts(st.Topic), id) // nothing went: it does not count
		}
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("broadcast: cancel %s: %w", id, err)
	}
	s.expire(ctx, id)
	return s.Get(ctx, id)
}

// expire sets the retention of a finished broadcast's records.
func (s *Store) expire(ctx context.Context, id string) {
	s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Expire(ctx, s.keys.Ledger(id), ledgerRetention)
		p.Expire(ctx, s.keys.Callbacks(id), ledgerRetention)
		p.Expire(ctx, s.keys.Broadcast(id), recordRetention)
		p.Expire(ctx, s.keys.Reasons(id), recordRetention)
		return nil
	})
}

// callback.lua's answers.
const (
	callbackNotCounted = 0 // counted before, or not an outcome
	callbackCounted    = 1 // counted now
	callbackUnknown    = 2 // no such broadcast: nothing created
)

var (
	//go:embed scripts/callback.lua
	callbackLua    string
	callbackScript = redis.NewScript(callbackLua)
)

// Callback is one status callback of a broadcast's message, as the HTTP
// handler read it. Nothing in it names the person.
type Callback struct {
	Broadcast string // the b parameter of the callback URL
	Tag       string // the d parameter: the delivery's tag (DeliveryTag); may be empty
	MsgHash   string // a keyed hash of the MessageSid, so the sid itself is not kept
	Status    string // MessageStatus
	ErrorCode int
}

// RecordCallback records one status callback: the delivery's tag, so a
// worker reconciling a lost attempt knows Twilio has the message (whatever
// its status), and a terminal status counted once per message (Twilio may
// repeat callbacks). A callback for a broadcast that does not exist
// (expired, or never did) creates nothing and returns ErrNotFound; the keys
// it writes expire with the broadcast.
func (s *Store) RecordCallback(ctx context.Context, cb Callback) error {
	var field, reason string
	switch cb.Status {
	case "delivered", "read": // read follows delivered: both count once, as delivered
		field = fDelivered
	case "failed", "undelivered":
		field = fFailed
		reason = string(reasonCode(cb.ErrorCode, ReasonUndelivered))
	}
	if !validID(cb.Broadcast) {
		return ErrNotFound
	}
	tag := ""
	if validTag(cb.Tag) {
		tag = tagMember + cb.Tag
	}
	if field == "" && tag == "" {
		return nil // queued, sent, … without a tag: nothing to record
	}
	res, err := callbackScript.Run(ctx, s.rdb, []string{s.keys.Broadcast(cb.Broadcast), s.keys.Callbacks(cb.Broadcast), s.keys.Reasons(cb.Broadcast)},
		cb.MsgHash+":"+field, field, reason, ledgerRetention.Milliseconds(), tag).Int()
	if err != nil {
		return fmt.Errorf("broadcast: callback: %w", err)
	}
	if res == callbackUnknown {
		return ErrNotFound
	}
	if res == callbackCounted { // a repeated callback is in the figures once
		s.noteCallback(ctx, field)
	}
	return nil
}
