package flows

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"slices"
	"sync"

	"github.com/senda-org/senda/content"
)

// trainedReaders keeps the readers trained for the last few packs, by
// what they learn from: a reader never changes once trained, and training
// takes most of a second, so every engine built from the same examples
// (one per reload, the console's phrase tester, tests that load the
// default pack again and again) shares one. Only the last few are kept,
// so readers of packs replaced by an edit are freed.
var trainedReaders struct {
	sync.Mutex
	recent []keptReader
}

type keptReader struct {
	key    [sha256.Size]byte
	reader *reader
}

// keptReaders is how many readers are kept.
const keptReaders = 4

// readerFor returns the reader trained on p's examples, training it the
// first time.
func readerFor(p *content.Pack) *reader {
	key := trainingKey(p)
	c := &trainedReaders
	c.Lock()
	for _, k := range c.recent {
		if k.key == key {
			c.Unlock()
			return k.reader
		}
	}
	c.Unlock()
	r := newReader(p) // outside the lock: two first callers may both train
	c.Lock()
	defer c.Unlock()
	c.recent = append(c.recent, keptReader{key, r})
	if len(c.recent) > keptReaders {
		c.recent = c.recent[len(c.recent)-keptReaders:]
	}
	return r
}

// trainingKey is a digest of everything a reader learns from: the
// training set (each example's text, page, kind and language), the
// synonyms, the idioms and the languages. Two packs with the same key
// train the same reader.
func trainingKey(p *content.Pack) [sha256.Size]byte {
	h := sha256.New()
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	num := func(i int) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(int64(i)))
		h.Write(n[:])
	}
	for _, l := range p.Languages {
		str(l.Code)
	}
	for _, ex := range trainingSet(p) {
		str(ex.Text)
		num(ex.Node)
		num(ex.Kind)
		num(ex.Lang)
		if ex.Node >= 0 {
			str(p.Nodes[ex.Node].ID)
		}
	}
	u := p.Understanding
	for _, from := range slices.Sorted(maps.Keys(u.Synonyms)) {
		str(from)
		str(u.Synonyms[from])
	}
	for _, i := range u.Idioms {
		str(i)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	return out
}
