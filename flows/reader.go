package flows

import (
	"hash/maphash"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/senda-org/senda/content"
)

// reader reads a sentence and says which page it is about: a multinomial
// naive Bayes classifier over stems, pairs of stems and word beginnings,
// trained on the pack's example messages when the engine is built (one
// pass, a few milliseconds). Each page with examples, each kind of
// distress, and "none" (ordinary messages with no page) is a class.
//
// Naive Bayes suits the few examples a pack has: every feature's weight is
// counted, not searched for, and a word that never came with a page speaks
// against it, so an ordinary message that shares one word with danger
// ("me pegó la gripe") goes where its other words lead.
type reader struct {
	synonyms map[string]string
	idioms   map[string]bool
	// phrases maps the first word of a synonym or idiom of several words
	// to the most words one has, so other words cost one lookup.
	phrases map[string]int
	classes []class
	// logp holds log P(feature | class), row per feature, a column per class.
	logp []float32
	// logbg holds log P(feature) in all examples together: the background
	// a page's words must stand out from.
	logbg []float32
	// idf weighs each feature by how rare it is among the examples, so
	// words every page shares ("me", "necesito") count for little.
	idf   []float32
	rows  map[uint64]int32
	stems [2]map[string]string // stems of the examples' words, by language
	seed  maphash.Seed
}

// class is what a reading can lead to.
type class struct {
	node int // -1 for none
	kind int // a kind of distress, or -1
}

// smoothing is naive Bayes' additive smoothing: the count every feature is
// given in every class.
const smoothing = 0.03

// temperature flattens naive Bayes' overconfident scores into
// probabilities that thresholds can be set on.
const temperature = 3.0

func newReader(p *content.Pack) *reader {
	u := p.Understanding
	r := &reader{synonyms: map[string]string{}, idioms: map[string]bool{}, phrases: map[string]int{}, rows: map[uint64]int32{}, seed: maphash.MakeSeed()}
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
		r.train(r.samples(p))
	}
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

// train counts features per class once and turns the counts into
// smoothed log probabilities, the background's, and each feature's idf.
func (r *reader) train(samples []sample) {
	nc, nf := len(r.classes), len(r.rows)
	counts := make([]float64, nf*nc)
	totals := make([]float64, nc)
	df := make([]float64, nf)
	all := 0.0
	for _, s := range samples {
		for _, f := range s.feats {
			counts[int(r.rows[f])*nc+s.c]++
			df[r.rows[f]]++
		}
		totals[s.c] += float64(len(s.feats))
		all += float64(len(s.feats))
	}
	r.logp = make([]float32, nf*nc)
	r.logbg = make([]float32, nf)
	r.idf = make([]float32, nf)
	for row := range nf {
		r.idf[row] = float32(math.Log(float64(len(samples)) / df[row]))
		r.logbg[row] = float32(math.Log((df[row] + smoothing) / (all + smoothing*float64(nf))))
		for c := range nc {
			r.logp[row*nc+c] = float32(math.Log((counts[row*nc+c] + smoothing) / (totals[c] + smoothing*float64(nf))))
		}
	}
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
	add := func(parts ...string) {
		var h maphash.Hash
		h.SetSeed(r.seed)
		for _, p := range parts {
			h.WriteString(p)
			h.WriteByte(0)
		}
		f := h.Sum64()
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
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
	return out, len(toks)
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

// read scores a normalized message against every class.
func (r *reader) read(norm string) reading {
	if len(r.classes) == 0 || norm == "" {
		return reading{}
	}
	var fbuf [6 * maxWords]uint64
	feats, words := r.features(norm, fbuf[:0])
	nc := len(r.classes)
	var sbuf [128]float64
	sums := sbuf[:0]
	if nc > len(sbuf) {
		sums = make([]float64, 0, nc)
	}
	sums = sums[:nc]
	known := 0
	bg := 0.0
	for _, f := range feats {
		row, ok := r.rows[f]
		if !ok {
			continue
		}
		known++
		w := float64(r.idf[row])
		bg += w * float64(r.logbg[row])
		for c, lp := range r.logp[int(row)*nc : int(row+1)*nc] {
			sums[c] += w * float64(lp)
		}
	}
	if known == 0 {
		return reading{}
	}
	top := math.Inf(-1)
	for _, s := range sums {
		top = max(top, s)
	}
	out := reading{words: words, known: known, scores: make([]scored, nc)}
	total := 0.0
	for c := range sums {
		out.scores[c].evidence = sums[c] - bg
		sums[c] = math.Exp((sums[c] - top) / temperature)
		total += sums[c]
	}
	for c, s := range sums {
		out.scores[c].class, out.scores[c].p = r.classes[c], s/total
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
