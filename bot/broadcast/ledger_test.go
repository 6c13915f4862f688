package broadcast

import (
	"context"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
)

// TestPutAsideWritesWhatTheRetryKnows holds the ledger to what a retry
// knows of the attempt before it, on real Redis: known unsent (the next
// claim sends), unknown and ended at a given time (the next claim
// reconciles, and waits for a status callback from that time), or a lost
// attempt that could not be reconciled (left as it was: reconciled again
// from when it began, never taken for unsent).
func TestPutAsideWritesWhatTheRetryKnows(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	began := time.UnixMilli(1_800_000_000_000)
	ended := began.Add(10 * time.Second)
	s := NewStore(rdb, rkey.Space(prefix), nil, nil, func() time.Time { return began })
	for _, c := range []struct {
		name  string
		known bool
		ended time.Time
		want  claimResult
		since time.Time
	}{
		{name: "known unsent", known: true, want: claimRetry},
		{name: "unknown, ended later", ended: ended, want: claimUnknown, since: ended},
		{name: "lost, not reconciled", want: claimUnknown, since: began},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := delivery{bid: "0190abcdef012345a", rid: "r-" + c.name, token: "tok"}
			if first, err := s.claim(ctx, d, began); err != nil || first.result != claimNew {
				t.Fatalf("first claim = %+v, %v", first, err)
			}
			if err := s.putAside(ctx, d, began.Add(time.Minute), fWaitRetry, c.known, c.ended); err != nil {
				t.Fatal(err)
			}
			got, err := s.claim(ctx, d, began.Add(time.Minute))
			if err != nil || got.result != c.want || !got.since.Equal(c.since) {
				t.Fatalf("claim after putAside = %+v, %v; want %s since %v", got, err, c.want, c.since)
			}
		})
	}
}
