package bot

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// metrics are aggregate counters: per channel, per screen and node, per
// outcome. There is no per-person series and there never will be one.
type metrics struct {
	mu sync.Mutex
	n  map[metricKey]int64
}

type metricKey struct {
	name, label, value string
}

func newMetrics() *metrics { return &metrics{n: make(map[metricKey]int64)} }

func (m *metrics) add(k metricKey, d int64) {
	m.mu.Lock()
	m.n[k] += d
	m.mu.Unlock()
}

// count counts an event without labels.
func (m *metrics) count(name string) { m.add(metricKey{name: name}, 1) }

// step counts a message that moved a conversation, by channel and by what
// it showed.
func (m *metrics) step(ch content.Channel, p *content.Pack, st flows.State) {
	m.add(metricKey{"messages_total", "channel", ch.String()}, 1)
	if st.Screen.Kind == content.ScreenNode && int(st.Screen.Arg) < len(p.Nodes) {
		m.add(metricKey{"node_views_total", "node", p.Nodes[st.Screen.Arg].ID}, 1)
		return
	}
	m.add(metricKey{"screen_views_total", "screen", screenName(st.Screen.Kind)}, 1)
}

func screenName(k content.ScreenKind) string {
	s := content.Screen{Kind: k}.String()
	name, _, _ := strings.Cut(s, ":")
	return name
}

// write prints every counter in the Prometheus text format.
func (m *metrics) write(w io.Writer) error {
	m.mu.Lock()
	keys := make([]metricKey, 0, len(m.n))
	for k := range m.n {
		keys = append(keys, k)
	}
	values := make(map[metricKey]int64, len(m.n))
	for k, v := range m.n {
		values[k] = v
	}
	m.mu.Unlock()
	slices.SortFunc(keys, func(a, b metricKey) int {
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
