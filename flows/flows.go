// Package flows is Senda's menu state machine: given a content pack, a
// conversation's state and what the person typed, it returns the next state,
// the screen to reply with, and any effect the caller must carry out
// (erase the conversation, change subscriptions). It does no I/O and reads
// no clock, so it is deterministic and can be tested exhaustively.
package flows

import (
	"strconv"

	"github.com/senda-org/senda/content"
)

// MaxMisses is how many inputs in a row may go unrecognized before the
// person is offered help instead of the options again.
const MaxMisses = 3

// maxBack bounds the back stack; menus are shallow, so this is only a guard
// against state that grows without end.
const maxBack = 16

// State is where one conversation stands. The zero value is not a valid
// state; use Engine.Start.
type State struct {
	Node   uint16         // the node whose options digits answer
	Lang   uint8          // index into the pack's languages
	Back   []uint16       // nodes "back" returns to, last on top
	Screen content.Screen // the screen last shown
	Page   uint8          // the page of Screen last shown
	Misses uint8          // unrecognized inputs in a row
	Report *ReportDraft   // a report being written (report.go), or nil
}

// Input is one message from a person.
type Input struct {
	Text    string
	Channel content.Channel
	// New means there is no stored state: the conversation starts with this
	// message (the first ever, or the first after it expired or was erased).
	New bool
	// Lang is the language a new conversation starts in (the default of the
	// number the person wrote to).
	Lang int
	// Media is how many photos, voice notes or other files came with the
	// message (Twilio's NumMedia). Senda reads none of them; a message
	// with media and no text gets a line saying so.
	Media int
}

// Signal says what kind of step it was, for aggregate counts only.
type Signal uint8

// Signals.
const (
	SignalNone     Signal = iota
	SignalDistress        // distress was recognized; the urgent page for Result.Distress is shown
	SignalMedia           // media without text
	SignalWelcome         // a new conversation got the welcome
	SignalPolite          // thanks or ok
)

// String names the signal for metrics.
func (s Signal) String() string {
	switch s {
	case SignalDistress:
		return "distress"
	case SignalMedia:
		return "media"
	case SignalWelcome:
		return "welcome"
	case SignalPolite:
		return "polite"
	}
	return "none"
}

// EffectKind is something the caller must do besides replying.
type EffectKind uint8

// Effects.
const (
	EffectNone             EffectKind = iota
	EffectErase                       // delete the conversation's state
	EffectSubscribe                   // subscribe to Effect.Topic
	EffectUnsubscribeTopic            // unsubscribe from Effect.Topic only
	EffectUnsubscribeAll              // delete every subscription and the stored address
	EffectShowMyTopics                // look up the person's topics, then call Engine.MyTopics
	EffectReportSubmit                // file Result.Report before the state is stored
)

// Effect is what the caller must do after a step.
type Effect struct {
	Kind  EffectKind
	Topic int
}

// Result is the outcome of a step: the state to store (and whose Screen and
// Page to reply with) and the effect to carry out.
type Result struct {
	State  State
	Effect Effect
	Signal Signal
	// Distress is the id of the kind of distress recognized (from the
	// pack's distress section), when Signal is SignalDistress. It names a
	// kind, never anything the person wrote.
	Distress string
	// Report is the finished report to file, with EffectReportSubmit.
	Report *ReportDraft
}

// Engine steps conversations through one content pack.
type Engine struct {
	pack          *content.Pack
	subscriptions bool
	reader        *reader
	sealer        Sealer // seals report drafts in the state; nil: no reports
}

// Options configure an Engine.
type Options struct {
	// Subscriptions is whether this deployment sends broadcasts; without it
	// the subscription commands explain that no updates are sent.
	Subscriptions bool
	// Reports seals the drafts of reports (AVISAR) kept in the state; nil
	// means this deployment takes no reports.
	Reports Sealer
}

// New returns an engine for a pack.
func New(p *content.Pack, opts Options) *Engine {
	return &Engine{pack: p, subscriptions: opts.Subscriptions, reader: readerFor(p), sealer: opts.Reports}
}

// Pack returns the engine's content pack.
func (e *Engine) Pack() *content.Pack { return e.pack }

// Start returns the state of a conversation that has just begun: the main
// menu in the given language.
func (e *Engine) Start(lang int) State {
	if lang < 0 || lang >= len(e.pack.Languages) {
		lang = 0
	}
	start := uint16(e.pack.Start)
	return State{Node: start, Lang: uint8(lang), Screen: content.Screen{Kind: content.ScreenNode, Arg: start}}
}

// Reply returns the page a state shows on a channel. A screen with a note
// is shown from its first page; Page then remembers how far the person had
// read, so MAS goes on from there.
func (e *Engine) Reply(st State, ch content.Channel) content.Page {
	if st.Report != nil && st.Screen.Kind == content.ScreenReport && st.Screen.Arg == content.ReportStepConfirm {
		return e.reportPreview(st, ch)
	}
	page := int(st.Page)
	if st.Screen.Note != content.NoteNone && st.Screen.Note != content.NoteHelpLine {
		page = 0
	}
	return e.pack.Page(st.Screen, int(st.Lang), ch, page)
}

// Step moves a conversation on by one input. The order matters: commands
// typed exactly come first (SALIR and BAJA must always work), then numbers
// and keywords typed exactly (they cost nothing more), then a menu label,
// then a keyword with a typo (never one of an urgent page: a typo must not
// turn an everyday word into a crisis), and only then is the sentence read.
// Whatever is not understood gets the help numbers with the options. Each
// phase below answers or passes the message on to the next.
func (e *Engine) Step(st State, in Input) Result {
	if in.New {
		st = e.Start(in.Lang)
	}
	if st.Report != nil {
		return e.reportStep(st, in)
	}
	norm := content.Normalize(in.Text)
	if norm == "" && in.Media > 0 {
		return e.mediaOnly(st, in)
	}
	word, known := e.pack.Exact(norm)
	if r, ok := e.typedExactly(st, norm, word, known, in); ok {
		return r
	}
	if known {
		return e.word(st, word, in)
	}
	if wrongNumbers[norm] {
		return e.notUnderstood(st, in, content.Note911)
	}
	if n, ok := e.menuChoice(st, norm, in); ok {
		return e.digit(st, n, in)
	}
	if w, ok := e.pack.Lookup(norm); ok && !e.urgentWord(w) {
		return e.word(st, w, in) // one typo forgiven
	}
	if rd := e.understand(norm); rd.Verdict != VerdictNone {
		return e.understood(st, rd)
	}
	return e.notUnderstood(st, in, content.NoteUnknown)
}

// wrongNumbers are emergency numbers of other countries people may try.
var wrongNumbers = map[string]bool{"911": true, "112": true, "999": true}

// urgentWord reports whether a word opens an urgent page or a page of a
// kind of distress; such words count only when typed exactly.
func (e *Engine) urgentWord(w content.Word) bool {
	return w.Kind == content.WordKeyword && (e.pack.Nodes[w.Node].Urgent || e.distressKind(w.Node) >= 0)
}

// notUnderstood answers a message that means nothing here: the help
// numbers and the options, or (first thing) the welcome with the help
// numbers.
func (e *Engine) notUnderstood(st State, in Input, note content.Note) Result {
	if in.New {
		st = e.show(st, content.ScreenWelcome, 0)
		st.Screen.Note = note
		return Result{State: st, Signal: SignalWelcome}
	}
	if note == content.NoteUnknown {
		return e.miss(st, in.Channel)
	}
	st.Misses = 0
	return Result{State: e.noted(st, note, in.Channel)}
}

// mediaOnly answers a message with photos or voice notes and no text: Senda
// reads none of them, so it says so (or, first thing, just welcomes).
func (e *Engine) mediaOnly(st State, in Input) Result {
	if in.New {
		return Result{State: e.show(st, content.ScreenWelcome, 0), Signal: SignalMedia}
	}
	st.Misses = 0
	return Result{State: e.noted(st, content.NoteMedia, in.Channel), Signal: SignalMedia}
}

// typedExactly answers the inputs that win over everything else: a command
// word typed exactly (so SALIR and BAJA always work), a number of one or
// two digits, or a word that stands for a number. ok is false when the
// input is none of these.
func (e *Engine) typedExactly(st State, norm string, word content.Word, known bool, in Input) (r Result, ok bool) {
	if known && isCommand(word.Kind) {
		return e.command(st, word, in), true
	}
	if n, err := strconv.Atoi(norm); err == nil && len(norm) <= 2 {
		return e.digit(st, n, in), true
	}
	if known && word.Kind == content.WordNumber {
		return e.digit(st, word.Node, in), true
	}
	return Result{}, false
}

// menuChoice is the option number whose label the person typed instead of
// its number, on a menu screen. Lists of topics and their confirmation are
// left out: their labels are topic names, which subscribe by keyword.
// It applies only to words the pack does not know and not to the first
// message, which always opens with the welcome.
func (e *Engine) menuChoice(st State, norm string, in Input) (int, bool) {
	if in.New || !st.Screen.Kind.HasNotes() {
		return 0, false
	}
	switch st.Screen.Kind {
	case content.ScreenTopics, content.ScreenMyTopics, content.ScreenTopicConfirm:
		return 0, false
	}
	n := e.pack.OptionByLabel(int(st.Node), norm)
	return n, n > 0
}

// word answers a word the pack knows (exactly or with one typo) that is
// not a number: thanks, a keyword that leads to a page, or a command.
func (e *Engine) word(st State, word content.Word, in Input) Result {
	switch word.Kind {
	case content.WordPolite:
		if in.New {
			return e.welcome(st)
		}
		st.Misses = 0
		return Result{State: e.noted(st, content.NotePolite, in.Channel), Signal: SignalPolite}
	case content.WordKeyword:
		if in.New && word.Lang >= 0 && e.pack.Languages[word.Lang].Offered {
			st.Lang = uint8(word.Lang)
		}
		if in.New && word.Node == e.pack.Start {
			return e.welcome(st)
		}
		return e.open(st, word.Node, -1)
	}
	return e.command(st, word, in)
}

// isCommand reports the kinds of words that are commands, answered before
// anything else when typed exactly.
func isCommand(k content.WordKind) bool {
	return k != content.WordKeyword && k != content.WordNumber && k != content.WordPolite && k != content.WordNone
}

// welcome is a new conversation's first screen: who answers, that it is
// free and automatic, how to erase and where emergencies go, then the
// main menu's options.
func (e *Engine) welcome(st State) Result {
	return Result{State: e.show(st, content.ScreenWelcome, 0), Signal: SignalWelcome}
}

// command carries out a command word.
func (e *Engine) command(st State, word content.Word, in Input) Result {
	if in.New {
		switch word.Kind {
		case content.WordBack, content.WordMore, content.WordYes, content.WordNo, content.WordHome:
			return e.welcome(st) // nothing to go back to or page through yet
		case content.WordLanguage:
			st.Lang = uint8(word.Lang)
			return e.welcome(st)
		}
	}
	st.Misses = 0
	switch word.Kind {
	case content.WordErase:
		return Result{State: e.show(e.Start(int(st.Lang)), content.ScreenErased, 0), Effect: Effect{Kind: EffectErase}}
	case content.WordOptOut:
		return Result{State: e.show(st, content.ScreenUnsubscribed, 0), Effect: Effect{Kind: EffectUnsubscribeAll}}
	case content.WordHome:
		return Result{State: e.Start(int(st.Lang))}
	case content.WordBack:
		return Result{State: e.back(st)}
	case content.WordHelp:
		return Result{State: e.show(st, content.ScreenHelp, 0)}
	case content.WordLanguage:
		st.Lang = uint8(word.Lang)
		st.Page = 0 // pages break elsewhere in another language
		st.Screen.Note = content.NoteNone
		return Result{State: st}
	case content.WordMore:
		return Result{State: e.more(st, in.Channel)}
	case content.WordSubscribe:
		return Result{State: e.topics(st)}
	case content.WordReport:
		return e.startReport(st)
	case content.WordYes, content.WordNo:
		if st.Screen.Kind != content.ScreenTopicConfirm {
			return e.miss(st, in.Channel)
		}
		topic := int(st.Screen.Arg)
		if word.Kind == content.WordNo {
			return Result{State: e.show(st, content.ScreenDeclined, 0)}
		}
		return Result{State: e.show(st, content.ScreenSubscribed, uint16(topic)), Effect: Effect{Kind: EffectSubscribe, Topic: topic}}
	}
	return e.miss(st, in.Channel)
}

// MyTopics finishes an EffectShowMyTopics step once the caller knows which
// topics the person receives (bit i set for topic i).
func (e *Engine) MyTopics(st State, mask uint16) State {
	mask &= 1<<len(e.pack.Topics) - 1
	return e.show(st, content.ScreenMyTopics, mask)
}

func (e *Engine) show(st State, kind content.ScreenKind, arg uint16) State {
	st.Screen = content.Screen{Kind: kind, Arg: arg}
	st.Page = 0
	return st
}

// digit answers a number: an option of the current node or list. 0 is back.
func (e *Engine) digit(st State, n int, in Input) Result {
	if in.New {
		// A number means nothing without a menu on the screen: show it.
		return e.welcome(st)
	}
	if n == 0 {
		st.Misses = 0
		return Result{State: e.back(st)}
	}
	p := e.pack
	switch st.Screen.Kind {
	case content.ScreenTopics:
		if n <= len(p.Topics) {
			st.Misses = 0
			return Result{State: e.show(st, content.ScreenTopicConfirm, uint16(n-1))}
		}
		return e.miss(st, in.Channel)
	case content.ScreenMyTopics:
		if n > len(p.Topics) {
			return e.miss(st, in.Channel)
		}
		st.Misses = 0
		bit := uint16(1) << (n - 1)
		if st.Screen.Arg&bit != 0 {
			return Result{
				State:  e.show(st, content.ScreenMyTopics, st.Screen.Arg&^bit),
				Effect: Effect{Kind: EffectUnsubscribeTopic, Topic: n - 1},
			}
		}
		return Result{State: e.show(st, content.ScreenTopicConfirm, uint16(n-1))}
	case content.ScreenTopicConfirm:
		return e.miss(st, in.Channel)
	case content.ScreenChoice:
		return e.chosen(st, n, in)
	}
	node := p.Nodes[st.Node]
	if n > len(node.Options) {
		return e.miss(st, in.Channel)
	}
	st.Misses = 0
	child := node.Options[n-1]
	// Copy rather than append in place: the caller's state shares the array.
	// In a menu deeper than maxBack the oldest entry goes; back then climbs
	// by parents from there.
	back := st.Back[max(0, len(st.Back)-maxBack+1):]
	st.Back = append(back[:len(back):len(back)], st.Node)
	return e.enter(st, child)
}

// enter moves to a node and shows it, or carries out its action.
func (e *Engine) enter(st State, node int) Result {
	st.Node = uint16(node)
	switch e.pack.Nodes[node].Action {
	case content.ActionTopics:
		return Result{State: e.topics(st)}
	case content.ActionMyTopics:
		if !e.subscriptions {
			return Result{State: e.show(st, content.ScreenSubscriptionsOff, 0)}
		}
		return Result{State: e.show(st, content.ScreenMyTopics, 0), Effect: Effect{Kind: EffectShowMyTopics}}
	case content.ActionOptOut:
		return Result{State: e.show(st, content.ScreenUnsubscribed, 0), Effect: Effect{Kind: EffectUnsubscribeAll}}
	case content.ActionReport:
		return e.startReport(st)
	}
	return Result{State: e.show(st, content.ScreenNode, uint16(node))}
}

func (e *Engine) topics(st State) State {
	if !e.subscriptions || len(e.pack.Topics) == 0 {
		return e.show(st, content.ScreenSubscriptionsOff, 0)
	}
	return e.show(st, content.ScreenTopics, 0)
}

// jump goes to a node named by a keyword. Back then leads up the menu from
// that node, as if the person had chosen their way there.
func (e *Engine) jump(st State, node int) State {
	path := e.pack.PathTo(node)
	// Keep the nearest maxBack steps, so the state stays storable; back
	// climbs by parents past them.
	path = path[max(0, len(path)-maxBack):]
	st.Back = make([]uint16, len(path))
	for i, n := range path {
		st.Back[i] = uint16(n)
	}
	return e.enter(st, node).State
}

func (e *Engine) back(st State) State {
	// Back from help, a list or a confirmation returns to the node beneath
	// it, unless that node is an action with no screen of its own.
	if st.Screen.Kind != content.ScreenNode && e.pack.Nodes[st.Node].Action == content.ActionNone {
		return e.show(st, content.ScreenNode, st.Node)
	}
	var to int
	switch {
	case len(st.Back) > 0:
		to = int(st.Back[len(st.Back)-1])
		st.Back = st.Back[:len(st.Back)-1]
	case e.pack.Nodes[st.Node].Parent >= 0:
		to = e.pack.Nodes[st.Node].Parent
	default:
		to = e.pack.Start
	}
	st.Node = uint16(to)
	return e.show(st, content.ScreenNode, uint16(to))
}

// more shows the next page, or says there is none. After a note (an
// unknown reply, thanks) it goes on with the text the person was reading.
func (e *Engine) more(st State, ch content.Channel) State {
	if st.Screen.Note != content.NoteHelpLine {
		st.Screen.Note = content.NoteNone // the help line stays: its pages break elsewhere
	}
	pages := e.pack.Pages(st.Screen, int(st.Lang), ch)
	if int(st.Page)+1 < len(pages) {
		st.Page++
		return st
	}
	return e.noted(st, content.NoteNoMore, ch)
}

// miss handles an input that means nothing here: a hint and the options
// again, and after several in a row, help.
func (e *Engine) miss(st State, ch content.Channel) Result {
	st.Misses++
	if st.Misses >= MaxMisses {
		st.Misses = 0
		return Result{State: e.show(st, content.ScreenMisses, 0)}
	}
	return Result{State: e.noted(st, content.NoteUnknown, ch)}
}

// noted shows the current list again with a note before it. Screens without
// options of their own fall back to the current node's options.
//
// Page keeps the page of the same screen the person had reached, so MAS
// afterwards goes on from there; Reply shows a noted screen from its start.
func (e *Engine) noted(st State, note content.Note, ch content.Channel) State {
	if !st.Screen.Kind.HasNotes() {
		st.Screen = content.Screen{Kind: content.ScreenNode, Arg: st.Node}
		st.Page = 0
	}
	st.Screen.Note = content.NoteNone
	if n := len(e.pack.Pages(st.Screen, int(st.Lang), ch)); int(st.Page) >= n {
		st.Page = uint8(max(n-1, 0))
	}
	st.Screen.Note = note
	return st
}
