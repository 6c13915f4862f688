package stats

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// StepRide is what the Rider reads of one stored conversation step. It
// mirrors conversation.Ride (the contract in bot/conversation/rider.go)
// field for field, less the message id, which the figures do not use; this
// package cannot import bot/conversation, so the integrator copies the
// fields across in a small adapter. Input.Text is read in memory only, to tell a keyword; it
// is never written.
type StepRide struct {
	Now     time.Time
	Sender  ident.SenderID // keyed hash of the sender; only ever PFADDed
	Channel content.Channel
	Pack    *content.Pack
	Input   flows.Input
	Result  flows.Result
}

// Rider counts a conversation step in the day's figures in the session
// step's own round trip: inside the session script on a single Redis or
// Sentinel (Lua and Args), or in the pipeline sent with it on Cluster
// (Queue). Its three methods are the conversation.Rider contract, with
// StepRide in place of conversation.Ride; bot/app adapts it:
//
//	type statsRider struct{ stats.Rider }
//
//	func (r statsRider) Args(m conversation.Ride) ([]string, []any) { return r.Rider.Args(stepRide(m)) }
//	func (r statsRider) Queue(ctx context.Context, p redis.Pipeliner, m conversation.Ride) {
//		r.Rider.Queue(ctx, p, stepRide(m))
//	}
//	func stepRide(m conversation.Ride) stats.StepRide {
//		return stats.StepRide{Now: m.Now, Sender: m.Sender, Channel: m.Channel, Pack: m.Pack, Input: m.Input, Result: m.Result}
//	}
//
//	conversation.WithRiders(statsRider{stats.Rider{Recorder: a.stats}})  // Lua() comes from the embedded Rider
type Rider struct {
	Recorder *Recorder
	// Distress names the nodes that count as a distress or emergency page;
	// nil means DefaultDistressNodes.
	Distress []string
}

// Lua returns the fragment the session script runs after it stored the
// step: TallyLua, which reads its keys and arguments at KEYS[K+1…] and
// ARGV[A+1…] and does not return.
func (r Rider) Lua() string { return TallyLua }

// Shape returns how many keys and arguments Args returns: two and five.
func (r Rider) Shape() (keys, args int) { return ScriptKeyCount, ScriptArgCount }

// Args returns the fragment's two keys (the day's counters and its
// HyperLogLog of people) and its arguments for one step.
func (r Rider) Args(m StepRide) (keys []string, args []any) {
	return r.Recorder.ScriptArgs(m.Now, r.event(m))
}

// Queue adds the same counting as plain commands, for Redis Cluster.
func (r Rider) Queue(ctx context.Context, pipe redis.Pipeliner, m StepRide) {
	r.Recorder.Begin(m.Now).Queue(ctx, pipe, r.event(m))
}

func (r Rider) event(m StepRide) Event {
	distress := r.Distress
	if distress == nil {
		distress = DefaultDistressNodes
	}
	in := m.Input
	in.Channel = m.Channel
	return FromStep(m.Pack, in, m.Result, m.Sender, distress)
}
