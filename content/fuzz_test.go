package content_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
)

// FuzzLoad replaces one file of a small valid pack with arbitrary bytes.
// Whatever NGO staff save, Load must not panic, and must either return a
// pack whose every reply fits its channel, or a *LoadError that names at
// least one file.
func FuzzLoad(f *testing.F) {
	base := basicPack(f)
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range base {
			if !yield(n) {
				return
			}
		}
	})
	for i, n := range names {
		f.Add(uint8(i), []byte(base[n]))
	}
	// Seeds close to the edges the validator guards.
	idx := func(name string) uint8 { return uint8(slices.Index(names, name)) }
	f.Add(idx("nodes/temas.yaml"), []byte(strings.Replace(base["nodes/temas.yaml"], "Cursos en Chimaltenango.", strings.Repeat("Cursos en Chimaltenango. ", 40), 1)))
	f.Add(idx("nodes/temas.yaml"), []byte(strings.Replace(base["nodes/temas.yaml"], "[cursos]", "[cursos, ayuda, english, '7']", 1)))
	f.Add(idx("nodes/inicio.yaml"), []byte(strings.Replace(base["nodes/inicio.yaml"], "    - cursos\n", "    - cursos\n    - nada\n    - inicio\n    - salud\n", 1)))
	f.Add(idx("pack.yaml"), []byte(strings.Replace(base["pack.yaml"], "  segments: 1", "  segments: 3", 1)))
	f.Add(idx("pack.yaml"), []byte(strings.Replace(base["pack.yaml"], "es: {name: Español, switch: [castellano]}", "es: {name: Español, switch: [castellano]}\n  cak: {name: Kaqchikel}", 1)))
	f.Add(idx("pack.yaml"), []byte(strings.Replace(base["pack.yaml"], "header: {es: Senda, en: Senda}", "header: {es: "+strings.Repeat("Senda ", 30)+", en: Senda}", 1)))
	f.Add(idx("nodes/temas.yaml"), []byte(strings.Replace(base["nodes/temas.yaml"], "{es: Cursos en Chimaltenango.", `{es: "Cursos\f\r\x01 en Chimaltenango."`, 1)))
	f.Add(idx("topics.yaml"), []byte("topics: []\n"))
	f.Add(idx("topics.yaml"), []byte("topics:\n  - id: a\n    name: {es: 😀}\n    description: {es: x}\n    max_per_month: 1\n"))
	f.Add(idx("pack.yaml"), []byte("a: &a [*a]\n"))
	f.Add(idx("pack.yaml"), []byte(""))
	f.Add(idx("nodes/temas.yaml"), []byte("- {id: salud, title: {es: S}, text: {es: T}, options: [cursos]}\n- {id: cursos, title: {es: C}, text: {es: \"\\t\\u00e1\\U0001F600\"}}\n"))

	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		files := map[string]string{}
		for n, text := range base {
			files[n] = text
		}
		files[names[int(which)%len(names)]] = string(data)
		p, rep, err := content.Load(mapFS(files), "pack")
		if rep == nil {
			t.Fatal("Load returned no report")
		}
		if err != nil {
			if p != nil {
				t.Fatalf("Load returned a pack and an error: %v", err)
			}
			var le *content.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T is not a *LoadError: %v", err, err)
			}
			if len(le.Issues) == 0 {
				t.Fatal("LoadError without issues")
			}
			for _, is := range le.Issues {
				if !strings.HasPrefix(is.File, "pack") || is.Warning || is.Msg == "" {
					t.Fatalf("issue %+v: want an error with a file in the pack and a message", is)
				}
			}
			return
		}
		if p == nil {
			t.Fatal("Load returned neither a pack nor an error")
		}
		if len(rep.Errors()) > 0 {
			t.Fatalf("pack loaded despite errors: %v", rep.Errors())
		}
		// A pack that loads never sends a page over budget.
		for _, s := range everyScreen(p) {
			if s.Kind == content.ScreenMyTopics && s.Arg > 3 {
				continue // enough to see one of each kind; 2^9 masks are slow
			}
			for lang := range p.Languages {
				for _, ch := range content.Channels {
					checkPages(t, p, s, lang, ch)
				}
			}
		}
	})
}
