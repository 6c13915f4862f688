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

// BenchmarkDescribe is the CPU a step spends on its figures before any I/O:
// describing the step and encoding the script's arguments.
func BenchmarkDescribe(b *testing.B) {
	p, _, err := content.Default()
	if err != nil {
		b.Fatal(err)
	}
	eng := flows.New(p, flows.Options{Subscriptions: true})
	in := flows.Input{Text: "salud", Channel: content.WhatsApp, New: true}
	res := eng.Step(flows.State{}, in)
	id := ident.NewHasher([]byte("k")).Sender(content.WhatsApp, "+50255550000")
	rec := stats.New(nil, stats.Options{Prefix: "senda:"})
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		ev := stats.FromStep(p, in, res, id, stats.DefaultDistressNodes)
		rec.ScriptArgs(now, ev)
	}
}

// BenchmarkStepInScript is the session step's compare-and-set with and
// without the figures counted inside it. Redis's own cost per call shows in
// INFO commandstats (usec_per_call of evalsha) on a server of its own.
func BenchmarkStepInScript(b *testing.B) {
	rdb, prefix := redistest.Client(b)
	ctx := context.Background()
	rec := stats.New(rdb, stats.Options{Prefix: prefix})
	h := ident.NewHasher([]byte("k"))
	for _, in := range []bool{false, true} {
		name := "alone"
		cas := casScript()
		if in {
			name, cas = "in-script", casWithTally()
		}
		cas.Load(ctx, rdb)
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				i++
				id := h.Sender(content.WhatsApp, "+5025555"+strconv.Itoa(i%1000))
				key := prefix + "{" + id.String() + "}:s"
				keys, args := []string{key}, []any{"", "x", 60000}
				if in {
					k, a := rec.ScriptArgs(time.Now(), stats.Event{Person: id, Channel: "whatsapp", Lang: "es", Node: "salud", Keyword: "salud"})
					keys, args = append(keys, k...), append(args, a...)
				}
				cas.EvalSha(ctx, rdb, keys, args...)
				rdb.Del(ctx, key)
			}
		})
	}
}
