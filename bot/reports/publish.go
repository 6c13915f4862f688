package reports

import (
	"context"
	"errors"

	"github.com/senda-org/senda/bot/adminapi"
)

// Creator creates broadcasts (broadcast.Store does): the same idempotency
// key returns the broadcast created the first time.
type Creator interface {
	Create(ctx context.Context, req adminapi.BroadcastRequest, by, idemKey string) (adminapi.Broadcast, bool, error)
}

// Publish sends open report id, as staff edited it in req, to
// adminapi.ReportTopic through the broadcast pipeline, and deletes the
// report. The report's id is the idempotency key, so publishing again
// after a failure between the two steps returns the same broadcast
// instead of sending a second one. It returns ErrNotFound when the report
// is not open; the broadcast store's errors (a text too long, a topic over
// its monthly limit) as they are.
func (s *Store) Publish(ctx context.Context, bc Creator, id string, req adminapi.ReportPublish, by string) (adminapi.Broadcast, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return adminapi.Broadcast{}, err
	}
	st, _, err := bc.Create(ctx, adminapi.BroadcastRequest{Topic: adminapi.ReportTopic, Text: req.Text, Urgent: req.Urgent}, by, "report:"+id)
	if err != nil {
		return adminapi.Broadcast{}, err
	}
	if err := s.Close(ctx, id, Published); err != nil && !errors.Is(err, ErrNotFound) {
		return st, err
	}
	return st, nil
}
