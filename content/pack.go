// Package content owns Senda's content pack: the YAML format NGO staff edit, its
// loader and validator, the embedded default pack, and the replies rendered
// from it once at load time for every language and channel.
package content

import (
	"fmt"
	"slices"
	"strings"
)

// Channel is the way a message travels between Senda and a person.
type Channel uint8

// The channels Senda speaks on.
const (
	SMS Channel = iota
	WhatsApp
	numChannels
)

// Channels lists every channel, in a stable order.
var Channels = []Channel{SMS, WhatsApp}

// String returns the channel's name as used in flags and reports.
func (c Channel) String() string {
	switch c {
	case SMS:
		return "sms"
	case WhatsApp:
		return "whatsapp"
	}
	return fmt.Sprintf("channel(%d)", uint8(c))
}

// ParseChannel parses "sms" or "whatsapp".
func ParseChannel(s string) (Channel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sms":
		return SMS, nil
	case "whatsapp", "wa":
		return WhatsApp, nil
	}
	return 0, fmt.Errorf("unknown channel %q: use sms or whatsapp", s)
}

// Action is what choosing a node does besides showing its text.
type Action uint8

// Node actions. The engine turns them into screens and effects.
const (
	ActionNone     Action = iota
	ActionTopics          // list the broadcast topics to subscribe to
	ActionMyTopics        // show the person's topics so they can change them
	ActionOptOut          // remove every subscription and the stored address
	ActionReport          // start a report to the organization
)

var actionNames = map[string]Action{"": ActionNone, "topics": ActionTopics, "my_topics": ActionMyTopics, "optout": ActionOptOut,
	"report": ActionReport}

// Text is a text in every language of the pack, indexed by language index.
// Missing translations already hold the default language's text.
type Text []string

// Language is one language the pack speaks.
type Language struct {
	Code string // e.g. "es"
	Name string // e.g. "Español", in the language itself
	// Offered is whether people can switch to the language: the default
	// language always, another one once its menus and urgent pages are
	// reviewed. Until then its switch words mean nothing.
	Offered  bool
	Reviewed int // texts with a reviewed translation (all, for the default language)
	Total    int // texts in the pack
}

// Node is one screen of the menu.
type Node struct {
	ID      string
	Index   int
	Title   Text  // the option label in menus
	Body    Text  // the text shown when the node is chosen
	Options []int // child node indexes, shown numbered from 1
	Action  Action
	// Urgent pages (emergency, after rape, crisis) also show the NGO
	// contact when one is set, and say that the line is automatic.
	Urgent   bool
	Source   string   // where the text comes from (seed section or facts.yaml)
	Facts    []string // ids of the facts.yaml entries its texts use
	Reviewed string   // YYYY-MM-DD
	Parent   int      // the node it is first reached from (-1 for the start node)
	File     string
	Line     int

	labels []string // normalized titles in every language
}

// Topic is a broadcast topic people can opt in to.
type Topic struct {
	ID          string
	Index       int
	Name        Text
	Description Text
	MaxPerMonth int
}

// SMSSettings bound what one reply page may cost on SMS.
type SMSSettings struct {
	Segments int // segments per page; 1 means 160 GSM-7 septets
	MaxPages int // more pages than this is an error
}

// Budget is the number of GSM-7 septets one page may use.
func (s SMSSettings) Budget() int {
	if s.Segments <= 1 {
		return 160
	}
	return 153 * s.Segments
}

// WordKind says what a normalized word means.
type WordKind uint8

// Kinds of words.
const (
	WordNone WordKind = iota
	WordKeyword
	WordBack
	WordHome
	WordHelp
	WordErase
	WordMore
	WordSubscribe
	WordOptOut
	WordYes
	WordNo
	WordLanguage
	WordNumber // a number written as a word: Node holds the number
	WordPolite // thanks, ok: a friendly line and the options again
	WordReport // AVISAR: start a report to the organization
)

var commandKinds = map[string]WordKind{
	"back": WordBack, "home": WordHome, "help": WordHelp, "erase": WordErase, "more": WordMore,
	"subscribe": WordSubscribe, "optout": WordOptOut, "yes": WordYes, "no": WordNo,
	"report": WordReport,
}

// Word is what a normalized input means in this pack.
type Word struct {
	Kind WordKind
	Node int // the node a keyword jumps to
	// Lang is the language the word belongs to, or -1 when several languages
	// share it; for WordLanguage it is the language switched to.
	Lang int
}

// Pack is a loaded, validated content pack. It is immutable once loaded, so
// one value may serve every request at once.
type Pack struct {
	Name        string
	Languages   []Language // the default language first
	Start       int        // the main menu node
	Nodes       []*Node
	Topics      []*Topic
	SMS         SMSSettings
	WhatsAppMax int // characters per WhatsApp message
	Reviewed    string
	ReviewNote  string
	Facts       []*Fact // the facts registry (facts.yaml)
	Contact     Contact // the NGO's own contact; zero when not set
	Distress    []Distress
	// Understanding is what the engine learns to read sentences from.
	Understanding Understanding
	// Tests are the NGO's own phrase tests (tests.yaml).
	Tests    []PhraseTest
	Switches []string // names of the switches (values that follow a setting), sorted
	Catalog  []*Entry // every translatable text, for export and import
	// Fingerprint changes whenever node or topic indexes may mean something
	// else, so stored conversation state from another pack can be recognized.
	Fingerprint uint32

	texts   map[string]Text
	words   map[string]Word
	fuzzy   []string // words long enough to tolerate one typo
	byID    map[string]int
	screens map[screenKey][]Page
}

// Distress is one kind of distress the engine answers at once, whatever
// the conversation's state. Its example messages are in
// Understanding.Examples.
type Distress struct {
	ID   string
	Node int // the page that answers it
}

// Contact is the NGO's own contact. The zero value means none is set.
type Contact struct {
	Name      string
	Phone     string
	WhatsApp  string
	Hours     string
	Checked   string
	CheckedBy string
}

// Set reports whether the pack names a contact.
func (c Contact) Set() bool { return c.Name != "" }

// Exact returns the meaning of a normalized input when it is exactly one of
// the pack's words, with no typo forgiven.
func (p *Pack) Exact(normalized string) (Word, bool) {
	w, ok := p.words[normalized]
	return w, ok
}

// OptionByLabel returns the position (from 1) of the option of node n whose
// label, in any language, is the normalized input, or 0. Labels of five
// letters or more also match with one typo.
func (p *Pack) OptionByLabel(n int, normalized string) int {
	if n < 0 || n >= len(p.Nodes) || normalized == "" {
		return 0
	}
	for i, c := range p.Nodes[n].Options {
		for _, l := range p.Nodes[c].labels {
			if l == normalized || len(l) >= 5 && withinOneEdit(l, normalized) {
				return i + 1
			}
		}
	}
	return 0
}

// NodeByID returns the node with the given id.
func (p *Pack) NodeByID(id string) (*Node, bool) {
	i, ok := p.byID[id]
	if !ok {
		return nil, false
	}
	return p.Nodes[i], true
}

// LanguageIndex returns the index of a language code, or -1.
func (p *Pack) LanguageIndex(code string) int {
	code = strings.ToLower(strings.TrimSpace(code))
	for i, l := range p.Languages {
		if l.Code == code {
			return i
		}
	}
	return -1
}

// Lookup returns the meaning of an input that has already been normalized
// with Normalize. Words of five letters or more also match with one typo
// (a letter missing, added, changed or two swapped) when only one word is
// that close.
func (p *Pack) Lookup(normalized string) (Word, bool) {
	if w, ok := p.words[normalized]; ok {
		return w, true
	}
	if len(normalized) < 4 || len(normalized) > 24 {
		return Word{}, false
	}
	found := ""
	for _, cand := range p.fuzzy {
		if withinOneEdit(normalized, cand) {
			if found != "" {
				return Word{}, false // ambiguous: better to ask again
			}
			found = cand
		}
	}
	if found == "" {
		return Word{}, false
	}
	return p.words[found], true
}

// withinOneEdit reports whether a and b (ASCII after normalization, mostly)
// differ by at most one insertion, deletion, substitution or transposition.
func withinOneEdit(a, b string) bool {
	if len(a)-len(b) > 2 || len(b)-len(a) > 2 {
		return false // even in UTF-8, one edit changes the length by at most one rune
	}
	if isASCII(a) && isASCII(b) {
		return oneEdit([]byte(a), []byte(b))
	}
	return oneEdit([]rune(a), []rune(b))
}

// WithinOneEdit reports whether two normalized words differ by at most one
// insertion, deletion, substitution or swap of neighbouring letters.
func WithinOneEdit(a, b string) bool { return withinOneEdit(a, b) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func oneEdit[T byte | rune](ra, rb []T) bool {
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	switch len(rb) - len(ra) {
	case 0:
		diff := -1
		for i := range ra {
			if ra[i] == rb[i] {
				continue
			}
			if diff >= 0 {
				// a second difference is fine only as a swap of neighbours
				return diff == i-1 && ra[diff] == rb[i] && ra[i] == rb[diff] && slices.Equal(ra[i+1:], rb[i+1:])
			}
			diff = i
		}
		return true
	case 1:
		i := 0
		for i < len(ra) && ra[i] == rb[i] {
			i++
		}
		return slices.Equal(ra[i:], rb[i+1:])
	}
	return false
}

// LanguageCodes lists the codes of the pack's languages, the default first.
func (p *Pack) LanguageCodes() []string {
	codes := make([]string, len(p.Languages))
	for i, l := range p.Languages {
		codes[i] = l.Code
	}
	return codes
}

// TopicIDs lists the ids of the pack's topics, in order.
func (p *Pack) TopicIDs() []string {
	ids := make([]string, len(p.Topics))
	for i, t := range p.Topics {
		ids[i] = t.ID
	}
	return ids
}
