package flows

import (
	"slices"

	"github.com/senda-org/senda/content"
)

// Verdict is what the engine makes of a sentence that is neither a
// number, a command nor a keyword.
type Verdict uint8

// Verdicts.
const (
	VerdictNone   Verdict = iota // not understood: the help line and the options
	VerdictPage                  // the page it is about
	VerdictChoice                // one question: "1 this or 2 that?"
)

// String names the verdict for tools.
func (v Verdict) String() string {
	switch v {
	case VerdictPage:
		return "page"
	case VerdictChoice:
		return "choice"
	}
	return "none"
}

// Reading is what the engine makes of a sentence, for tools (the console's
// phrase tester, `senda content check`) and tests. It holds no text.
type Reading struct {
	Verdict Verdict
	Node    int     // the page reached or offered first (with VerdictNone, the best guess); -1 when there is none
	Kind    int     // the kind of distress, index into Pack.Distress, or -1
	Score   float64 // the page's probability, 0 to 1
	// RunnerUp is the next page (-1 when none comes close), offered second
	// when Verdict is VerdictChoice.
	RunnerUp      int
	RunnerUpScore float64
	None          float64 // the probability that it is about no page
	// Evidence is how much better the page explains the message than all
	// the examples together do (a log-likelihood ratio).
	Evidence float64
}

// Understand reads a sentence as Step does once commands, numbers and
// keywords have not matched.
func (e *Engine) Understand(text string) Reading {
	return e.understand(content.Normalize(text))
}

func (e *Engine) understand(norm string) Reading {
	out := Reading{Node: -1, Kind: -1, RunnerUp: -1}
	var sbuf [64]scored
	rd := e.reader.read(norm, sbuf[:0])
	if rd.known == 0 {
		out.None = 1
		return out
	}
	var buf [64]nodeScore
	nodes, none := byNode(rd, buf[:0])
	out.None = none
	first, second := topTwo(nodes)
	if first < 0 {
		return out
	}
	a := nodes[first]
	out.Node, out.Kind, out.Score, out.Evidence = a.node, a.kind, a.p, a.ev
	var b nodeScore
	if second >= 0 {
		b = nodes[second]
		out.RunnerUp, out.RunnerUpScore = b.node, b.p
	}
	out.Verdict = e.reader.tu.verdict(a, b, second >= 0, rd.words)
	return out
}

// nodeScore is a page's probability. Kinds of distress that share a page
// (violence, threats, robbery) add up; the likeliest names the step.
type nodeScore struct {
	node, kind int
	p, ev      float64
	best       float64 // the probability of its likeliest kind
}

// byNode adds up the classes' probabilities per page, and the
// probability of no page.
func byNode(rd reading, nodes []nodeScore) ([]nodeScore, float64) {
	none := 0.0
	for _, s := range rd.scores {
		if s.node < 0 {
			none += s.p
			continue
		}
		i := slices.IndexFunc(nodes, func(n nodeScore) bool { return n.node == s.node })
		if i < 0 {
			nodes = append(nodes, nodeScore{s.node, s.kind, s.p, s.evidence, s.p})
			continue
		}
		if s.p > nodes[i].best {
			nodes[i].kind, nodes[i].ev, nodes[i].best = s.kind, s.evidence, s.p
		}
		nodes[i].p += s.p
	}
	return nodes, none
}

// topTwo returns the indexes of the two likeliest pages, -1 for none.
func topTwo(nodes []nodeScore) (first, second int) {
	first, second = -1, -1
	for i := range nodes {
		switch {
		case first < 0 || nodes[i].p > nodes[first].p:
			first, second = i, first
		case second < 0 || nodes[i].p > nodes[second].p:
			second = i
		}
	}
	return first, second
}

// verdict decides between the page a, the question between a and b, and
// not understood. words is how many words the message has, stopwords left
// out.
func (t tuning) verdict(a, b nodeScore, hasB bool, words int) Verdict {
	threshold, evidence := t.MinPage, t.MinEvidence
	if a.kind >= 0 {
		threshold, evidence = t.MinUrgent, t.MinUrgentEvidence
	}
	switch {
	case a.ev < evidence:
		return VerdictNone
	case a.kind >= 0 && words < t.MinUrgentWords:
		// One word alone ("cuchillo") is a question at most, never the
		// page: the page would show on her lock screen for a kitchen tool.
		// The question needs a second page that is a real alternative:
		// otherwise a word that merely shares a stem with danger ("pato",
		// "patada") would be offered danger; not understood carries the
		// help numbers anyway.
		if hasB && b.p >= t.MinSecond {
			return VerdictChoice
		}
		return VerdictNone
	case a.p < threshold:
		if hasB && a.p+b.p >= t.MinPair && b.p >= t.MinSecond {
			return VerdictChoice
		}
		return VerdictNone
	case a.kind < 0 && hasB && b.kind >= 0 && b.p >= t.MinUrgentSecond && b.ev >= t.MinUrgentEvidence:
		// Recall first: a page about something else, with danger close
		// behind, becomes the one question, which carries the help numbers.
		return VerdictChoice
	}
	return VerdictPage
}

// understood answers a sentence the reader understood: the page, or the
// question between two.
func (e *Engine) understood(st State, rd Reading) Result {
	if rd.Verdict == VerdictChoice {
		if s, ok := e.pack.ChoiceScreen(rd.Node, rd.RunnerUp); ok {
			st.Misses = 0
			st.Screen, st.Page = s, 0
			return Result{State: st}
		}
	}
	res := e.open(st, rd.Node, rd.Kind)
	// Read, not typed as a keyword: the help numbers come first, in case
	// the page is not the one she needs. An urgent page whose first page
	// gives help numbers of its own has them already (open adds the line
	// to those that do not): on the police page the line would put 110
	// before the numbers for when the police are the danger.
	if !e.pack.Nodes[rd.Node].Urgent {
		res.State.Screen.Note = content.NoteHelpLine
	}
	return res
}

// open jumps to a page reached by what the person wrote, saying so when it
// is the page of a kind of distress (kind, or the page's first kind when
// kind is -1).
func (e *Engine) open(st State, node, kind int) Result {
	st.Misses = 0
	res := Result{State: e.jump(st, node)}
	if kind < 0 {
		kind = e.distressKind(node)
	}
	if e.pack.NeedsHelpLine(node) {
		res.State.Screen.Note = content.NoteHelpLine
	}
	if k := kind; k >= 0 {
		res.Signal, res.Distress = SignalDistress, e.pack.Distress[k].ID
	}
	return res
}

// distressKind is the first kind of distress a page answers, or -1.
func (e *Engine) distressKind(node int) int {
	for k, d := range e.pack.Distress {
		if d.Node == node {
			return k
		}
	}
	return -1
}

// chosen answers 1 or 2 on the question between two pages.
func (e *Engine) chosen(st State, n int, in Input) Result {
	a, b := content.ChoiceNodes(st.Screen)
	switch n {
	case 1:
		return e.open(st, a, -1)
	case 2:
		return e.open(st, b, -1)
	}
	return e.miss(st, in.Channel)
}
