package content_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
)

const basicFacts = `facts:
  - id: pdh
    value: "1555"
    what: PDH complaints
    source: test source
    checked: 2026-11-20
    checked_by: tester
  - id: plazo
    value: {es: 72 horas, en: 72 hours}
    what: a time limit
    source: test source
    checked: 2025-01-10
    checked_by: tester
    confirm: ring it again
`

// issue 8, items 5 and 9: the facts registry, named values and the checks
// on what editors type into texts.
func TestFactsAndValues(t *testing.T) {
	t.Parallel()
	const temas = "nodes/temas.yaml"
	tests := []struct {
		name  string
		edits []edit
		want  []string // parts of error messages, in any order; none means it loads
	}{
		{name: "a fact in a text is filled in",
			edits: []edit{put("facts.yaml", basicFacts),
				replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"PDH: {pdh}, {plazo}.\", en: \"PDH: {pdh}, {plazo}.\"}")}},
		{name: "a number typed into a text",
			edits: []edit{replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: Llama al 1555., en: Call 1555.}")},
			want:  []string{`node cursos text (es) has the number "1555" typed in`, `node cursos text (en) has the number "1555" typed in`}},
		{name: "hours typed into a text",
			edits: []edit{replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: Abierto 24 horas., en: Open.}")},
			want:  []string{`has the time "24 horas" typed in`}},
		{name: "a web address typed into a text",
			edits: []edit{replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: Mira pdh.org.gt., en: See it.}")},
			want:  []string{`has the web address "pdh.org.gt" typed in`}},
		{name: "an editor note in a text",
			edits: []edit{replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: Cursos (confirma el lugar)., en: Courses (check the place).}")},
			want:  []string{`has the editor note "(confirma el lugar)"`, `has the editor note "(check the place)"`}},
		{name: "an unknown placeholder",
			edits: []edit{replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"Llama al {pdh}.\", en: \"Call {pdh}.\"}")},
			want:  []string{"node cursos text uses {pdh}, which is neither a fact in facts.yaml nor a value in pack.yaml"}},
		{name: "a fact without source, checker or date",
			edits: []edit{put("facts.yaml", "facts:\n  - id: pdh\n    value: \"1555\"\n")},
			want:  []string{"fact pdh has no source", "fact pdh has no checked_by", `fact pdh: checked "" is not a date`}},
		{name: "an editor note in a fact value",
			edits: []edit{put("facts.yaml", strings.Replace(basicFacts, `value: "1555"`, `value: "1555 (verificar)"`, 1))},
			want:  []string{`fact pdh value (es) has the editor note "(verificar)": put it under confirm:`}},
		{name: "a value uses a fact",
			edits: []edit{put("facts.yaml", basicFacts),
				replace("pack.yaml", "commands:", "values:\n  pdh_linea: {es: \"PDH {pdh}\", en: \"PDH {pdh}\"}\ncommands:"),
				replace(temas, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"{pdh_linea}.\", en: \"{pdh_linea}.\"}")}},
		{name: "a value with a number typed in",
			edits: []edit{replace("pack.yaml", "commands:", "values:\n  linea: {es: \"PDH 1555\", en: \"PDH 1555\"}\ncommands:")},
			want:  []string{`value linea (es) has the number "1555" typed in`}},
		{name: "a value named like a fact",
			edits: []edit{put("facts.yaml", basicFacts), replace("pack.yaml", "commands:", "values:\n  pdh: {es: PDH, en: PDH}\ncommands:")},
			want:  []string{`value "pdh" has the name of a fact`}},
		{name: "an incomplete contact",
			edits: []edit{replace("pack.yaml", "commands:", "contact: {name: ONG, phone: \"5555 0000\"}\ncommands:")},
			want:  []string{"contact ONG needs checked (YYYY-MM-DD) and checked_by"}},
		{name: "number words must be nine",
			edits: []edit{replace("pack.yaml", "commands:", "numbers: {es: [uno, dos]}\ncommands:")},
			want:  []string{"numbers.es has 2 words; list the words for 1 to 9"}},
		{name: "distress must open an urgent node",
			edits: []edit{replace("pack.yaml", "commands:", "distress:\n  peligro: {node: salud}\ncommands:")},
			want:  []string{"distress peligro: node salud must be marked urgent: true"}},
		{name: "distress phrases are retired",
			edits: []edit{replace("pack.yaml", "commands:", "distress:\n  a: {node: salud, phrases: {es: [socorro]}}\ncommands:")},
			want:  []string{"distress phrases are retired: write example messages under urgent:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := applyEdits(t, basicPack(t), tt.edits...)
			p, rep, err := loadFiles(t, files)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want errors %q", tt.want)
			}
			for _, w := range tt.want {
				found := false
				for _, is := range rep.Errors() {
					found = found || strings.Contains(is.Msg, w)
				}
				if !found {
					t.Errorf("want an error with %q; got:\n%s", w, issueList(rep.Issues))
				}
			}
			_ = p
		})
	}
}

func TestFactsFilledIn(t *testing.T) {
	t.Parallel()
	files := applyEdits(t, basicPack(t), put("facts.yaml", basicFacts),
		replace("pack.yaml", "commands:", "values:\n  pdh_linea: {es: \"PDH {pdh}\", en: \"PDH (ombudsman) {pdh}\"}\ncommands:"),
		replace("nodes/temas.yaml", "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"{pdh_linea}, {plazo}.\", en: \"{pdh_linea}, {plazo}.\"}"))
	p := mustLoad(t, files)
	n, _ := p.NodeByID("cursos")
	if n.Body[0] != "PDH 1555, 72 horas." || n.Body[1] != "PDH (ombudsman) 1555, 72 hours." {
		t.Errorf("texts %q", n.Body)
	}
	if got := strings.Join(n.Facts, ","); got != "pdh,plazo" {
		t.Errorf("node facts %q, want pdh,plazo (a fact used through a value counts)", got)
	}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	stale := p.Stale(now, 180*24*time.Hour)
	if len(stale) != 1 || stale[0].ID != "plazo" {
		t.Errorf("stale = %v, want plazo (checked 2025-01-10)", stale)
	}
	if c := p.ToConfirm(); len(c) != 1 || c[0].ID != "plazo" {
		t.Errorf("to confirm = %v, want plazo", c)
	}
	for _, s := range []string{"180d", "26w", "4320h"} {
		if d, err := content.ParseAge(s); err != nil || d < 180*24*time.Hour-time.Hour || d > 182*24*time.Hour {
			t.Errorf("ParseAge(%s) = %v, %v", s, d, err)
		}
	}
	for _, s := range []string{"", "d", "-3d", "soon"} {
		if _, err := content.ParseAge(s); err == nil {
			t.Errorf("ParseAge(%q) accepted", s)
		}
	}
}

// The NGO contact shows on urgent pages and in help only when it is set.
func TestContact(t *testing.T) {
	t.Parallel()
	urgent := replace("nodes/temas.yaml", "  source: test\n  reviewed: 2026-11-27\n\n- id: cursos", "  urgent: true\n  source: test\n  reviewed: 2026-11-27\n\n- id: cursos")
	without := mustLoad(t, applyEdits(t, basicPack(t), urgent))
	with := mustLoad(t, applyEdits(t, basicPack(t), urgent,
		replace("pack.yaml", "commands:", "contact: {name: Mujeres Unidas, whatsapp: \"+502 5555 0000\", hours: \"L-V\", checked: 2026-11-20, checked_by: tester}\ncommands:")))
	for _, s := range []content.Screen{nodeScreen(t, with, "salud"), {Kind: content.ScreenHelp}} {
		if txt := with.Page(s, 0, content.WhatsApp, 0).Text; !strings.Contains(txt, "Mujeres Unidas: WhatsApp +502 5555 0000 L-V") {
			t.Errorf("%s with a contact:\n%s", s, txt)
		}
		if txt := without.Page(s, 0, content.WhatsApp, 0).Text; strings.Contains(txt, "Mujeres") || strings.Contains(txt, "{name}") {
			t.Errorf("%s without a contact:\n%s", s, txt)
		}
	}
	if txt := with.Page(nodeScreen(t, with, "cursos"), 0, content.WhatsApp, 0).Text; strings.Contains(txt, "Mujeres") {
		t.Errorf("a page that is not urgent shows the contact:\n%s", txt)
	}
	if txt := with.Page(nodeScreen(t, with, "salud"), 0, content.WhatsApp, 0).Text; !strings.Contains(txt, "Nadie lee tus mensajes.") {
		t.Errorf("an urgent page does not say the line is automatic:\n%s", txt)
	}
}

// issue 8, item 10: export, import, draft/reviewed, outdated sources, and
// a language offered only once its menus are reviewed.
func TestTranslationsWorkflow(t *testing.T) {
	t.Parallel()
	files := applyEdits(t, basicPack(t), replace("pack.yaml", "  en: {name: English, switch: [ingles]}", "  en: {name: English, switch: [ingles]}\n  kaq: {name: Kaqchikel, switch: [kaqchikel]}"))
	p := mustLoad(t, files)
	kaq := p.LanguageIndex("kaq")
	if p.Languages[kaq].Offered || p.Languages[kaq].Reviewed != 0 {
		t.Fatalf("kaq = %+v before any translation, want not offered", p.Languages[kaq])
	}
	if w, ok := p.Exact("kaqchikel"); ok {
		t.Errorf("kaqchikel switches (%+v) before the language is offered", w)
	}
	rows, err := p.Export("kaq")
	if err != nil {
		t.Fatal(err)
	}
	var csvOut, poOut bytes.Buffer
	if err := content.WriteCSV(&csvOut, rows); err != nil {
		t.Fatal(err)
	}
	if err := content.WritePO(&poOut, "kaq", rows); err != nil {
		t.Fatal(err)
	}
	back, err := content.ReadCSV(&csvOut)
	if err != nil || len(back) != len(rows) {
		t.Fatalf("csv round trip: %d rows, %v", len(back), err)
	}
	fromPO, err := content.ReadPO(&poOut)
	if err != nil || len(fromPO) != len(rows) {
		t.Fatalf("po round trip: %d rows, %v", len(fromPO), err)
	}
	for i := range rows {
		if fromPO[i].Key != rows[i].Key || fromPO[i].Source != rows[i].Source {
			t.Fatalf("po row %d = %+v, want %+v", i, fromPO[i], rows[i])
		}
	}
	// A translator fills every text (here with a marker, never real
	// Kaqchikel) and reviews all of them but one, whose source then
	// changes.
	for i := range back {
		back[i].Translation = "KAQ " + back[i].Source
		back[i].Status = content.StatusReviewed
	}
	back[0].Status = content.StatusDraft
	out, sum, err := p.Import("kaq", append(back, content.ExportRow{Key: "node.nada.title", Translation: "x"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != len(rows) || sum.Reviewed != len(rows)-1 || len(sum.Unknown) != 1 || len(sum.Outdated) != 0 {
		t.Errorf("summary %+v", sum)
	}
	files["translations/kaq.yaml"] = string(out)
	p2 := mustLoad(t, files)
	if !p2.Languages[kaq].Offered {
		t.Fatalf("kaq not offered after every menu text was reviewed: %+v (first key %s is a draft)", p2.Languages[kaq], rows[0].Key)
	}
	if _, ok := p2.Exact("kaqchikel"); !ok {
		t.Error("kaqchikel does not switch once offered")
	}
	inicio, _ := p2.NodeByID("inicio")
	if !strings.HasPrefix(inicio.Body[kaq], "KAQ ") {
		t.Errorf("reviewed translation not used: %q", inicio.Body[kaq])
	}
	// The draft falls back to Spanish.
	e := p2.Catalog[0]
	if e.Status[kaq] != content.StatusDraft {
		t.Errorf("%s status %s, want draft", e.Key, e.Status[kaq])
	}
	// The Spanish of inicio's text changes: its translation is outdated,
	// Spanish is shown, and the check says so.
	files["nodes/inicio.yaml"] = strings.Replace(files["nodes/inicio.yaml"], "Elige un número:", "Elige una opción:", 1)
	p3, rep, err := loadFiles(t, files)
	if err != nil {
		t.Fatal(err)
	}
	inicio, _ = p3.NodeByID("inicio")
	if inicio.Body[kaq] != inicio.Body[0] || p3.Languages[kaq].Offered {
		t.Errorf("outdated translation: body %q, offered %v; want Spanish and not offered", inicio.Body[kaq], p3.Languages[kaq].Offered)
	}
	if !strings.Contains(issueList(rep.Warnings()), "node.inicio.text: the es text changed since it was translated") {
		t.Errorf("no outdated warning:\n%s", issueList(rep.Issues))
	}
	rows3, _ := p3.Export("kaq")
	for _, r := range rows3 {
		if r.Key == "node.inicio.text" && r.Status != content.StatusOutdated {
			t.Errorf("export says %s for the changed text, want outdated", r.Status)
		}
	}
}
