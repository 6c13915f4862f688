package content_test

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The tests in this file read the files in content/pack/ directly, without
// the loader, the way miniflux's catalog_test reads its translation files:
// they check the files people edit, not what the loader makes of them.

// rawFile is one YAML file of the default pack as a tree.
type rawFile struct {
	name string
	root *yaml.Node
}

func readDefaultPackFiles(t *testing.T) []rawFile {
	t.Helper()
	var out []rawFile
	root := os.DirFS("pack")
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if path.Ext(name) != ".yaml" {
			t.Errorf("%s: every file in content/pack must be YAML", name)
			return nil
		}
		data, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Errorf("%s: %v", name, err)
			return nil
		}
		if len(doc.Content) != 1 {
			t.Errorf("%s: want one YAML document", name)
			return nil
		}
		out = append(out, rawFile{name, doc.Content[0]})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 3 {
		t.Fatalf("read %d files from content/pack, want pack.yaml, topics.yaml and node files", len(out))
	}
	return out
}

// mapValue returns the value of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func mapKeys(n *yaml.Node) []string {
	var keys []string
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			keys = append(keys, n.Content[i].Value)
		}
	}
	return keys
}

// packLanguages returns the default language and every language pack.yaml
// lists.
func packLanguages(t *testing.T, files []rawFile) (string, []string) {
	t.Helper()
	for _, f := range files {
		if f.name == "pack.yaml" {
			def := mapValue(f.root, "default_language")
			langs := mapKeys(mapValue(f.root, "languages"))
			if def == nil || len(langs) == 0 {
				t.Fatal("pack.yaml lacks default_language or languages")
			}
			return def.Value, langs
		}
	}
	t.Fatal("no pack.yaml in content/pack")
	return "", nil
}

// translated is every text of the pack: a map from language code to text,
// where it is in a file.
type translated struct {
	file, what string
	line       int
	by         map[string]string
}

// packTexts collects the texts of every file: node titles and texts, topic
// names and descriptions, and the interface texts.
func packTexts(t *testing.T, files []rawFile) []translated {
	t.Helper()
	var out []translated
	add := func(file, what string, n *yaml.Node) {
		if n == nil {
			return
		}
		tr := translated{file: file, what: what, line: n.Line, by: map[string]string{}}
		if n.Kind != yaml.MappingNode {
			t.Errorf("%s:%d: %s is not a map of language to text", file, n.Line, what)
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			tr.by[n.Content[i].Value] = n.Content[i+1].Value
		}
		out = append(out, tr)
	}
	for _, f := range files {
		switch {
		case f.name == "pack.yaml":
			texts := mapValue(f.root, "texts")
			for _, k := range mapKeys(texts) {
				add(f.name, "texts."+k, mapValue(texts, k))
			}
		case f.name == "topics.yaml":
			for _, tp := range mapValue(f.root, "topics").Content {
				id := mapValue(tp, "id").Value
				add(f.name, "topic "+id+" name", mapValue(tp, "name"))
				add(f.name, "topic "+id+" description", mapValue(tp, "description"))
			}
		case strings.HasPrefix(f.name, "nodes/"):
			for _, n := range f.root.Content {
				id := mapValue(n, "id").Value
				add(f.name, "node "+id+" title", mapValue(n, "title"))
				add(f.name, "node "+id+" text", mapValue(n, "text"))
			}
		}
	}
	return out
}

// TestPackFilesAreTranslated checks every text of every file against the
// default language: each language the pack lists has it, and no text is in
// a language the pack does not list.
func TestPackFilesAreTranslated(t *testing.T) {
	t.Parallel()
	files := readDefaultPackFiles(t)
	def, langs := packLanguages(t, files)
	texts := packTexts(t, files)
	offered := map[string]bool{}
	for _, l := range loadDefault(t).Languages {
		offered[l.Code] = l.Offered
	}
	if len(texts) < 50 {
		t.Fatalf("found %d texts, too few: is the pack's layout what this test expects?", len(texts))
	}
	for _, tr := range texts {
		if strings.TrimSpace(tr.by[def]) == "" {
			t.Errorf("%s:%d: %s has no %s text", tr.file, tr.line, tr.what, def)
			continue
		}
		for _, l := range langs {
			if !offered[l] {
				continue // translated through translations/<lang>.yaml, and not offered until reviewed
			}
			if strings.TrimSpace(tr.by[l]) == "" {
				t.Errorf("%s:%d: %s is not translated into %s", tr.file, tr.line, tr.what, l)
			}
		}
		for _, l := range slices.Sorted(maps.Keys(tr.by)) {
			if !slices.Contains(langs, l) {
				t.Errorf("%s:%d: %s has text in %q, which pack.yaml does not list", tr.file, tr.line, tr.what, l)
			}
		}
	}
}

// TestPackFilesWordsPerLanguage checks that command words and keywords are
// given for every language too, so a person can use them in any language.
func TestPackFilesWordsPerLanguage(t *testing.T) {
	t.Parallel()
	files := readDefaultPackFiles(t)
	_, langs := packLanguages(t, files)
	offered := map[string]bool{}
	for _, l := range loadDefault(t).Languages {
		offered[l.Code] = l.Offered
	}
	for _, f := range files {
		var lists []*yaml.Node
		var names []string
		if f.name == "pack.yaml" {
			cmds := mapValue(f.root, "commands")
			for _, k := range mapKeys(cmds) {
				lists, names = append(lists, mapValue(cmds, k)), append(names, "commands."+k)
			}
		}
		if strings.HasPrefix(f.name, "nodes/") {
			for _, n := range f.root.Content {
				if kw := mapValue(n, "keywords"); kw != nil {
					lists, names = append(lists, kw), append(names, "node "+mapValue(n, "id").Value+" keywords")
				}
			}
		}
		for i, l := range lists {
			for _, lang := range langs {
				if !offered[lang] {
					continue
				}
				if v := mapValue(l, lang); v == nil || len(v.Content) == 0 {
					t.Errorf("%s:%d: %s has no %s words", f.name, l.Line, names[i], lang)
				}
			}
		}
	}
}

// TestPackFilesOptionsPointSomewhere checks that every option names a node
// defined in some file, that node ids are unique, and that pack.yaml's start
// is a node.
func TestPackFilesOptionsPointSomewhere(t *testing.T) {
	t.Parallel()
	files := readDefaultPackFiles(t)
	ids := map[string]string{}
	type ref struct {
		file, from, to string
		line           int
	}
	var refs []ref
	for _, f := range files {
		if !strings.HasPrefix(f.name, "nodes/") {
			continue
		}
		for _, n := range f.root.Content {
			id := mapValue(n, "id")
			if id == nil {
				t.Errorf("%s:%d: node without id", f.name, n.Line)
				continue
			}
			if prev, dup := ids[id.Value]; dup {
				t.Errorf("%s:%d: node %s is also defined in %s", f.name, id.Line, id.Value, prev)
			}
			ids[id.Value] = f.name
			if opts := mapValue(n, "options"); opts != nil {
				for _, o := range opts.Content {
					refs = append(refs, ref{f.name, id.Value, o.Value, o.Line})
				}
			}
		}
	}
	for _, f := range files {
		if f.name == "pack.yaml" {
			refs = append(refs, ref{f.name, "start", mapValue(f.root, "start").Value, mapValue(f.root, "start").Line})
		}
	}
	if len(refs) < 10 {
		t.Fatalf("found %d options, too few", len(refs))
	}
	for _, r := range refs {
		if _, ok := ids[r.to]; !ok {
			t.Errorf("%s:%d: %s points to %q, which no file defines", r.file, r.line, r.from, r.to)
		}
	}
}
