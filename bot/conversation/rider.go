package conversation

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Rider adds writes to a message's session step without another round trip.
type Rider interface {
	// Lua returns a fragment the session script runs right after it stored the
	// step (never when the compare-and-set failed, never for a duplicate).
	// The fragment finds its keys at KEYS[K+1] … KEYS[K+n] and its arguments
	// at ARGV[A+1] … ARGV[A+m], where n and m are what Shape returns and K
	// and A are Lua locals the composed script sets for it; it may call
	// redis.call and must not `return`. It is run inline, once per message:
	// a fragment that builds tables or defines functions pays for them on
	// every message.
	Lua() string
	// Shape returns how many keys and arguments Args returns: always the
	// same, so the script's offsets are fixed when it is composed.
	Shape() (keys, args int)
	// Args returns the fragment's keys and arguments for one message.
	Args(m Ride) (keys []string, args []any)
	// Queue adds the same writes as plain commands. It is used instead of the
	// fragment on Redis Cluster (a script cannot reach keys in other hash
	// slots); that pipeline is sent right after the step was stored.
	Queue(ctx context.Context, pipe redis.Pipeliner, m Ride)
}

// Ride is what riders know of one stored step. It never holds the sender's
// address; Input.Text is in memory only and must never be written anywhere.
type Ride struct {
	Now     time.Time
	Sender  ident.SenderID // keyed hash of the sender
	SID     string         // the provider's message id (Twilio MessageSid)
	Channel content.Channel
	Pack    *content.Pack // the engine snapshot this message is answered from
	Input   flows.Input
	Result  flows.Result // the stored step
}

// WithRiders adds riders, run in the order given. On a single Redis or
// Sentinel their fragments are composed into the session script once, at
// construction; on Redis Cluster their Queue methods fill one pipeline sent
// after the step was stored.
func WithRiders(r ...Rider) Option {
	return func(o *options) { o.riders = append(o.riders, r...) }
}

// Counter hears of every stored step once, in memory, after its round trip:
// never of a duplicate, never of a step that was not stored. It must not do
// I/O on the message's path (the daily figures count in memory and write
// once a second: stats.Recorder.Count); Ride.Result is the stored step.
type Counter interface {
	Count(m Ride)
}

// WithCounters adds counters, told of each stored step in the order given.
func WithCounters(c ...Counter) Option {
	return func(o *options) { o.counters = append(o.counters, c...) }
}

// UnstoredRider is a Rider that also hears of a message whose step could not
// be stored (Redis failed, the caller hung up, or the conversation kept
// changing): the person gets the "try again later" page, no fragment ran,
// and the rider may still write what must not be lost, best effort, under
// its own short deadline. Ride.Result is empty then. The erase queue is one:
// a message answered with "try again later" is still erased at Twilio.
type UnstoredRider interface {
	Rider
	Unstored(ctx context.Context, m Ride)
}

// unstored tells the riders that want it of a message whose step was not
// stored.
func (c *Conversation) unstored(ctx context.Context, m Ride) {
	for _, r := range c.riders {
		if u, ok := r.(UnstoredRider); ok {
			u.Unstored(ctx, m)
		}
	}
}
