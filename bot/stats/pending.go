package stats

import (
	"context"
	"crypto/rand"
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
)

// FlushEvery is how often Run writes the figures this process counted.
const FlushEvery = time.Second

// MaxPendingPeople bounds how many distinct people one day's unwritten
// figures hold in memory. It is reached only when Redis has been
// unreachable for a long time: the messages of further people are still
// counted, they are not added to the day's people (Flush says how many).
const MaxPendingPeople = 100_000

// flushedTTL is how long Redis keeps a process's last batch number: longer
// than any retry of a batch whose reply was lost.
const flushedTTL = 24 * time.Hour

// flushTimeout bounds each of Run's flushes. A flush does not end with
// Run's context: one under way when the process stops finishes, and the
// last one runs after the context ended.
const flushTimeout = 2 * time.Second

//go:embed scripts/flush.lua
var flushLua string

var flushScript = redis.NewScript(flushLua)

// ErrPeopleDropped is wrapped by Flush's error when people were left out of
// a day's figures because MaxPendingPeople was reached.
var ErrPeopleDropped = errors.New("stats: people left out of the figures while they could not be written")

// pendingDay is one day's figures counted in memory and not yet written.
type pendingDay struct {
	expires time.Time
	counts  map[string]int64
	people  map[ident.SenderID]struct{}
}

// batch is one day's pendingDay taken by a flush, with its number; it is
// kept until Redis confirms it, and sent again by the same number.
type batch struct {
	seq uint64
	day string
	*pendingDay
}

// pending is what a Recorder counted and has not written yet.
type pending struct {
	token string // this Recorder's, for rkey.Space.StatsFlushed

	mu      sync.Mutex // guards open and dropped
	open    map[string]*pendingDay
	dropped int64

	flushMu sync.Mutex // one flush at a time; guards unsent and seq
	unsent  []batch
	seq     uint64
}

func newPending() pending { return pending{token: rand.Text()} }

// Count adds one conversation step to the figures of t's day in this
// process's memory. It sends nothing: Flush writes what was counted (Run
// flushes every FlushEvery, and Read flushes first), so a message's own
// round trip carries no figures. Count only stored steps, once each: a
// duplicate or a step that was not stored must not be counted.
func (r *Recorder) Count(t time.Time, e Event) {
	d := r.dayOf(t)
	msg, in, out := e.counters()
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.open[d.day]
	if p == nil {
		if r.open == nil {
			r.open = map[string]*pendingDay{}
		}
		p = &pendingDay{expires: d.expires, counts: map[string]int64{}, people: map[ident.SenderID]struct{}{}}
		r.open[d.day] = p
	}
	p.counts[msg]++
	if in != "" {
		p.counts[in]++
	}
	if out != "" {
		p.counts[out]++
	}
	if e.Person == (ident.SenderID{}) {
		return
	}
	if _, ok := p.people[e.Person]; ok {
		return
	}
	if len(p.people) >= MaxPendingPeople {
		r.dropped++
		return
	}
	p.people[e.Person] = struct{}{}
}

// Flush writes what this process counted and has not written: first a
// batch an earlier flush could not confirm (by its number, so it is never
// counted twice), then everything counted since. One script call a day
// (EVALSHA; all of a day's keys share the {stats} hash tag, so it runs on
// Cluster too). It sends nothing when nothing is waiting. On failure the
// figures are kept and the next Flush sends them again. People left out
// since the last Flush (MaxPendingPeople) are reported as ErrPeopleDropped.
func (r *Recorder) Flush(ctx context.Context) error {
	dropped, err := r.flush(ctx)
	if dropped > 0 {
		err = errors.Join(err, fmt.Errorf("%w: %d", ErrPeopleDropped, dropped))
	}
	return err
}

// flush is Flush, with the people left out returned apart from the error.
func (r *Recorder) flush(ctx context.Context) (dropped int64, err error) {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	if err := r.sendUnsent(ctx); err != nil {
		return 0, err
	}
	r.mu.Lock()
	open, dropped := r.open, r.dropped
	r.open, r.dropped = nil, 0
	r.mu.Unlock()
	for _, day := range slices.Sorted(maps.Keys(open)) {
		r.seq++
		r.unsent = append(r.unsent, batch{seq: r.seq, day: day, pendingDay: open[day]})
	}
	return dropped, r.sendUnsent(ctx)
}

// sendUnsent sends the batches not yet confirmed, oldest first, and stops
// at the first that fails.
func (r *Recorder) sendUnsent(ctx context.Context) error {
	for len(r.unsent) > 0 {
		b := r.unsent[0]
		if err := r.send(ctx, b); err != nil {
			return fmt.Errorf("stats: write the figures of %s: %w", b.day, err)
		}
		r.unsent[0] = batch{}
		r.unsent = r.unsent[1:]
	}
	r.unsent = nil
	return nil
}

// send writes one day's batch with the flush script.
func (r *Recorder) send(ctx context.Context, b batch) error {
	args := make([]any, 0, 4+2*len(b.counts)+len(b.people))
	args = append(args, b.seq, int64(flushedTTL/time.Second), b.expires.Unix(), len(b.counts))
	for f, n := range b.counts {
		args = append(args, f, n)
	}
	for id := range b.people {
		args = append(args, id.String())
	}
	keys := []string{rkey.Space(r.prefix).StatsFlushed(r.token), r.DayKey(b.day), r.PeopleKey(b.day)}
	return flushScript.Run(ctx, r.rdb, keys, args...).Err()
}

// Run flushes every interval (FlushEvery when interval ≤ 0) until ctx
// ends, then once more. Each flush has a deadline of its own (flushTimeout)
// and is not cut short by ctx. failed, when not nil, hears of every flush
// that failed; what it could not write is kept and sent at the next tick. A
// process that stops without Run's last flush (SIGKILL, a crash) loses at
// most the figures of its last interval.
func (r *Recorder) Run(ctx context.Context, interval time.Duration, failed func(error)) {
	if interval <= 0 {
		interval = FlushEvery
	}
	report := func(err error) {
		if err != nil && failed != nil {
			failed(err)
		}
	}
	flush := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		report(r.Flush(fctx))
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			flush()
			return
		case <-tick.C:
			flush()
		}
	}
}
