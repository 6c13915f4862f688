package content_test

import (
	"slices"
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

// issue 8, items 2, 3 and 5, and issue 14: one emergency page on the main
// menu line and first in AYUDA; each urgent page fits what happened to her;
// no "promotora"; PrEP is complete.
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
		for _, w := range [][]string{{"no te cobra", "nadie lee", "SALIR", "EMERGENCIA"}, {"does not charge", "nobody reads", "EXIT", "EMERGENCY"}}[lang] {
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
			if mentions(text, "gratis") || mentions(text, "free") {
				t.Errorf("%s (%d) says free: her messages cost her credit", n.ID, lang)
			}
		}
	}
	if emergencies != 1 {
		t.Errorf("%d emergency pages, want one", emergencies)
	}
	prep, _ := p.NodeByID("sexual_prep")
	for _, want := range []string{"prueba de VIH", "No protege de otras ITS", "ni del embarazo", "pregunta por PrEP"} {
		if !strings.Contains(strings.ToLower(prep.Body[0]), strings.ToLower(want)) {
			t.Errorf("PrEP page lacks %q:\n%s", want, prep.Body[0])
		}
	}
}

// issue 14, items 1 to 6: each urgent page fits what happened to her.
func TestDefaultPackUrgentPagesFit(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	pages := []struct {
		id          string
		want, never []string
	}{
		{"emergencia", []string{"Bomberos 122 o 123", "Policía (PNC) 110", "PDH (Derechos Humanos), quejas: 1555", "Si prefieres no ir a la policía"}, nil},
		{"despues_violacion", []string{"No es tu culpa", "hospital de El Tejar, abierto 24 horas", "PEP (evita el VIH", "3 días (72 horas)",
			"hasta 5 días, mejor hoy", "avisan al MP (Ministerio Público) y a la policía", "Ve con quien confíes", "Una organización puede ir contigo", "Si no hay, pregunta"}, nil},
		{"condon_roto", []string{"Ve hoy a una farmacia", "pastilla del día siguiente", "hasta 5 días", "3 días (72 horas)", "ONG (organización)", "médico", "OTRANS",
			"prueba de VIH e ITS (infecciones de transmisión sexual)"}, []string{"culpa", "policía", "MP"}},
		{"policia", []string{"DPI", "PDH (Derechos Humanos) 1555, 24 horas", "MP (Ministerio Público) 1574", "solo pueden citarte", "Pregunta con calma por qué",
			"abogado", "Solo declaras ante él", "No firmes sin leer", "juez en 6 horas", "Nunca te resistas"}, []string{"110"}},
		{"crisis", []string{"no te quedes sola", "aleja pastillas, veneno o cuerdas, o dáselos a alguien", "Si ya tomaste algo: Bomberos 122 o 123 ahora"}, nil},
		{"sobredosis", []string{"Bomberos 122 o 123", "de lado", "No la dejes sola", "el frasco o el paquete"}, nil},
		{"menor", []string{"PDH (Procuraduría de los Derechos Humanos): 1555", "niñas, niños y jóvenes", "organización"}, []string{"110", "Policía"}},
		{"derechos_trata", []string{"organización de confianza", "MP (Ministerio Público)", "Después, Policía (PNC): 110", "SVET", "no recibe denuncias"}, nil},
	}
	for _, pg := range pages {
		n, ok := p.NodeByID(pg.id)
		if !ok || !n.Urgent {
			t.Errorf("%s: missing or not urgent", pg.id)
			continue
		}
		for _, w := range pg.want {
			if !strings.Contains(n.Body[0], w) {
				t.Errorf("%s lacks %q:\n%s", pg.id, w, n.Body[0])
			}
		}
		for _, w := range pg.never {
			if mentions(n.Body[0], w) {
				t.Errorf("%s says %q:\n%s", pg.id, w, n.Body[0])
			}
		}
	}
	trata, _ := p.NodeByID("derechos_trata")
	if b := trata.Body[0]; !(strings.Index(b, "organización") < strings.Index(b, "MP") && strings.Index(b, "MP") < strings.Index(b, "110")) {
		t.Errorf("trafficking: an organisation and the MP must come before 110:\n%s", b)
	}
	for parent, child := range map[string]string{"emergencia": "despues_violacion", "sexual": "condon_roto", "seguridad": "policia", "derechos": "menor"} {
		n, _ := p.NodeByID(parent)
		found := false
		for _, c := range n.Options {
			found = found || p.Nodes[c].ID == child
		}
		if !found {
			t.Errorf("%s does not lead to %s", parent, child)
		}
	}
}

// issue 14, item 11: until a call confirms 1572, it is never the first MP
// number on a page.
func TestDefaultPack1572NotFirst(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, n := range p.Nodes {
		for lang := range 2 {
			b := n.Body[lang]
			if i := strings.Index(b, "1572"); i >= 0 && !strings.Contains(b[:i], "1574") {
				t.Errorf("%s (%d): 1572 is the first MP number, but nobody has confirmed it by a call:\n%s", n.ID, lang, b)
			}
		}
	}
}

// issue 14, item 7: every acronym a page uses is explained on that page.
func TestDefaultPackExplainsAcronyms(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	explained := map[string][]string{
		"ITS": {"infecciones de transmisión sexual"}, "STI": {"sexually transmitted"},
		"VIH": {"virus del sida"}, "HIV": {"AIDS virus"},
		"PEP": {"PEP (", "(PEP"}, "PrEP": {"PrEP (", "PrEP es una medicina", "PrEP is a medicine"},
		"MP": {"MP (", "(MP)"}, "PDH": {"PDH (", "(PDH)"}, "ONG": {"ONG ("}, "NGO": {"NGO ("},
		"SVET": {"SVET ("}, "DMM": {"DMM ("},
	}
	for _, n := range p.Nodes {
		for lang := range 2 {
			b := n.Body[lang]
			for acr, ways := range explained {
				if mentions(b, acr) && !slices.ContainsFunc(ways, func(w string) bool { return strings.Contains(b, w) }) {
					t.Errorf("%s (%d) says %s without explaining it:\n%s", n.ID, lang, acr, b)
				}
			}
			if strings.Contains(b, "72 horas") && !strings.Contains(b, "3 días (72 horas)") || strings.Contains(b, "120 h") {
				t.Errorf("%s (%d) gives a time limit in hours, not days:\n%s", n.ID, lang, b)
			}
		}
	}
}

// issue 14, item 9: on every SMS page each phone number says whose it is
// on the same page.
func TestDefaultPackNumbersSayWhose(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	whose := map[string][]string{"110": {"Policia", "Police"}, "122": {"Bomberos", "irefighters"}, "123": {"Bomberos", "irefighters"},
		"1555": {"PDH"}, "1574": {"MP"}, "1572": {"MP"}}
	for _, s := range everyScreen(p) {
		for lang := range p.Languages {
			for i, pg := range p.Pages(s, lang, content.SMS) {
				for num, owners := range whose {
					if mentions(pg.Text, num) && !slices.ContainsFunc(owners, func(o string) bool { return strings.Contains(pg.Text, o) }) {
						t.Errorf("%s (%s) page %d shows %s without whose it is:\n%s", s, p.Languages[lang].Code, i+1, num, pg.Text)
					}
				}
			}
		}
	}
}
