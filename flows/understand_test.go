package flows_test

import (
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Issue 8, item 7: typed menu labels, number words, polite words and
// media-only messages are understood; none of them gets "No entendí".
func TestUnderstanding(t *testing.T) {
	t.Parallel()
	rules := []rule{
		{name: "a typed menu label", msgs: []string{"hola", "Salud"}, want: node("salud")},
		{name: "a typed label of a deeper menu", msgs: []string{"hola", "1", "centro de salud"}, want: node("salud_centro")},
		{name: "a label with a typo", msgs: []string{"hola", "1", "hospitl"}, want: node("salud_hospital")},
		{name: "a label in the other language", msgs: []string{"hola", "1", "health center"}, want: node("salud_centro")},
		{name: "a number word", msgs: []string{"hola", "uno"}, want: node("salud")},
		{name: "a number word in capitals with an accent", msgs: []string{"hola", "1", "DÓS"}, want: node("salud_hospital")},
		{name: "an English number word", msgs: []string{"hola", "three"}, want: node("avisos")},
		{name: "a number word past the last option", msgs: []string{"hola", "nueve"},
			want: node("inicio").withNote(content.NoteUnknown).withMisses(1)},
		{name: "a number word as the first message opens the welcome", msgs: []string{"dos"}, want: welcome()},
		{name: "thanks", msgs: []string{"hola", "1", "gracias"},
			want: node("salud").withNote(content.NotePolite).withReply("Con gusto", "1 Centro de Salud")},
		{name: "ok!", msgs: []string{"hola", "1", "1", "OK!"},
			want: node("salud_centro").withNote(content.NotePolite).withReply("0 Atras, MENU Inicio")},
		{name: "thanks resets the misses", msgs: []string{"hola", "x", "gracias"}, want: node("inicio").withNote(content.NotePolite)},
		{name: "thanks in English", msgs: []string{"hola", "english", "thanks"}, want: node("inicio").withNote(content.NotePolite).withLang(en).withReply("You are welcome")},
		{name: "thanks as the first message opens the welcome", msgs: []string{"gracias"}, want: welcome()},
		{name: "an urgent page says the line is automatic", msgs: []string{"hola", "urgencias"},
			want: node("urgente").withReply("Lo siento. Llama al 110.", "nadie lee tus mensajes", "0 Atras, MENU Inicio")},
	}
	runRules(t, rules)
}

// A voice note or photo without text gets a line saying Senda cannot read
// it, and the options again; it is not a miss.
func TestMediaOnly(t *testing.T) {
	t.Parallel()
	p := testPack(t)
	e := flows.New(p, flows.Options{})
	st := e.Start(0)
	st = e.Step(st, flows.Input{Text: "1", Channel: content.SMS}).State
	for _, body := range []string{"", "  ", "\n"} {
		res := e.Step(st, flows.Input{Text: body, Media: 1, Channel: content.WhatsApp})
		if res.Signal != flows.SignalMedia || res.State.Screen.Note != content.NoteMedia || res.State.Misses != 0 {
			t.Errorf("media with body %q: %+v, want the media note", body, res)
		}
		if reply := e.Reply(res.State, content.WhatsApp).Text; !strings.Contains(reply, "No puedo escuchar audios") || !strings.Contains(reply, "1 Centro de Salud") {
			t.Errorf("media reply:\n%s", reply)
		}
	}
	// A caption is read as text.
	if res := e.Step(st, flows.Input{Text: "2", Media: 1, Channel: content.SMS}); res.State.Node != uint16(nodeIndex(t, p, "salud_hospital")) {
		t.Errorf("media with the caption 2: at %s", res.State.Screen)
	}
	// Media as the first message opens the welcome.
	if res := e.Step(flows.State{}, flows.Input{Media: 2, New: true, Channel: content.SMS}); res.State.Screen.Kind != content.ScreenWelcome || res.Signal != flows.SignalMedia {
		t.Errorf("media first: %+v", res)
	}
	// Without media an empty message is still a miss.
	if res := e.Step(st, flows.Input{Text: "", Channel: content.SMS}); res.State.Screen.Note != content.NoteUnknown {
		t.Errorf("empty message without media: %s", res.State.Screen)
	}
}

// The welcome: first contact gets who answers, that it is free and
// automatic, and the options, which numbers then answer.
func TestWelcome(t *testing.T) {
	t.Parallel()
	p := testPack(t)
	e := flows.New(p, flows.Options{})
	res := e.Step(flows.State{}, flows.Input{Text: "hola", New: true, Channel: content.SMS})
	if res.Signal != flows.SignalWelcome || res.State.Screen.Kind != content.ScreenWelcome {
		t.Fatalf("first message: %+v", res)
	}
	reply := e.Reply(res.State, content.SMS).Text
	if lines := strings.Split(reply, "\n"); lines[0] != "Senda" || !strings.Contains(reply, "gratis y automatica") || !strings.Contains(reply, "1 Salud") {
		t.Errorf("welcome:\n%s", reply)
	}
	if next := e.Step(res.State, flows.Input{Text: "1", Channel: content.SMS}); next.State.Node != uint16(nodeIndex(t, p, "salud")) {
		t.Errorf("1 after the welcome: at %s", next.State.Screen)
	}
	if back := e.Step(res.State, flows.Input{Text: "0", Channel: content.SMS}); back.State.Screen != (content.Screen{Kind: content.ScreenNode, Arg: uint16(p.Start)}) {
		t.Errorf("0 after the welcome: %s", back.State.Screen)
	}
}

// urgent is the test pack's urgent page reached by reading a sentence:
// without the help line, because its first page gives a help number of
// its own ("Llama al 110").
func urgent() want { return node("urgente") }

// Distress in the test pack: the urgent page at once, the signal and kind
// for the caller's counts, and back leads up the menu.
func TestDistressStep(t *testing.T) {
	t.Parallel()
	rules := []rule{
		{name: "distress as the first message", msgs: []string{"me pegaron"}, want: urgent().withReply("110", "Lo siento")},
		{name: "distress mid-menu", msgs: []string{"hola", "1", "1", "Socorroo!! me pegaron"}, want: urgent()},
		{name: "distress after misses", msgs: []string{"hola", "x", "y", "necesito que me ayuden, me pegaron"}, want: urgent()},
		{name: "distress while a topic is asked", subs: true, msgs: []string{"hola", "alta", "1", "me pegaron"}, want: urgent()},
		{name: "distress in English", msgs: []string{"hola", "please help me"}, want: urgent()},
		{name: "back from the urgent page", msgs: []string{"me pegaron", "0"}, want: node("avisos")},
	}
	runRules(t, rules)
	e := flows.New(testPack(t), flows.Options{})
	res := e.Step(e.Start(0), flows.Input{Text: "pienso en suicidarme", Channel: content.SMS})
	if res.Signal != flows.SignalDistress || res.Distress != "peligro" {
		t.Errorf("signal %s, kind %q; want distress peligro", res.Signal, res.Distress)
	}
}
