package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/stats"
)

// TestFiguresWrittenWhileServing: a serving process writes the day's
// figures on its own, about once a second, where another replica reads
// them, and writes the last ones when it stops.
func TestFiguresWrittenWhileServing(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := redistest.Client(t)
	ts := newTestService(t, testConfig(), Deps{Redis: rdb, Prefix: prefix, Listener: ln})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- ts.Run(ctx) }()

	other := stats.New(rdb, stats.Options{Prefix: prefix, Location: ts.loc}) // another replica: it reads, it counted nothing
	messages := func() int64 {
		t.Helper()
		rep, err := other.Read(context.Background(), "", "")
		if err != nil {
			t.Fatal(err)
		}
		return int64(rep.Total.Messages)
	}
	ts.sms("+50255507001").say(t, "SALUD")
	deadline := time.Now().Add(10 * time.Second)
	for messages() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the serving process did not write its figures within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.sms("+50255507002").say(t, "SALUD")
	ts.sms("+50255507003").say(t, "HOLA")
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if n := messages(); n != 3 {
		t.Errorf("after the process stopped: %d messages, want 3 (its last figures written as it stopped)", n)
	}
}
