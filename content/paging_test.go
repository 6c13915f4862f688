package content_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/senda-org/senda/content"
)

// contentLines returns a page's lines without the header and the "more"
// line.
func contentLines(p *content.Pack, page string, lang int) []string {
	lines := strings.Split(page, "\n")[1:]
	more, _ := content.ToGSM7(p.Text("more", lang))
	if n := len(lines); n > 0 && lines[n-1] == more {
		lines = lines[:n-1]
	}
	return lines
}

var digitStart = regexp.MustCompile(`^\d`)

// issue 8, item 6, on every screen of the default pack in every language:
// each SMS page is one GSM-7 segment; a multi-page reply has no page with
// less than MinPageContent characters; no page ends on a label whose number
// is on the next page or starts in the middle of a number; pages break
// between sentences, not inside them.
func TestDefaultPackSMSPaging(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, s := range everyScreen(p) {
		for lang := range p.Languages {
			pages := p.Pages(s, lang, content.SMS)
			for i, pg := range pages {
				if m := content.MeasureSMS(pg.Text); m.Encoding != content.GSM7 || m.Segments != 1 {
					t.Errorf("%s (%s) page %d is %+v, want one GSM-7 segment", s, p.Languages[lang].Code, i+1, m)
				}
				if len(pages) == 1 {
					continue
				}
				lines := contentLines(p, pg.Text, lang)
				n := 0
				for _, l := range lines {
					n += len(strings.TrimSpace(l))
				}
				if n < content.MinPageContent {
					t.Errorf("%s (%s) page %d of %d carries %d characters:\n%s", s, p.Languages[lang].Code, i+1, len(pages), n, pg.Text)
				}
				if i > 0 && len(lines) > 0 && digitStart.MatchString(lines[0]) && !regexp.MustCompile(`^\d `).MatchString(lines[0]) {
					t.Errorf("%s (%s) page %d starts with a number cut from its label:\n%s", s, p.Languages[lang].Code, i+1, pg.Text)
				}
				if i < len(pages)-1 && len(lines) > 0 {
					last := strings.TrimSpace(lines[len(lines)-1])
					if strings.HasSuffix(last, ":") && !strings.HasSuffix(last, "numero:") {
						t.Errorf("%s (%s) page %d ends on a label:\n%s", s, p.Languages[lang].Code, i+1, pg.Text)
					}
					if r := []rune(last); len(r) > 0 && unicode.IsLetter(r[len(r)-1]) && len(last) > 40 {
						t.Errorf("%s (%s) page %d ends inside a sentence (%q):\n%s", s, p.Languages[lang].Code, i+1, last, pg.Text)
					}
				}
			}
		}
	}
}

// Urgent pages put the numbers on the first SMS page.
func TestDefaultPackUrgentNumbersFirst(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	phone := regexp.MustCompile(`\b1\d{2,3}\b`)
	urgent := 0
	for _, n := range p.Nodes {
		if !n.Urgent {
			continue
		}
		urgent++
		for lang := range p.Languages {
			first := p.Page(nodeScreen(t, p, n.ID), lang, content.SMS, 0).Text
			if !phone.MatchString(first) && !strings.Contains(first, "El Tejar") && !webAddress.MatchString(first) && !strings.Contains(first, "farmacia") && !strings.Contains(first, "pharmacy") {
				t.Errorf("%s (%s): the first SMS page has no number or hospital:\n%s", n.ID, p.Languages[lang].Code, first)
			}
			wa := p.Page(nodeScreen(t, p, n.ID), lang, content.WhatsApp, 0).Text
			if !strings.Contains(wa, p.Text("automatic", lang)) {
				t.Errorf("%s (%s) does not say the line is automatic:\n%s", n.ID, p.Languages[lang].Code, wa)
			}
		}
	}
	if urgent < 3 {
		t.Errorf("%d urgent pages, want emergency, after rape and crisis", urgent)
	}
}

// The pager keeps a label with its number and a number whole, even when
// the line must be cut.
func TestPagingKeepsNumbersWhole(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Texto de relleno para llenar la página. ", 3) + "Llama a la línea de la Procuraduría de los Derechos Humanos quejas: {pdh} o ve en persona."
	files := applyEdits(t, basicPack(t), put("facts.yaml", strings.Replace(basicFacts, `"1555"`, `"1555 5555"`, 1)),
		replace("nodes/temas.yaml", "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n",
			"  text:\n    es: \""+long+"\"\n    en: Courses.\n"))
	p := mustLoad(t, files)
	pages := p.Pages(nodeScreen(t, p, "cursos"), 0, content.SMS)
	if len(pages) < 2 {
		t.Fatalf("want several pages, got %d", len(pages))
	}
	for i, pg := range pages {
		lines := contentLines(p, pg.Text, 0)
		if i > 0 && len(lines) > 0 && digitStart.MatchString(lines[0]) {
			t.Errorf("page %d starts with a number:\n%s", i+1, pg.Text)
		}
		if strings.Contains(pg.Text, "1555") && !strings.Contains(pg.Text, "quejas: 1555 5555") {
			t.Errorf("page %d splits the number from its label:\n%s", i+1, pg.Text)
		}
	}
}

// A page reached by reading a sentence shows the help line after its
// lock-screen lines, unless it already gives every number the line has:
// the emergency page is not made a page longer to say them twice.
func TestHelpLineOnlyWhereNumbersAreMissing(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, c := range []struct {
		id   string
		want bool
	}{{"emergencia", false}, {"despues_violacion", true}, {"condon_roto", true}, {"policia", true}, {"menor", true}} {
		plain := nodeScreen(t, p, c.id)
		read := plain
		read.Note = content.NoteHelpLine
		for _, ch := range content.Channels {
			got := p.Page(read, 0, ch, 0).Text
			// 122 and 110 are on none of these first pages but by the help line.
			if c.want && !(strings.Contains(got, "122") && strings.Contains(got, "110")) {
				t.Errorf("%s on %s: no help line:\n%s", c.id, ch, got)
			}
			if !c.want && got != p.Page(plain, 0, ch, 0).Text {
				t.Errorf("%s on %s: the page read differs from the page typed though it needs no help line:\n%s", c.id, ch, got)
			}
		}
	}
	if got := content.PhoneNumbers("Bomberos 122/123 · PDH 1555 · 24 horas · 5 días · 1574."); strings.Join(got, ",") != "122,123,1555,1574" {
		t.Errorf("PhoneNumbers = %q", got)
	}
}

// Every page reached by reading a sentence shows the help numbers on its
// first SMS page, whatever its first lines: the page may not be the one
// she needs.
func TestHelpLineOnTheFirstSMSPage(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, n := range p.Nodes {
		s := content.Screen{Kind: content.ScreenNode, Arg: uint16(n.Index), Note: content.NoteHelpLine}
		for lang := range p.Languages {
			first := p.Page(s, lang, content.SMS, 0).Text
			for _, num := range []string{"122", "1555", "110"} {
				if !strings.Contains(first, num) {
					t.Errorf("%s (%s) read from a sentence: the first SMS page lacks %s:\n%s", n.ID, p.Languages[lang].Code, num, first)
				}
			}
		}
	}
}
