package content

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/twiml"
)

// ScreenKind is a kind of reply.
type ScreenKind uint8

// Screen kinds. Arg says which node or topic, where one is needed.
const (
	ScreenNone             ScreenKind = iota
	ScreenNode                        // a node's text and options (Arg: node)
	ScreenHelp                        // the commands
	ScreenMisses                      // several misses in a row, then the commands
	ScreenErased                      // the conversation was erased
	ScreenUnavailable                 // a temporary fault
	ScreenTopics                      // the topics to subscribe to
	ScreenTopicConfirm                // what a topic sends; asks yes or no (Arg: topic)
	ScreenSubscribed                  // subscribed (Arg: topic)
	ScreenDeclined                    // did not subscribe
	ScreenUnsubscribed                // every subscription and the address deleted
	ScreenMyTopics                    // the person's topics (Arg: bit mask of topics)
	ScreenSubscriptionsOff            // this deployment sends no updates
	ScreenWelcome                     // first contact: who we are, then the main menu's options
	ScreenChoice                      // "did you mean 1 a or 2 b?" (Arg: node a << 8 | node b)
	ScreenReport                      // a step of a report (Arg: the step, 1..ReportSteps)
	ScreenReportSent                  // the report was filed
	ScreenReportDropped               // the report was left, nothing kept
	ScreenReportLimit                 // too many reports today
	ScreenReportOff                   // this deployment takes no reports
	numScreenKinds
)

// Note is a short line shown before a screen's options instead of its text.
type Note uint8

// Notes.
const (
	NoteNone     Note = iota
	NoteUnknown       // the input was not understood
	NoteNoMore        // MAS, but there is no next page
	NotePolite        // thanks, ok: a friendly line
	NoteMedia         // a voice note or photo without text
	Note911           // 911 or another number that is not Guatemala's
	NoteHelpLine      // the help numbers first, then the whole page (an urgent page reached by reading a sentence)
	numNotes
)

// HasNotes reports whether a screen kind can carry a note: those whose
// options a person answers.
func (k ScreenKind) HasNotes() bool {
	return k == ScreenNode || k == ScreenTopics || k == ScreenTopicConfirm || k == ScreenMyTopics || k == ScreenReport
}

// Final reports whether a screen ends the conversation's memory, so it has
// to say everything on one page.
func (k ScreenKind) Final() bool {
	return k == ScreenErased || k == ScreenUnavailable
}

// Screen identifies one reply; with a language and a channel it names a list
// of pre-rendered pages.
type Screen struct {
	Kind ScreenKind
	Arg  uint16
	Note Note
}

// String names the screen for logs and tests, e.g. "node:3".
func (s Screen) String() string {
	names := [...]string{"none", "node", "help", "misses", "erased", "unavailable",
		"topics", "topic_confirm", "subscribed", "declined", "unsubscribed", "my_topics", "subscriptions_off", "welcome", "choice",
		"report", "report_sent", "report_dropped", "report_limit", "report_off"}
	name := "?"
	if int(s.Kind) < len(names) {
		name = names[s.Kind]
	}
	out := name + ":" + strconv.Itoa(int(s.Arg))
	switch s.Note {
	case NoteUnknown:
		out += "+unknown"
	case NoteNoMore:
		out += "+nomore"
	case NotePolite:
		out += "+polite"
	case NoteMedia:
		out += "+media"
	case Note911:
		out += "+911"
	case NoteHelpLine:
		out += "+helpline"
	}
	return out
}

// Page is one message as it is sent.
type Page struct {
	Text  string // the body, transliterated for SMS
	TwiML []byte // a whole <Response> with this one <Message>
}

type screenKey struct {
	screen  Screen
	lang    uint8
	channel Channel
}

// Pages returns the pages of a screen in a language on a channel. Every
// screen was rendered when the pack loaded; an unknown screen, language or
// channel returns nil.
func (p *Pack) Pages(s Screen, lang int, ch Channel) []Page {
	if lang < 0 || lang >= len(p.Languages) {
		return nil
	}
	if s.Kind == ScreenChoice {
		return p.choicePages(s, lang, ch)
	}
	return p.screens[screenKey{s, uint8(lang), ch}]
}

// Page returns page i of a screen, clamped to the pages that exist.
func (p *Pack) Page(s Screen, lang int, ch Channel, i int) Page {
	pages := p.Pages(s, lang, ch)
	if len(pages) == 0 {
		return Page{}
	}
	return pages[min(max(i, 0), len(pages)-1)]
}

// Text returns an interface text (a key under texts:) in a language.
func (p *Pack) Text(key string, lang int) string {
	t := p.texts[key]
	if lang < 0 || lang >= len(t) {
		return ""
	}
	return t[lang]
}

// allScreens lists every screen the pack can show.
func (p *Pack) allScreens() []Screen {
	var base []Screen
	for i := range p.Nodes {
		base = append(base, Screen{Kind: ScreenNode, Arg: uint16(i)})
	}
	for _, k := range []ScreenKind{ScreenHelp, ScreenMisses, ScreenErased, ScreenUnavailable, ScreenTopics,
		ScreenDeclined, ScreenUnsubscribed, ScreenSubscriptionsOff, ScreenWelcome} {
		base = append(base, Screen{Kind: k})
	}
	for i := range p.Topics {
		base = append(base, Screen{Kind: ScreenTopicConfirm, Arg: uint16(i)}, Screen{Kind: ScreenSubscribed, Arg: uint16(i)})
	}
	for mask := range 1 << len(p.Topics) {
		base = append(base, Screen{Kind: ScreenMyTopics, Arg: uint16(mask)})
	}
	base = append(base, p.reportScreens()...)
	var out []Screen
	for _, s := range base {
		out = append(out, s)
		if s.Kind.HasNotes() {
			for n := NoteUnknown; n < numNotes; n++ {
				out = append(out, Screen{Kind: s.Kind, Arg: s.Arg, Note: n})
			}
		}
		if s.Kind == ScreenWelcome {
			// A first message not understood: the welcome with the help line.
			out = append(out, Screen{Kind: s.Kind, Note: NoteUnknown}, Screen{Kind: s.Kind, Note: Note911})
		}
	}
	return out
}

// blocks returns what a screen says, as blocks of lines. Blocks are separated
// by a blank line on WhatsApp and run together on SMS, where every character
// costs.
func (p *Pack) blocks(s Screen, lang int) [][]string {
	text := func(key string) []string { return lines(p.Text(key, lang)) }
	note := p.noteLines(s.Note, lang)
	switch s.Kind {
	case ScreenNode:
		if s.Note == NoteHelpLine {
			return p.helpLineBlocks(p.Nodes[s.Arg], lang, lockScreenLines)
		}
		return p.nodeBlocks(p.Nodes[s.Arg], lang, note)
	case ScreenWelcome:
		return [][]string{p.afterLockScreen(text("welcome"), p.welcomeNote(s.Note, lang)), p.optionLines(p.Nodes[p.Start], lang)}
	case ScreenHelp:
		// The help numbers right after the first line, which names the
		// emergency word: AYUDA alone may be a cry for help.
		help := text("help")
		return [][]string{help[:min(1, len(help))], p.Lifeline(lang), help[min(1, len(help)):], p.contactLines(lang)}
	case ScreenMisses:
		return [][]string{text("misses"), p.Lifeline(lang), text("help"), p.contactLines(lang)}
	case ScreenChoice:
		return p.choiceBlocks(s, lang)
	case ScreenErased:
		return [][]string{text("erased")}
	case ScreenUnavailable:
		return [][]string{text("unavailable")}
	}
	if s.Kind >= ScreenReport {
		return p.reportBlocks(s, lang, note, nil)
	}
	return p.subscriptionBlocks(s, lang, note)
}

// noteLines is what a note says before the options shown again, or nil
// for a screen without a note.
func (p *Pack) noteLines(n Note, lang int) []string {
	switch n {
	case NoteUnknown:
		return append(lines(p.Text("unknown", lang)), p.Lifeline(lang)...)
	case NoteNoMore:
		return lines(p.Text("no_more", lang))
	case NotePolite:
		return lines(p.Text("polite", lang))
	case NoteMedia:
		return append(lines(p.Text("media", lang)), p.Lifeline(lang)...)
	case Note911:
		return append(lines(p.Text("emergency_number", lang)), p.Lifeline(lang)...)
	}
	return nil
}

// optionLines numbers a node's options, one a line.
func (p *Pack) optionLines(n *Node, lang int) []string {
	opts := make([]string, len(n.Options))
	for i, c := range n.Options {
		opts[i] = strconv.Itoa(i+1) + " " + p.Nodes[c].Title[lang]
	}
	return opts
}

// nodeBlocks is a menu node: its text (or, after a note, the note instead of
// the text read already), its options, on urgent pages the line saying
// nobody reads the messages and then the NGO's contact, so the page ends
// with a person to reach, and the way back everywhere but the main menu.
func (p *Pack) nodeBlocks(n *Node, lang int, note []string) [][]string {
	first := lines(n.Body[lang])
	if note != nil {
		first = note // the options again, without the text read already
	}
	out := [][]string{first}
	if len(n.Options) > 0 {
		out = append(out, p.optionLines(n, lang))
	}
	if n.Urgent && note == nil {
		out = append(out, lines(p.Text("automatic", lang)), p.contactLines(lang))
	}
	if n.Index != p.Start {
		out = append(out, lines(p.Text("nav", lang)))
	}
	return out
}

// subscriptionBlocks are the screens about broadcasts: the list of topics,
// a topic's confirmation, the answers to it, and the person's own topics.
func (p *Pack) subscriptionBlocks(s Screen, lang int, note []string) [][]string {
	text := func(key string) []string { return lines(p.Text(key, lang)) }
	nav := text("nav")
	switch s.Kind {
	case ScreenTopics:
		opts := make([]string, len(p.Topics))
		for i, t := range p.Topics {
			opts[i] = strconv.Itoa(i+1) + " " + t.Name[lang]
		}
		return [][]string{note, text("topics"), opts, nav}
	case ScreenTopicConfirm:
		t := p.Topics[s.Arg]
		return [][]string{note, lines(strings.NewReplacer("{name}", t.Name[lang], "{description}", t.Description[lang],
			"{max}", strconv.Itoa(t.MaxPerMonth)).Replace(p.Text("topic_confirm", lang)))}
	case ScreenSubscribed:
		t := p.Topics[s.Arg]
		return [][]string{lines(strings.ReplaceAll(p.Text("subscribed", lang), "{name}", t.Name[lang])), nav}
	case ScreenDeclined:
		return [][]string{text("declined"), nav}
	case ScreenUnsubscribed:
		return [][]string{text("unsubscribed"), nav}
	case ScreenSubscriptionsOff:
		return [][]string{text("subscriptions_off"), nav}
	case ScreenMyTopics:
		if s.Note == NoteUnknown {
			// The help line after the list: the list's head ends in a colon
			// and must stay with the lines it introduces.
			return [][]string{lines(p.Text("unknown", lang)), p.myTopicsHead(s.Arg, lang), p.myTopicLines(s.Arg, lang), p.Lifeline(lang), nav}
		}
		return [][]string{note, p.myTopicsHead(s.Arg, lang), p.myTopicLines(s.Arg, lang), nav}
	}
	return nil
}

// myTopicsHead heads the list of the person's topics (mask: bit i for
// topic i), or says there are none.
func (p *Pack) myTopicsHead(mask uint16, lang int) []string {
	if mask == 0 {
		return lines(p.Text("no_topics", lang))
	}
	return lines(p.Text("my_topics", lang))
}

// myTopicLines lists every topic with yes or no: whether the person
// receives it.
func (p *Pack) myTopicLines(mask uint16, lang int) []string {
	yes, no := p.answerWord(WordYes, lang), p.answerWord(WordNo, lang)
	if yes == "" || no == "" { // a language without its own words uses the default one's
		yes, no = p.answerWord(WordYes, 0), p.answerWord(WordNo, 0)
	}
	opts := make([]string, len(p.Topics))
	for i, t := range p.Topics {
		mark := no
		if mask&(1<<i) != 0 {
			mark = yes
		}
		opts[i] = fmt.Sprintf("%d %s: %s", i+1, t.Name[lang], mark)
	}
	return opts
}

// contactLines is the NGO's contact in a language, or nothing when the
// pack names none.
func (p *Pack) contactLines(lang int) []string {
	c := p.Contact
	if !c.Set() {
		return nil
	}
	phone := c.Phone
	if c.WhatsApp != "" {
		phone = strings.TrimSpace("WhatsApp " + c.WhatsApp + " " + c.Phone)
	}
	return lines(strings.NewReplacer("{name}", c.Name, "{phone}", phone, "{hours}", c.Hours).Replace(p.Text("contact", lang)))
}

// answerWord returns the upper-case yes or no word of a language, as people
// are asked to type it.
func (p *Pack) answerWord(kind WordKind, lang int) string {
	best := ""
	for w, m := range p.words {
		if m.Kind == kind && (m.Lang == lang || m.Lang == -1) && (best == "" || len(w) < len(best) || len(w) == len(best) && w < best) {
			best = w
		}
	}
	return strings.ToUpper(best)
}

// lines splits a text into trimmed lines, keeping single blank lines between
// paragraphs.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		l = strings.TrimSpace(l)
		if l == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		out = append(out, l)
	}
	return out
}

// render builds every page of every screen once, so requests only look
// pages up. It returns what does not fit the channel's budget.
func (l *loader) render() {
	p := l.p
	p.screens = make(map[screenKey][]Page)
	for _, s := range p.allScreens() {
		for lang := range p.Languages {
			for _, ch := range Channels {
				pages, problem := p.renderScreen(s, lang, ch)
				if len(pages) > 1 && s.Kind.Final() {
					// Nothing is remembered after these, so MAS cannot reach a second page.
					problem = joinProblems(problem, fmt.Sprintf("must fit one page (it needs %d): the conversation is not kept after it, so MAS cannot show more", len(pages)))
				}
				if problem != "" {
					file, line, what := l.locate(s)
					l.report.errorf(file, line, "%s (%s, %s): %s", what, p.Languages[lang].Code, ch, problem)
				}
				p.screens[screenKey{s, uint8(lang), ch}] = pages
			}
		}
	}
}

// screenTexts names the interface text each screen is mostly made of.
var screenTexts = [numScreenKinds]string{
	ScreenHelp: "help", ScreenMisses: "misses", ScreenErased: "erased", ScreenUnavailable: "unavailable",
	ScreenTopics: "topics", ScreenTopicConfirm: "topic_confirm", ScreenSubscribed: "subscribed",
	ScreenDeclined: "declined", ScreenUnsubscribed: "unsubscribed", ScreenMyTopics: "my_topics",
	ScreenSubscriptionsOff: "subscriptions_off", ScreenWelcome: "welcome",
	ScreenReportSent: "report_sent", ScreenReportDropped: "report_dropped", ScreenReportLimit: "report_limit",
	ScreenReportOff: "report_off",
}

// locate names where a screen's words come from, for messages: the node,
// the topic, or the interface text, so the editor knows which to shorten.
func (l *loader) locate(s Screen) (file string, line int, what string) {
	key := screenTexts[s.Kind]
	switch s.Kind {
	case ScreenNode:
		n := l.p.Nodes[s.Arg]
		return n.File, n.Line, "node " + n.ID
	case ScreenTopicConfirm, ScreenSubscribed:
		t := l.rawTopics[s.Arg]
		return l.file(topicsFile), t.Line, "texts." + key + " with topic " + t.ID
	case ScreenMyTopics:
		if s.Arg == 0 {
			key = "no_topics"
		}
	case ScreenReport:
		key = reportStepTexts[min(int(s.Arg), len(reportStepTexts)-1)]
	}
	if key == "" {
		return l.file(packFile), l.raw.TextsLine, "texts"
	}
	return l.file(packFile), l.raw.Texts[key].Line, "texts." + key
}

// renderScreen paginates one screen for one language and channel.
func (p *Pack) renderScreen(s Screen, lang int, ch Channel) ([]Page, string) {
	pages, problem := p.renderBlocks(p.blocks(s, lang), lang, ch)
	if s.Kind != ScreenNode || s.Note != NoteHelpLine {
		return pages, problem
	}
	// A page reached by reading a sentence may not be the one she needs:
	// the help line must be on the first SMS page. When the page's first
	// lines are long, it goes after fewer of them (on an urgent page the
	// lock-screen check then says the first lines are not neutral).
	n := p.Nodes[s.Arg]
	want := PhoneNumbers(strings.Join(p.helpLineFor(n, lang), "\n"))
	for k := lockScreenLines - 1; k >= 0 && !hasAll(pages[0].Text, want); k-- {
		pages, problem = p.renderBlocks(p.helpLineBlocks(n, lang, k), lang, ch)
	}
	return pages, problem
}

// helpLineBlocks is a node reached by reading a sentence: its blocks with
// the help line after its first k lines.
func (p *Pack) helpLineBlocks(n *Node, lang, k int) [][]string {
	blocks := p.nodeBlocks(n, lang, nil)
	blocks[0] = insertLines(blocks[0], p.helpLineFor(n, lang), k)
	return blocks
}

// hasAll reports whether text shows every one of the numbers.
func hasAll(text string, numbers []string) bool {
	have := PhoneNumbers(text)
	for _, n := range numbers {
		if !slices.Contains(have, n) {
			return false
		}
	}
	return true
}

// renderBlocks paginates blocks of lines for one language and channel.
func (p *Pack) renderBlocks(blocks [][]string, lang int, ch Channel) ([]Page, string) {
	var flat []string
	for _, b := range blocks {
		if len(b) == 0 {
			continue
		}
		if ch == WhatsApp && len(flat) > 0 {
			flat = append(flat, "")
		}
		for _, line := range b {
			if ch == SMS && line == "" {
				continue
			}
			flat = append(flat, line)
		}
	}
	header, more := p.Text("header", lang), p.Text("more", lang)
	budget, measure, maxPages := p.WhatsAppMax, utf16Count, 9
	var unmapped []rune
	if ch == SMS {
		budget, measure, maxPages = p.SMS.Budget(), gsmLen, p.SMS.MaxPages
		gsm := func(s string) string {
			out, bad := ToGSM7(s)
			unmapped = append(unmapped, bad...)
			return out
		}
		for i := range flat {
			flat[i] = gsm(flat[i])
		}
		header, more = gsm(header), gsm(more)
	}
	texts, problem := paginate(flat, header, more, budget, measure)
	if len(unmapped) > 0 {
		problem = joinProblems(problem, fmt.Sprintf("characters %q have no SMS (GSM-7) equivalent; replace them", string(unmapped)))
	}
	if len(texts) > maxPages {
		problem = joinProblems(problem, fmt.Sprintf("needs %d pages, more than the %d allowed: shorten the text or split it into more nodes", len(texts), maxPages))
	}
	pages := make([]Page, len(texts))
	for i, t := range texts {
		pages[i] = Page{Text: t, TwiML: TwiML(t)}
	}
	return pages, problem
}

func joinProblems(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func utf16Count(s string) int {
	n := 0
	for _, r := range s {
		n += utf16Len(r)
	}
	return n
}

// TwiML renders a messaging response with one message of body, using
// twilio-go's twiml package so escaping follows Twilio's own library. An
// empty body renders an empty <Response/>, which sends nothing.
func TwiML(body string) []byte {
	var verbs []twiml.Element
	if body != "" {
		verbs = []twiml.Element{twiml.MessagingMessage{Body: body}}
	}
	xml, err := twiml.Messages(verbs)
	if err != nil {
		// twiml.Messages only fails if writing to a string fails.
		panic(fmt.Sprintf("content: render twiml: %v", err))
	}
	return []byte(xml)
}
