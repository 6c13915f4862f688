package conversation

import (
	"strings"

	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// countStep counts a message that moved a conversation, by channel and by
// what it showed: the node's id, or the kind of screen. The labels come
// from the pack, never from what the person wrote.
func countStep(m *metrics.Set, ch content.Channel, p *content.Pack, st flows.State) {
	m.Add("messages_total", "channel", ch.String(), 1)
	if st.Screen.Kind == content.ScreenNode && int(st.Screen.Arg) < len(p.Nodes) {
		m.Add("node_views_total", "node", p.Nodes[st.Screen.Arg].ID, 1)
		return
	}
	m.Add("screen_views_total", "screen", screenName(st.Screen.Kind), 1)
}

// countSignal counts what kind of step it was (distress recognized, media
// alone, a welcome, a polite word) and, for distress, which kind of help was
// shown: the kind is the pack's id (crisis, violacion, …), never user text.
func countSignal(m *metrics.Set, s flows.Signal, distress string) {
	if s == flows.SignalNone {
		return
	}
	m.Add("signals_total", "signal", s.String(), 1)
	if s == flows.SignalDistress && distress != "" {
		m.Add("distress_total", "kind", distress, 1)
	}
}

// screenName is a screen kind's label: the screen's name without its
// argument ("node", "topics", …).
func screenName(k content.ScreenKind) string {
	name, _, _ := strings.Cut(content.Screen{Kind: k}.String(), ":")
	return name
}
