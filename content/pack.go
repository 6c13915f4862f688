// Package content owns Senda's content pack: the YAML format NGO staff edit, its
// loader and validator, the embedded default pack, and the replies rendered
// from it once at load time for every language and channel.
package content

import (
	"fmt"
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
)

var actionNames = map[string]Action{"": ActionNone, "topics": ActionTopics, "my_topics": ActionMyTopics, "optout": ActionOptOut}

// Text is a text in every language of the pack, indexed by language index.
// Missing translations already hold the default language's text.
type Text []string

// Language is one language the pack speaks.
type Language struct {
	Code string // e.g. "es"
	Name string // e.g. "Español", in the language itself
}

// Node is one screen of the menu.
type Node struct {
	ID       string
	Index    int
	Title    Text  // the option label in menus
	Body     Text  // the text shown when the node is chosen
	Options  []int // child node indexes, shown numbered from 1
	Action   Action
	Source   string   // where the text comes from (seed section or FACTS.md)
	Facts    []string // outside facts used, with their source and date
	Reviewed string   // YYYY-MM-DD
	Parent   int      // the node it is first reached from (-1 for the start node)
	File     string
	Line     int
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
)

var commandKinds = map[string]WordKind{
	"back": WordBack, "home": WordHome, "help": WordHelp, "erase": WordErase, "more": WordMore,
	"subscribe": WordSubscribe, "optout": WordOptOut, "yes": WordYes, "no": WordNo,
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
	// Fingerprint changes whenever node or topic indexes may mean something
	// else, so stored conversation state from another pack can be recognized.
	Fingerprint uint32

	texts   map[string]Text
	words   map[string]Word
	fuzzy   []string // words long enough to tolerate one typo
	byID    map[string]int
	screens map[screenKey][]Page
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
	ra, rb := []rune(a), []rune(b)
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
				return diff == i-1 && ra[diff] == rb[i] && ra[i] == rb[diff] && string(ra[i+1:]) == string(rb[i+1:])
			}
			diff = i
		}
		return true
	case 1:
		i := 0
		for i < len(ra) && ra[i] == rb[i] {
			i++
		}
		return string(ra[i:]) == string(rb[i+1:])
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
