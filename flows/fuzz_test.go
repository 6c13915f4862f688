package flows_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// checkStep checks what must hold after every step, whatever came before:
// the effect names a real topic, the state is storable (Encode → Decode
// gives it back), and the reply is a non-empty page that starts with the
// header and fits the channel.
func checkStep(t *testing.T, e *flows.Engine, st flows.State, eff flows.Effect, ch content.Channel) {
	t.Helper()
	p := e.Pack()
	switch eff.Kind {
	case flows.EffectNone, flows.EffectErase, flows.EffectUnsubscribeAll, flows.EffectShowMyTopics:
	case flows.EffectSubscribe, flows.EffectUnsubscribeTopic:
		if eff.Topic < 0 || eff.Topic >= len(p.Topics) {
			t.Fatalf("effect %+v names no topic", eff)
		}
	default:
		t.Fatalf("unknown effect %+v", eff)
	}
	if st.Misses >= flows.MaxMisses {
		t.Fatalf("state %+v kept %d misses; help should have been offered", st, st.Misses)
	}
	b := e.Encode(nil, st)
	back, err := e.Decode(b)
	if err != nil {
		t.Fatalf("state %+v does not decode: %v", st, err)
	}
	if !statesEqual(back, st) {
		t.Fatalf("state %+v decodes as %+v", st, back)
	}
	// A noted screen remembers the page of the text beneath it, so MAS
	// goes on from there.
	base := st.Screen
	base.Note = content.NoteNone
	pages := p.Pages(base, int(st.Lang), ch)
	if int(st.Page) >= len(pages) {
		t.Fatalf("state %+v is on page %d of %d", st, st.Page+1, len(pages))
	}
	page := e.Reply(st, ch)
	header := p.Text("header", int(st.Lang))
	if ch == content.SMS {
		header, _ = content.ToGSM7(header)
	}
	body, ok := strings.CutPrefix(page.Text, header)
	if !ok || strings.TrimSpace(body) == "" || len(page.TwiML) == 0 {
		t.Fatalf("state %+v: reply %q is empty or lacks the header %q", st, page.Text, header)
	}
	if ch == content.SMS {
		if m := content.MeasureSMS(page.Text); m.Encoding != content.GSM7 || m.Segments > p.SMS.Segments {
			t.Fatalf("state %+v: SMS page is %+v", st, m)
		}
	}
}

// FuzzStep steps random sequences of messages (one per line of inputs) from
// the start or from a stored state. flags: bit 0 WhatsApp, bit 1
// subscriptions on, bit 2 the first message is New even after a stored
// state, bit 3 the default pack instead of the test pack; the high bits are
// the topics the person receives.
func FuzzStep(f *testing.F) {
	test := flows.New(testPack(f), flows.Options{Subscriptions: true})
	def := flows.New(defaultPack(f), flows.Options{Subscriptions: true})
	seqs := []string{
		"hola\n1\n2\n0\n0\n0",
		"cursos\nmas\nmás\nsiguente\nmas\nmas",
		"hola\nx\ny\nz\nw\n1",
		"hola\nalta\n2\nsi\nbaja",
		"hola\n3\n2\n1\n2\nno\n0",
		"hospital\n0\n0\nenglish\nhelp\nexit\n1",
		"ENGLISH\nSTOP\nkaqchikel\nMENU\n9\n99\n00",
		"",
		"\n\n\n",
		"salir\nsalir\nayuda",
		"k'o\n¿Qué?\n😀\n\x00\xff",
	}
	for _, s := range seqs {
		for _, flags := range []uint8{0, 1, 2, 3, 8, 11, 0x53} {
			f.Add([]byte(nil), s, flags)
		}
	}
	for _, st := range statesToStore(f, test) {
		b := test.Encode(nil, st)
		f.Add(b, "1\n0\nmas\nsi\nno\nx", uint8(2))
		f.Add(b, "2\n2\n2\n2", uint8(3))
	}
	for _, msgs := range [][]string{{"hola", "1", "2"}, {"hola", "alta", "1"}, {"cursos", "mas"}, {"english", "7", "1"}} {
		c := newConv(f, def, content.SMS)
		c.run(msgs...)
		f.Add(def.Encode(nil, c.state()), "mas\nmas\n0\nsi\n1\n9", uint8(10))
	}
	f.Fuzz(func(t *testing.T, stored []byte, inputs string, flags uint8) {
		e := test
		if flags&8 != 0 {
			e = def
		}
		if flags&2 == 0 {
			e = flows.New(e.Pack(), flows.Options{})
		}
		ch := content.SMS
		if flags&1 != 0 {
			ch = content.WhatsApp
		}
		mask := uint16(flags >> 4)
		st, err := e.Decode(stored)
		isNew := err != nil || flags&4 != 0
		msgs := strings.Split(inputs, "\n")
		if len(msgs) > 64 {
			msgs = msgs[:64]
		}
		for _, m := range msgs {
			res := e.Step(st, flows.Input{Text: m, Channel: ch, New: isNew, Lang: int(flags >> 5)})
			st, isNew = res.State, false
			switch res.Effect.Kind {
			case flows.EffectShowMyTopics:
				st = e.MyTopics(st, mask)
			case flows.EffectErase:
				isNew = true // the caller deleted the conversation
			}
			checkStep(t, e, st, res.Effect, ch)
		}
	})
}

// FuzzDecode feeds arbitrary bytes to Decode. It must not panic; a state it
// accepts must be exactly what Encode writes for it, and must be safe to step
// from with any input.
func FuzzDecode(f *testing.F) {
	test := flows.New(testPack(f), flows.Options{Subscriptions: true})
	def := flows.New(defaultPack(f), flows.Options{Subscriptions: true})
	for _, st := range statesToStore(f, test) {
		f.Add(test.Encode(nil, st))
	}
	for _, lang := range []int{0, 1} {
		f.Add(def.Encode(nil, def.Start(lang)))
		f.Add(def.Encode(nil, def.MyTopics(def.Start(lang), 5)))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Add(bytes.Repeat([]byte{0xff}, 64))
	inputs := []string{"1", "2", "9", "0", "mas", "si", "no", "alta", "baja", "x", "menu", "ayuda", "english", "salir", "hospital"}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range []*flows.Engine{test, def} {
			st, err := e.Decode(b)
			if err != nil {
				continue
			}
			if again := e.Encode(nil, st); !bytes.Equal(again, b) {
				t.Fatalf("Decode(%x) = %+v, which encodes as %x", b, st, again)
			}
			keep := slices.Clone(st.Back)
			for _, ch := range content.Channels {
				if page := e.Reply(st, ch); page.Text == "" {
					t.Fatalf("decoded state %+v has no reply on %s", st, ch)
				}
				for _, in := range inputs {
					res := e.Step(st, flows.Input{Text: in, Channel: ch})
					next := res.State
					if res.Effect.Kind == flows.EffectShowMyTopics {
						next = e.MyTopics(next, 0b101)
					}
					checkStep(t, e, next, res.Effect, ch)
				}
			}
			if !slices.Equal(st.Back, keep) {
				t.Fatalf("stepping changed the decoded state's back stack: %v, was %v", st.Back, keep)
			}
		}
	})
}
