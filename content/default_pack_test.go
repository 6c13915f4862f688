package content_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
)

func loadDefault(t *testing.T) *content.Pack {
	t.Helper()
	p, rep, err := content.Default()
	if err != nil {
		t.Fatalf("default pack: %v", err)
	}
	for _, i := range rep.Issues {
		t.Errorf("default pack: %s", i)
	}
	return p
}

// The default pack must load with zero errors and zero warnings: every text
// translated, every node sourced and dated.
func TestDefaultPackLoadsClean(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	if codes := []string{p.Languages[0].Code, p.Languages[1].Code}; !slices.Equal(codes, []string{"es", "en"}) {
		t.Errorf("languages %v, want Spanish first, then English", codes)
	}
	if p.SMS.Segments != 1 {
		t.Errorf("sms.segments = %d, want 1: concatenated SMS is not reliable in Guatemala", p.SMS.Segments)
	}
}

func TestDefaultPackEveryScreen(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, s := range everyScreen(p) {
		for lang := range p.Languages {
			for _, ch := range content.Channels {
				checkNeutralPages(t, p, s, lang, ch)
			}
		}
	}
}

// WhatsApp gets the text exactly as written, accents included.
func TestDefaultPackWhatsAppKeepsAccents(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	n, _ := p.NodeByID("salud_centro")
	wa := p.Page(nodeScreen(t, p, n.ID), 0, content.WhatsApp, 0).Text
	if !strings.Contains(wa, "Centro de Salud de Patzún") {
		t.Errorf("WhatsApp page lost the accent:\n%s", wa)
	}
	sms := p.Page(nodeScreen(t, p, n.ID), 0, content.SMS, 0).Text
	if !strings.Contains(sms, "Centro de Salud de Patzun") {
		t.Errorf("SMS page did not transliterate Patzún:\n%s", sms)
	}
}

func TestDefaultPackMainMenuFitsOneSMS(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	start := content.Screen{Kind: content.ScreenNode, Arg: uint16(p.Start)}
	for lang := range p.Languages {
		pages := p.Pages(start, lang, content.SMS)
		if len(pages) != 1 {
			t.Errorf("%s: main menu takes %d SMS pages, want 1", p.Languages[lang].Code, len(pages))
			continue
		}
		if m := content.MeasureSMS(pages[0].Text); m.Encoding != content.GSM7 || m.Segments != 1 {
			t.Errorf("%s: main menu is %+v, want one GSM-7 segment", p.Languages[lang].Code, m)
		}
		lines := strings.Split(pages[0].Text, "\n")
		for i, c := range p.Nodes[p.Start].Options {
			if want := fmt.Sprintf("%d %s", i+1, mustGSM(p.Nodes[c].Title[lang])); !slices.Contains(lines, want) {
				t.Errorf("%s: main menu lacks the line %q:\n%s", p.Languages[lang].Code, want, pages[0].Text)
			}
		}
	}
}

func mustGSM(s string) string {
	out, _ := content.ToGSM7(s)
	return out
}

func TestDefaultPackOptionLabels(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, n := range p.Nodes {
		for _, c := range n.Options {
			for lang, l := range p.Languages {
				title := p.Nodes[c].Title[lang]
				if strings.TrimSpace(title) == "" || strings.Contains(title, "\n") {
					t.Errorf("node %s option %s: label %q in %s, want one non-empty line", n.ID, p.Nodes[c].ID, title, l.Code)
				}
			}
		}
	}
}

func TestDefaultPackSourcesAndDates(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	packDate, err := time.Parse(time.DateOnly, p.Reviewed)
	if err != nil {
		t.Errorf("pack reviewed %q: %v", p.Reviewed, err)
	}
	if strings.TrimSpace(p.ReviewNote) == "" {
		t.Error("pack has no review note: docs/SOURCES.md asks it to say what the NGO must confirm before launch")
	}
	for _, n := range p.Nodes {
		if strings.TrimSpace(n.Source) == "" {
			t.Errorf("node %s has no source", n.ID)
		}
		d, err := time.Parse(time.DateOnly, n.Reviewed)
		switch {
		case err != nil:
			t.Errorf("node %s reviewed %q: %v", n.ID, n.Reviewed, err)
		case d.Year() < 2026 || d.After(packDate):
			t.Errorf("node %s reviewed %s, want a date in 2026 up to the pack's review %s", n.ID, n.Reviewed, p.Reviewed)
		}
	}
}

// nodeKeywords reads every node's keywords, in every language, from the
// pack files.
func nodeKeywords(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, f := range readDefaultPackFiles(t) {
		if !strings.HasPrefix(f.name, "nodes/") {
			continue
		}
		for _, n := range f.root.Content {
			id := mapValue(n, "id").Value
			kw := mapValue(n, "keywords")
			for _, lang := range mapKeys(kw) {
				for _, w := range mapValue(kw, lang).Content {
					out[id] = append(out[id], w.Value)
				}
			}
		}
	}
	return out
}

// depths returns how many choices each node is from the start node (-1 if
// none reaches it).
func depths(p *content.Pack) []int {
	d := make([]int, len(p.Nodes))
	for i := range d {
		d[i] = -1
	}
	d[p.Start] = 0
	queue := []int{p.Start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, c := range p.Nodes[n].Options {
			if d[c] < 0 {
				d[c] = d[n] + 1
				queue = append(queue, c)
			}
		}
	}
	return d
}

// mentions reports whether text names phrase: an all-capitals phrase (an
// acronym such as ASI or ITS) exactly, as a whole word; anything else as
// whole words after Normalize.
func mentions(text, phrase string) bool {
	if phrase == strings.ToUpper(phrase) {
		return regexp.MustCompile(`(^|[^\pL\pN])` + regexp.QuoteMeta(phrase) + `($|[^\pL\pN])`).MatchString(text)
	}
	return strings.Contains(" "+content.Normalize(text)+" ", " "+content.Normalize(phrase)+" ")
}

// sourceSections lists what the source document (seed/) covers, by the
// names a node must use. Each inner list holds alternative spellings.
var sourceSections = []struct {
	section string
	names   [][]string
}{
	{"health services", [][]string{{"Centro de Salud"}, {"Hospital Nacional de Chimaltenango"},
		{"solo para ti"}}},
	{"sexual health", [][]string{{"ITS"}, {"VIH"}, {"prueba rápida"}, {"condón", "condones"}, {"PrEP"}}},
	{"mental health", [][]string{{"apoyo emocional"}, {"apoyo psicológico"}, {"consejería"}}},
	{"safety and harm reduction", [][]string{{"compañera", "compañeras"}, {"discreción"}}},
	{"street vs establishments", [][]string{{"calle"}, {"cantina"}}},
	{"rights and legal help", [][]string{{"PDH"}, {"Ministerio Público"}, {"SVET"}, {"no es delito"}}},
	{"organizations", [][]string{{"ASI"}, {"PASMO"}, {"UNFPA"}, {"OPS"}, {"Tierra Viva"}, {"UNAMG"},
		{"OTRANS Reinas de la Noche"}, {"Visibles"}}},
	{"alternatives", [][]string{{"INTECAP"}, {"DMM"}, {"OMM"}, {"FUNDAP"}, {"cooperativas"}, {"becas"}}},
	{"travel to Chimaltenango", [][]string{{"Viajar a Chimaltenango"}}},
	{"privacy", [][]string{{"PRIVACIDAD", "privacidad"}}},
}

// TestDefaultPackCoversTheSource finds the nodes whose Spanish title or text
// names each part of the source document and checks that every one of them
// is at most 3 choices from the main menu and has a keyword that leads to it.
func TestDefaultPackCoversTheSource(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	depth := depths(p)
	keywords := nodeKeywords(t)
	for _, sec := range sourceSections {
		t.Run(sec.section, func(t *testing.T) {
			t.Parallel()
			for _, alts := range sec.names {
				var found []*content.Node
				for _, n := range p.Nodes {
					text := n.Title[0] + "\n" + n.Body[0]
					if slices.ContainsFunc(alts, func(a string) bool { return mentions(text, a) }) {
						found = append(found, n)
					}
				}
				if len(found) == 0 {
					t.Errorf("no node names %q", alts[0])
					continue
				}
				for _, n := range found {
					if d := depth[n.Index]; d < 0 || d > 3 {
						t.Errorf("%q: node %s is %d choices from the main menu, want at most 3", alts[0], n.ID, d)
					}
					reached := slices.ContainsFunc(keywords[n.ID], func(k string) bool {
						w, ok := p.Lookup(content.Normalize(k))
						return ok && w.Kind == content.WordKeyword && w.Node == n.Index
					})
					if !reached {
						t.Errorf("%q: no keyword leads to node %s (keywords %q)", alts[0], n.ID, keywords[n.ID])
					}
				}
			}
		})
	}
}

// allTexts returns every text a person can be sent, in every language.
func allTexts(p *content.Pack) map[string]string {
	out := map[string]string{}
	for lang, l := range p.Languages {
		for _, n := range p.Nodes {
			out["node "+n.ID+" title ("+l.Code+")"] = n.Title[lang]
			out["node "+n.ID+" text ("+l.Code+")"] = n.Body[lang]
		}
		for _, tp := range p.Topics {
			out["topic "+tp.ID+" ("+l.Code+")"] = tp.Name[lang] + "\n" + tp.Description[lang]
		}
		// The interface texts CONTENT.md lists.
		for _, k := range []string{"header", "more", "nav", "unknown", "no_more", "help", "misses", "erased",
			"unavailable", "topics", "topic_confirm", "subscribed", "declined", "unsubscribed", "my_topics",
			"no_topics", "subscriptions_off"} {
			out["texts."+k+" ("+l.Code+")"] = p.Text(k, lang)
		}
	}
	return out
}

var (
	// phoneLike is three or more digits, possibly split by single spaces,
	// dots or dashes ("2222 3333", "1-800").
	phoneLike = regexp.MustCompile(`\+?\d(?:[ .\-]?\d){2,}`)
	// webAddress is a domain name.
	webAddress = regexp.MustCompile(`(?i)\b(?:[a-z0-9-]+\.)+(?:gt|org|com|net|int|info|gob)\b`)
)

// registryValues returns every value of the facts registry, in every
// language: what texts may show of numbers, places and web addresses.
func registryValues(p *content.Pack) []string {
	var out []string
	for _, f := range p.Facts {
		out = append(out, f.Value...)
	}
	return out
}

// TestDefaultPackUsesOnlyRegisteredFacts checks every text people can be
// sent, in every language, after facts are filled in: each phone-like
// number and web address is part of a value in facts.yaml, there is no
// e-mail and no penalty. (The loader already refuses numbers typed into
// texts; this checks the result end to end.)
func TestDefaultPackUsesOnlyRegisteredFacts(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	values := registryValues(p)
	inRegistry := func(s string) bool {
		return slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, s) })
	}
	penalties := []string{"prision", "carcel", "multa", "multas", "condena", "prison", "jail", "penalty", "penalties", "sentence"}
	for where, text := range allTexts(p) {
		for _, m := range phoneLike.FindAllString(text, -1) {
			if !inRegistry(m) {
				t.Errorf("%s: number %q is not a value in facts.yaml", where, m)
			}
		}
		for _, site := range webAddress.FindAllString(text, -1) {
			if !inRegistry(site) {
				t.Errorf("%s: web address %q is not a value in facts.yaml", where, site)
			}
		}
		if strings.Contains(text, "@") {
			t.Errorf("%s: has an @ (an e-mail or handle), but facts.yaml has none", where)
		}
		for _, w := range penalties {
			if mentions(text, w) {
				t.Errorf("%s: mentions %q; quote no penalties", where, w)
			}
		}
	}
}

// The registry records, for every fact, where it was checked, by whom and
// when; 1572, whose newest source is from 2020, says it must be confirmed,
// in the registry and never in a text.
func TestDefaultPackRegistry(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	if len(p.Facts) < 10 {
		t.Fatalf("facts.yaml has %d facts, want the numbers, places and sites the pack uses", len(p.Facts))
	}
	for _, f := range p.Facts {
		if f.Source == "" || f.CheckedBy == "" || f.Checked == "" {
			t.Errorf("fact %s: source %q, checked %q, checked_by %q: all are required", f.ID, f.Source, f.Checked, f.CheckedBy)
		}
	}
	f, ok := p.FactByID("mp_mujeres")
	if !ok || f.Value[0] != "1572" || f.Confirm == "" {
		t.Errorf("mp_mujeres = %+v, want 1572 with a confirm note", f)
	}
	for where, text := range allTexts(p) {
		for _, note := range []string{"confirma", "check the number", "verificar"} {
			if strings.Contains(strings.ToLower(text), note) {
				t.Errorf("%s: has the editor note %q", where, note)
			}
		}
	}
}

// TestDefaultPackHasNoForbiddenNumbers searches every file of the pack,
// comments and fact notes included, for the numbers docs/SOURCES.md rules out.
func TestDefaultPackHasNoForbiddenNumbers(t *testing.T) {
	t.Parallel()
	forbidden := regexp.MustCompile(`(^|\D)(1570|911|1517|1540)(\D|$)`)
	err := filepath.WalkDir("pack", func(name string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if m := forbidden.FindStringSubmatch(line); m != nil {
				t.Errorf("%s:%d: %s is on docs/SOURCES.md's must-not-be-used list", name, i+1, m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Each node records the facts its texts use, found from its placeholders,
// and every fact value a text shows is recorded.
func TestDefaultPackNodesRecordTheFactsTheyUse(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	for _, n := range p.Nodes {
		for lang := range p.Languages {
			for _, f := range p.Facts {
				v := f.Value[lang]
				if (phoneLike.MatchString(v) || webAddress.MatchString(v)) && strings.Contains(n.Body[lang], v) && !slices.Contains(n.Facts, f.ID) {
					t.Errorf("node %s shows %s (%s) but does not record it", n.ID, v, f.ID)
				}
			}
		}
		for _, id := range n.Facts {
			if _, ok := p.FactByID(id); !ok {
				t.Errorf("node %s records %q, which is not in facts.yaml", n.ID, id)
			}
		}
	}
}

// docs/SOURCES.md gives the safe wording of the legal status and says to promise no
// local PrEP: "pregunta por PrEP".
func TestDefaultPackSafeWording(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	const legal = "Ofrecer servicios sexuales siendo adulta no es delito en Guatemala; sí lo es que otra persona te obligue, te explote o se quede con tu dinero."
	found := false
	for _, n := range p.Nodes {
		found = found || strings.Contains(strings.Join(strings.Fields(n.Body[0]), " "), legal)
		es := n.Title[0] + "\n" + n.Body[0]
		if mentions(es, "PrEP") && (mentions(es, "Patzún") || mentions(es, "Chimaltenango")) && !mentions(es, "pregunta por PrEP") {
			t.Errorf("node %s speaks of PrEP near Patzún or Chimaltenango without \"pregunta por PrEP\"", n.ID)
		}
	}
	if !found {
		t.Errorf("no node uses docs/SOURCES.md's wording of the legal status: %q", legal)
	}
}
