package flows_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// benchInputs is a realistic mix: numbers, MAS, commands, keywords, typos
// and text that means nothing.
var benchInputs = []string{
	"hola", "1", "2", "MAS", "mas", "0", "salud", "3", "siguente", "xyz que es esto",
	"Menu", "VIH", "2", "más", "0", "0", "AYUDA", "4", "1", "no entiendo",
	"alta", "2", "si", "hospital", "0", "English", "1", "more", "ESPAÑOL", "9",
}

// BenchmarkStep steps the default pack through benchInputs, storing and
// reading the state between messages as the bot does.
func BenchmarkStep(b *testing.B) {
	p := defaultPack(b)
	e := flows.New(p, flows.Options{Subscriptions: true})
	ins := make([]flows.Input, len(benchInputs))
	for i, s := range benchInputs {
		ins[i] = flows.Input{Text: s, Channel: content.SMS}
	}
	st := e.Start(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		res := e.Step(st, ins[i%len(ins)])
		st = res.State
		if res.Effect.Kind == flows.EffectShowMyTopics {
			st = e.MyTopics(st, 1)
		}
		if e.Reply(st, content.SMS).Text == "" {
			b.Fatal("empty reply")
		}
	}
}

// BenchmarkEncodeDecode stores and reads back a state with a back stack.
func BenchmarkEncodeDecode(b *testing.B) {
	p := defaultPack(b)
	e := flows.New(p, flows.Options{Subscriptions: true})
	st := e.Start(0)
	for _, in := range []string{"1", "2"} {
		st = e.Step(st, flows.Input{Text: in, Channel: content.SMS}).State
	}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = e.Encode(buf[:0], st)
		got, err := e.Decode(buf)
		if err != nil || got.Node != st.Node {
			b.Fatalf("decode: %v", err)
		}
	}
}

// BenchmarkStepSentences steps the default pack through whole sentences,
// half of them distress, so every message is scanned for distress phrases
// (the costliest path of Step).
func BenchmarkStepSentences(b *testing.B) {
	p := defaultPack(b)
	e := flows.New(p, flows.Options{Subscriptions: true})
	msgs := []string{
		"me pegó un cliente anoche y tengo miedo", "donde me hago la prueba de vih por favor",
		"se me rompio el condon que hago", "a que hora abre el centro de salud el sabado",
		"ya no aguanto mas quiero morir", "gracias por la informacion",
		"he hit me and took my money", "where can I get condoms near Patzun",
	}
	ins := make([]flows.Input, len(msgs))
	for i, s := range msgs {
		ins[i] = flows.Input{Text: s, Channel: content.WhatsApp}
	}
	st := e.Start(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st = e.Step(st, ins[i%len(ins)]).State
	}
}

// BenchmarkUnderstand steps every message of the corpora under
// testdata/understanding (tune, and held-out sets when present) as a
// WhatsApp message mid-menu, the path a sentence takes: normalisation,
// spellings, synonyms, stems, and the reader. It reports the 99th
// percentile of one message's time beside the mean.
func BenchmarkUnderstand(b *testing.B) {
	p := defaultPack(b)
	e := flows.New(p, flows.Options{Subscriptions: true})
	files, err := filepath.Glob("testdata/understanding/*/*.tsv")
	if err != nil || len(files) == 0 {
		b.Fatalf("no corpora: %v", err)
	}
	var msgs []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if _, m, ok := strings.Cut(line, "\t"); ok && !strings.HasPrefix(line, "#") {
				msgs = append(msgs, m)
			}
		}
	}
	mid := e.Step(e.Start(0), flows.Input{Text: "1", Channel: content.WhatsApp}).State
	times := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in := flows.Input{Text: msgs[i%len(msgs)], Channel: content.WhatsApp}
		start := time.Now()
		e.Step(mid, in)
		if len(times) < cap(times) {
			times = append(times, time.Since(start))
		}
	}
	b.StopTimer()
	slices.Sort(times)
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds()), "p99-ns/msg")
	}
}

// typedInputs are numbers, commands and keywords typed exactly: the fast
// path, which reading sentences must not slow down.
var typedInputs = []string{"1", "2", "MAS", "0", "salud", "3", "Menu", "VIH", "2", "más", "0", "AYUDA", "4", "hospital", "condones", "gracias"}

// BenchmarkStepTyped steps the default pack through typedInputs only.
func BenchmarkStepTyped(b *testing.B) {
	p := defaultPack(b)
	e := flows.New(p, flows.Options{Subscriptions: true})
	ins := make([]flows.Input, len(typedInputs))
	for i, s := range typedInputs {
		ins[i] = flows.Input{Text: s, Channel: content.SMS}
	}
	st := e.Start(0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		st = e.Step(st, ins[i%len(ins)]).State
	}
}
