package broadcast

import (
	"context"

	"github.com/senda-org/senda/bot/ident"
)

// Outcomes hears what happened to broadcast messages, for the anonymous
// daily figures (bot/stats): each message a worker finished as sent or
// failed, each failed or undelivered status callback counted, and each
// subscriber the Twilio error policy forgets (an opt-out outside a
// conversation). Each is heard once; an Outcomes logs its own errors, and
// the delivery goes on whatever it does.
type Outcomes interface {
	Outcome(ctx context.Context, sent bool)
	// Forgotten is called before the error policy deletes a subscriber,
	// with the topics they were subscribed to (none when they were not).
	Forgotten(ctx context.Context, topics []string)
}

// SetOutcomes makes the store report outcomes to o. Call it before the
// workers and the HTTP server start.
func (s *Store) SetOutcomes(o Outcomes) { s.outcomes = o }

// noteFinish reports a delivery finished as sent or failed (res is the
// finish script's answer: nothing when the delivery was not this caller's).
func (s *Store) noteFinish(ctx context.Context, o outcome, res int) {
	if s.outcomes == nil || res == finishNotOurs {
		return
	}
	switch o.counter {
	case fSent:
		s.outcomes.Outcome(ctx, true)
	case fFailed:
		s.outcomes.Outcome(ctx, false)
	}
}

// noteCallback reports a status callback counted for the first time.
func (s *Store) noteCallback(ctx context.Context, field string) {
	if s.outcomes != nil && field == fFailed {
		s.outcomes.Outcome(ctx, false)
	}
}

// noteForget reports a subscriber about to be forgotten, with their topics.
func (s *Store) noteForget(ctx context.Context, id ident.SenderID) {
	if s.outcomes == nil {
		return
	}
	topics, err := s.subs.Topics(ctx, id)
	if err != nil {
		topics = nil // the figures miss this one; the deletion goes on
	}
	s.outcomes.Forgotten(ctx, topics)
}
