package flows_test

import (
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Every node of the default pack is at most 3 numbers from the main menu,
// stepping the real engine.
func TestDefaultPackEveryNodeWithinThreeChoices(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	reached := map[int]int{p.Start: 0}
	var walk func(st flows.State, depth int)
	walk = func(st flows.State, depth int) {
		if depth == 3 {
			return
		}
		for d := 1; d <= 9; d++ {
			res := e.Step(st, flows.Input{Text: string(rune('0' + d)), Channel: content.SMS})
			next := res.State
			if next.Screen.Note != content.NoteNone {
				continue // not an option here
			}
			if _, ok := reached[int(next.Node)]; !ok {
				reached[int(next.Node)] = depth + 1
			}
			if next.Screen.Kind == content.ScreenNode {
				walk(next, depth+1)
			}
		}
	}
	walk(e.Start(0), 0)
	for _, n := range p.Nodes {
		if _, ok := reached[n.Index]; !ok {
			t.Errorf("node %s is not reached within 3 choices", n.ID)
		}
	}
}

// A few of the default pack's keywords, as a person might type them.
func TestDefaultPackKeywords(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	tests := []struct{ in, node string }{
		{"PRIVACIDAD", "privacidad"},
		{"pdh", "derechos_pdh"},
		{"VIH", "sexual_vih"},
		{"PrEP", "sexual_prep"},
		{"condón", "sexual_condones"},
		{"Hospital", "salud_hospital"},
		{"clínica", "salud"},
		{"Chimaltenango", "salud_viaje"},
		{"intecap", "alt_intecap"},
		{"FUNDAP", "alt_prestamos"},
		{"becas", "alt_becas"},
		{"SVET", "org_gobierno"},
		{"otrans", "org_lgbti"},
		{"Visibles", "org_lgbti"},
		{"UNAMG", "org_mujeres"},
		{"PASMO", "org_salud"},
		{"cantina", "seguridad_lugar"},
		{"renta", "policia"},
		{"extorsion", "derechos_renta"},
		{"policia", "policia"},
		{"sobredosis", "sobredosis"},
		{"intoxicación", "sobredosis"},
		{"overdose", "sobredosis"},
		{"trata", "derechos_trata"},
		{"crisis", "crisis"},
		{"emergencia", "emergencia"},
		{"EMERGENCIA!", "emergencia"},
		{"auxilio", "emergencia"},
		{"socorro", "emergencia"},
		{"emergency", "emergencia"},
		{"violación", "despues_violacion"},
		{"rape", "despues_violacion"},
		{"condón roto", "condon_roto"},
		{"se rompió el condón", "condon_roto"},
		{"PEP", "condon_roto"},
		{"pastilla del día siguiente", "condon_roto"},
		{"emocional", "emocional"},
	}
	for _, isNew := range []bool{true, false} {
		res := e.Step(e.Start(0), flows.Input{Text: "hola", Channel: content.WhatsApp, New: isNew})
		if res.State.Node != uint16(p.Start) {
			t.Errorf("hola (new=%v): at node %d, want the main menu", isNew, res.State.Node)
		}
	}
	for _, tt := range tests {
		for _, isNew := range []bool{true, false} {
			st := e.Start(0)
			res := e.Step(st, flows.Input{Text: tt.in, Channel: content.WhatsApp, New: isNew})
			if got := p.Nodes[res.State.Node].ID; got != tt.node || res.State.Screen.Kind != content.ScreenNode {
				t.Errorf("%q (new=%v): at %s (%s), want %s", tt.in, isNew, got, res.State.Screen, tt.node)
			}
		}
	}
}

// The opt-out words (README.md, "What people can send": BAJA, STOP, … as a
// single word, at any moment) work in the default pack, in both languages,
// from the first message on.
func TestDefaultPackOptOutWords(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	for _, w := range []string{"BAJA", "STOP", "ALTO", "PARAR", "CANCELAR", "UNSUBSCRIBE"} {
		for _, lang := range []int{0, 1} {
			for _, isNew := range []bool{true, false} {
				res := e.Step(e.Start(lang), flows.Input{Text: w, Channel: content.SMS, New: isNew, Lang: lang})
				if res.Effect.Kind != flows.EffectUnsubscribeAll || res.State.Screen.Kind != content.ScreenUnsubscribed {
					t.Errorf("%s (lang %d, new=%v): %+v, want unsubscribed with EffectUnsubscribeAll", w, lang, isNew, res)
				}
			}
		}
	}
}

// Issue 14 items 2 and 5: when the police are the danger, reached by a
// sentence as by the keyword, the numbers for that (PDH 1555, MP 1574)
// come before any 110; an under-18 is not sent to the police first.
func TestDefaultPackPoliceNumbersFirstWhenRead(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{})
	for _, c := range []struct{ msg, page, first string }{
		{"los chontes me quieren cobrar para dejarme trabajar", "policia", "1574"},
		{"tengo 15 años y un señor me paga", "menor", "1555"},
	} {
		for _, ch := range content.Channels {
			res := e.Step(flows.State{}, flows.Input{Text: c.msg, Channel: ch, New: true})
			if got := p.Nodes[res.State.Screen.Arg].ID; res.State.Screen.Kind != content.ScreenNode || got != c.page {
				t.Fatalf("%q on %s reached %s, want %s", c.msg, ch, res.State.Screen, c.page)
			}
			var all strings.Builder
			for _, pg := range p.Pages(res.State.Screen, 0, ch) {
				all.WriteString(pg.Text + "\n")
			}
			text := all.String()
			first, police := strings.Index(text, c.first), strings.Index(text, "110")
			if first < 0 || (police >= 0 && police < first) {
				t.Errorf("%s read on %s: %s at %d, 110 at %d; want %s first:\n%s", c.page, ch, c.first, first, police, c.first, text)
			}
		}
	}
}
