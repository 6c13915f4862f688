package content

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// understandingDir holds what the engine learns to read sentences from:
// example messages per page and per kind of distress, ordinary messages
// that lead nowhere, synonyms and local words, and idioms.
const understandingDir = "understanding"

// Minimum examples the check asks for, so a page or kind is learnt from
// more than one way of saying it.
const (
	MinPageExamples   = 10
	MinUrgentExamples = 30
)

// Understanding is the material the engine's reader is trained on when it
// is built. The texts are as written in the pack; the engine normalizes
// them the way it normalizes messages.
type Understanding struct {
	Examples []Example
	// Synonyms maps a normalized word or phrase (local words, slang,
	// spellings) to the normalized word it stands for.
	Synonyms map[string]string
	// Idioms are normalized phrases whose words say nothing literal ("me
	// muero de" risa): the reader drops them.
	Idioms []string
}

// Example is one message a person might write, and where it should lead.
type Example struct {
	Text string
	Node int // the page it leads to, or -1
	Kind int // the kind of distress (index into Pack.Distress), or -1; Node is then that kind's node
	Lang int
	File string
	Line int
}

// Ordinary reports whether the example leads nowhere: an ordinary message
// with no page of its own.
func (e Example) Ordinary() bool { return e.Node < 0 }

type rawUnderstanding struct {
	Pages    map[string]rawWords             `yaml:"pages"`
	Urgent   map[string]rawWords             `yaml:"urgent"`
	Ordinary rawWords                        `yaml:"ordinary"`
	Synonyms map[string]map[string][]rawWord `yaml:"synonyms"`
	Idioms   rawWords                        `yaml:"idioms"`
}

func (u *rawUnderstanding) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "pages", "urgent", "ordinary", "synonyms", "idioms"); err != nil {
		return err
	}
	type plain rawUnderstanding
	return v.Decode((*plain)(u))
}

// understanding reads understanding/*.yaml, after the nodes and the kinds
// of distress it refers to.
func (l *loader) understanding() {
	u := &l.p.Understanding
	u.Synonyms = map[string]string{}
	files, err := fs.Glob(l.fsys, understandingDir+"/*.yaml")
	if err != nil {
		l.report.errorf(l.file(understandingDir), 0, "cannot list understanding files: %v", err)
	}
	slices.Sort(files)
	pages, kinds := map[int]int{}, map[int]int{}
	for _, f := range files {
		var raw rawUnderstanding
		if !l.decode(f, &raw, true) {
			continue
		}
		file := l.file(f)
		for _, id := range slices.Sorted(maps.Keys(raw.Pages)) {
			n, ok := l.p.byID[id]
			if !ok {
				l.report.errorf(file, raw.Pages[id].Line, "examples for %q: no node has that id", id)
				continue
			}
			pages[n] += l.examples(file, raw.Pages[id], "examples of "+id, n, -1)
		}
		for _, id := range slices.Sorted(maps.Keys(raw.Urgent)) {
			k := slices.IndexFunc(l.p.Distress, func(d Distress) bool { return d.ID == id })
			if k < 0 || l.p.Distress[k].Node < 0 {
				l.report.errorf(file, raw.Urgent[id].Line, "urgent examples for %q: not a kind under distress in %s", id, packFile)
				continue
			}
			kinds[k] += l.examples(file, raw.Urgent[id], "urgent examples of "+id, l.p.Distress[k].Node, k)
		}
		l.examples(file, raw.Ordinary, "ordinary examples", -1, -1)
		l.synonyms(file, raw.Synonyms)
		l.wordsPerLanguage(file, raw.Idioms, "idioms", func(file string, line int, s string, _ int) {
			if k := Normalize(s); k != "" {
				u.Idioms = append(u.Idioms, k)
			}
		})
	}
	if len(u.Examples) == 0 {
		return // a pack without examples understands keywords and numbers only
	}
	for k, d := range l.p.Distress {
		if kinds[k] < MinUrgentExamples {
			l.report.warnf(l.file(understandingDir), 0, "distress %s has %d example messages; give at least %d, in the words people use", d.ID, kinds[k], MinUrgentExamples)
		}
	}
	for n, c := range pages {
		if c < MinPageExamples {
			l.report.warnf(l.file(understandingDir), 0, "page %s has %d example messages; give at least %d", l.p.Nodes[n].ID, c, MinPageExamples)
		}
	}
}

// examples adds one target's example messages and returns how many.
func (l *loader) examples(file string, words rawWords, what string, node, kind int) int {
	count := 0
	l.wordsPerLanguage(file, words, what, func(file string, line int, s string, lang int) {
		if Normalize(s) == "" {
			l.report.errorf(file, line, "%s: %q has no letters or digits", what, s)
			return
		}
		l.p.Understanding.Examples = append(l.p.Understanding.Examples, Example{Text: s, Node: node, Kind: kind, Lang: lang, File: file, Line: line})
		count++
	})
	return count
}

// synonyms reads language → canonical word → the words that stand for it.
func (l *loader) synonyms(file string, raw map[string]map[string][]rawWord) {
	u := &l.p.Understanding
	for _, code := range slices.Sorted(maps.Keys(raw)) {
		if l.p.LanguageIndex(code) < 0 {
			l.report.errorf(file, 0, "synonyms in %q, which is not listed under languages in %s", code, packFile)
			continue
		}
		for _, canon := range slices.Sorted(maps.Keys(raw[code])) {
			to := Normalize(canon)
			for _, w := range raw[code][canon] {
				from := Normalize(w.Word)
				switch prev, dup := u.Synonyms[from]; {
				case from == "" || to == "":
					l.report.errorf(file, w.Line, "synonym %q of %q has no letters", w.Word, canon)
				case dup && prev != to:
					l.report.errorf(file, w.Line, "synonym %q stands for %q and for %q; give it one meaning", w.Word, prev, to)
				case from != to:
					u.Synonyms[from] = to
				}
			}
		}
	}
}

// PhraseTest is one line of tests.yaml: a message and the page it must
// reach ("none" for a message that must reach no page).
type PhraseTest struct {
	Phrase string
	Want   string // a node id, or "none"
	File   string
	Line   int
}

// TestsFile is the pack file of the NGO's own phrase tests.
const TestsFile = "tests.yaml"

type rawPhraseTests struct {
	Tests []rawPhraseTest `yaml:"tests"`
}

func (t *rawPhraseTests) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "tests"); err != nil {
		return err
	}
	type plain rawPhraseTests
	return v.Decode((*plain)(t))
}

type rawPhraseTest struct {
	Line   int    `yaml:"-"`
	Phrase string `yaml:"phrase"`
	Page   string `yaml:"page"`
}

func (t *rawPhraseTest) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "phrase", "page"); err != nil {
		return err
	}
	type plain rawPhraseTest
	t.Line = v.Line
	return v.Decode((*plain)(t))
}

// phraseTests reads tests.yaml, when the pack has one.
func (l *loader) phraseTests() {
	var raw rawPhraseTests
	if !l.decode(TestsFile, &raw, false) {
		return
	}
	f := l.file(TestsFile)
	for _, t := range raw.Tests {
		want := strings.TrimSpace(t.Page)
		if _, ok := l.p.byID[want]; !ok && want != "none" {
			l.report.errorf(f, t.Line, "test %q: page %q is not a node id (or none)", t.Phrase, t.Page)
			continue
		}
		if strings.TrimSpace(t.Phrase) == "" {
			l.report.errorf(f, t.Line, "a test has no phrase")
			continue
		}
		l.p.Tests = append(l.p.Tests, PhraseTest{Phrase: t.Phrase, Want: want, File: f, Line: t.Line})
	}
}

// String formats a test for messages: the phrase and the page it expects.
func (t PhraseTest) String() string { return fmt.Sprintf("%q → %s", t.Phrase, t.Want) }

// Keyword is one of a page's keywords, normalized.
type Keyword struct {
	Word string
	Node int
	Lang int // -1 when several languages share it
}

// Keywords lists every keyword of the pack, sorted, so the engine can learn
// them as words of their pages: a keyword inside a sentence leads there too.
func (p *Pack) Keywords() []Keyword {
	var out []Keyword
	for w, m := range p.words {
		if m.Kind == WordKeyword {
			out = append(out, Keyword{Word: w, Node: m.Node, Lang: m.Lang})
		}
	}
	slices.SortFunc(out, func(a, b Keyword) int { return strings.Compare(a.Word, b.Word) })
	return out
}
