package content

import (
	"maps"
	"slices"
	"strings"
)

// words builds the table every input is looked up in, rejecting words that
// would mean two things once normalized.
func (l *loader) words() {
	t := &wordTable{l: l, origins: map[string]wordOrigin{}}
	pf := l.file(packFile)
	l.commandWords(pf, t)
	l.languageWords(pf, t)
	l.numberWords(pf, t)
	l.wordsPerLanguage(pf, l.raw.Polite, "polite", func(file string, line int, raw string, lang int) {
		t.add(file, line, raw, Word{Kind: WordPolite, Node: -1, Lang: lang}, "polite word")
	})
	for i, rn := range l.rawNodes {
		n := l.p.Nodes[i]
		l.wordsPerLanguage(l.nodeFiles[i], rn.Keywords, "node "+n.ID+" keywords", func(file string, line int, raw string, lang int) {
			t.add(file, line, raw, Word{Kind: WordKeyword, Node: n.Index, Lang: lang}, "keyword of "+n.ID)
		})
	}
	slices.Sort(l.p.fuzzy)
}

// wordOrigin is where a word of the table was listed, for messages about
// a clash.
type wordOrigin struct {
	file string
	line int
	what string
}

// wordTable adds words to the pack's table, remembering where each came
// from.
type wordTable struct {
	l       *loader
	origins map[string]wordOrigin
}

// add puts one word in the table, or reports why it cannot be there.
func (t *wordTable) add(file string, line int, raw string, w Word, what string) {
	l := t.l
	key := Normalize(raw)
	switch {
	case key == "":
		l.report.errorf(file, line, "%s: word %q has no letters or digits", what, raw)
		return
	case isDigits(key):
		l.report.errorf(file, line, "%s: word %q is a number; numbers choose options", what, raw)
		return
	}
	if prev, ok := l.p.words[key]; ok {
		if !t.again(key, prev, w) {
			o := t.origins[key]
			l.report.errorf(file, line, "%s: %q is the same word as %q for %s at %s:%d once case, accents and punctuation are ignored", what, raw, key, o.what, o.file, o.line)
		}
		return
	}
	l.p.words[key] = w
	t.origins[key] = wordOrigin{file, line, what}
	if typosForgiven(key, w.Kind) {
		l.p.fuzzy = append(l.p.fuzzy, key)
	}
}

// again reports whether w, whose key is already in the table as prev,
// means the same thing (and so is no clash).
func (t *wordTable) again(key string, prev, w Word) bool {
	if prev.Kind == WordLanguage && w.Kind == WordLanguage && prev.Lang == w.Lang {
		return true // a language's name listed again among its switch words
	}
	if prev.Kind == w.Kind && prev.Node == w.Node && w.Kind != WordLanguage {
		if prev.Lang != w.Lang {
			prev.Lang = -1 // the same word in two languages: no switch
			t.l.p.words[key] = prev
		}
		return true
	}
	return false
}

// typosForgiven reports whether a word is matched with one typo. Words that
// erase or unsubscribe must be typed exactly: "pasar" is one letter from
// "parar", and a typo must never cost someone their subscription or
// conversation.
func typosForgiven(key string, k WordKind) bool {
	switch k {
	case WordErase, WordOptOut, WordYes, WordNo, WordNumber:
		return false
	}
	return len([]rune(key)) >= 5
}

// commandWords adds every command's words, and reports commands missing
// or unknown.
func (l *loader) commandWords(pf string, t *wordTable) {
	for _, name := range slices.Sorted(maps.Keys(commandKinds)) {
		words, ok := l.raw.Commands[name]
		if !ok && name == reportCommand {
			continue // optional: a pack without it takes no reports
		}
		if !ok {
			l.report.errorf(pf, l.raw.CommandsLine, "commands.%s is missing: list its words per language", name)
			continue
		}
		l.wordsPerLanguage(pf, words, "commands."+name, func(file string, line int, raw string, lang int) {
			t.add(file, line, raw, Word{Kind: commandKinds[name], Node: -1, Lang: lang}, "command "+name)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(l.raw.Commands)) {
		if _, ok := commandKinds[name]; !ok {
			l.report.errorf(pf, l.raw.Commands[name].Line, "unknown command %q (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(commandKinds)), ", "))
		}
	}
}

// languageWords adds the words that switch to each offered language.
func (l *loader) languageWords(pf string, t *wordTable) {
	for i, lang := range l.p.Languages {
		if !lang.Offered {
			continue // not until its menus and urgent pages are reviewed
		}
		rl := l.raw.Languages[lang.Code]
		for _, s := range append([]string{lang.Name}, rl.Switch...) {
			t.add(pf, rl.Line, s, Word{Kind: WordLanguage, Node: -1, Lang: i}, "language "+lang.Code)
		}
	}
}

// numberWords adds the words for 1 to 9 in each language.
func (l *loader) numberWords(pf string, t *wordTable) {
	for _, code := range slices.Sorted(maps.Keys(l.raw.Numbers.By)) {
		if n := len(l.raw.Numbers.By[code]); n != 9 {
			l.report.errorf(pf, l.raw.Numbers.Line, "numbers.%s has %d words; list the words for 1 to 9, in order", code, n)
		}
	}
	l.wordsPerLanguage(pf, l.raw.Numbers, "numbers", func(file string, line int, raw string, lang int) {
		code := l.p.Languages[lang].Code
		n := slices.IndexFunc(l.raw.Numbers.By[code], func(w rawWord) bool { return w.Line == line && w.Word == raw }) + 1
		t.add(file, line, raw, Word{Kind: WordNumber, Node: n, Lang: lang}, "number word")
	})
}

// distress reads the kinds of distress: each names the page that answers
// it from any state. What reveals it is learnt from the example messages
// under understanding/.
func (l *loader) distress() {
	f := l.file(packFile)
	for _, id := range slices.Sorted(maps.Keys(l.raw.Distress)) {
		rd := l.raw.Distress[id]
		d := Distress{ID: id, Node: -1}
		if !idPattern.MatchString(id) {
			l.report.errorf(f, rd.Line, "distress kind %q: use lower-case letters, digits and _", id)
		}
		n, ok := l.p.byID[rd.Node]
		switch {
		case !ok:
			l.report.errorf(f, rd.Line, "distress %s: node %q is not a node id", id, rd.Node)
		case !l.p.Nodes[n].Urgent:
			l.report.errorf(f, rd.Line, "distress %s: node %s must be marked urgent: true (it then says the line is automatic and shows the NGO contact)", id, rd.Node)
		default:
			d.Node = n
		}
		l.p.Distress = append(l.p.Distress, d)
	}
}

func (l *loader) wordsPerLanguage(file string, words rawWords, what string, add func(file string, line int, raw string, lang int)) {
	for _, code := range slices.Sorted(maps.Keys(words.By)) {
		lang := l.p.LanguageIndex(code)
		if lang < 0 {
			l.report.errorf(file, words.Line, "%s has words in %q, which is not listed under languages in %s", what, code, packFile)
			continue
		}
		for _, w := range words.By[code] {
			add(file, w.Line, w.Word, lang)
		}
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
