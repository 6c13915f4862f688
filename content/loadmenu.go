package content

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// nodes reads the menu: every node's own fields first, then the options
// (which name other nodes, so wait until every id is known), then each
// node's parent on a shortest path from the start.
func (l *loader) nodes() {
	for i, rn := range l.rawNodes {
		l.p.Nodes = append(l.p.Nodes, l.node(i, rn))
	}
	for i, rn := range l.rawNodes {
		l.options(l.p.Nodes[i], rn)
	}
	l.parents()
}

// node reads one node's id, texts, facts, action and provenance.
func (l *loader) node(i int, rn rawNode) *Node {
	f := l.nodeFiles[i]
	n := &Node{ID: rn.ID, Index: len(l.p.Nodes), Source: strings.TrimSpace(rn.Source), Urgent: rn.Urgent,
		Reviewed: rn.Reviewed, Parent: -1, File: f, Line: rn.Line}
	l.nodeID(n, i)
	used := map[string]bool{}
	n.Title = l.userText(f, rn.Title, "node."+n.ID+".title", "node "+n.ID+" title", false, used)
	n.Body = l.userText(f, rn.Text, "node."+n.ID+".text", "node "+n.ID+" text", false, used)
	n.Facts = slices.Sorted(maps.Keys(used))
	l.markShown(used)
	for _, id := range rn.Facts {
		if _, ok := l.factIndex(id); !ok {
			l.report.errorf(f, rn.Line, "node %s: facts lists %q, which is not an id in %s (the facts a node uses are found from its texts; the list may be left out)", n.ID, id, factsFile)
		}
	}
	n.labels = titleLabels(n.Title)
	action, ok := actionNames[rn.Action]
	if !ok {
		l.report.errorf(f, rn.Line, "node %s: unknown action %q (known: topics, my_topics, optout, report)", n.ID, rn.Action)
	}
	n.Action = action
	l.provenance(n)
	return n
}

// nodeID checks a node's id and records it; a node without one gets a
// placeholder so later messages can still name it.
func (l *loader) nodeID(n *Node, i int) {
	switch {
	case n.ID == "":
		l.report.errorf(n.File, n.Line, "node without id: add id: (lower-case letters, digits and _)")
		n.ID = fmt.Sprintf("#%d", i)
	case !idPattern.MatchString(n.ID):
		l.report.errorf(n.File, n.Line, "node id %q: use lower-case letters, digits and _ and start with a letter", n.ID)
	}
	if prev, dup := l.p.byID[n.ID]; dup {
		o := l.p.Nodes[prev]
		l.report.errorf(n.File, n.Line, "node id %q is already used at %s:%d", n.ID, o.File, o.Line)
	}
	l.p.byID[n.ID] = n.Index
}

// titleLabels are a node's titles as typed answers, once each: a person
// may type an option's title instead of its number.
func titleLabels(title Text) []string {
	var labels []string
	seen := map[string]bool{}
	for _, t := range title {
		if k := Normalize(t); k != "" && !seen[k] {
			seen[k] = true
			labels = append(labels, k)
		}
	}
	return labels
}

// provenance warns about a node that does not say where its words come
// from or when they were last reviewed.
func (l *loader) provenance(n *Node) {
	if n.Source == "" {
		l.report.warnf(n.File, n.Line, "node %s has no source: say which section of the source document or docs/SOURCES.md it comes from", n.ID)
	}
	switch {
	case n.Reviewed == "":
		l.report.warnf(n.File, n.Line, "node %s has no reviewed date (YYYY-MM-DD)", n.ID)
	case !validDate(n.Reviewed):
		l.report.errorf(n.File, n.Line, "node %s: reviewed %q is not a date: write it as YYYY-MM-DD", n.ID, n.Reviewed)
	}
}

// options resolves a node's options to node indexes, once every id is
// known.
func (l *loader) options(n *Node, rn rawNode) {
	f := n.File
	if len(rn.Options) > MaxOptions {
		l.report.errorf(f, rn.Options[MaxOptions].Line, "node %s has %d options; at most %d fit on one-digit menus: group some under a new node", n.ID, len(rn.Options), MaxOptions)
	}
	if n.Action != ActionNone && len(rn.Options) > 0 {
		l.report.errorf(f, rn.Options[0].Line, "node %s has an action and options; an action node shows its own list, so remove the options", n.ID)
	}
	seen := map[int]bool{}
	for _, o := range rn.Options {
		t, ok := l.p.byID[o.ID]
		switch {
		case !ok:
			l.report.errorf(f, o.Line, "node %s: option %q points to no node; check the id or add the node", n.ID, o.ID)
			continue
		case t == n.Index:
			l.report.errorf(f, o.Line, "node %s lists itself as an option", n.ID)
			continue
		case seen[t]:
			l.report.errorf(f, o.Line, "node %s lists option %q twice", n.ID, o.ID)
			continue
		}
		seen[t] = true
		n.Options = append(n.Options, t)
	}
}

// parents finds the start node and each node's parent, and reports nodes
// no menu leads to.
func (l *loader) parents() {
	p := l.p
	start, ok := p.byID[strings.TrimSpace(l.raw.Start)]
	if !ok {
		l.report.errorf(l.file(packFile), l.raw.StartLine, "start %q is not a node id: name the main menu node, e.g. start: inicio", l.raw.Start)
		return
	}
	p.Start = start
	// Breadth-first from the start: the first parent found is on a shortest
	// path, which is where a keyword jump says "back" leads.
	seen := make([]bool, len(p.Nodes))
	seen[start] = true
	queue := []int{start}
	for len(queue) > 0 {
		n := p.Nodes[queue[0]]
		queue = queue[1:]
		for _, c := range n.Options {
			if !seen[c] {
				seen[c] = true
				p.Nodes[c].Parent = n.Index
				queue = append(queue, c)
			}
		}
	}
	for i, n := range p.Nodes {
		if !seen[i] {
			l.report.errorf(n.File, n.Line, "node %s cannot be reached from %s: add it as an option of another node or remove it", n.ID, p.Nodes[start].ID)
		}
	}
}

// PathTo returns the nodes from the start to n's parent, the back stack a
// person has after arriving at n by a keyword.
func (p *Pack) PathTo(n int) []int {
	var path []int
	for c := p.Nodes[n].Parent; c >= 0; c = p.Nodes[c].Parent {
		path = append(path, c)
	}
	slices.Reverse(path)
	return path
}

func (l *loader) topics() {
	f := l.file(topicsFile)
	if len(l.rawTopics) > MaxTopics {
		l.report.errorf(f, l.rawTopics[MaxTopics].Line, "%d topics; at most %d can be chosen with one digit", len(l.rawTopics), MaxTopics)
	}
	ids := map[string]int{}
	for _, rt := range l.rawTopics {
		t := &Topic{ID: rt.ID, Index: len(l.p.Topics), MaxPerMonth: rt.MaxPerMonth}
		if !idPattern.MatchString(rt.ID) {
			l.report.errorf(f, rt.Line, "topic id %q: use lower-case letters, digits and _ and start with a letter", rt.ID)
		}
		if prev, dup := ids[rt.ID]; dup {
			l.report.errorf(f, rt.Line, "topic id %q is already used at line %d", rt.ID, prev)
		}
		ids[rt.ID] = rt.Line
		if rt.MaxPerMonth < 1 || rt.MaxPerMonth > 31 {
			l.report.errorf(f, rt.Line, "topic %s: max_per_month must be between 1 and 31 (it is promised to subscribers), not %d", rt.ID, rt.MaxPerMonth)
		}
		used := map[string]bool{}
		t.Name = l.userText(f, rt.Name, "topic."+rt.ID+".name", "topic "+rt.ID+" name", false, used)
		t.Description = l.userText(f, rt.Description, "topic."+rt.ID+".description", "topic "+rt.ID+" description", false, used)
		l.markShown(used)
		l.p.Topics = append(l.p.Topics, t)
	}
}

// TopicByID returns the topic with the given id.
func (p *Pack) TopicByID(id string) (*Topic, bool) {
	for _, t := range p.Topics {
		if t.ID == id {
			return t, true
		}
	}
	return nil, false
}
