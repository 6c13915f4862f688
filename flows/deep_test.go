package flows_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// chainPack is the test pack's settings with a menu that is one long chain,
// inicio → n1 → n2 → … → n<depth>, deeper than any back stack the state
// keeps. The deepest node has the keyword "fondo".
func chainPack(t *testing.T, depth int) *content.Pack {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"pack.yaml", "topics.yaml", "facts.yaml", "nodes/urgente.yaml"} {
		data, err := os.ReadFile("testdata/pack/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
	}
	var b strings.Builder
	for i := 0; i <= depth; i++ {
		id, next := fmt.Sprintf("n%d", i), fmt.Sprintf("n%d", i+1)
		if i == 0 {
			id = "inicio"
		}
		fmt.Fprintf(&b, "- id: %s\n  title: {es: Nivel %d, en: Level %d}\n  text: {es: Nivel %d., en: Level %d.}\n", id, i, i, i, i)
		switch {
		case i == 0:
			fmt.Fprintf(&b, "  options: [%s, urgente]\n", next)
		case i < depth:
			fmt.Fprintf(&b, "  options: [%s]\n", next)
		default:
			b.WriteString("  keywords: {es: [fondo], en: [bottom]}\n")
		}
		b.WriteString("  source: test\n  reviewed: 2026-11-27\n")
	}
	fsys["nodes/chain.yaml"] = &fstest.MapFile{Data: []byte(b.String())}
	p, _, err := content.Load(fsys, "chain")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// "0 back" must lead one level up however deep the menu is, after choosing
// the way down or jumping there by keyword, and the state must still be
// storable.
func TestBackInADeepMenu(t *testing.T) {
	t.Parallel()
	const depth = 24
	p := chainPack(t, depth)
	e := flows.New(p, flows.Options{})
	down := []string{"hola"}
	for range depth {
		down = append(down, "1")
	}
	for _, tt := range []struct {
		name string
		msgs []string
	}{
		{"by numbers", down},
		{"by keyword", []string{"fondo"}},
		{"by keyword mid-way", []string{"hola", "1", "1", "fondo"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newConv(t, e, content.SMS)
			c.run(tt.msgs...)
			for level := depth; level >= 0; level-- {
				want := fmt.Sprintf("n%d", level)
				if level == 0 {
					want = "inicio"
				}
				if got := p.Nodes[c.state().Node].ID; got != want {
					t.Fatalf("after %d × 0: at %s, want %s", depth-level, got, want)
				}
				c.send("0")
			}
		})
	}
}
