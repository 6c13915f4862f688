package content_test

import (
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
)

// issue 8, item 4: wherever the police are named, the text also names the
// MP or the PDH and going with an organisation; where it tells her to
// report to the police, it says reporting can reveal who she is.
func TestDefaultPackPoliceWithCare(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, n := range p.Nodes {
		for lang, l := range p.Languages {
			if l.Code == "kaq" {
				continue // falls back to Spanish, checked as es
			}
			body := strings.ToLower(n.Body[lang])
			if !strings.Contains(body, "polic") {
				continue
			}
			if !strings.Contains(body, "pdh") && !strings.Contains(body, "mp") {
				t.Errorf("%s (%s) names the police without the MP or the PDH:\n%s", n.ID, l.Code, n.Body[lang])
			}
			if !strings.Contains(body, "organiza") {
				t.Errorf("%s (%s) names the police without going with an organization:\n%s", n.ID, l.Code, n.Body[lang])
			}
			pol, _ := p.FactByID("policia")
			if strings.Contains(body, pol.Value[lang]) && !strings.Contains(body, "revelar") && !strings.Contains(body, "reveal") {
				t.Errorf("%s (%s) gives the police number without saying reporting can reveal who she is:\n%s", n.ID, l.Code, n.Body[lang])
			}
			for _, promise := range []string{"estarás segura", "te protege", "you will be safe", "will protect you"} {
				if strings.Contains(body, promise) {
					t.Errorf("%s (%s) promises safety: %q", n.ID, l.Code, promise)
				}
			}
		}
	}
}

// issue 8, items 2, 3 and 5: one emergency page on the main menu line and
// first in AYUDA; the after-rape page has the facts; no "promotora"; PrEP
// is complete.
func TestDefaultPackSafetyContent(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for lang := range 2 {
		menu := p.Page(content.Screen{Kind: content.ScreenNode, Arg: uint16(p.Start)}, lang, content.WhatsApp, 0).Text
		help := strings.Split(p.Page(content.Screen{Kind: content.ScreenHelp}, lang, content.WhatsApp, 0).Text, "\n")
		word := map[int]string{0: "EMERGENCIA", 1: "EMERGENCY"}[lang]
		if !strings.Contains(menu, word) {
			t.Errorf("main menu (%d) does not show %s:\n%s", lang, word, menu)
		}
		if !strings.Contains(help[1], word) {
			t.Errorf("AYUDA (%d) does not offer %s first:\n%s", lang, word, strings.Join(help, "\n"))
		}
		welcome := p.Page(content.Screen{Kind: content.ScreenWelcome}, lang, content.WhatsApp, 0).Text
		for _, w := range [][]string{{"gratis", "automátic", "nadie lee", "SALIR", "EMERGENCIA"}, {"free", "automatic", "nobody reads", "EXIT", "EMERGENCY"}}[lang] {
			if !strings.Contains(welcome, w) {
				t.Errorf("welcome (%d) lacks %q:\n%s", lang, w, welcome)
			}
		}
	}
	emergencies := 0
	for _, n := range p.Nodes {
		if strings.HasPrefix(n.Title[0], "Emergencia") {
			emergencies++
		}
		for lang := range 2 {
			text := strings.ToLower(n.Title[lang] + "\n" + n.Body[lang])
			if strings.Contains(text, "promotor") || strings.Contains(text, "health promoter") {
				t.Errorf("%s (%d) names a health promoter, which no source defines", n.ID, lang)
			}
		}
	}
	if emergencies != 1 {
		t.Errorf("%d emergency pages, want one", emergencies)
	}
	em, _ := p.NodeByID("emergencia")
	for _, id := range []string{"policia", "bomberos_vol", "bomberos_mun", "pdh", "mp_mujeres", "mp_extorsion", "hospital_horario"} {
		if !strings.Contains(strings.Join(em.Facts, ","), id) {
			t.Errorf("the emergency page lacks %s", id)
		}
	}
	after, _ := p.NodeByID("despues_violacion")
	for _, want := range []string{"72 horas", "El Tejar", "abierto 24 horas", "PEP", "anticoncepción", "ITS", "avisa al MP y a la policía", "organización"} {
		if !strings.Contains(after.Body[0], want) {
			t.Errorf("after-rape page lacks %q:\n%s", want, after.Body[0])
		}
	}
	prep, _ := p.NodeByID("sexual_prep")
	for _, want := range []string{"prueba de VIH", "No protege de otras ITS ni del embarazo", "pregunta por PrEP"} {
		if !strings.Contains(strings.ToLower(prep.Body[0]), strings.ToLower(want)) {
			t.Errorf("PrEP page lacks %q:\n%s", want, prep.Body[0])
		}
	}
	for _, parent := range []string{"emergencia", "sexual"} {
		n, _ := p.NodeByID(parent)
		found := false
		for _, c := range n.Options {
			found = found || p.Nodes[c].ID == "despues_violacion"
		}
		if !found {
			t.Errorf("%s does not lead to the after-rape page", parent)
		}
	}
}
