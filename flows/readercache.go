package flows

import (
	"sync"

	"github.com/senda-org/senda/content"
)

// trainedReaders keeps the readers trained for the last few packs: a pack
// does not change once loaded, a reader never changes once trained, and
// training takes a few hundred milliseconds, so every engine built for the
// same pack (one per reload, the console's phrase tester, tests) shares
// one. Only the last few are kept, so packs replaced by a reload are freed.
var trainedReaders struct {
	sync.Mutex
	recent []packReader
}

type packReader struct {
	pack   *content.Pack
	reader *reader
}

// keptReaders is how many packs' readers are kept.
const keptReaders = 4

// readerFor returns the reader trained on p, training it the first time.
func readerFor(p *content.Pack) *reader {
	c := &trainedReaders
	c.Lock()
	for _, pr := range c.recent {
		if pr.pack == p {
			c.Unlock()
			return pr.reader
		}
	}
	c.Unlock()
	r := newReader(p) // outside the lock: two first callers may both train
	c.Lock()
	defer c.Unlock()
	c.recent = append(c.recent, packReader{p, r})
	if len(c.recent) > keptReaders {
		c.recent = c.recent[len(c.recent)-keptReaders:]
	}
	return r
}
