package content_test

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/senda-org/senda/content"
)

// neutralHeader is the first line of every reply of the basic and default
// packs: "Senda", or "Senda 2/3" on a paginated reply. Lock screens show
// it, so it must say nothing else.
var neutralHeader = regexp.MustCompile(`^Senda( [1-9]/[1-9])?$`)

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkPages checks the promises docs/CONTENT.md makes about every reply page:
// the pack's header first, numbered "i/N" when there are several pages, the
// more text at the end of every page but the last, at most sms.segments
// GSM-7 segments per page on SMS, WhatsApp within whatsapp.max_chars, and a
// TwiML body that is exactly the page.
func checkPages(t *testing.T, p *content.Pack, s content.Screen, lang int, ch content.Channel) {
	t.Helper()
	pages := p.Pages(s, lang, ch)
	where := fmt.Sprintf("%s %s %s", s, p.Languages[lang].Code, ch)
	if len(pages) == 0 {
		t.Errorf("%s: no pages", where)
		return
	}
	header, more := p.Text("header", lang), p.Text("more", lang)
	if ch == content.SMS {
		header, _ = content.ToGSM7(header)
		more, _ = content.ToGSM7(more)
	}
	for i, pg := range pages {
		first, rest, _ := strings.Cut(pg.Text, "\n")
		want := header
		if len(pages) > 1 {
			want = fmt.Sprintf("%s %d/%d", header, i+1, len(pages))
		}
		if first != want {
			t.Errorf("%s page %d: first line %q, want %q", where, i+1, first, want)
		}
		if strings.TrimSpace(rest) == "" {
			t.Errorf("%s page %d: nothing after the header", where, i+1)
		}
		if i < len(pages)-1 && !strings.HasSuffix(pg.Text, "\n"+more) {
			t.Errorf("%s page %d of %d does not end with the more text %q:\n%s", where, i+1, len(pages), more, pg.Text)
		}
		switch ch {
		case content.SMS:
			size := content.MeasureSMS(pg.Text)
			if size.Encoding != content.GSM7 || size.Segments > p.SMS.Segments || size.Units > p.SMS.Budget() {
				t.Errorf("%s page %d: %+v, want GSM-7 in %d segment(s) of at most %d septets:\n%s", where, i+1, size, p.SMS.Segments, p.SMS.Budget(), pg.Text)
			}
		case content.WhatsApp:
			if n := utf16Len(pg.Text); n > p.WhatsAppMax {
				t.Errorf("%s page %d: %d characters, over whatsapp.max_chars %d", where, i+1, n, p.WhatsAppMax)
			}
		}
		var resp struct {
			XMLName  xml.Name `xml:"Response"`
			Messages []string `xml:"Message"`
		}
		if err := xml.Unmarshal(pg.TwiML, &resp); err != nil {
			t.Errorf("%s page %d: TwiML %q: %v", where, i+1, pg.TwiML, err)
		} else if len(resp.Messages) != 1 || resp.Messages[0] != pg.Text {
			t.Errorf("%s page %d: TwiML messages %q, want exactly the page %q", where, i+1, resp.Messages, pg.Text)
		}
	}
}

// checkNeutralPages checks the pages of a pack whose header is "Senda":
// every page starts with the neutral header, and the last page does not ask
// for MAS.
func checkNeutralPages(t *testing.T, p *content.Pack, s content.Screen, lang int, ch content.Channel) {
	t.Helper()
	checkPages(t, p, s, lang, ch)
	pages := p.Pages(s, lang, ch)
	for i, pg := range pages {
		first, _, _ := strings.Cut(pg.Text, "\n")
		if !neutralHeader.MatchString(first) {
			t.Errorf("%s %s %s page %d: first line %q is not the neutral header", s, p.Languages[lang].Code, ch, i+1, first)
		}
	}
	if len(pages) > 0 {
		more := p.Text("more", lang)
		if ch == content.SMS {
			more, _ = content.ToGSM7(more)
		}
		if last := pages[len(pages)-1].Text; strings.HasSuffix(last, "\n"+more) {
			t.Errorf("%s %s %s: the last page asks for more:\n%s", s, p.Languages[lang].Code, ch, last)
		}
	}
}

func TestEveryScreenOfTheBasicPack(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	for _, s := range everyScreen(p) {
		for lang := range p.Languages {
			for _, ch := range content.Channels {
				checkNeutralPages(t, p, s, lang, ch)
			}
		}
	}
}

func TestPagesOfUnknownScreensAreEmpty(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	tests := []struct {
		name string
		s    content.Screen
		lang int
		ch   content.Channel
	}{
		{"node out of range", content.Screen{Kind: content.ScreenNode, Arg: uint16(len(p.Nodes))}, 0, content.SMS},
		{"topic out of range", content.Screen{Kind: content.ScreenTopicConfirm, Arg: uint16(len(p.Topics))}, 0, content.SMS},
		{"my topics mask out of range", content.Screen{Kind: content.ScreenMyTopics, Arg: 1 << len(p.Topics)}, 0, content.SMS},
		{"no screen", content.Screen{}, 0, content.SMS},
		{"note on a screen without notes", content.Screen{Kind: content.ScreenHelp, Note: content.NoteUnknown}, 0, content.SMS},
		{"language out of range", nodeScreen(t, p, "salud"), len(p.Languages), content.SMS},
		{"negative language", nodeScreen(t, p, "salud"), -1, content.SMS},
		{"unknown channel", nodeScreen(t, p, "salud"), 0, content.Channel(9)},
	}
	for _, tt := range tests {
		if pages := p.Pages(tt.s, tt.lang, tt.ch); pages != nil {
			t.Errorf("%s: Pages = %d pages, want none", tt.name, len(pages))
		}
		if pg := p.Page(tt.s, tt.lang, tt.ch, 0); pg.Text != "" {
			t.Errorf("%s: Page = %q, want empty", tt.name, pg.Text)
		}
	}
}

// longPack is the basic pack with a long node "cursos" that has options,
// and WhatsApp limited to 300 characters so both channels paginate.
func longPack(t *testing.T, body string) *content.Pack {
	t.Helper()
	files := applyEdits(t, basicPack(t),
		replace("pack.yaml", "  max_pages: 6", "  max_pages: 9"),
		replace("pack.yaml", "  max_chars: 1600", "  max_chars: 300"),
		replace("nodes/temas.yaml", "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n",
			"  text:\n    es: |\n      "+strings.ReplaceAll(body, "\n", "\n      ")+"\n    en: Courses.\n  options: [salud]\n"),
	)
	return mustLoad(t, files)
}

// longText is a Spanish text of about 700 characters with accents that are
// not GSM-7 (á í ó ú), a & that TwiML must escape, and lines of several
// lengths.
const longText = `Cursos de capacitación en Chimaltenango:
INTECAP da cursos de cocina, costura, computación y atención al público. Cada curso dura unas semanas y se paga una cuota pequeña; a veces hay becas.
Antes de viajar, pregunta por horarios, costo y requisitos & lleva tu documento.
La Dirección Municipal de la Mujer también organiza talleres cortos de panadería, artesanías y tejidos, en Patzún o en pueblos cercanos, según el año.
Pregunta en la municipalidad si hay apoyo para cuidar a tus hijos mientras estudias.
Las organizaciones de mujeres pueden orientarte sobre qué opción te conviene más.`

func TestPaginationKeepsEveryWord(t *testing.T) {
	t.Parallel()
	p := longPack(t, longText)
	s := nodeScreen(t, p, "cursos")
	for _, ch := range content.Channels {
		t.Run(ch.String(), func(t *testing.T) {
			t.Parallel()
			pages := p.Pages(s, 0, ch)
			if len(pages) < 3 {
				t.Fatalf("%d pages, want the long text split into at least 3", len(pages))
			}
			checkNeutralPages(t, p, s, 0, ch)

			src := longText
			more, nav := p.Text("more", 0), p.Text("nav", 0)
			if ch == content.SMS {
				src, _ = content.ToGSM7(src)
				more, _ = content.ToGSM7(more)
				nav, _ = content.ToGSM7(nav)
			}
			// The bodies, without header and more lines, read in order,
			// must be the text, then the option, then the navigation line.
			var bodies []string
			var lines []string
			for _, pg := range pages {
				body := strings.TrimSuffix(pg.Text, "\n"+more)
				_, body, _ = strings.Cut(body, "\n")
				bodies = append(bodies, body)
				lines = append(lines, strings.Split(body, "\n")...)
			}
			got := strings.Fields(strings.Join(bodies, "\n"))
			want := slices.Concat(strings.Fields(src), strings.Fields("1 Salud"), strings.Fields(nav))
			if !slices.Equal(got, want) {
				t.Errorf("words of the pages differ from the text:\n got %q\nwant %q", got, want)
			}
			// Short lines (the option, navigation) are never cut.
			for _, whole := range []string{"1 Salud", nav} {
				if !slices.Contains(lines, whole) {
					t.Errorf("line %q is not whole on any page: %q", whole, lines)
				}
			}
		})
	}
}

func TestPaginationChannels(t *testing.T) {
	t.Parallel()
	p := longPack(t, longText)
	s := nodeScreen(t, p, "cursos")
	sms := strings.Join(pageTexts(p.Pages(s, 0, content.SMS)), "\n")
	wa := strings.Join(pageTexts(p.Pages(s, 0, content.WhatsApp)), "\n")
	// WhatsApp gets the text as written; SMS gets it transliterated.
	for _, word := range []string{"capacitación", "computación", "atención", "Dirección", "según", "más."} {
		if !strings.Contains(wa, word) {
			t.Errorf("WhatsApp pages lack %q with its accent", word)
		}
		plain, _ := content.ToGSM7(word)
		if !strings.Contains(sms, plain) || strings.Contains(sms, word) {
			t.Errorf("SMS pages should have %q as %q", word, plain)
		}
	}
	// A short text stays one page on both channels.
	short := mustLoad(t, basicPack(t))
	for _, ch := range content.Channels {
		if n := len(short.Pages(nodeScreen(t, short, "salud"), 0, ch)); n != 1 {
			t.Errorf("%s: short node has %d pages, want 1", ch, n)
		}
	}
}

func pageTexts(pages []content.Page) []string {
	out := make([]string, len(pages))
	for i, pg := range pages {
		out[i] = pg.Text
	}
	return out
}

// A word longer than a page (a web address) is cut, not lost.
func TestPaginationLongWord(t *testing.T) {
	t.Parallel()
	word := "Kaqchikel" + strings.Repeat("abcdefghij", 25)
	p := longPack(t, "Mira: "+word+" y pregunta.")
	s := nodeScreen(t, p, "cursos")
	checkPages(t, p, s, 0, content.SMS)
	var joined strings.Builder
	for _, pg := range p.Pages(s, 0, content.SMS) {
		body := strings.TrimSuffix(pg.Text, "\nMAS para seguir")
		_, body, _ = strings.Cut(body, "\n")
		joined.WriteString(body)
	}
	if !strings.Contains(joined.String(), word) {
		t.Errorf("the long word is not kept across pages:\n%s", joined.String())
	}
}

// With sms.segments: 2 a page may use two concatenated segments (306
// septets), so a text that needs two pages at one segment needs one.
func TestSMSSegmentsSetting(t *testing.T) {
	t.Parallel()
	text := strings.Repeat("Pregunta en el Centro de Salud. ", 7) // about 220 characters
	files := applyEdits(t, basicPack(t),
		replace("nodes/temas.yaml", "{es: Cursos en Chimaltenango.", "{es: "+text))
	one := mustLoad(t, files)
	files = applyEdits(t, files, replace("pack.yaml", "  segments: 1", "  segments: 2"))
	two := mustLoad(t, files)
	if n := len(one.Pages(nodeScreen(t, one, "cursos"), 0, content.SMS)); n != 2 {
		t.Errorf("1 segment: %d pages, want 2", n)
	}
	s := nodeScreen(t, two, "cursos")
	if n := len(two.Pages(s, 0, content.SMS)); n != 1 {
		t.Errorf("2 segments: %d pages, want 1", n)
	}
	checkPages(t, two, s, 0, content.SMS)
}

func TestNotesShowTheOptionsAgain(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	start := content.Screen{Kind: content.ScreenNode, Arg: uint16(p.Start)}
	for _, ch := range content.Channels {
		for lang := range p.Languages {
			unknown := start
			unknown.Note = content.NoteUnknown
			text := p.Page(unknown, lang, ch, 0).Text
			hint := p.Text("unknown", lang)
			if ch == content.SMS {
				hint, _ = content.ToGSM7(hint)
			}
			for _, want := range []string{hint, "1 " + p.Nodes[p.Nodes[p.Start].Options[0]].Title[lang], "2 " + p.Nodes[p.Nodes[p.Start].Options[1]].Title[lang]} {
				if !strings.Contains(text, want) {
					t.Errorf("%s %s: unknown note lacks %q:\n%s", ch, p.Languages[lang].Code, want, text)
				}
			}
		}
	}
}

func TestMyTopicsMarksSubscribedTopics(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	tests := []struct {
		mask uint16
		want []string
	}{
		{0, []string{"No recibes avisos:", "1 Salud: NO", "2 Cursos: NO"}},
		{1, []string{"Tus avisos:", "1 Salud: SI", "2 Cursos: NO"}},
		{3, []string{"Tus avisos:", "1 Salud: SI", "2 Cursos: SI"}},
	}
	for _, tt := range tests {
		text := p.Page(content.Screen{Kind: content.ScreenMyTopics, Arg: tt.mask}, 0, content.WhatsApp, 0).Text
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("mask %b: lacks %q:\n%s", tt.mask, w, text)
			}
		}
	}
	en := p.Page(content.Screen{Kind: content.ScreenMyTopics, Arg: 2}, 1, content.WhatsApp, 0).Text
	for _, w := range []string{"1 Health: NO", "2 Courses: YES"} {
		if !strings.Contains(en, w) {
			t.Errorf("en: lacks %q:\n%s", w, en)
		}
	}
}

func TestTopicConfirmFillsPlaceholders(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	text := p.Page(content.Screen{Kind: content.ScreenTopicConfirm, Arg: 1}, 0, content.WhatsApp, 0).Text
	if want := "Cursos: Cursos cerca. Hasta 2 al mes. ¿SI o NO?"; !strings.Contains(text, want) {
		t.Errorf("confirm = %q, want it to contain %q", text, want)
	}
	text = p.Page(content.Screen{Kind: content.ScreenSubscribed, Arg: 0}, 1, content.WhatsApp, 0).Text
	if want := "Done: Health updates."; !strings.Contains(text, want) {
		t.Errorf("subscribed = %q, want it to contain %q", text, want)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	files := applyEdits(t, basicPack(t),
		replace("nodes/temas.yaml", "keywords: {es: [salud, clínica], en: [health, clinic]}", "keywords: {es: [salud, clínica, carta], en: [health, clinic]}"),
		replace("nodes/temas.yaml", "keywords: {es: [cursos], en: [courses]}", "keywords: {es: [cursos, carga], en: [courses]}"),
	)
	p := mustLoad(t, files)
	salud, _ := p.NodeByID("salud")
	cursos, _ := p.NodeByID("cursos")
	kw := func(n *content.Node, lang int) content.Word {
		return content.Word{Kind: content.WordKeyword, Node: n.Index, Lang: lang}
	}
	cmd := func(k content.WordKind, lang int) content.Word { return content.Word{Kind: k, Node: -1, Lang: lang} }
	tests := []struct {
		in   string
		want content.Word
		ok   bool
	}{
		// exact, after Normalize
		{"siguiente", cmd(content.WordMore, 0), true},
		{"MÁS", cmd(content.WordMore, 0), true},
		{"more", cmd(content.WordMore, 1), true},
		{"Clínica", kw(salud, 0), true},
		{"clinic", kw(salud, 1), true},
		{"cursos", kw(cursos, 0), true},
		{"menu", cmd(content.WordHome, -1), true}, // the same in both languages
		{"no", cmd(content.WordNo, -1), true},
		{"Sí", cmd(content.WordYes, 0), true},
		{"yes", cmd(content.WordYes, 1), true},
		{"english", content.Word{Kind: content.WordLanguage, Node: -1, Lang: 1}, true},
		{"Español", content.Word{Kind: content.WordLanguage, Node: -1, Lang: 0}, true},
		{"castellano", content.Word{Kind: content.WordLanguage, Node: -1, Lang: 0}, true},
		{"ingles", content.Word{Kind: content.WordLanguage, Node: -1, Lang: 1}, true},
		{"STOP", cmd(content.WordOptOut, 1), true},
		{"baja", cmd(content.WordOptOut, 0), true},
		// one typo in a word of five letters or more
		{"siguente", cmd(content.WordMore, 0), true},   // a letter missing
		{"sigiuente", cmd(content.WordMore, 0), true},  // two letters swapped
		{"siguientes", cmd(content.WordMore, 0), true}, // a letter added
		{"siguiemte", cmd(content.WordMore, 0), true},  // a letter changed
		{"clinca", kw(salud, 0), true},
		// erasing and unsubscribing need the exact word: a typo must not
		// cost anyone their subscription or conversation
		{"cancelr", content.Word{}, false},
		{"cancela", content.Word{}, false},
		{"ayda", cmd(content.WordHelp, 0), true}, // ayuda has five letters
		// two typos are too many
		{"sigente", content.Word{}, false},
		{"clnca", content.Word{}, false},
		// short words only exactly
		{"mos", content.Word{}, false},
		{"maz", content.Word{}, false},
		{"bajo", content.Word{}, false},
		{"altos", content.Word{}, false},
		{"hla", content.Word{}, false},
		{"sii", cmd(content.WordYes, 0), true}, // Normalize folds the doubled letter
		// ambiguous: one typo from two different words
		{"carla", content.Word{}, false},
		{"nada", content.Word{}, false},
		{"", content.Word{}, false},
		{"1", content.Word{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := p.Lookup(content.Normalize(tt.in))
			if ok != tt.ok || got != tt.want {
				t.Errorf("Lookup(Normalize(%q)) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// Stats is what `content check` prints: pages, the longest page, encoding
// and segments per node and channel. It must describe the pages sent.
func TestStats(t *testing.T) {
	t.Parallel()
	p := longPack(t, longText)
	stats := p.Stats()
	if len(stats) != len(p.Nodes) {
		t.Fatalf("%d stats for %d nodes", len(stats), len(p.Nodes))
	}
	for i, st := range stats {
		if st.ID != p.Nodes[i].ID {
			t.Errorf("stats %d are for %s, want %s", i, st.ID, p.Nodes[i].ID)
		}
	}
	cursos, _ := p.NodeByID("cursos")
	st := stats[cursos.Index]
	smsPages := p.Pages(nodeScreen(t, p, "cursos"), 0, content.SMS)
	if st.SMS.Pages != len(smsPages) || st.SMS.Pages < 3 {
		t.Errorf("SMS pages %d, want %d (at least 3)", st.SMS.Pages, len(smsPages))
	}
	read := nodeScreen(t, p, "cursos")
	read.Note = content.NoteHelpLine
	if n := len(p.Pages(read, 0, content.SMS)); st.SMSPagesRead != n || n < st.SMS.Pages {
		t.Errorf("SMS pages when read %d, want %d (at least the %d typed)", st.SMSPagesRead, n, st.SMS.Pages)
	}
	// Every SMS page is one GSM-7 segment, so segments = pages.
	if st.SMS.Encoding != content.GSM7 || st.SMS.Segments != st.SMS.Pages || st.SMS.MaxChars > 160 || st.SMS.MaxChars < 100 {
		t.Errorf("SMS stats %+v, want GSM-7, one segment a page, pages of 100-160 characters", st.SMS)
	}
	// WhatsApp keeps á: sent as SMS it would be UCS-2, and cost more.
	if st.WhatsApp.Encoding != content.UCS2 || st.WhatsApp.MaxChars > 300 || st.WhatsApp.Segments <= st.WhatsApp.Pages {
		t.Errorf("WhatsApp stats %+v, want UCS-2 pages of at most 300 characters, several segments each", st.WhatsApp)
	}
	salud := stats[nodeScreen(t, p, "salud").Arg]
	if salud.SMS.Pages != 1 || salud.WhatsApp.Pages != 1 || salud.SMS.Segments != 1 {
		t.Errorf("short node stats %+v, want one page and one segment", salud)
	}
}
