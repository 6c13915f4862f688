package content_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/content"
)

const temasFile = "nodes/temas.yaml"

// urgentSalud marks the basic pack's salud node urgent.
func urgentSalud() edit {
	return replace(temasFile, "  source: test\n  reviewed: 2026-11-27\n\n- id: cursos", "  urgent: true\n  source: test\n  reviewed: 2026-11-27\n\n- id: cursos")
}

// issue 14, item 8 and 9: urgent pages, the main menu and the welcome keep
// their first two lines neutral; urgent pages fit three SMS.
func TestLockScreenRule(t *testing.T) {
	t.Parallel()
	saludES := "      Centro de Salud de Patzún.\n      Pregunta allí qué días atienden.\n"
	tests := []struct {
		name  string
		edits []edit
		want  []string
	}{
		{name: "neutral urgent page loads", edits: []edit{urgentSalud()}},
		{name: "second line of an urgent page", edits: []edit{urgentSalud(),
			replace(temasFile, saludES, "      Centro de Salud de Patzún.\n      Después de una violación, ve hoy.\n")},
			want: []string{`node salud (es, sms): "Después de una violacion, ve hoy." shows "violacion" on a locked phone`,
				`node salud (es, whatsapp): "Después de una violación, ve hoy." shows "violacion"`}},
		{name: "third line may say it", edits: []edit{urgentSalud(),
			replace(temasFile, saludES, "      Centro de Salud de Patzún.\n      Pregunta allí qué días atienden.\n      Si la policía te para, pide un abogado.\n")}},
		{name: "a page that is not urgent may say it", edits: []edit{
			replace(temasFile, saludES, "      Si la policía te para, pide un abogado.\n      Pregunta allí.\n")}},
		{name: "the main menu", edits: []edit{replace("nodes/inicio.yaml", `text: {es: "Elige un número:"`, `text: {es: "Elige (EMERGENCIA si hay peligro):"`)},
			want: []string{`node inicio (es, sms): "Elige (EMERGENCIA si hay peligro):" shows "peligro"`}},
		{name: "an urgent page over three SMS", edits: []edit{urgentSalud(),
			replace(temasFile, saludES, "      Centro de Salud de Patzún.\n      Pregunta allí qué días atienden.\n"+strings.Repeat("      Una línea larga que ocupa espacio en cada página del mensaje.\n", 6))},
			want: []string{"node salud (es, sms) is urgent and takes 4 SMS pages; at most 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rep, err := loadFiles(t, applyEdits(t, basicPack(t), tt.edits...))
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
				if !strings.Contains(issueList(rep.Errors()), w) {
					t.Errorf("want an error with %q; got:\n%s", w, issueList(rep.Issues))
				}
			}
		})
	}
}

// issue 14, item 10: a switch follows a setting of the deployment; both
// sides are checked, and Check measures the "on" side too.
func TestSwitches(t *testing.T) {
	t.Parallel()
	sw := "switches:\n  borra:\n    \"on\": {es: Se borra., en: It is erased.}\n    \"off\": {es: Se guarda., en: It is kept.}\ncommands:"
	files := applyEdits(t, basicPack(t), replace("pack.yaml", "commands:", sw),
		replace(temasFile, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"Cursos. {borra}\", en: \"Courses. {borra}\"}"))
	for _, tc := range []struct {
		on   []string
		want string
	}{{nil, "Cursos. Se guarda."}, {[]string{"borra"}, "Cursos. Se borra."}, {[]string{"otro"}, "Cursos. Se guarda."}} {
		p, _, err := content.Load(mapFS(files), "basic", tc.on...)
		if err != nil {
			t.Fatalf("load %v: %v", tc.on, err)
		}
		if n, _ := p.NodeByID("cursos"); n.Body[0] != tc.want {
			t.Errorf("switches on %v: %q, want %q", tc.on, n.Body[0], tc.want)
		}
	}
	long := applyEdits(t, maps.Clone(files), replace("pack.yaml", "{es: Se borra., en: It is erased.}", "{es: \"1555 "+strings.Repeat("muy ", 3)+"\", en: x}"))
	if _, rep, err := content.Check(mapFS(long), "basic"); err == nil || !strings.Contains(issueList(rep.Errors()), `switch borra on (es) has the number "1555" typed in`) {
		t.Errorf("Check: %v\n%s", err, issueList(rep.Issues))
	}
	tooLong := applyEdits(t, maps.Clone(files), put("nodes/temas.yaml", strings.Replace(files[temasFile], "  source: test\n  reviewed: 2026-11-27\n\n- id: cursos", "  urgent: true\n  source: test\n  reviewed: 2026-11-27\n\n- id: cursos", 1)),
		replace("pack.yaml", "{es: Se borra., en: It is erased.}", "{es: \""+strings.Repeat("Texto largo. ", 60)+"\", en: x}"))
	if _, _, err := content.Load(mapFS(tooLong), "basic"); err != nil {
		t.Fatalf("off side: %v", err)
	}
	if _, rep, err := content.Check(mapFS(tooLong), "basic"); err == nil {
		t.Errorf("Check passed a pack whose on side is too long:\n%s", issueList(rep.Issues))
	}
}

// The default pack's privacy page says what Twilio keeps, true both ways.
func TestDefaultPackTwilioSentence(t *testing.T) {
	t.Parallel()
	off, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	on, _, err := content.Default(content.SwitchTwilioErase)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := off.NodeByID("priv_telefono")
	b, _ := on.NodeByID("priv_telefono")
	if !strings.Contains(a.Body[0], "guarda registros") || strings.Contains(a.Body[0], "borre") {
		t.Errorf("erase off:\n%s", a.Body[0])
	}
	if !strings.Contains(b.Body[0], "que los borre") || strings.Contains(b.Body[0], "guarda registros") {
		t.Errorf("erase on:\n%s", b.Body[0])
	}
	if _, rep, err := content.Check(content.DefaultFS(), content.DefaultName); err != nil || len(rep.Issues) > 0 {
		t.Errorf("check both ways: %v\n%s", err, issueList(rep.Issues))
	}
}

// issue 14, item 11: the launch gate lists every number people can be
// shown that nobody rang within LaunchAge, and nothing once all were.
func TestUncalled(t *testing.T) {
	t.Parallel()
	now := time.Date(2027, 3, 1, 15, 0, 0, 0, time.UTC)
	facts := basicFacts + `  - id: otro
    value: "1574"
    what: not used by any text
    source: test source
    checked: 2026-11-20
    checked_by: tester
`
	text := replace(temasFile, "text: {es: Cursos en Chimaltenango., en: Courses in Chimaltenango.}", "text: {es: \"PDH: {pdh}, {plazo}.\", en: \"PDH: {pdh}, {plazo}.\"}")
	for _, tc := range []struct {
		name   string
		called string // called: line for pdh, or ""
		want   []string
	}{
		{name: "never rung", want: []string{"pdh"}},
		{name: "rung last month", called: "2027-02-01"},
		{name: "rung exactly 180 days ago", called: now.Add(-content.LaunchAge).Format(time.DateOnly)},
		{name: "rung 181 days ago", called: now.Add(-content.LaunchAge - 24*time.Hour).Format(time.DateOnly), want: []string{"pdh"}},
		{name: "a day in the future is a typo", called: "2027-03-02", want: []string{"pdh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := facts
			if tc.called != "" {
				f = strings.Replace(f, "    checked_by: tester\n", "    checked_by: tester\n    called: "+tc.called+"\n", 1)
			}
			p := mustLoad(t, applyEdits(t, basicPack(t), put("facts.yaml", f), text))
			var got []string
			for _, u := range p.Uncalled(now, content.LaunchAge) {
				got = append(got, u.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("Uncalled = %v, want %v (the time limit plazo is no phone; otro is shown to nobody)", got, tc.want)
			}
			var b strings.Builder
			n := p.WriteLaunch(&b, now)
			if n != len(tc.want) || (n > 0) != strings.Contains(b.String(), "facts.yaml:2: pdh (1555)") {
				t.Errorf("WriteLaunch = %d:\n%s", n, b.String())
			}
		})
	}
	bad := applyEdits(t, basicPack(t), put("facts.yaml", strings.Replace(basicFacts, "    checked_by: tester\n", "    checked_by: tester\n    called: ayer\n", 1)))
	if _, rep, err := loadFiles(t, bad); err == nil || !strings.Contains(issueList(rep.Errors()), `fact pdh: called "ayer" is not a date`) {
		t.Errorf("a bad called date: %v", err)
	}
}

// The default pack records no call yet, so it is not ready to launch; the
// gate names each number shown to people.
func TestDefaultPackLaunchGate(t *testing.T) {
	t.Parallel()
	p := loadDefault(t)
	var got []string
	for _, f := range p.Uncalled(time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), content.LaunchAge) {
		got = append(got, f.Value[0])
	}
	if want := "110,122,123,1555,1574,1572"; strings.Join(got, ",") != want {
		t.Errorf("uncalled numbers %v, want %s", got, want)
	}
}

// issue 14, item 12: with an NGO contact, every urgent page ends with it
// (before the way back), on both channels.
func TestUrgentPagesEndWithTheContact(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, applyEdits(t, basicPack(t), urgentSalud(),
		replace("pack.yaml", "commands:", "contact: {name: Mujeres Unidas, phone: \"5555 0000\", checked: 2026-11-20, checked_by: Ana}\ncommands:")))
	for _, ch := range content.Channels {
		pages := p.Pages(nodeScreen(t, p, "salud"), 0, ch)
		lines := slices.DeleteFunc(strings.Split(pages[len(pages)-1].Text, "\n"), func(l string) bool { return l == "" })
		if n := len(lines); n < 2 || !strings.HasPrefix(lines[n-2], "Mujeres Unidas: 5555 0000") {
			t.Errorf("%s: the urgent page does not end with the contact:\n%s", ch, pages[len(pages)-1].Text)
		}
	}
}
