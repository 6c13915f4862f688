package broadcast

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/twilio"
)

// StatusReport is one of Twilio's status callbacks for a broadcast message,
// as the HTTP layer read it. MessageSID and To are used in memory only:
// the first is kept as a keyed hash, the second names the subscriber by
// its keyed hash.
type StatusReport struct {
	Broadcast  string // the CallbackParamBroadcast parameter of the callback URL
	Tag        string // the CallbackParamTag parameter; may be empty
	MessageSID string // MessageSid
	Status     string // MessageStatus
	ErrorCode  int    // ErrorCode; 0 when there is none
	To         string // To: the address the message went to
}

// HandleStatus records a status callback once (RecordCallback: a repeated
// one counts once; one for a broadcast that no longer exists records
// nothing) and, when Twilio reports an error code, does what the code says
// about the person (ApplyErrorPolicy: forget them, or hold templates).
// hasher is the one that names senders and messages.
func (s *Store) HandleStatus(ctx context.Context, hasher *ident.Hasher, r StatusReport) error {
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], hasher.Message(r.MessageSID))
	err := s.RecordCallback(ctx, Callback{
		Broadcast: r.Broadcast, Tag: r.Tag, MsgHash: hex.EncodeToString(h[:]), Status: r.Status, ErrorCode: r.ErrorCode,
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if r.ErrorCode == 0 {
		return nil
	}
	sub := hasher.Sender(ident.ChannelOf(r.To), r.To)
	return s.ApplyErrorPolicy(ctx, sub, twilio.Classify(r.ErrorCode, 0))
}
