package flows

import (
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/senda-org/senda/content"
)

// reader reads a sentence and says which page it is about: a multinomial
// logistic regression over stems, pairs of stems and of words, word
// beginnings and sound-alikes, trained on the pack's example messages when
// the engine is built (logistic.go). Each page with examples, each kind of
// distress, and "none" (ordinary messages with no page) is a class.
//
// A word that never came with a page speaks against it, and a word every
// kind of message shares ("calle", "ayuda") learns a small weight, so an
// ordinary message that shares one word with danger ("me pegó la gripe")
// goes where its other words lead.
type reader struct {
	synonyms map[string]string
	idioms   map[string]bool
	// phrases maps the first word of a synonym or idiom of several words
	// to the most words one has, so other words cost one lookup.
	phrases map[string]int
	classes []class
	rows    map[uint64]int32     // each feature's row in weights
	stems   [2]map[string]string // stems of the examples' words, by language
	tu      tuning
	// weights and bias are the logistic regression's: a weight per feature
	// (row) and class (column), and a bias per class.
	weights, bias []float32
	none          int // the class of no page, or -1
}

// class is what a reading can lead to.
type class struct {
	node int // -1 for none
	kind int // a kind of distress, or -1
}

func newReader(p *content.Pack) *reader {
	return newTunedReader(p, defaultTuning)
}

// newTunedReader trains a reader with other numbers than the default's:
// what the tests that search them use.
func newTunedReader(p *content.Pack, tu tuning) *reader {
	u := p.Understanding
	r := &reader{tu: tu, synonyms: map[string]string{}, idioms: map[string]bool{}, phrases: map[string]int{}, rows: map[uint64]int32{}}
	r.stems[langES], r.stems[langEN] = map[string]string{}, map[string]string{}
	for _, i := range u.Idioms {
		r.idioms[spellPhrase(i)] = true
		r.notePhrase(spellPhrase(i))
	}
	for from, to := range u.Synonyms {
		r.synonyms[spellPhrase(from)] = to
		r.notePhrase(spellPhrase(from))
	}
	if len(u.Examples) > 0 {
		r.trainLogistic(r.samples(p))
	}
	r.none = slices.IndexFunc(r.classes, func(c class) bool { return c.node < 0 })
	return r
}

// notePhrase remembers how many words a phrase starting with its first
// word may have.
func (r *reader) notePhrase(ph string) {
	words := strings.Fields(ph)
	if len(words) > 1 {
		r.phrases[words[0]] = max(r.phrases[words[0]], len(words))
	}
}

// sample is one training message: its features and its class.
type sample struct {
	feats []uint64
	c     int
}

// samples turns the training set into features, giving each class and
// each feature its index.
func (r *reader) samples(p *content.Pack) []sample {
	classOf := map[class]int{}
	var out []sample
	for _, ex := range trainingSet(p) {
		c := class{node: ex.Node, kind: ex.Kind}
		ci, ok := classOf[c]
		if !ok {
			ci = len(r.classes)
			classOf[c] = ci
			r.classes = append(r.classes, c)
		}
		lang := langES
		if ex.Lang >= 0 && p.Languages[ex.Lang].Code == "en" {
			lang = langEN
		}
		feats, _ := r.featuresLang(content.Normalize(ex.Text), lang, true, nil)
		out = append(out, sample{feats, ci})
		for _, f := range feats {
			if _, ok := r.rows[f]; !ok {
				r.rows[f] = int32(len(r.rows))
			}
		}
	}
	return out
}

// featureHash is a feature's name as a number: FNV-1a over its parts,
// each followed by a zero byte, so ("ab", "c") is not ("a", "bc").
func featureHash(parts ...string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= prime
		}
		h *= prime // the zero byte: xor with 0 changes nothing
	}
	return h
}

// features returns the features of a normalized message, and how many
// words (stopwords left out) it has.
func (r *reader) features(norm string, buf []uint64) ([]uint64, int) {
	return r.featuresLang(norm, -1, false, buf)
}

// featuresLang returns a message's features, deduplicated, and its words
// without stopwords; lang -1 means guess it. learn keeps the stems, so
// messages reuse them.
func (r *reader) featuresLang(norm string, lang int, learn bool, buf []uint64) ([]uint64, int) {
	var wbuf [maxWords]string
	words := r.expand(norm, wbuf[:0])
	if lang < 0 {
		lang = language(words)
	}
	var tbuf [maxWords]token
	toks := marks(words, tbuf[:0])
	out := buf[:0]
	add := func(parts ...string) { out = append(out, featureHash(parts...)) }
	age := ""
	if i := underAge(words); i >= 0 {
		age = words[i]
	}
	prev, prevWord := "", ""
	for _, t := range toks {
		s := numberFeature
		switch {
		case age != "" && t.word == age:
			s = ageFeature
		case !isNumber(t.word):
			s = r.stem(t.word, lang, learn)
		}
		mark := ""
		if t.negated {
			mark = "!"
		}
		add("u", mark, s)
		if prev != "" {
			add("b", prev, mark, s)
			// The words themselves too: a stem drops the person, and "me
			// quiero matar" is not "me quiere matar".
			add("w", prevWord, mark, t.word)
		}
		prev, prevWord = mark+s, mark+t.word
		if !t.negated && len(t.word) >= 5 {
			add("p", t.word[:4])
		}
		if !t.negated && len(s) >= 4 {
			add("s", sounds(s))
		}
	}
	// Each feature once, however often its word comes: sorting is
	// O(n log n) where checking each new one against the rest was O(n²),
	// the cost of a long message.
	slices.Sort(out)
	return slices.Compact(out), len(toks)
}

func (r *reader) stem(w string, lang int, learn bool) string {
	if s, ok := r.stems[lang][w]; ok {
		return s
	}
	s := stem(w, lang)
	if learn {
		r.stems[lang][w] = s
	}
	return s
}

// reading is what the reader makes of a message: each class's
// probability, in the order of the classes.
type reading struct {
	words  int // the message's words, stopwords left out
	known  int // features the reader has seen in examples
	scores []scored
}

// scored is a class's probability, and how much better it explains the
// message than all the examples together do (log-likelihood ratio, in
// nats): one word shared with a page is little evidence.
type scored struct {
	class
	p, evidence float64
}

// read scores a normalized message against every class, into buf when it
// is large enough (the caller's, so a message leaves no garbage). A
// class's evidence is its log-odds against no page (against the mean of
// all classes when the pack has no ordinary examples).
func (r *reader) read(norm string, buf []scored) reading {
	if len(r.classes) == 0 || norm == "" {
		return reading{}
	}
	var fbuf [6 * maxWords]uint64
	feats, words := r.features(norm, fbuf[:0])
	var rbuf [6 * maxWords]int
	rows := rbuf[:0]
	for _, f := range feats {
		if row, ok := r.rows[f]; ok {
			rows = append(rows, int(row))
		}
	}
	if len(rows) == 0 {
		return reading{}
	}
	nc := len(r.classes)
	var zbuf [128]float64
	z := sized(zbuf[:0], nc)
	r.logits(rows, float32(1/math.Sqrt(float64(len(rows)))), z)
	base := 0.0
	if r.none >= 0 {
		base = z[r.none]
	} else {
		for _, v := range z {
			base += v / float64(nc)
		}
	}
	out := reading{words: words, known: len(rows), scores: sized(buf, nc)}
	for c := range z {
		out.scores[c].evidence = z[c] - base
		z[c] /= r.tu.Temperature
	}
	softmax(z)
	for c := range z {
		out.scores[c].class, out.scores[c].p = r.classes[c], z[c]
	}
	return out
}

// trainingSet is the pack's examples, and for each page that has examples
// its keywords and its title in every language: the pack's own words for
// it, so a keyword inside a sentence leads to its page.
func trainingSet(p *content.Pack) []content.Example {
	u := p.Understanding
	taught := map[int]bool{}
	kindOf := map[int]int{}
	for _, ex := range u.Examples {
		if ex.Node >= 0 && !taught[ex.Node] {
			taught[ex.Node] = true
			kindOf[ex.Node] = ex.Kind
		}
	}
	out := slices.Clone(u.Examples)
	for _, k := range p.Keywords() {
		if taught[k.Node] {
			out = append(out, content.Example{Text: k.Word, Node: k.Node, Kind: kindOf[k.Node], Lang: k.Lang})
		}
	}
	for _, n := range slices.Sorted(maps.Keys(taught)) {
		for lang, title := range p.Nodes[n].Title {
			out = append(out, content.Example{Text: title, Node: n, Kind: kindOf[n], Lang: lang})
		}
	}
	return out
}
