package content

import (
	"slices"
	"strings"
)

// optionalTexts are interface texts a pack may leave out, with the
// placeholders each may use. Without them the line is simply not shown.
var optionalTexts = map[string][]string{
	"lifeline":         nil,        // the help numbers every reply to a message not understood carries
	"choice":           {"a", "b"}, // the one question asked when a message could mean two pages
	"emergency_number": nil,        // the answer to 911, which is not Guatemala's number
}

// Lifeline is the short, lock-screen-neutral line with the help numbers,
// and the organisation's contact when the pack has one: what every reply
// to a message Senda did not understand carries before the options.
func (p *Pack) Lifeline(lang int) []string {
	return append(lines(p.Text("lifeline", lang)), p.contactLines(lang)...)
}

// helpLineFor is the help line an urgent page reached by reading a sentence
// shows after its lock-screen lines: none when the page already gives every
// number the line has (the emergency page), so an SMS page is not spent
// saying them twice.
func (p *Pack) helpLineFor(n *Node, lang int) []string {
	line := p.Lifeline(lang)
	if hasAll(n.Body[lang], PhoneNumbers(strings.Join(line, "\n"))) {
		return nil
	}
	return line
}

// NeedsHelpLine reports whether an urgent page is shown with the help
// line: when its first page, on some channel, shows no phone number of its
// own. The engine adds the line to those pages, typed or read from a
// sentence, and the lock-screen check counts their pages with it.
func (p *Pack) NeedsHelpLine(node int) bool {
	n := p.Nodes[node]
	if !n.Urgent {
		return false
	}
	for _, ch := range Channels {
		s := Screen{Kind: ScreenNode, Arg: uint16(node)}
		if !hasPhoneNumber(p.Page(s, 0, ch, 0).Text) {
			return true
		}
	}
	return false
}

// hasPhoneNumber reports whether a text has a run of three digits or
// more, as PhoneNumbers finds them, without allocating.
func hasPhoneNumber(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			run = 0
			continue
		}
		if run++; run >= 3 {
			return true
		}
	}
	return false
}

// PhoneNumbers returns the runs of three digits or more in a text, in
// order: the phone numbers a reply shows.
func PhoneNumbers(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 3 {
			out = append(out, s[start:i])
		}
		start = -1
	}
	return out
}

// afterLockScreen puts extra lines after the first lines of a text that a
// locked phone shows, so those stay the text's own neutral lines (the help
// line names the police).
func (p *Pack) afterLockScreen(text, extra []string) []string {
	return insertLines(text, extra, lockScreenLines)
}

// insertLines puts extra lines after the first k lines of a text.
func insertLines(text, extra []string, k int) []string {
	if len(extra) == 0 {
		return text
	}
	n := min(k, len(text))
	return slices.Concat(text[:n:n], extra, text[n:])
}

// welcomeNote is what the welcome adds after a first message Senda did not
// understand: the help numbers (after 911, the right one first).
func (p *Pack) welcomeNote(n Note, lang int) []string {
	switch n {
	case NoteUnknown:
		return p.Lifeline(lang)
	case Note911:
		return append(lines(p.Text("emergency_number", lang)), p.Lifeline(lang)...)
	}
	return nil
}

// ChoiceScreen is the screen that asks whether a message meant page a or
// page b, answered with 1 or 2. ok is false when the pack has too many
// nodes for the screen's argument or a and b are the same.
func (p *Pack) ChoiceScreen(a, b int) (Screen, bool) {
	if a == b || a < 0 || b < 0 || a > 0xff || b > 0xff || a >= len(p.Nodes) || b >= len(p.Nodes) {
		return Screen{}, false
	}
	return Screen{Kind: ScreenChoice, Arg: uint16(a)<<8 | uint16(b)}, true
}

// ChoiceNodes returns the two nodes a choice screen offers.
func ChoiceNodes(s Screen) (a, b int) { return int(s.Arg >> 8), int(s.Arg & 0xff) }

// choiceBlocks is the question, the help line and the way back.
func (p *Pack) choiceBlocks(s Screen, lang int) [][]string {
	a, b := ChoiceNodes(s)
	q := strings.NewReplacer("{a}", p.Nodes[a].Title[lang], "{b}", p.Nodes[b].Title[lang]).Replace(p.Text("choice", lang))
	return [][]string{lines(q), p.Lifeline(lang), lines(p.Text("nav", lang))}
}

// choicePages renders a choice screen when it is asked for: there is one
// for every pair of pages, too many to render when the pack loads, and
// they are shown only when a message is unclear.
func (p *Pack) choicePages(s Screen, lang int, ch Channel) []Page {
	a, b := ChoiceNodes(s)
	if _, ok := p.ChoiceScreen(a, b); !ok || s.Note != NoteNone || p.Text("choice", lang) == "" {
		return nil
	}
	pages, _ := p.renderScreen(s, lang, ch)
	return pages
}
