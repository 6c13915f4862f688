package app

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/erase"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/stats"
)

// riders are the writes that ride each message's session step (see
// conversation.Rider): the erasure of the inbound message at Twilio. The
// daily figures are not one: they are counted in memory (statsCounter) and
// written once a second.
func (a *App) riders() []conversation.Rider {
	var r []conversation.Rider
	if a.erase != nil {
		r = append(r, eraseRider{a.erase.Rider(), a.erase, a.metrics})
	}
	return r
}

// statsCounter counts a stored step in the day's figures, in memory (see
// stats.Recorder.Count). stats does not import conversation, so this adapts
// conversation.Ride.
type statsCounter struct{ rec *stats.Recorder }

func (c statsCounter) Count(m conversation.Ride) {
	c.rec.CountStep(stats.StepRide{Now: m.Now, Sender: m.Sender, Channel: m.Channel, Pack: m.Pack, Input: m.Input, Result: m.Result})
}

// eraseRider queues an inbound message's erasure at Twilio in the session
// step's round trip. erase does not import conversation, so this adapts
// its rider to conversation.Ride.
type eraseRider struct {
	r erase.Rider
	q *erase.Queue
	m *metrics.Set
}

func (e eraseRider) Lua() string { return e.r.Lua() }

func (e eraseRider) Shape() (keys, args int) { return e.r.Shape() }

func (e eraseRider) Args(m conversation.Ride) ([]string, []any) { return e.r.Args(m.SID, m.Now) }

func (e eraseRider) Queue(ctx context.Context, pipe redis.Pipeliner, m conversation.Ride) {
	e.r.Queue(ctx, pipe, m.SID, m.Now)
}

// unstoredTimeout bounds the best-effort queueing of a message whose step
// failed: the person is waiting for the "try again later" page.
const unstoredTimeout = time.Second

// Unstored queues the erasure of a message answered with "try again later"
// (its step was not stored, so the fragment did not run): best effort, since
// Redis has just failed once.
func (e eraseRider) Unstored(ctx context.Context, m conversation.Ride) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), unstoredTimeout)
	defer cancel()
	if err := e.q.Add(ctx, m.SID); err != nil {
		e.m.Count("erase_queue_errors_total")
	}
}
