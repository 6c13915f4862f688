package broadcast

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
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
	Quiet          QuietHours    // no sends then, but urgent WhatsApp ones
	DailyCap       int           // WhatsApp template sends per day (Meta's tier: 250, 1,000, 10,000…); 0 means no cap
	StatusCallback string        // e.g. https://senda.example.org/twilio/status; empty sends none
	Block          time.Duration // how long one stream read waits for entries
	MinIdle        time.Duration // a delivery idle this long belongs to a dead worker and is taken over
	ClaimEvery     time.Duration // how often to look for such deliveries
	Tick           time.Duration // how often to look for due broadcasts and waiting deliveries
	MaxAttempts    int           // sends of one delivery before it counts as failed
	RetryBase      time.Duration // first retry delay; doubles each time, with jitter
	Consumer       string        // this process's consumer name; unique per process
}

// Defaults: a dead worker's deliveries are taken over after two minutes
// (longer than a send and its pacing wait can take), retries back off from
// five seconds to about ten minutes over eight attempts.
func (c WorkerConfig) withDefaults() WorkerConfig {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.Block <= 0 {
		c.Block = time.Second
	}
	if c.MinIdle <= 0 {
		c.MinIdle = 2 * time.Minute
	}
	if c.ClaimEvery <= 0 {
		c.ClaimEvery = 15 * time.Second
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
	if c.Consumer == "" {
		host, _ := os.Hostname()
		var r [4]byte
		rand.Read(r[:])
		c.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
	return c
}

// Worker delivers broadcasts.
type Worker struct {
	cfg    WorkerConfig
	store  *Store
	subs   *subscribers.Store
	sender Sender
	block  redis.UniversalClient // for blocking reads only, so they never hold the webhook's connections
	log    *slog.Logger

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
	return &Worker{cfg: cfg.withDefaults(), store: store, subs: store.subs, sender: sender, block: block,
		log: log.With("component", "broadcast"), cache: map[string]cachedBroadcast{}, inFlight: map[string]struct{}{}}
}

type delivery struct {
	streamID string
	bid, rid string
	token    string
	attempt  int
}

// Run delivers until ctx ends, then finishes the deliveries in hand and
// returns. Deliveries read but not finished stay pending in the group, and
// another worker takes them over.
func (w *Worker) Run(ctx context.Context) error {
	rdb, keys := w.store.rdb, w.store.keys
	err := rdb.XGroupCreateMkStream(ctx, keys.Queue(), Group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("broadcast: create consumer group: %w", err)
	}
	work := make(chan delivery)
	var wg sync.WaitGroup
	for range w.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range work {
				w.deliver(context.WithoutCancel(ctx), d)
				w.flightMu.Lock()
				delete(w.inFlight, d.streamID)
				w.flightMu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.schedule(ctx)
	}()
	w.read(ctx, work)
	close(work)
	wg.Wait()
	return nil
}

// read feeds deliveries to the workers: new ones from the stream, and from
// time to time those of dead workers.
func (w *Worker) read(ctx context.Context, work chan<- delivery) {
	keys := w.store.keys
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var msgs []redis.XMessage
		if time.Since(lastClaim) >= w.cfg.ClaimEvery {
			lastClaim = time.Now()
			w.heartbeat(ctx)
			claimed, _, err := w.store.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: keys.Queue(), Group: Group, Consumer: w.cfg.Consumer,
				MinIdle: w.cfg.MinIdle, Start: "0-0", Count: int64(4 * w.cfg.Workers),
			}).Result()
			if err != nil && ctx.Err() == nil {
				w.log.Warn("reclaim deliveries", "err", err)
			}
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
		}
		if len(msgs) == 0 {
			streams, err := w.block.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: Group, Consumer: w.cfg.Consumer, Streams: []string{keys.Queue(), ">"},
				Count: int64(w.cfg.Workers), Block: w.cfg.Block,
			}).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				if ctx.Err() != nil {
					return
				}
				w.log.Warn("read queue", "err", err)
				sleep(ctx, time.Second)
				continue
			}
			for _, s := range streams {
				msgs = append(msgs, s.Messages...)
			}
		}
		for _, m := range msgs {
			d, ok := parseEntry(m)
			if !ok {
				w.ack(context.WithoutCancel(ctx), m.ID) // not a delivery: drop it rather than loop on it
				continue
			}
			w.flightMu.Lock()
			w.inFlight[m.ID] = struct{}{}
			w.flightMu.Unlock()
			select {
			case work <- d:
			case <-ctx.Done():
				return // entries not handed out stay pending; they are taken over later
			}
		}
	}
}

func parseEntry(m redis.XMessage) (delivery, bool) {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	d := delivery{streamID: m.ID, bid: str("b"), rid: str("r"), token: str("t")}
	d.attempt, _ = strconv.Atoi(str("n"))
	return d, d.bid != "" && d.rid != "" && d.token != ""
}

// heartbeat resets the idle time of this process's deliveries in the
// group, so XAUTOCLAIM elsewhere takes over only those of dead workers.
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
		w.log.Warn("keep deliveries claimed", "err", err)
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
			w.log.Warn("fan out broadcasts", "err", err)
		}
		if err := w.store.undelay(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("return waiting deliveries", "err", err)
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
	c = cachedBroadcast{state: State(str(0)), urgent: str(3) == "1", started: msTime(str(4)), read: now}
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
		w.log.Error("deliver", "broadcast", d.bid, "err", err)
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
		w.log.Warn("acknowledge delivery", "err", err)
	}
}

// outcome is how a delivery ended.
type outcome struct {
	final   string // ledger state: s, f:CODE, x:REASON
	counter string // sent, failed, skipped
	reason  string // counted in reasons; '' for none
}

var outcomeSent = outcome{final: "s", counter: fSent}

func skipped(reason string) outcome {
	return outcome{final: "x:" + reason, counter: fSkipped, reason: reason}
}

func failed(code string) outcome {
	return outcome{final: "f:" + code, counter: fFailed, reason: code}
}

func (w *Worker) tryDeliver(ctx context.Context, d delivery) error {
	b, err := w.broadcast(ctx, d.bid)
	if errors.Is(err, ErrNotFound) {
		return nil // expired or never existed: nothing to do
	}
	if err != nil {
		return err
	}
	id, err := subscribers.ParseID(d.rid)
	if err != nil {
		return nil // not a recipient id: drop it
	}
	if b.state == StateCancelled {
		return w.finishOwned(ctx, d, skipped("cancelled"))
	}
	sub, ok, err := w.subs.Get(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return w.finishOwned(ctx, d, skipped("unsubscribed"))
	}
	now := w.store.now()
	msg, skip := w.compose(b, sub, d.bid, now)
	if skip != "" {
		return w.finishOwned(ctx, d, skipped(skip))
	}
	// Quiet hours hold everything but urgent WhatsApp messages.
	if until, quiet := w.cfg.Quiet.Until(now); quiet && !(b.urgent && sub.Channel == content.WhatsApp) {
		return w.store.putAside(ctx, d, until, "w_quiet", false)
	}
	// Wait for this send's turn before claiming it, so a claimed delivery is
	// always one being sent right now.
	if err := w.pace(ctx); err != nil {
		return err
	}
	// BAJA or a cancel may have come while this delivery waited its turn:
	// look again, in one round trip, right before claiming it.
	var exists *redis.IntCmd
	var state *redis.StringCmd
	if _, err := w.store.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, w.store.keys.Subscriber(id))
		state = p.HGet(ctx, w.store.keys.Broadcast(d.bid), fState)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("broadcast: recheck: %w", err)
	}
	switch {
	case State(state.Val()) == StateCancelled:
		return w.finishOwned(ctx, d, skipped("cancelled"))
	case exists.Val() == 0:
		return w.finishOwned(ctx, d, skipped("unsubscribed"))
	}
	claim, since, err := w.store.claim(ctx, d, w.store.now())
	if err != nil {
		return err
	}
	switch claim {
	case "done", "other":
		return nil
	case "unknown":
		// A worker died after asking Twilio and before writing down the
		// answer. Send again only if Twilio has no such message.
		body := msg.Body
		went, err := w.sender.SentSince(ctx, sub.Address, since.Add(-time.Minute), body)
		if err != nil {
			return w.retry(ctx, d, err, false)
		}
		if went {
			return w.finish(ctx, d, outcomeSent)
		}
	}
	if msg.ContentSID != "" && w.cfg.DailyCap > 0 {
		ok, err := w.store.takeCap(ctx, w.cfg.DailyCap, now, w.cfg.Quiet.Location())
		if err != nil {
			return err
		}
		if !ok {
			return w.store.putAside(ctx, d, nextMidnight(now, w.cfg.Quiet.Location()), "w_cap", true)
		}
	}
	_, err = w.sender.Send(ctx, msg)
	if isKind(err, twilio.KindOutsideWindow) && msg.Body != "" && b.tpl != nil && now.After(sub.TemplatesSuspendedUntil) {
		// The window closed earlier than the last message's hour said:
		// the template is what WhatsApp allows now.
		msg.Body, msg.ContentSID, msg.ContentVariables = "", b.tpl.ContentSID, b.tpl.Variables
		if err := w.pace(ctx); err != nil {
			return err
		}
		_, err = w.sender.Send(ctx, msg)
	}
	if err == nil {
		return w.finish(ctx, d, outcomeSent)
	}
	var te *twilio.Error
	if !errors.As(err, &te) {
		return w.retry(ctx, d, err, true)
	}
	code := reasonCode(te.Code, "http_"+strconv.Itoa(te.HTTPStatus))
	switch te.Kind {
	case twilio.KindRetry:
		return w.retry(ctx, d, err, false)
	case twilio.KindUnknown:
		return w.retry(ctx, d, err, true)
	case twilio.KindOptedOut, twilio.KindBlocked, twilio.KindInvalidAddress:
		// They asked the carrier or WhatsApp to stop, or the address is
		// gone: forget them at once, as BAJA would.
		if err := w.subs.Delete(ctx, id, w.store.pack().TopicIDs()); err != nil {
			return err
		}
		return w.finish(ctx, d, failed(code))
	case twilio.KindMarketingDeclined:
		if err := w.subs.SuspendTemplates(ctx, id, now.Add(templateSuspension)); err != nil {
			return err
		}
		return w.finish(ctx, d, failed(code))
	case twilio.KindOutsideWindow:
		return w.finish(ctx, d, skipped("outside_window"))
	case twilio.KindConfig:
		w.log.Error("Twilio refused a broadcast message because of the configuration; check the sender settings", "code", te.Code, "desc", te.Desc)
	}
	return w.finish(ctx, d, failed(code))
}

func isKind(err error, k twilio.Kind) bool {
	var te *twilio.Error
	return errors.As(err, &te) && te.Kind == k
}

// templateSuspension is how long templates wait after WhatsApp declined one
// for a person (Twilio's advice for 63049: retry later, with growing delays).
const templateSuspension = 7 * 24 * time.Hour

// compose builds the message for a subscriber, or says why none can go.
func (w *Worker) compose(b cachedBroadcast, sub subscribers.Subscriber, bid string, now time.Time) (twilio.Message, string) {
	def := w.store.pack().Languages[0].Code
	m := twilio.Message{To: sub.Address}
	if w.cfg.StatusCallback != "" {
		m.StatusCallback = w.cfg.StatusCallback + "?b=" + bid
	}
	if sub.Channel == content.SMS || inWindow(sub.LastSeen, now) {
		m.Body = b.texts.body(sub.Lang, def, sub.Channel)
		return m, ""
	}
	switch {
	case b.tpl == nil:
		return m, "no_template"
	case now.Before(sub.TemplatesSuspendedUntil):
		return m, "templates_suspended"
	}
	m.ContentSID, m.ContentVariables = b.tpl.ContentSID, b.tpl.Variables
	return m, ""
}

// finishOwned records an outcome for a delivery no send was attempted for:
// it claims the delivery first, so a copy of it is counted once.
func (w *Worker) finishOwned(ctx context.Context, d delivery, o outcome) error {
	claim, _, err := w.store.claim(ctx, d, w.store.now())
	if err != nil {
		return err
	}
	if claim == "done" || claim == "other" {
		return nil
	}
	return w.finish(ctx, d, o)
}

func (w *Worker) finish(ctx context.Context, d delivery, o outcome) error {
	keys := w.store.keys
	res, err := finishScript.Run(ctx, w.store.rdb, []string{keys.Ledger(d.bid), keys.Broadcast(d.bid), keys.Reasons(d.bid)},
		d.rid, d.token, o.final, o.counter, o.reason, w.store.now().UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("broadcast: record outcome: %w", err)
	}
	if res == 2 { // the last outcome: the broadcast is done
		w.store.expire(ctx, d.bid)
	}
	return nil
}

// retry puts a delivery aside with exponential backoff and jitter. unknown
// says whether Twilio may have created the message: then the ledger keeps
// it in flight, so the next attempt asks Twilio before sending.
func (w *Worker) retry(ctx context.Context, d delivery, cause error, unknown bool) error {
	if d.attempt+1 >= w.cfg.MaxAttempts {
		w.log.Warn("giving up on a delivery after retries", "broadcast", d.bid, "attempts", d.attempt+1, "err", cause)
		code := "retries_exhausted"
		var te *twilio.Error
		if errors.As(cause, &te) && te.Code != 0 {
			code = strconv.Itoa(te.Code)
		}
		return w.finish(ctx, d, failed(code))
	}
	delay := w.cfg.RetryBase << d.attempt
	delay += time.Duration(mrand.Int64N(int64(delay)/2 + 1))
	d.attempt++
	return w.store.putAside(ctx, d, w.store.now().Add(delay), "w_retry", !unknown)
}

// pace waits for this process's next slot of the shared send rate.
func (w *Worker) pace(ctx context.Context) error {
	if w.cfg.MPS <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / w.cfg.MPS)
	wait, err := paceScript.Run(ctx, w.store.rdb, []string{w.store.keys.Rate()}, interval.Microseconds()).Int64()
	if err != nil {
		return fmt.Errorf("broadcast: pace: %w", err)
	}
	sleep(ctx, time.Duration(wait)*time.Microsecond)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// claim takes a delivery in the ledger; for "unknown" it also returns when
// the lost attempt began.
func (s *Store) claim(ctx context.Context, d delivery, now time.Time) (string, time.Time, error) {
	res, err := claimScript.Run(ctx, s.rdb, []string{s.keys.Ledger(d.bid)}, d.rid, d.token, now.UnixMilli()).StringSlice()
	if err != nil || len(res) == 0 {
		return "", time.Time{}, fmt.Errorf("broadcast: claim: %w", err)
	}
	var since time.Time
	if res[0] == "unknown" && len(res) > 1 {
		since = msTime(res[1])
	}
	return res[0], since, nil
}

// putAside moves a delivery to the delayed set until notBefore. known marks
// the ledger "known unsent" (a retry after Twilio refused).
func (s *Store) putAside(ctx context.Context, d delivery, notBefore time.Time, waitField string, known bool) error {
	member := strings.Join([]string{d.bid, d.rid, d.token, strconv.Itoa(d.attempt), waitField}, "|")
	err := deferScript.Run(ctx, s.rdb, []string{s.keys.Delayed(), s.keys.Broadcast(d.bid), s.keys.Ledger(d.bid)},
		member, notBefore.UnixMilli(), waitField, d.rid, d.token, boolField(known)).Err()
	if err != nil {
		return fmt.Errorf("broadcast: put aside: %w", err)
	}
	return nil
}

// undelay returns deliveries whose wait is over to the queue.
func (s *Store) undelay(ctx context.Context) error {
	for {
		members, err := s.rdb.ZRangeByScore(ctx, s.keys.Delayed(), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(s.now().UnixMilli(), 10), Count: 200,
		}).Result()
		if err != nil || len(members) == 0 {
			return err
		}
		keys := []string{s.keys.Delayed(), s.keys.Queue()}
		var counters []string
		for _, m := range members {
			parts := strings.Split(m, "|")
			bid, field := "", "w_retry"
			if len(parts) == 5 {
				bid, field = parts[0], parts[4]
			}
			keys = append(keys, s.keys.Broadcast(bid))
			counters = append(counters, field)
		}
		args := make([]any, 0, 2*len(members))
		for _, m := range members {
			args = append(args, m)
		}
		for _, c := range counters {
			args = append(args, c)
		}
		if err := undelayScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
			return fmt.Errorf("broadcast: undelay: %w", err)
		}
		if len(members) < 200 {
			return nil
		}
	}
}

// takeCap takes one template send from today's WhatsApp cap.
func (s *Store) takeCap(ctx context.Context, limit int, now time.Time, loc *time.Location) (bool, error) {
	day := now.In(loc).Format(time.DateOnly)
	n, err := capScript.Run(ctx, s.rdb, []string{s.keys.DailyCap(day)}, limit, int((48 * time.Hour).Seconds())).Int()
	if err != nil {
		return false, fmt.Errorf("broadcast: daily cap: %w", err)
	}
	return n == 1, nil
}

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
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, m := range batch {
				p.XAdd(ctx, &redis.XAddArgs{Stream: s.keys.Queue(), Values: []any{"b", id, "r", m.String(), "t", token, "n", "0"}})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("broadcast: fan out %s: %w", id, err)
		}
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
