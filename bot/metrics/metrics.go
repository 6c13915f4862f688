// Package metrics holds Senda's aggregate counters and writes them in the
// Prometheus text format. There is no per-person series and there never
// will be one: labels are channels, screens, nodes, topics and statuses.
package metrics

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Set is a set of aggregate counters: per channel, per screen and node,
// per outcome. It is safe for concurrent use.
type Set struct {
	mu sync.Mutex
	n  map[key]int64
}

type key struct {
	name, label, value string
}

// New returns an empty set.
func New() *Set { return &Set{n: make(map[key]int64)} }

// Add adds d to the counter name{label="value"}.
func (m *Set) Add(name, label, value string, d int64) {
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

// Step counts a message that moved a conversation, by channel and by what
// it showed.
func (m *Set) Step(ch content.Channel, p *content.Pack, st flows.State) {
	m.Add("messages_total", "channel", ch.String(), 1)
	if st.Screen.Kind == content.ScreenNode && int(st.Screen.Arg) < len(p.Nodes) {
		m.Add("node_views_total", "node", p.Nodes[st.Screen.Arg].ID, 1)
		return
	}
	m.Add("screen_views_total", "screen", screenName(st.Screen.Kind), 1)
}

// Signal counts what kind of step it was (distress recognized, media
// alone, a welcome, a polite word) and, for distress, which kind of help was
// shown: the kind is the pack's id (crisis, violacion, …), never user text.
func (m *Set) Signal(s flows.Signal, distress string) {
	if s == flows.SignalNone {
		return
	}
	m.Add("signals_total", "signal", s.String(), 1)
	if s == flows.SignalDistress && distress != "" {
		m.Add("distress_total", "kind", distress, 1)
	}
}

func screenName(k content.ScreenKind) string {
	s := content.Screen{Kind: k}.String()
	name, _, _ := strings.Cut(s, ":")
	return name
}

// Write prints every counter in the Prometheus text format.
func (m *Set) Write(w io.Writer) error {
	m.mu.Lock()
	keys := make([]key, 0, len(m.n))
	for k := range m.n {
		keys = append(keys, k)
	}
	values := make(map[key]int64, len(m.n))
	for k, v := range m.n {
		values[k] = v
	}
	m.mu.Unlock()
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.name+"\x00"+a.label+"\x00"+a.value, b.name+"\x00"+b.label+"\x00"+b.value)
	})
	for _, k := range keys {
		var err error
		if k.label == "" {
			_, err = fmt.Fprintf(w, "senda_%s %d\n", k.name, values[k])
		} else {
			_, err = fmt.Fprintf(w, "senda_%s{%s=%q} %d\n", k.name, k.label, k.value, values[k])
		}
		if err != nil {
			return err
		}
	}
	return nil
}
