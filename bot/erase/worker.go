package erase

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/internal/pace"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/twilio"
)

// Group is the consumer group every erase worker reads the queue through.
const Group = "senda-erasers"

// Deleter deletes one message at Twilio (*twilio.Client).
type Deleter interface {
	Delete(ctx context.Context, sid string) error
}

// WorkerConfig tunes erasure. Zero fields take the defaults.
type WorkerConfig struct {
	Workers    int           // DELETEs in flight at once in this process (2)
	RPS        float64       // DELETEs a second for all processes together (DefaultRPS); < 0 unlimited
	Incomplete time.Duration // wait after 20009, message not complete (1 minute, as Twilio asks)
	RetryBase  time.Duration // first wait after 429/5xx/no answer; doubles each time (30 s)
	RetryMax   time.Duration // longest wait between retries (1 hour)
	Window     time.Duration // retries stop this long after the erasure was first queued (24 hours)
	Block      time.Duration // how long one stream read waits (1 s)
	MinIdle    time.Duration // an entry idle this long belongs to a dead worker and is taken over (3 minutes)
	ClaimEvery time.Duration // how often to look for such entries (15 s)
	Tick       time.Duration // how often waiting entries whose time has come go back to the stream (1 s)
	Consumer   string        // this process's consumer name; unique per process
}

// DefaultRPS keeps erasures well below Twilio's REST limits (an account's
// concurrent requests are limited, and broadcasts share them): 5 a second
// is 18,000 an hour, far more than the line's messages.
const DefaultRPS = 5

func (c WorkerConfig) withDefaults() WorkerConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Workers <= 0 {
		c.Workers = 2
	}
	if c.RPS == 0 {
		c.RPS = DefaultRPS
	}
	def(&c.Incomplete, time.Minute)
	def(&c.RetryBase, 30*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.Window, 24*time.Hour)
	def(&c.Block, time.Second)
	// Longer than a worker holds an entry: up to the queue's delay (a
	// minute) waiting for its time, then its pace slot and Twilio's answer.
	def(&c.MinIdle, 3*time.Minute)
	def(&c.ClaimEvery, 15*time.Second)
	def(&c.Tick, time.Second)
	if c.Consumer == "" {
		host, _ := os.Hostname()
		var r [4]byte
		rand.Read(r[:])
		c.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	}
	return c
}

// Worker erases queued messages at Twilio.
type Worker struct {
	q       *Queue
	cfg     WorkerConfig
	del     Deleter
	block   redis.UniversalClient // blocking reads only, so they never hold the webhook's connections
	pacer   *pace.Pacer
	metrics *metrics.Set
	log     *slog.Logger
}

// Worker returns a worker of the queue. block is a Redis client of its own
// for the blocking stream reads; m may be nil.
func (q *Queue) Worker(cfg WorkerConfig, del Deleter, block redis.UniversalClient, m *metrics.Set, log *slog.Logger) *Worker {
	cfg = cfg.withDefaults()
	if m == nil {
		m = metrics.New()
	}
	return &Worker{q: q, cfg: cfg, del: del, block: block, pacer: pace.New(q.rdb, q.keys.EraseRate(), cfg.RPS),
		metrics: m, log: log.With("component", "erase")}
}

// job is one stream entry.
type job struct {
	id           string // stream entry id
	sid          string
	notBefore    time.Time
	attempt      int
	first        time.Time
	parsedFields bool
}

// parseJob reads an entry. The webhook's and the status callbacks' entries
// hold only the SID and when they were queued (f): they are a first attempt,
// due delay after that. Entries back from the delayed set also say when they
// are due (n) and which attempt they are (a).
func parseJob(m redis.XMessage, delay time.Duration) job {
	str := func(k string) (string, bool) { s, ok := m.Values[k].(string); return s, ok }
	msTime := func(s string) (time.Time, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return time.UnixMilli(n), err == nil
	}
	sid, _ := str(fieldSID)
	j := job{id: m.ID, sid: sid}
	f, _ := str(fieldFirst)
	first, ok := msTime(f)
	j.first, j.notBefore = first, first.Add(delay)
	if n, has := str(fieldNotBefore); has {
		var okN bool
		j.notBefore, okN = msTime(n)
		ok = ok && okN
	}
	if a, has := str(fieldAttempt); has {
		var err error
		j.attempt, err = strconv.Atoi(a)
		ok = ok && err == nil
	}
	j.parsedFields = ok && sid != "" && !strings.Contains(sid, "|")
	return j
}

// Run erases until ctx ends, then finishes the DELETEs in hand and returns.
// Entries read but not finished stay pending in the group and another
// worker takes them over after MinIdle.
func (w *Worker) Run(ctx context.Context) error {
	err := w.q.rdb.XGroupCreateMkStream(ctx, w.q.keys.EraseQueue(), Group, "0").Err()
	if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("erase: create consumer group: %w", err)
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range w.cfg.Workers {
		wg.Go(func() {
			for j := range jobs {
				w.handle(ctx, j)
			}
		})
	}
	wg.Go(func() { w.schedule(ctx) })
	w.read(ctx, jobs)
	close(jobs)
	wg.Wait()
	return nil
}

// read feeds entries to the workers: new ones, and from time to time those
// a dead worker left pending.
func (w *Worker) read(ctx context.Context, jobs chan<- job) {
	stream := w.q.keys.EraseQueue()
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var msgs []redis.XMessage
		if time.Since(lastClaim) >= w.cfg.ClaimEvery {
			lastClaim = time.Now()
			claimed, _, err := w.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
				Stream: stream, Group: Group, Consumer: w.cfg.Consumer,
				MinIdle: w.cfg.MinIdle, Start: "0-0", Count: int64(8 * w.cfg.Workers),
			}).Result()
			if err != nil && ctx.Err() == nil {
				w.log.Warn("reclaim erasures", "err", err)
			}
			if len(claimed) > 0 {
				w.log.Info("took over erasures of a stopped worker", "count", len(claimed))
			}
			msgs = claimed
		}
		if len(msgs) == 0 {
			streams, err := w.block.XReadGroup(ctx, &redis.XReadGroupArgs{
				Group: Group, Consumer: w.cfg.Consumer, Streams: []string{stream, ">"},
				Count: int64(w.cfg.Workers), Block: w.cfg.Block,
			}).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				if ctx.Err() != nil {
					return
				}
				w.log.Warn("read erase queue", "err", err)
				pace.Sleep(ctx, time.Second)
				continue
			}
			for _, s := range streams {
				msgs = append(msgs, s.Messages...)
			}
		}
		for _, m := range msgs {
			select {
			case jobs <- parseJob(m, w.q.delay):
			case <-ctx.Done():
				return // entries not handed out stay pending; they are taken over later
			}
		}
	}
}

// schedule returns waiting erasures to the stream when their time comes,
// and keeps the pending figure in /metrics fresh.
func (w *Worker) schedule(ctx context.Context) {
	t := time.NewTicker(w.cfg.Tick)
	defer t.Stop()
	for {
		now := w.q.now()
		keys := []string{w.q.keys.EraseDelayed(), w.q.keys.EraseQueue()}
		err := undelayScript.Run(ctx, w.q.rdb, keys, ms(now), 500, w.q.minID(now), ms(now.Add(-w.q.keep))).Err()
		if err != nil && ctx.Err() == nil {
			w.log.Warn("return waiting erasures", "err", err)
		}
		if f, err := w.q.Figures(ctx); err == nil {
			w.metrics.Store("erase_pending", "", "", f.Pending)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// outcome of one entry.
type outcome int

const (
	outErased  outcome = iota // deleted now
	outGone                   // Twilio had it no more
	outWait                   // not due yet, or retry later
	outFailed                 // given up
	outDrop                   // not an entry: dropped
	outAbandon                // stopping: leave it pending for another worker
)

var outcomeNames = [...]string{outErased: "erased", outGone: "gone", outWait: "retry", outFailed: "failed", outDrop: "dropped"}

// handle takes one entry to an outcome and acknowledges it with the
// outcome recorded, in one transaction: a worker that dies before that
// leaves the entry pending, and another takes it over.
func (w *Worker) handle(ctx context.Context, j job) {
	out, due, attempt := w.try(ctx, j)
	if out == outAbandon {
		return
	}
	bg := context.WithoutCancel(ctx)
	_, err := w.q.rdb.TxPipelined(bg, func(p redis.Pipeliner) error {
		switch out {
		case outErased:
			p.HIncrBy(bg, w.q.keys.EraseFigures(), figErased, 1)
		case outGone:
			p.HIncrBy(bg, w.q.keys.EraseFigures(), figGone, 1)
		case outFailed:
			p.HIncrBy(bg, w.q.keys.EraseFigures(), figFailed, 1)
		case outWait:
			member := j.sid + "|" + strconv.Itoa(attempt) + "|" + strconv.FormatInt(j.first.UnixMilli(), 10)
			p.ZAdd(bg, w.q.keys.EraseDelayed(), redis.Z{Score: float64(due.UnixMilli()), Member: member})
		}
		p.XAck(bg, w.q.keys.EraseQueue(), Group, j.id)
		p.XDel(bg, w.q.keys.EraseQueue(), j.id)
		return nil
	})
	if err != nil {
		w.log.Warn("record erasure", "err", err) // stays pending; taken over later
		return
	}
	w.metrics.Add("erase_total", "outcome", outcomeNames[out], 1)
}

// try deletes the message if its time has come. For outWait it returns
// when to try again, and the attempt count to try with.
func (w *Worker) try(ctx context.Context, j job) (outcome, time.Time, int) {
	if !j.parsedFields {
		return outDrop, time.Time{}, 0
	}
	if wait := j.notBefore.Sub(w.q.now()); wait > 0 {
		// Entries come in the order they are due (one delay for all), so
		// the worker waits for this one's time holding it; only a wait
		// too long to hold (longer than half of MinIdle, after which
		// another worker would take it over) goes to the delayed set.
		if wait > w.cfg.MinIdle/2 {
			return outWait, j.notBefore, j.attempt
		}
		pace.Sleep(ctx, wait)
		if ctx.Err() != nil {
			return outAbandon, time.Time{}, 0
		}
	}
	if err := w.pacer.Wait(ctx); err != nil || ctx.Err() != nil {
		return outAbandon, time.Time{}, 0
	}
	err := w.del.Delete(ctx, j.sid)
	if err != nil && ctx.Err() != nil {
		return outAbandon, time.Time{}, 0
	}
	out, due := w.judge(j, err)
	return out, due, j.attempt + 1
}

// incompleteRetries is how many times 20009 waits only Incomplete; after
// that it backs off like other retries (Twilio: records may take days).
const incompleteRetries = 3

// judge turns Twilio's answer into an outcome: 404 is gone already; 20009
// waits a minute (then backs off); rate limits, Twilio's failures, no answer and settings
// errors back off (an operator may fix the settings) until the window
// ends; anything else fails at once.
func (w *Worker) judge(j job, err error) (outcome, time.Time) {
	if err == nil {
		return outErased, time.Time{}
	}
	var te *twilio.Error
	if !errors.As(err, &te) {
		te = &twilio.Error{Kind: twilio.KindRetry}
	}
	now := w.q.now()
	var wait time.Duration
	switch {
	case te.Code == 20404 || te.HTTPStatus == http.StatusNotFound:
		return outGone, time.Time{}
	case te.Code == 20009 && j.attempt < incompleteRetries:
		wait = w.cfg.Incomplete
	case te.Kind == twilio.KindRetry, te.Kind == twilio.KindUnknown, te.Kind == twilio.KindConfig:
		wait = min(w.cfg.RetryBase<<min(j.attempt, 16), w.cfg.RetryMax)
		if te.Kind == twilio.KindConfig {
			w.log.Warn("Twilio refused an erasure; check the Twilio settings", "err", err)
		}
	default:
		w.log.Warn("Twilio refused an erasure for good", "err", err)
		return outFailed, time.Time{}
	}
	due := now.Add(wait)
	if due.Sub(j.first) > w.cfg.Window {
		w.log.Warn("erasure given up after the retry window", "err", err)
		return outFailed, time.Time{}
	}
	return outWait, due
}
