package httpapi

import (
	"context"
	"time"
)

// queueInboundErasure is TEMPORARY glue, to be deleted (with its one call
// in handleMessage) when bot/app wires erase's Rider into the session step
// with conversation.WithRiders: until then an inbound message's erasure is
// queued here, after the step, with one more Redis round trip. It runs
// whatever the step did, so a message answered with the "try again later"
// page is queued too when Redis answers by then (best effort).
func (s *Server) queueInboundErasure(ctx context.Context, sid string) {
	if s.Erase == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := s.Erase.Add(ctx, sid); err != nil {
		s.Metrics.Count("erase_queue_errors_total")
		s.Log.Warn("queue the erasure of an inbound message", "err", err)
	}
}
