package flows

import "github.com/senda-org/senda/content"

// Tuning is the reader's numbers, for the test that searches them on the
// tune corpora.
type Tuning = tuning

// DefaultTuning is the numbers the engine uses.
var DefaultTuning = defaultTuning

// Retuned returns an engine for p whose reader has other numbers.
func Retuned(p *content.Pack, t Tuning) *Engine {
	e := New(p, Options{Subscriptions: true})
	e.reader = newTunedReader(p, t)
	return e
}

// Rethresholded returns a copy of e whose reader keeps its training but
// reads with other thresholds and temperature.
func Rethresholded(e *Engine, t Tuning) *Engine {
	c := *e
	r := *e.reader
	r.tu = t
	c.reader = &r
	return &c
}
