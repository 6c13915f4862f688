package broadcast

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/internal/pace"
	"github.com/senda-org/senda/bot/localtime"
	"github.com/senda-org/senda/bot/logx"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
)

// Sender sends one message through Twilio, and can tell whether a message
// whose outcome was lost went out after all.
type Sender interface {
	Send(ctx context.Context, m twilio.Message) (twilio.Result, error)
	SentSince(ctx context.Context, to string, since time.Time, body string) (bool, error)
}

// Group is the consumer group every worker reads the queue through.
const Group = "senda-workers"

// WorkerConfig tunes delivery.
type WorkerConfig struct {
	Workers        int           // deliveries in flight at once in this process
	MPS            float64       // messages per second for all workers together; 0 means unlimited
	DailyCap       int           // different people reached with WhatsApp templates in a rolling 24 hours (Meta's tier: 250, 1,000, 10,000…); 0 means no cap
	StatusCallback string        // e.g. https://senda.example.org/twilio/status; empty sends none
	Block          time.Duration // how long one stream read waits for entries
	Heartbeat      time.Duration // how often a live worker marks its deliveries as still in hand
	MinIdle        time.Duration // a delivery not marked this long belongs to a dead worker and is taken over
	ClaimEvery     time.Duration // how often to look for such deliveries
	Tick           time.Duration // how often to look for due broadcasts and waiting deliveries
	MaxAttempts    int           // sends of one delivery before it counts as failed
	RetryBase      time.Duration // first retry delay; doubles each time, with jitter
	Consumer       string        // this process's consumer name; unique per process
	CallbackGrace  time.Duration // with StatusCallback: how long after a lost attempt its callback is awaited before sending again
	LogEvery       time.Duration // during an outage, one summary line per kind of failure this often
	Health         *QueueHealth  // where the worker reports whether it can read its queue; may be nil

	// Quiet are the quiet hours: no sends then, but urgent WhatsApp ones.
	Quiet localtime.QuietHours
}

// Default timing of takeover. A live worker marks the deliveries it holds
// every DefaultHeartbeat; one unmarked for four heartbeats belongs to a
// dead worker, and workers look for those every heartbeat. So a dead
// worker's deliveries are taken over at most MinIdle + ClaimEvery + Block
// (8 + 2 + 1 = 11 s) after its last heartbeat.
const (
	DefaultHeartbeat = 2 * time.Second
	missedHeartbeats = 4
)

// DefaultCallbackGrace is how long after a lost attempt a worker waits for
// its status callback before sending again, when the message list does not
// show it (Message Redaction hides the address). Twilio posts the first
// callback ("sent", or "failed") when the message leaves its queue, seconds
// after it was created when Senda paces at the account's rate. A dead
// worker's lost attempt is found MinIdle (8 s) after its last heartbeat at
// the earliest, so by then most of the grace has passed and a crash costs
// seconds, not minutes (it was 2 minutes, and one restart in five waited
// for it: every attempt a SIGKILL cut off before Twilio created the
// message).
const DefaultCallbackGrace = 10 * time.Second

// Defaults: takeover as above; retries back off from five seconds to about
// ten minutes over eight attempts; outage summaries every 30 seconds.
func (c WorkerConfig) withDefaults() WorkerConfig {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Block <= 0 {
		c.Block = time.Second
	}
	switch {
	case c.Heartbeat <= 0 && c.MinIdle > 0:
		c.Heartbeat = c.MinIdle / missedHeartbeats
	case c.Heartbeat <= 0:
		c.Heartbeat = DefaultHeartbeat
	}
	if c.MinIdle <= 0 {
		c.MinIdle = missedHeartbeats * c.Heartbeat
	}
	if c.ClaimEvery <= 0 {
		c.ClaimEvery = c.Heartbeat
	}
	if c.Tick <= 0 {
		c.Tick = time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase <= 0 {
		c.RetryBase = 5 * time.Second
	}
	if c.CallbackGrace <= 0 {
		c.CallbackGrace = DefaultCallbackGrace
	}
	if c.LogEvery <= 0 {
		c.LogEvery = 30 * time.Second
	}
	if c.Consumer == "" {
		host, _ := os.Hostname()
		var r [4]byte
		rand.Read(r[:])
		c.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
	return c
}

// QueueHealth is whether the workers of this process can read their
// queue, for /readyz. The zero value is healthy.
type QueueHealth struct {
	mu    sync.Mutex
	err   error
	since time.Time
}

func (h *QueueHealth) set(err error) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.err, h.since = nil, time.Time{}
	case h.err == nil:
		h.err, h.since = err, time.Now()
	default:
		h.err = err
	}
}

// Err returns nil while the queue is read, or why it cannot be, and since
// when.
func (h *QueueHealth) Err() error {
	if h == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	return fmt.Errorf("broadcast workers cannot read their queue since %s: %w", h.since.UTC().Format(time.RFC3339), h.err)
}

// Worker delivers broadcasts.
type Worker struct {
	cfg    WorkerConfig
	store  *Store
	subs   *subscribers.Store
	sender Sender
	block  redis.UniversalClient // for blocking reads only, so they never hold the webhook's connections
	pacer  *pace.Pacer
	log    *slog.Logger
	errlog *logx.Limited // outage logging: first failure, then a summary per LogEvery

	mu    sync.Mutex
	cache map[string]cachedBroadcast

	// inFlight holds the stream ids this process has read and not yet
	// finished. They are kept fresh in the group, so no other worker takes
	// over a delivery that is only waiting for its turn.
	flightMu sync.Mutex
	inFlight map[string]struct{}
}

// NewWorker returns a worker. block is a Redis client of its own for the
// blocking stream reads.
func NewWorker(cfg WorkerConfig, store *Store, sender Sender, block redis.UniversalClient, log *slog.Logger) *Worker {
	cfg = cfg.withDefaults()
	log = log.With("component", "broadcast")
	return &Worker{cfg: cfg, store: store, subs: store.subs, sender: sender, block: block, pacer: pace.New(store.rdb, store.keys.Rate(), cfg.MPS),
		log: log, errlog: logx.NewLimited(log, cfg.LogEvery),
		cache: map[string]cachedBroadcast{}, inFlight: map[string]struct{}{}}
}

// logFailure logs a failure of kind at level, but only the first of an
// outage and then one line per LogEvery with how many were not logged.
func (w *Worker) logFailure(level slog.Level, kind string, args ...any) {
	w.errlog.Log(level, kind, args...)
}

// Run delivers until ctx ends, then finishes the deliveries in hand and
// returns. Deliveries read but not finished stay pending in the group, and
// another worker takes them over.
func (w *Worker) Run(ctx context.Context) error {
	defer w.errlog.Flush()
	if err := w.ensureGroup(ctx); err != nil {
		return err
	}
	work := make(chan delivery)
	var wg sync.WaitGroup
	for range w.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				w.deliver(context.WithoutCancel(ctx), d)
				w.forget(d.streamID)
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		w.schedule(ctx)
	}()
	go func() {
		defer wg.Done()
		w.beat(ctx)
	}()
	w.read(ctx, work)
	close(work)
	wg.Wait()
	return nil
}

// ensureGroup creates the consumer group (and the stream) unless it exists.
func (w *Worker) ensureGroup(ctx context.Context) error {
	err := w.store.rdb.XGroupCreateMkStream(ctx, w.store.keys.Queue(), Group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("broadcast: create consumer group: %w", err)
	}
	return nil
}

// healGroup recreates the consumer group when Redis answered NOGROUP: the
// queue's group is gone (Redis restarted without persistence, or was
// restored or flushed). It reports whether err was NOGROUP.
func (w *Worker) healGroup(ctx context.Context, err error) bool {
	if err == nil || !strings.HasPrefix(err.Error(), "NOGROUP") {
		return false
	}
	w.flightMu.Lock()
	clear(w.inFlight) // what was read before is gone with the group
	w.flightMu.Unlock()
	if err := w.ensureGroup(ctx); err != nil {
		w.logFailure(slog.LevelWarn, "recreate the queue's consumer group", "err", err)
		return true
	}
	w.log.Warn("the broadcast queue's consumer group was missing, so Redis lost data (a restart without persistence, a restore or a flush); recreated it and delivering again. Broadcasts and subscribers Redis lost are gone: check SENDA_REDIS_URL's durability (docs/OPERATIONS.md)")
	return true
}

func (w *Worker) forget(streamID string) {
	w.flightMu.Lock()
	delete(w.inFlight, streamID)
	w.flightMu.Unlock()
}

// read feeds deliveries to the workers: new ones from the stream, and from
// time to time those of dead workers.
func (w *Worker) read(ctx context.Context, work chan<- delivery) {
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var msgs []redis.XMessage
		if time.Since(lastClaim) >= w.cfg.ClaimEvery {
			lastClaim = time.Now()
			msgs = w.takeOver(ctx)
		}
		if len(msgs) == 0 {
			var ok bool
			if msgs, ok = w.readNew(ctx); !ok {
				continue
			}
		}
		w.flightMu.Lock()
		for _, m := range msgs {
			w.inFlight[m.ID] = struct{}{} // kept fresh from now on, also while waiting to be handed out
		}
		w.flightMu.Unlock()
		for i, m := range msgs {
			d, ok := parseEntry(m)
			if !ok {
				w.ack(context.WithoutCancel(ctx), m.ID) // not a delivery: drop it rather than loop on it
				w.forget(m.ID)
				continue
			}
			select {
			case work <- d:
			case <-ctx.Done():
				for _, rest := range msgs[i:] {
					w.forget(rest.ID) // not handed out: they stay pending and are taken over later
				}
				return
			}
		}
	}
}

// takeOver claims the deliveries of workers that stopped marking them.
func (w *Worker) takeOver(ctx context.Context) []redis.XMessage {
	claimed, _, err := w.store.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: w.store.keys.Queue(), Group: Group, Consumer: w.cfg.Consumer,
		MinIdle: w.cfg.MinIdle, Start: "0-0", Count: int64(4 * w.cfg.Workers),
	}).Result()
	if err != nil && ctx.Err() == nil && !w.healGroup(ctx, err) {
		w.logFailure(slog.LevelWarn, "reclaim deliveries", "err", err)
	}
	var msgs []redis.XMessage
	w.flightMu.Lock()
	for _, m := range claimed {
		if _, mine := w.inFlight[m.ID]; !mine {
			msgs = append(msgs, m)
		}
	}
	w.flightMu.Unlock()
	if len(msgs) > 0 {
		w.log.Info("took over deliveries of a stopped worker", "count", len(msgs))
	}
	w.forgetIdleConsumers(ctx)
	return msgs
}

// readNew reads new entries, blocking up to Block. It reports false after
// a failure (logged, reported to Health, and waited out).
func (w *Worker) readNew(ctx context.Context) ([]redis.XMessage, bool) {
	streams, err := w.block.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: Group, Consumer: w.cfg.Consumer, Streams: []string{w.store.keys.Queue(), ">"},
		Count: int64(w.cfg.Workers), Block: w.cfg.Block,
	}).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		if ctx.Err() != nil {
			return nil, false
		}
		w.cfg.Health.set(err)
		if !w.healGroup(ctx, err) {
			w.logFailure(slog.LevelWarn, "read queue", "err", err)
			sleep(ctx, time.Second)
		}
		return nil, false
	}
	w.cfg.Health.set(nil)
	var msgs []redis.XMessage
	for _, s := range streams {
		msgs = append(msgs, s.Messages...)
	}
	return msgs, true
}

// beat marks this process's deliveries in hand every Heartbeat until ctx
// ends, so XAUTOCLAIM elsewhere takes over only those of dead workers. It
// runs on its own, so a worker busy sending or waiting for its turn keeps
// its deliveries.
func (w *Worker) beat(ctx context.Context) {
	t := time.NewTicker(w.cfg.Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			w.heartbeat(ctx)
		}
	}
}

// heartbeat resets the idle time of this process's deliveries in the
// group.
func (w *Worker) heartbeat(ctx context.Context) {
	w.flightMu.Lock()
	ids := make([]string, 0, len(w.inFlight))
	for id := range w.inFlight {
		ids = append(ids, id)
	}
	w.flightMu.Unlock()
	if len(ids) == 0 {
		return
	}
	err := w.store.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: w.store.keys.Queue(), Group: Group, Consumer: w.cfg.Consumer, MinIdle: 0, Messages: ids,
	}).Err()
	if err != nil && ctx.Err() == nil {
		w.logFailure(slog.LevelWarn, "keep deliveries claimed", "err", err)
	}
}

// forgetIdleConsumers removes consumers of stopped processes that hold
// nothing, so the group does not grow a name per restart.
func (w *Worker) forgetIdleConsumers(ctx context.Context) {
	q := w.store.keys.Queue()
	consumers, err := w.store.rdb.XInfoConsumers(ctx, q, Group).Result()
	if err != nil {
		return
	}
	for _, c := range consumers {
		if c.Name != w.cfg.Consumer && c.Pending == 0 && c.Idle > time.Hour {
			w.store.rdb.XGroupDelConsumer(ctx, q, Group, c.Name)
		}
	}
}

// schedule fans out broadcasts whose time has come and returns waiting
// deliveries to the queue when their time has come.
func (w *Worker) schedule(ctx context.Context) {
	t := time.NewTicker(w.cfg.Tick)
	defer t.Stop()
	for {
		if err := w.store.FanOutDue(ctx); err != nil && ctx.Err() == nil {
			w.logFailure(slog.LevelWarn, "fan out broadcasts", "err", err)
		}
		if err := w.store.undelay(ctx); err != nil && ctx.Err() == nil {
			w.logFailure(slog.LevelWarn, "return waiting deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// cachedBroadcast is what a worker needs of a broadcast, read at most once
// a second so a cancel takes effect quickly.
type cachedBroadcast struct {
	state   State
	texts   rendered
	tpl     *Template
	urgent  bool
	started time.Time
	read    time.Time
}

func (w *Worker) broadcast(ctx context.Context, id string) (cachedBroadcast, error) {
	now := time.Now()
	w.mu.Lock()
	c, ok := w.cache[id]
	w.mu.Unlock()
	if ok && now.Sub(c.read) < time.Second {
		return c, nil
	}
	m, err := w.store.rdb.HMGet(ctx, w.store.keys.Broadcast(id), fState, fTexts, fTemplate, fUrgent, fStarted).Result()
	if err != nil {
		return cachedBroadcast{}, fmt.Errorf("broadcast: read %s: %w", id, err)
	}
	str := func(i int) string { s, _ := m[i].(string); return s }
	if str(0) == "" {
		return cachedBroadcast{}, ErrNotFound
	}
	c = cachedBroadcast{state: State(str(0)), urgent: str(3) == flagOn, started: msTime(str(4)), read: now}
	if c.texts, err = decodeRendered(str(1)); err != nil {
		return cachedBroadcast{}, err
	}
	if tpl := str(2); tpl != "" {
		c.tpl = &Template{}
		if err := json.Unmarshal([]byte(tpl), c.tpl); err != nil {
			return cachedBroadcast{}, errors.New("broadcast: stored template is corrupt")
		}
	}
	w.mu.Lock()
	if len(w.cache) > 1000 {
		clear(w.cache)
	}
	w.cache[id] = c
	w.mu.Unlock()
	return c, nil
}

// deliver takes one delivery to an outcome, or puts it aside to wait.
func (w *Worker) deliver(ctx context.Context, d delivery) {
	if err := w.tryDeliver(ctx, d); err != nil {
		// Redis or a bug: leave the entry pending; it is taken over later.
		w.logFailure(slog.LevelError, "deliver", "broadcast", d.bid, "err", err)
		return
	}
	w.ack(ctx, d.streamID)
}

func (w *Worker) ack(ctx context.Context, streamID string) {
	q := w.store.keys.Queue()
	_, err := w.store.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q, Group, streamID)
		p.XDel(ctx, q, streamID)
		return nil
	})
	if err != nil {
		w.logFailure(slog.LevelWarn, "acknowledge delivery", "err", err)
	}
}
