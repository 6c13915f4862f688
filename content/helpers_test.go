package content_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/senda-org/senda/content"
)

// basicPack returns the files of testdata/basic, a small valid pack, by
// their path inside the pack. Tests change one thing in a copy.
func basicPack(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := os.DirFS(filepath.Join("testdata", "basic"))
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, name)
		files[name] = string(data)
		return err
	})
	if err != nil {
		t.Fatalf("read testdata/basic: %v", err)
	}
	return files
}

// edit changes one file of a pack in a test.
type edit func(t testing.TB, files map[string]string)

// replace replaces the one occurrence of old in file with new.
func replace(file, old, new string) edit {
	return func(t testing.TB, files map[string]string) {
		t.Helper()
		text, ok := files[file]
		if !ok {
			t.Fatalf("edit: no file %s", file)
		}
		if n := strings.Count(text, old); n != 1 {
			t.Fatalf("edit: %q occurs %d times in %s, want once", old, n, file)
		}
		files[file] = strings.Replace(text, old, new, 1)
	}
}

// put writes a whole file.
func put(file, text string) edit {
	return func(_ testing.TB, files map[string]string) { files[file] = text }
}

// remove deletes a file.
func remove(file string) edit {
	return func(_ testing.TB, files map[string]string) { delete(files, file) }
}

func applyEdits(t testing.TB, files map[string]string, edits ...edit) map[string]string {
	t.Helper()
	for _, e := range edits {
		e(t, files)
	}
	return files
}

// writePack writes files into a new temporary directory and returns it.
func writePack(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mapFS(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, text := range files {
		m[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

// loadFiles loads a pack from memory, named "pack" in messages.
func loadFiles(t testing.TB, files map[string]string) (*content.Pack, *content.Report, error) {
	t.Helper()
	return content.Load(mapFS(files), "pack")
}

// mustLoad loads a pack that must have no errors and no warnings.
func mustLoad(t testing.TB, files map[string]string) *content.Pack {
	t.Helper()
	p, rep, err := loadFiles(t, files)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	for _, i := range rep.Issues {
		t.Errorf("unexpected issue: %s", i)
	}
	return p
}

// lineOf returns the 1-based line of the only line of text containing
// marker.
func lineOf(t testing.TB, text, marker string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, marker) {
			if line != 0 {
				t.Fatalf("marker %q is on lines %d and %d", marker, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("marker %q not found in:\n%s", marker, text)
	}
	return line
}

// loadErrors returns the issues of a *LoadError, failing if err is another
// kind of error.
func loadErrors(t testing.TB, err error) []content.Issue {
	t.Helper()
	var le *content.LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %v (%T) is not a *content.LoadError", err, err)
	}
	return le.Issues
}

// nodeScreen is the screen of the node with the given id.
func nodeScreen(t testing.TB, p *content.Pack, id string) content.Screen {
	t.Helper()
	n, ok := p.NodeByID(id)
	if !ok {
		t.Fatalf("no node %q", id)
	}
	return content.Screen{Kind: content.ScreenNode, Arg: uint16(n.Index)}
}

// everyScreen lists every screen a pack can show, as docs/CONTENT.md and the
// ScreenKind docs describe them: each node, each interface screen, each
// topic's confirm and subscribed screens, my-topics for every set of topics,
// and the notes on the screens a person answers.
func everyScreen(p *content.Pack) []content.Screen {
	var base []content.Screen
	for i := range p.Nodes {
		base = append(base, content.Screen{Kind: content.ScreenNode, Arg: uint16(i)})
	}
	for _, k := range []content.ScreenKind{content.ScreenHelp, content.ScreenMisses, content.ScreenErased,
		content.ScreenUnavailable, content.ScreenTopics, content.ScreenDeclined, content.ScreenUnsubscribed,
		content.ScreenSubscriptionsOff} {
		base = append(base, content.Screen{Kind: k})
	}
	for i := range p.Topics {
		base = append(base, content.Screen{Kind: content.ScreenTopicConfirm, Arg: uint16(i)},
			content.Screen{Kind: content.ScreenSubscribed, Arg: uint16(i)})
	}
	for mask := range 1 << len(p.Topics) {
		base = append(base, content.Screen{Kind: content.ScreenMyTopics, Arg: uint16(mask)})
	}
	var out []content.Screen
	for _, s := range base {
		out = append(out, s)
		switch s.Kind {
		case content.ScreenNode, content.ScreenTopics, content.ScreenTopicConfirm, content.ScreenMyTopics:
			out = append(out, content.Screen{Kind: s.Kind, Arg: s.Arg, Note: content.NoteUnknown},
				content.Screen{Kind: s.Kind, Arg: s.Arg, Note: content.NoteNoMore})
		}
	}
	return out
}
