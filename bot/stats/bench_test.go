package stats_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// BenchmarkCount is the CPU a stored step spends on its figures, all of it
// on the message's path: describing the step and counting it in memory.
// Run it with -cpu 1,2 to see the lock shared by concurrent messages.
func BenchmarkCount(b *testing.B) {
	p, _, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	eng := flows.New(p, flows.Options{Subscriptions: true})
	in := flows.Input{Text: "salud", Channel: content.WhatsApp, New: true}
	res := eng.Step(flows.State{}, in)
	h := ident.NewHasher([]byte("k"))
	ids := make([]ident.SenderID, 5000)
	for i := range ids {
		ids[i] = h.Sender(content.WhatsApp, "+5025555"+strconv.Itoa(i))
	}
	rec := stats.New(nil, stats.Options{Prefix: "senda:"})
	now := time.Now()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			rec.Count(now, stats.FromStep(p, in, res, ids[i%len(ids)], stats.DefaultDistressNodes))
		}
	})
}

// BenchmarkFlush is one second's batch written: 20,000 messages of 5,000
// people over a few fields, the load of deploy/loadtest. Redis's own cost
// shows in INFO commandstats (usec_per_call of evalsha) on a server of its
// own.
func BenchmarkFlush(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	ctx := context.Background()
	rec := stats.New(rdb, stats.Options{Prefix: prefix})
	h := ident.NewHasher([]byte("k"))
	ids := make([]ident.SenderID, 5000)
	for i := range ids {
		ids[i] = h.Sender(content.WhatsApp, "+5025555"+strconv.Itoa(i))
	}
	nodes := []string{"salud", "sexual", "seguridad", "legal", ""}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		for i := range 20000 {
			rec.Count(now, stats.Event{Person: ids[i%len(ids)], Channel: "whatsapp", Lang: "es", Node: nodes[i%len(nodes)]})
		}
		if err := rec.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
