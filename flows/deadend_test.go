package flows_test

import (
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Issue 15, item 1: every reply to what Senda did not understand carries
// the help numbers, in any state, on both channels, on its first page.
func TestNeverADeadEnd(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	mid := e.Step(e.Start(0), flows.Input{Text: "2", Channel: content.SMS}).State
	topic := e.Step(e.Step(e.Start(0), flows.Input{Text: "alta", Channel: content.SMS}).State, flows.Input{Text: "1", Channel: content.SMS}).State
	tests := []struct {
		name string
		in   flows.Input
		want []string
	}{
		{"gibberish", flows.Input{Text: "asdf qwer"}, []string{"110", "1555"}},
		{"AYUDA alone", flows.Input{Text: "AYUDA"}, []string{"EMERGENCIA", "110", "1555"}},
		{"911", flows.Input{Text: "911"}, []string{"En Guatemala", "110"}},
		{"a voice note", flows.Input{Media: 1}, []string{"110", "1555"}},
	}
	for _, tt := range tests {
		for _, ch := range content.Channels {
			for name, st := range map[string]flows.State{"first": {}, "mid-menu": mid, "topic question": topic} {
				in := tt.in
				in.Channel, in.New = ch, name == "first"
				if name == "first" && (tt.name == "AYUDA alone" || tt.name == "a voice note") {
					continue // the welcome answers them; its own test checks it
				}
				reply := e.Reply(e.Step(st, in).State, ch).Text
				for _, w := range tt.want {
					if !strings.Contains(reply, w) {
						t.Errorf("%s, %s, %s: reply lacks %q:\n%s", tt.name, name, ch, w, reply)
					}
				}
			}
		}
	}
}

// Issue 15, item 2: negation, idioms and everyday words do not open an
// urgent page; a typo never makes an urgent word; a sentence reaches its
// page; an unclear one gets one question a number answers.
func TestReadingSentences(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	step := func(msg string) flows.Result {
		return e.Step(e.Start(0), flows.Input{Text: msg, Channel: content.WhatsApp})
	}
	for _, msg := range []string{"no me pegó nadie, solo preguntaba", "me muero de hambre", "me muero de la vergüenza",
		"me pegó la gripe", "me corté el dedo cocinando", "compré un cuchillo para la cocina", "pago", "me pagó", "pelo"} {
		if res := step(msg); res.Signal == flows.SignalDistress || p.Nodes[res.State.Node].Urgent && res.State.Screen.Kind == content.ScreenNode && res.State.Screen.Note != content.NoteUnknown {
			t.Errorf("%q opened %s", msg, res.State.Screen)
		}
	}
	for msg, want := range map[string]string{
		"buenas, donde me regalan condones aqui en patzun": "sexual_condones",
		"me pegó mi marido anoche":                         "emergencia",
		"se me rompió el forro":                            "condon_roto",
	} {
		if res := step(msg); p.Nodes[res.State.Node].ID != want || res.State.Screen.Kind != content.ScreenNode {
			t.Errorf("%q: at %s (%s), want %s", msg, p.Nodes[res.State.Node].ID, res.State.Screen, want)
		}
	}
	// The question between two pages, and its answers.
	a, b := nodeIndex(t, p, "sexual_condones"), nodeIndex(t, p, "condon_roto")
	s, ok := p.ChoiceScreen(a, b)
	if !ok {
		t.Fatal("no choice screen")
	}
	st := e.Start(0)
	st.Screen = s
	reply := e.Reply(st, content.SMS).Text
	if !strings.Contains(reply, "1 Condones") || !strings.Contains(reply, "2 Condon roto") || !strings.Contains(reply, "110") {
		t.Errorf("choice reply:\n%s", reply)
	}
	for n, want := range map[string]int{"1": a, "2": b} {
		if res := e.Step(st, flows.Input{Text: n, Channel: content.SMS}); int(res.State.Node) != want {
			t.Errorf("%s on the choice: at %s", n, res.State.Screen)
		}
	}
	if res := e.Step(st, flows.Input{Text: "3", Channel: content.SMS}); res.State.Screen.Note != content.NoteUnknown {
		t.Errorf("3 on the choice: %s, want not understood", res.State.Screen)
	}
	if got, err := e.Decode(e.Encode(nil, st)); err != nil || got.Screen != s {
		t.Errorf("the choice does not survive storage: %v %s", err, got.Screen)
	}
}
