package content_test

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
)

func TestBasicPackLoadsClean(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, basicPack(t))
	if p.Name != "Prueba" || len(p.Languages) != 2 || p.Languages[0].Code != "es" || p.Languages[1].Code != "en" {
		t.Errorf("pack = %q %+v, want Prueba with es first, then en", p.Name, p.Languages)
	}
	if got := p.Nodes[p.Start].ID; got != "inicio" {
		t.Errorf("start = %s, want inicio", got)
	}
	if p.SMS.Segments != 1 || p.SMS.MaxPages != 6 || p.WhatsAppMax != 1600 {
		t.Errorf("settings = %+v, WhatsApp %d; want 1 segment, 6 pages, 1600", p.SMS, p.WhatsAppMax)
	}
}

// loc is a place in a pack: a file and the line holding marker ("" for
// issues about a whole file, reported without a line).
type loc struct {
	file, marker string
}

func (l loc) resolve(t testing.TB, dir string, files map[string]string) (string, int) {
	t.Helper()
	line := 0
	if l.marker != "" {
		line = lineOf(t, files[l.file], l.marker)
	}
	return path.Join(filepath.ToSlash(dir), l.file), line
}

// wantIssue is an issue a broken pack must produce.
type wantIssue struct {
	at      loc
	warning bool
	msg     string // a part of the message
	other   *loc   // for duplicates: where the first use is, named in the message
}

// TestValidation breaks the basic pack one way at a time and checks that
// the loader names the file and line of the mistake (docs/CONTENT.md: "it
// prints every error with file:line").
func TestValidation(t *testing.T) {
	t.Parallel()
	const (
		packF   = "pack.yaml"
		topicsF = "topics.yaml"
		inicioF = "nodes/inicio.yaml"
		temasF  = "nodes/temas.yaml"
	)
	longEs := strings.Repeat("Los cursos de capacitación son en Chimaltenango y cuestan tiempo y dinero. ", 8)
	tests := []struct {
		name  string
		edits []edit
		want  []wantIssue
		// cascade allows further errors caused by the first (a file that
		// cannot be read leaves its nodes out).
		cascade bool
	}{
		{
			name:  "bad yaml: mapping value in a scalar",
			edits: []edit{put("nodes/roto.yaml", "- id: roto\n  title: {es: Roto, en: Broken}\n  text: es: a\n")},
			want:  []wantIssue{{at: loc{"nodes/roto.yaml", "text: es: a"}, msg: "mapping values are not allowed"}},
		},
		{
			name:  "bad yaml: tab indentation",
			edits: []edit{put("nodes/roto.yaml", "- id: roto\n\ttitle: {es: Roto}\n")},
			want:  []wantIssue{{at: loc{"nodes/roto.yaml", "\ttitle"}, msg: "tab"}},
		},
		{
			name:  "bad yaml: key twice",
			edits: []edit{replace(packF, "start: inicio\n", "start: inicio\nstart: salud\n")},
			want:  []wantIssue{{at: loc{packF, "start: salud"}, msg: `"start" already defined`}},
		},
		{
			name:  "bad yaml: wrong type",
			edits: []edit{replace(topicsF, "max_per_month: 2", "max_per_month: muchos")},
			want:  []wantIssue{{at: loc{topicsF, "muchos"}, msg: "muchos"}},
		},
		{
			name:  "unknown key in pack.yaml",
			edits: []edit{replace(packF, "start: inicio\n", "start: inicio\ncolour: red\n")},
			want:  []wantIssue{{at: loc{packF, "colour: red"}, msg: `unknown key "colour"`}},
		},
		{
			name:  "unknown key in a language",
			edits: []edit{replace(packF, "en: {name: English, switch: [ingles]}", "en: {name: English, swich: [ingles]}")},
			want:  []wantIssue{{at: loc{packF, "swich"}, msg: `unknown key "swich"`}},
		},
		{
			name:  "unknown key under sms",
			edits: []edit{replace(packF, "  max_pages: 6", "  max_page: 6")},
			want:  []wantIssue{{at: loc{packF, "max_page: 6"}, msg: `unknown key "max_page"`}},
		},
		{
			name:  "unknown key in a topic",
			edits: []edit{replace(topicsF, "max_per_month: 2", "max_per_mes: 2")},
			want:  []wantIssue{{at: loc{topicsF, "max_per_mes"}, msg: `unknown key "max_per_mes"`}},
		},
		{
			name:    "unknown key in a node",
			edits:   []edit{replace(inicioF, "  source: test", "  sourse: test")},
			want:    []wantIssue{{at: loc{inicioF, "sourse"}, msg: `unknown key "sourse"`}},
			cascade: true,
		},
		{
			name:  "unknown interface text",
			edits: []edit{replace(packF, "  header:", "  farewell: {es: Adiós, en: Bye}\n  header:")},
			want:  []wantIssue{{at: loc{packF, "farewell"}, msg: `unknown text "farewell"`}},
		},
		{
			name:  "unknown command",
			edits: []edit{replace(packF, "  help: {es: [ayuda], en: [help]}\n", "  help: {es: [ayuda], en: [help]}\n  repeat: {es: [otra], en: [again]}\n")},
			want:  []wantIssue{{at: loc{packF, "repeat:"}, msg: `unknown command "repeat"`}},
		},
		{
			name:  "unknown action",
			edits: []edit{replace(temasF, "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n", "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n  action: dance\n")},
			want:  []wantIssue{{at: loc{temasF, "id: cursos"}, msg: `unknown action "dance"`}},
		},
		{
			name:  "option points to no node",
			edits: []edit{replace(inicioF, "    - cursos\n", "    - cursos\n    - nada\n")},
			want:  []wantIssue{{at: loc{inicioF, "- nada"}, msg: `option "nada" points to no node`}},
		},
		{
			name:  "option listed twice",
			edits: []edit{replace(inicioF, "    - cursos\n", "    - cursos\n    - salud # again\n")},
			want:  []wantIssue{{at: loc{inicioF, "# again"}, msg: "twice"}},
		},
		{
			name: "unreachable node",
			edits: []edit{put("nodes/suelto.yaml", `- id: suelto
  title: {es: Suelto, en: Loose}
  keywords: {es: [suelto], en: [loose]}
  text: {es: Nadie llega aquí., en: Nobody gets here.}
  source: test
  reviewed: 2026-11-27
`)},
			want: []wantIssue{{at: loc{"nodes/suelto.yaml", "id: suelto"}, msg: "cannot be reached from inicio"}},
		},
		{
			name:  "duplicate keyword across nodes after normalizing",
			edits: []edit{replace(temasF, "keywords: {es: [cursos], en: [courses]}", "keywords: {es: [cursos, CLÍNICA!], en: [courses]}")},
			want: []wantIssue{{at: loc{temasF, "[cursos, CLÍNICA!]"}, msg: `same word as "clinica"`,
				other: &loc{temasF, "[salud, clínica]"}}},
		},
		{
			name:  "keyword is a command word",
			edits: []edit{replace(temasF, "keywords: {es: [cursos], en: [courses]}", "keywords: {es: [cursos, Ayuda], en: [courses]}")},
			want: []wantIssue{{at: loc{temasF, "[cursos, Ayuda]"}, msg: "command help",
				other: &loc{packF, "help: {es: [ayuda]"}}},
		},
		{
			name:  "keyword is a language name",
			edits: []edit{replace(temasF, "keywords: {es: [cursos], en: [courses]}", "keywords: {es: [cursos], en: [courses, English]}")},
			want: []wantIssue{{at: loc{temasF, "[courses, English]"}, msg: "language en",
				other: &loc{packF, "en: {name: English"}}},
		},
		{
			name:  "two commands share a word",
			edits: []edit{replace(packF, "more: {es: [mas, siguiente]", "more: {es: [mas, siguiente, atrás]")},
			want: []wantIssue{{at: loc{packF, "more: {es: [mas"}, msg: `"atrás" is the same word as "atras"`,
				other: &loc{packF, "back: {es:"}}},
		},
		{
			name:  "language switch word is a command",
			edits: []edit{replace(packF, "switch: [ingles]", "switch: [ingles, Inicio]")},
			want: []wantIssue{{at: loc{packF, "en: {name: English"}, msg: `"Inicio"`,
				other: &loc{packF, "home: {es:"}}},
		},
		{
			name:  "keyword is a number",
			edits: []edit{replace(temasF, "keywords: {es: [cursos], en: [courses]}", "keywords: {es: [cursos, \"12\"], en: [courses]}")},
			want:  []wantIssue{{at: loc{temasF, `[cursos, "12"]`}, msg: "is a number"}},
		},
		{
			name: "more than 9 options",
			edits: []edit{
				replace(inicioF, "    - cursos\n", "    - cursos\n    - m1\n    - m2\n    - m3\n    - m4\n    - m5\n    - m6\n    - m7\n    - m8\n"),
				put("nodes/muchos.yaml", manyNodes(8)),
			},
			want: []wantIssue{{at: loc{inicioF, "- m8"}, msg: "has 10 options"}},
		},
		{
			name: "reply needs more pages than sms.max_pages",
			edits: []edit{
				replace(packF, "  max_pages: 6", "  max_pages: 2"),
				replace(temasF, "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n",
					"  text: {es: \""+longEs+"\", en: Courses in Chimaltenango.}\n"),
			},
			want: []wantIssue{{at: loc{temasF, "id: cursos"}, msg: "(es, sms): needs"}},
		},
		{
			name:  "character with no GSM-7 equivalent",
			edits: []edit{replace(temasF, "{es: Cursos en Chimaltenango.", "{es: Cursos 😀 en Chimaltenango.")},
			want:  []wantIssue{{at: loc{temasF, "id: cursos"}, msg: "(es, sms): characters \"😀\" have no SMS (GSM-7) equivalent"}},
		},
		{
			name:  "control character in a text",
			edits: []edit{replace(temasF, "{es: Cursos en Chimaltenango.", `{es: "Cursos\f en Chimaltenango."`)},
			want:  []wantIssue{{at: loc{temasF, `Cursos\f`}, msg: "node cursos text (es) has the invisible control character U+000C"}},
		},
		{
			name:  "erased text needs more than one page",
			edits: []edit{replace(packF, `erased: {es: "Listo: borramos esta conversación."`, `erased: {es: "`+longEs[:300]+`"`)},
			want:  []wantIssue{{at: loc{packF, "erased:"}, msg: "erased (es, sms): must fit one page"}},
		},
		{
			name:  "unavailable text needs more than one page",
			edits: []edit{replace(packF, "unavailable: {es: Intenta de nuevo en unos minutos.", "unavailable: {es: "+longEs[:200])},
			want:  []wantIssue{{at: loc{packF, "unavailable:"}, msg: "unavailable (es, sms): must fit one page"}},
		},
		{
			name: "missing translations are warnings",
			edits: []edit{
				replace(temasF, "title: {es: Cursos, en: Courses}", "title: {es: Cursos}"),
				replace(packF, "declined: {es: No te suscribimos., en: You are not subscribed.}", "declined: {es: No te suscribimos.}"),
				replace(topicsF, "name: {es: Cursos, en: Courses}", "name: {es: Cursos}"),
			},
			want: []wantIssue{
				{at: loc{temasF, "title: {es: Cursos}"}, warning: true, msg: "node.cursos.title has no en translation"},
				{at: loc{packF, "declined:"}, warning: true, msg: "texts.declined has no en translation"},
				{at: loc{topicsF, "name: {es: Cursos}"}, warning: true, msg: "topic.cursos.name has no en translation"},
				// a menu label is missing, so English is not offered until it is there
				{at: loc{packF, "en: {name: English"}, warning: true, msg: "language en is not offered to people: 1 menu or urgent texts have no reviewed translation (node.cursos.title)"},
			},
		},
		{
			name: "missing source and reviewed date are warnings",
			edits: []edit{replace(temasF, "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n  source: test\n  reviewed: 2026-11-27\n",
				"  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n")},
			want: []wantIssue{
				{at: loc{temasF, "id: cursos"}, warning: true, msg: "cursos has no source"},
				{at: loc{temasF, "id: cursos"}, warning: true, msg: "cursos has no reviewed date"},
			},
		},
		{
			name:  "text missing in the default language",
			edits: []edit{replace(temasF, "title: {es: Cursos, en: Courses}", "title: {en: Courses}")},
			want:  []wantIssue{{at: loc{temasF, "title: {en: Courses}"}, msg: "node cursos title has no es text"}},
		},
		{
			name:  "text in a language the pack does not list",
			edits: []edit{replace(temasF, "title: {es: Cursos, en: Courses}", "title: {es: Cursos, en: Courses, fr: Cours}")},
			want:  []wantIssue{{at: loc{temasF, "fr: Cours"}, msg: `"fr", which is not listed`}},
		},
		{
			name:  "invalid reviewed date",
			edits: []edit{replace(temasF, "  source: test\n  reviewed: 2026-11-27\n\n", "  source: test\n  reviewed: 2026-02-30\n\n")},
			want:  []wantIssue{{at: loc{temasF, "id: salud"}, msg: `reviewed "2026-02-30" is not a date`}},
		},
		{
			name: "duplicate node id",
			edits: []edit{put("nodes/zzz.yaml", `- id: salud
  title: {es: Otra, en: Other}
  text: {es: Otra., en: Other.}
  source: test
  reviewed: 2026-11-27
`)},
			want:    []wantIssue{{at: loc{"nodes/zzz.yaml", "id: salud"}, msg: `node id "salud" is already used`, other: &loc{temasF, "id: salud"}}},
			cascade: true,
		},
		{
			name:  "invalid node id",
			edits: []edit{replace(temasF, "- id: cursos", "- id: Cursos-2"), replace(inicioF, "    - cursos\n", "    - Cursos-2\n")},
			want:  []wantIssue{{at: loc{temasF, "id: Cursos-2"}, msg: `node id "Cursos-2"`}},
		},
		{
			name:  "start is not a node",
			edits: []edit{replace(packF, "start: inicio", "start: portada")},
			want:  []wantIssue{{at: loc{packF, "start: portada"}, msg: `start "portada" is not a node id`}},
		},
		{
			name:  "sms segments out of range",
			edits: []edit{replace(packF, "  segments: 1", "  segments: 11")},
			want:  []wantIssue{{at: loc{packF, "sms:"}, msg: "sms.segments must be between 1 and 10"}},
		},
		{
			name:  "whatsapp max_chars over Twilio's limit",
			edits: []edit{replace(packF, "  max_chars: 1600", "  max_chars: 2000")},
			want:  []wantIssue{{at: loc{packF, "whatsapp:"}, msg: "whatsapp.max_chars must be between 200 and 1600"}},
		},
		{
			name:  "invalid pack review date",
			edits: []edit{replace(packF, "reviewed: 2026-11-27", "reviewed: 27/11/2026")},
			want:  []wantIssue{{at: loc{packF, "reviewed: 27/11/2026"}, msg: "is not a date"}},
		},
		{
			name:  "placeholder not allowed in a text",
			edits: []edit{replace(packF, `subscribed: {es: "Listo: avisos de {name}.`, `subscribed: {es: "Listo: {max} avisos de {name}.`)},
			want:  []wantIssue{{at: loc{packF, "  subscribed:"}, msg: "uses {max}"}},
		},
		{
			name:  "header on two lines",
			edits: []edit{replace(packF, "header: {es: Senda, en: Senda}", `header: {es: "Senda\nSalud", en: Senda}`)},
			want:  []wantIssue{{at: loc{packF, "header:"}, msg: "must be one line"}},
		},
		{
			name: "action node with options",
			edits: []edit{replace(temasF, "  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n",
				"  text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}\n  action: topics\n  options: [salud]\n")},
			want: []wantIssue{{at: loc{temasF, "options: [salud]"}, msg: "has an action and options"}},
		},
		{
			name:  "topic promises no messages",
			edits: []edit{replace(topicsF, "max_per_month: 2", "max_per_month: 0")},
			want:  []wantIssue{{at: loc{topicsF, "id: cursos"}, msg: "max_per_month must be between 1 and 31"}},
		},
		{
			name:    "no node files",
			edits:   []edit{remove(inicioF), remove(temasF)},
			want:    []wantIssue{{at: loc{"nodes", ""}, msg: "no node files"}},
			cascade: true,
		},
		{
			name:  "no pack.yaml",
			edits: []edit{remove(packF)},
			want:  []wantIssue{{at: loc{packF, ""}, msg: "cannot read"}},
		},
		{
			name:  "the same keyword for the same node in two languages is fine",
			edits: []edit{replace(temasF, "en: [health, clinic]", "en: [health, clinic, salud]")},
		},
		{
			name:  "a command word shared by two languages is fine",
			edits: []edit{replace(packF, "help: {es: [ayuda], en: [help]}", "help: {es: [ayuda, help], en: [help]}")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := applyEdits(t, basicPack(t), tt.edits...)
			dir := writePack(t, files)
			p, rep, err := content.LoadDir(dir)

			wantErrors := 0
			for _, w := range tt.want {
				if !w.warning {
					wantErrors++
				}
			}
			switch {
			case wantErrors == 0 && (err != nil || p == nil):
				t.Fatalf("load failed, want only warnings: %v", err)
			case wantErrors > 0:
				if p != nil {
					t.Errorf("load returned a pack despite errors")
				}
				issues := loadErrors(t, err)
				if fmt.Sprint(issues) != fmt.Sprint(rep.Errors()) {
					t.Errorf("LoadError issues %v differ from the report's errors %v", issues, rep.Errors())
				}
			}

			matched := make([]bool, len(rep.Issues))
			for _, w := range tt.want {
				file, line := w.at.resolve(t, dir, files)
				msgs := []string{w.msg}
				if w.other != nil {
					ofile, oline := w.other.resolve(t, dir, files)
					msgs = append(msgs, fmt.Sprintf("%s:%d", ofile, oline))
				}
				found := false
				for i, is := range rep.Issues {
					if is.File == file && is.Line == line && is.Warning == w.warning && containsAll(is.Msg, msgs) {
						found, matched[i] = true, true
					}
				}
				if !found {
					t.Errorf("want %s:%d (warning=%v) with %q; got:\n%s", file, line, w.warning, msgs, issueList(rep.Issues))
				}
			}
			if !tt.cascade {
				for i, is := range rep.Issues {
					if !matched[i] {
						t.Errorf("unexpected issue: %s", is)
					}
				}
			}
		})
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func issueList(issues []content.Issue) string {
	var b strings.Builder
	for _, i := range issues {
		b.WriteString("  " + i.String() + "\n")
	}
	return b.String()
}

// manyNodes returns n information nodes m1…mn in YAML.
func manyNodes(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "- id: m%d\n  title: {es: Tema %d, en: Topic %d}\n  text: {es: Texto %d., en: Text %d.}\n  source: test\n  reviewed: 2026-11-27\n\n", i, i, i, i, i)
	}
	return b.String()
}

func TestIssueString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		issue content.Issue
		want  string
	}{
		{content.Issue{File: "pack/nodes/a.yaml", Line: 12, Msg: "bad"}, "pack/nodes/a.yaml:12: error: bad"},
		{content.Issue{File: "pack/pack.yaml", Line: 3, Warning: true, Msg: "missing"}, "pack/pack.yaml:3: warning: missing"},
		{content.Issue{File: "pack/nodes", Msg: "no node files"}, "pack/nodes: error: no node files"},
	}
	for _, tt := range tests {
		if got := tt.issue.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestLoadErrorListsEveryError(t *testing.T) {
	t.Parallel()
	files := applyEdits(t, basicPack(t),
		replace("nodes/inicio.yaml", "    - cursos\n", "    - cursos\n    - nada\n"),
		replace("nodes/temas.yaml", "title: {es: Cursos, en: Courses}", "title: {es: Cursos}"), // a warning only
		put("nodes/suelto.yaml", "- id: suelto\n  title: {es: Suelto}\n  text: {es: Suelto.}\n  source: test\n  reviewed: 2026-11-27\n"),
	)
	_, _, err := loadFiles(t, files)
	if err == nil {
		t.Fatal("load succeeded, want errors")
	}
	issues := loadErrors(t, err)
	if len(issues) != 2 {
		t.Fatalf("%d errors, want 2 (the bad option, the unreachable node):\n%s", len(issues), issueList(issues))
	}
	msg := err.Error()
	for _, want := range []string{
		"content pack pack has 2 error(s)",
		fmt.Sprintf("pack/nodes/inicio.yaml:%d: error: ", lineOf(t, files["nodes/inicio.yaml"], "- nada")),
		"pack/nodes/suelto.yaml:1: error: ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "warning") {
		t.Errorf("error message lists warnings:\n%s", msg)
	}
}

func TestLoadDirNotADirectory(t *testing.T) {
	t.Parallel()
	dir := writePack(t, map[string]string{"pack.yaml": "name: x\n"})
	for _, p := range []string{filepath.Join(dir, "pack.yaml"), filepath.Join(dir, "missing")} {
		pack, _, err := content.LoadDir(p)
		if err == nil || pack != nil {
			t.Errorf("LoadDir(%s) = %v, %v; want an error", p, pack, err)
		}
	}
}

// NGO staff may edit the pack on Windows: CRLF line endings must load as
// cleanly as LF, with the same texts.
func TestWindowsLineEndings(t *testing.T) {
	t.Parallel()
	files := basicPack(t)
	lf := mustLoad(t, files)
	for name, text := range files {
		files[name] = strings.ReplaceAll(text, "\n", "\r\n")
	}
	crlf := mustLoad(t, files)
	for i, n := range lf.Nodes {
		for lang := range lf.Languages {
			if got := crlf.Nodes[i].Body[lang]; got != n.Body[lang] {
				t.Errorf("node %s (%d): CRLF text %q, LF text %q", n.ID, lang, got, n.Body[lang])
			}
		}
	}
}
