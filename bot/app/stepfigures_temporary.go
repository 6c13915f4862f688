package app

// TEMPORARY (issue 9): this file goes when bot/conversation has riders
// (RIDER.md). The integrator then wires stats.Rider with
// conversation.WithRiders in newConversation (an adapter from
// conversation.Ride to stats.StepRide), and deletes this file,
// Deps.TemporaryStepFigures and httpapi.Deps.AfterMessage.

import (
	"context"
	"encoding/binary"

	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/flows"
)

// temporaryStepFigures counts one answered webhook message in the daily
// figures, after the conversation stored its step: it reads the stored
// state back and queues what stats.Rider would have counted inside the
// step. It costs two round trips more per message, which is why it is on
// only with Deps.TemporaryStepFigures; the rider costs none. It cannot
// see the step's effect (opt-ins) or tell a repeated MessageSid, which the
// rider does.
func (a *App) temporaryStepFigures(ctx context.Context, msg conversation.Inbound) {
	ch := ident.ChannelOf(msg.From)
	id := a.hasher.Sender(ch, msg.From)
	eng := a.conversation.Engine()
	v, err := a.rdb.Get(ctx, a.keys.Session(id)).Result()
	if err != nil || len(v) < 8 || binary.BigEndian.Uint64([]byte(v[:8])) != a.hasher.Message(msg.SID) {
		return // not stored, erased, or another message's step by now
	}
	st, err := eng.Decode([]byte(v[8:]))
	if err != nil {
		return
	}
	ride := stats.StepRide{Now: a.now(), Sender: id, Channel: ch, Pack: eng.Pack(),
		Input: flows.Input{Text: msg.Body, Channel: ch}, Result: flows.Result{State: st}}
	pipe := a.rdb.Pipeline()
	stats.Rider{Recorder: a.stats}.Queue(ctx, pipe, ride)
	if _, err := pipe.Exec(ctx); err != nil {
		a.log.Warn("count a message in the daily figures", "channel", ch.String(), "err", err)
	}
}
