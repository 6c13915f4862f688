// Package metrics holds Senda's aggregate counters and writes them in the
// Prometheus text exposition format (version 0.0.4), with # HELP and # TYPE
// for every family. There is no per-person series and there never will be
// one: labels are channels, screens, nodes, topics, outcomes and components.
//
// Counters are per process: they start at zero when Senda starts, and
// Prometheus's rate() and increase() handle the restart. The durable daily
// figures are the admin console's statistics.
package metrics

import (
	"io"
	"slices"
	"sync"
	"time"

	"github.com/senda-org/senda/bot/buildinfo"
)

// Prefix starts every series name.
const Prefix = "senda_"

// Set is a set of aggregate counters (per channel, per screen and node,
// per outcome) and histograms. It is safe for concurrent use. A nil *Set
// counts nothing, so packages may take one optionally.
type Set struct {
	build buildinfo.Info
	mu    sync.Mutex
	n     map[key]int64
	hist  map[string]*histogram
}

type key struct {
	name, label, value string
}

// New returns an empty set for this binary's build.
func New() *Set { return NewFor(buildinfo.Read()) }

// NewFor returns an empty set that reports build as senda_build_info.
func NewFor(build buildinfo.Info) *Set {
	return &Set{build: build, n: make(map[key]int64), hist: make(map[string]*histogram)}
}

// Add adds d to the counter name{label="value"}; an empty label means none.
func (m *Set) Add(name, label, value string, d int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.n[key{name, label, value}] += d
	m.mu.Unlock()
}

// Store sets the value name{label="value"} to v: a gauge, such as the
// erasures waiting in the shared queue.
func (m *Set) Store(name, label, value string, v int64) {
	m.mu.Lock()
	m.n[key{name, label, value}] = v
	m.mu.Unlock()
}

// Count counts an event without labels.
func (m *Set) Count(name string) { m.Add(name, "", "", 1) }

// Observe records one duration in the histogram name (in seconds).
func (m *Set) Observe(name string, d time.Duration) {
	if m == nil {
		return
	}
	m.mu.Lock()
	h := m.hist[name]
	if h == nil {
		h = &histogram{counts: make([]int64, len(LatencyBuckets))}
		m.hist[name] = h
	}
	h.observe(d.Seconds())
	m.mu.Unlock()
}

// LatencyBuckets are the upper bounds (seconds) of the latency histograms:
// 1 ms to 15 s, Twilio's webhook timeout, roughly 2.5× apart.
var LatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15}

// histogram counts observations per bucket (not cumulated: Write adds them
// up), with their sum and count.
type histogram struct {
	counts []int64 // counts[i]: observations in (LatencyBuckets[i-1], LatencyBuckets[i]]
	over   int64   // observations above the last bucket
	sum    float64
	n      int64
}

func (h *histogram) observe(v float64) {
	h.sum += v
	h.n++
	i, _ := slices.BinarySearch(LatencyBuckets, v)
	if i == len(LatencyBuckets) {
		h.over++
		return
	}
	h.counts[i]++
}

// snapshot is a copy of the set taken under the lock, for Write.
type snapshot struct {
	n    map[key]int64
	hist map[string]histogram
}

func (m *Set) snapshot() snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := snapshot{n: make(map[key]int64, len(m.n)), hist: make(map[string]histogram, len(m.hist))}
	for k, v := range m.n {
		s.n[k] = v
	}
	for name, h := range m.hist {
		c := *h
		c.counts = slices.Clone(h.counts)
		s.hist[name] = c
	}
	return s
}

// Write prints every family in the Prometheus text format: # HELP and
// # TYPE, then its series sorted by label value. Every documented family
// is written even before its first event (a counter without labels as 0),
// so alert rules see it from the start.
func (m *Set) Write(w io.Writer) error {
	snap := m.snapshot()
	byName := map[string][]key{}
	for k := range snap.n {
		byName[k.name] = append(byName[k.name], k)
	}
	names := make([]string, 0, len(families)+len(byName))
	for name := range families {
		names = append(names, name)
	}
	for name := range byName {
		if _, ok := families[name]; !ok {
			names = append(names, name)
		}
	}
	for name := range snap.hist {
		if _, ok := families[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	e := &encoder{w: w}
	for _, name := range names {
		f := describe(name)
		e.header(name, f)
		switch {
		case name == buildInfo:
			e.sample(name, []string{"goversion", m.build.GoVersion, "revision", m.build.Revision, "version", m.build.Version}, 1)
		case f.kind == kindHistogram:
			h, ok := snap.hist[name]
			if !ok {
				h = histogram{counts: make([]int64, len(LatencyBuckets))}
			}
			e.histogram(name, h)
		default:
			e.counters(name, f, byName[name], snap.n)
		}
	}
	return e.err
}
