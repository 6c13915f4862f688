package stats

import (
	"time"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// StepRide is what the figures read of one stored conversation step. It
// mirrors conversation.Ride field for field, less the message id, which the
// figures do not use; this package cannot import bot/conversation, so bot/app
// copies the fields across in a small adapter. Input.Text is read in memory
// only, to tell a keyword; it is never written.
type StepRide struct {
	Now     time.Time
	Sender  ident.SenderID // keyed hash of the sender; only ever PFADDed
	Channel content.Channel
	Pack    *content.Pack
	Input   flows.Input
	Result  flows.Result
}

// CountStep counts a stored conversation step (see Count), with
// DefaultDistressNodes as the pages that count as distress.
func (r *Recorder) CountStep(m StepRide) {
	in := m.Input
	in.Channel = m.Channel
	r.Count(m.Now, FromStep(m.Pack, in, m.Result, m.Sender, DefaultDistressNodes))
}
