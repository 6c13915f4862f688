package content

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The raw types mirror the YAML files. They keep line numbers so every error
// can point at file:line, and they check their own keys because yaml.v3 does
// not apply KnownFields inside custom unmarshalers.

type rawPack struct {
	Line            int                    `yaml:"-"`
	Name            string                 `yaml:"name"`
	DefaultLanguage string                 `yaml:"default_language"`
	Languages       map[string]rawLanguage `yaml:"languages"`
	Start           string                 `yaml:"start"`
	Reviewed        string                 `yaml:"reviewed"`
	ReviewNote      string                 `yaml:"review_note"`
	SMS             rawSMS                 `yaml:"sms"`
	WhatsApp        rawWhatsApp            `yaml:"whatsapp"`
	Commands        map[string]rawWords    `yaml:"commands"`
	Texts           map[string]rawText     `yaml:"texts"`
	Values          map[string]rawText     `yaml:"values"`
	Switches        map[string]rawSwitch   `yaml:"switches"`
	Numbers         rawWords               `yaml:"numbers"`
	Polite          rawWords               `yaml:"polite"`
	Distress        map[string]rawDistress `yaml:"distress"`
	Contact         rawContact             `yaml:"contact"`
	CommandsLine    int                    `yaml:"-"`
	ValuesLine      int                    `yaml:"-"`
	DistressLine    int                    `yaml:"-"`
	ContactLine     int                    `yaml:"-"`
	TextsLine       int                    `yaml:"-"`
	LanguagesLine   int                    `yaml:"-"`
	StartLine       int                    `yaml:"-"`
	ReviewedLine    int                    `yaml:"-"`
	SMSLine         int                    `yaml:"-"`
	WhatsAppLine    int                    `yaml:"-"`
}

func (p *rawPack) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "name", "default_language", "languages", "start", "reviewed", "review_note", "sms", "whatsapp", "commands", "texts",
		"values", "switches", "numbers", "polite", "distress", "contact"); err != nil {
		return err
	}
	type plain rawPack
	if err := v.Decode((*plain)(p)); err != nil {
		return err
	}
	p.Line = v.Line
	p.CommandsLine = keyLine(v, "commands", v.Line)
	p.TextsLine = keyLine(v, "texts", v.Line)
	p.LanguagesLine = keyLine(v, "languages", v.Line)
	p.StartLine = keyLine(v, "start", v.Line)
	p.ReviewedLine = keyLine(v, "reviewed", v.Line)
	p.SMSLine = keyLine(v, "sms", v.Line)
	p.WhatsAppLine = keyLine(v, "whatsapp", v.Line)
	p.ValuesLine = keyLine(v, "values", v.Line)
	p.DistressLine = keyLine(v, "distress", v.Line)
	p.ContactLine = keyLine(v, "contact", v.Line)
	return nil
}

// rawSwitch is a value that follows a setting of the deployment: the text
// shown when the setting is on, and when it is off.
type rawSwitch struct {
	Line int     `yaml:"-"`
	On   rawText `yaml:"on"`
	Off  rawText `yaml:"off"`
}

func (s *rawSwitch) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "on", "off"); err != nil {
		return err
	}
	type plain rawSwitch
	s.Line = v.Line
	return v.Decode((*plain)(s))
}

// rawDistress is one kind of distress: the page that answers it. Its
// example messages are under understanding/.
type rawDistress struct {
	Line int    `yaml:"-"`
	Node string `yaml:"node"`
}

func (d *rawDistress) UnmarshalYAML(v *yaml.Node) error {
	if keyLine(v, "phrases", -1) >= 0 {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: distress phrases are retired: write example messages under urgent: in %s/*.yaml instead", v.Line, understandingDir)}}
	}
	if err := checkKeys(v, "node"); err != nil {
		return err
	}
	type plain rawDistress
	d.Line = v.Line
	return v.Decode((*plain)(d))
}

// rawContact is the NGO's own contact, shown on urgent pages and in help
// only when it is set.
type rawContact struct {
	Line      int    `yaml:"-"`
	Name      string `yaml:"name"`
	Phone     string `yaml:"phone"`
	WhatsApp  string `yaml:"whatsapp"`
	Hours     string `yaml:"hours"`
	Checked   string `yaml:"checked"`
	CheckedBy string `yaml:"checked_by"`
}

func (c *rawContact) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "name", "phone", "whatsapp", "hours", "checked", "checked_by"); err != nil {
		return err
	}
	type plain rawContact
	c.Line = v.Line
	return v.Decode((*plain)(c))
}

// rawFacts is facts.yaml: the registry of every number, place, service and
// opening time texts may use, with who checked it, where, and when.
type rawFacts struct {
	Facts []rawFact `yaml:"facts"`
}

func (f *rawFacts) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "facts"); err != nil {
		return err
	}
	type plain rawFacts
	return v.Decode((*plain)(f))
}

type rawFact struct {
	Line      int     `yaml:"-"`
	ID        string  `yaml:"id"`
	Value     rawText `yaml:"value"`
	What      string  `yaml:"what"`
	Source    string  `yaml:"source"`
	Checked   string  `yaml:"checked"`
	CheckedBy string  `yaml:"checked_by"`
	Confirm   string  `yaml:"confirm"`
	Called    string  `yaml:"called"`
}

func (f *rawFact) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "id", "value", "what", "source", "checked", "checked_by", "confirm", "called"); err != nil {
		return err
	}
	type plain rawFact
	f.Line = v.Line
	return v.Decode((*plain)(f))
}

// rawTranslations is translations/<lang>.yaml, written by
// `senda content import`: one language's texts, each with its status and
// the default-language text it was translated from.
type rawTranslations struct {
	Language string                    `yaml:"language"`
	Texts    map[string]rawTranslation `yaml:"texts"`
}

func (t *rawTranslations) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "language", "texts"); err != nil {
		return err
	}
	type plain rawTranslations
	return v.Decode((*plain)(t))
}

type rawTranslation struct {
	Line   int    `yaml:"-"`
	Text   string `yaml:"text"`
	Status string `yaml:"status"`
	Source string `yaml:"source"`
}

func (t *rawTranslation) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "text", "status", "source"); err != nil {
		return err
	}
	type plain rawTranslation
	t.Line = v.Line
	return v.Decode((*plain)(t))
}

type rawLanguage struct {
	Line   int      `yaml:"-"`
	Name   string   `yaml:"name"`
	Switch []string `yaml:"switch"`
}

func (l *rawLanguage) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "name", "switch"); err != nil {
		return err
	}
	type plain rawLanguage
	l.Line = v.Line
	return v.Decode((*plain)(l))
}

type rawSMS struct {
	Segments int `yaml:"segments"`
	MaxPages int `yaml:"max_pages"`
}

func (s *rawSMS) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "segments", "max_pages"); err != nil {
		return err
	}
	type plain rawSMS
	return v.Decode((*plain)(s))
}

type rawWhatsApp struct {
	MaxChars int `yaml:"max_chars"`
}

func (w *rawWhatsApp) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "max_chars"); err != nil {
		return err
	}
	type plain rawWhatsApp
	return v.Decode((*plain)(w))
}

// rawText is a text per language code, or (for values and facts that read
// the same in every language, such as a phone number) one plain text.
type rawText struct {
	Line int `yaml:"-"`
	By   map[string]string
	Any  string // the text for every language, when written as plain text
}

func (t *rawText) UnmarshalYAML(v *yaml.Node) error {
	t.Line = v.Line
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		t.Any = v.Value
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a text must be a map of language code to text, like {es: \"…\", en: \"…\"}", v.Line)}}
	}
	return v.Decode(&t.By)
}

// rawWords is a list of words per language code.
type rawWords struct {
	Line int `yaml:"-"`
	By   map[string][]rawWord
}

func (w *rawWords) UnmarshalYAML(v *yaml.Node) error {
	w.Line = v.Line
	if v.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: words must be a map of language code to a list, like {es: [salud], en: [health]}", v.Line)}}
	}
	return v.Decode(&w.By)
}

type rawWord struct {
	Line int `yaml:"-"`
	Word string
}

func (w *rawWord) UnmarshalYAML(v *yaml.Node) error {
	w.Line = v.Line
	if v.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: a word must be plain text", v.Line)}}
	}
	w.Word = v.Value
	return nil
}

type rawRef struct {
	Line int `yaml:"-"`
	ID   string
}

func (r *rawRef) UnmarshalYAML(v *yaml.Node) error {
	r.Line = v.Line
	if v.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: an option must be a node id", v.Line)}}
	}
	r.ID = v.Value
	return nil
}

type rawNode struct {
	Line     int      `yaml:"-"`
	Urgent   bool     `yaml:"urgent"`
	ID       string   `yaml:"id"`
	Title    rawText  `yaml:"title"`
	Keywords rawWords `yaml:"keywords"`
	Text     rawText  `yaml:"text"`
	Options  []rawRef `yaml:"options"`
	Action   string   `yaml:"action"`
	Source   string   `yaml:"source"`
	Facts    []string `yaml:"facts"`
	Reviewed string   `yaml:"reviewed"`
}

func (n *rawNode) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "id", "title", "keywords", "text", "options", "action", "source", "facts", "reviewed", "urgent"); err != nil {
		return err
	}
	type plain rawNode
	n.Line = v.Line
	return v.Decode((*plain)(n))
}

type rawTopics struct {
	Topics []rawTopic `yaml:"topics"`
}

func (t *rawTopics) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "topics"); err != nil {
		return err
	}
	type plain rawTopics
	return v.Decode((*plain)(t))
}

type rawTopic struct {
	Line        int     `yaml:"-"`
	ID          string  `yaml:"id"`
	Name        rawText `yaml:"name"`
	Description rawText `yaml:"description"`
	MaxPerMonth int     `yaml:"max_per_month"`
}

func (t *rawTopic) UnmarshalYAML(v *yaml.Node) error {
	if err := checkKeys(v, "id", "name", "description", "max_per_month"); err != nil {
		return err
	}
	type plain rawTopic
	t.Line = v.Line
	return v.Decode((*plain)(t))
}

// checkKeys rejects mapping keys outside allowed, naming the ones that are.
func checkKeys(v *yaml.Node, allowed ...string) error {
	if v.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: expected a map with the keys %s", v.Line, strings.Join(allowed, ", "))}}
	}
	var errs []string
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := v.Content[i]
		if !slices.Contains(allowed, k.Value) {
			errs = append(errs, fmt.Sprintf("line %d: unknown key %q (known keys: %s)", k.Line, k.Value, strings.Join(allowed, ", ")))
		}
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// keyLine returns the line of a mapping key, or def.
func keyLine(v *yaml.Node, key string, def int) int {
	for i := 0; i+1 < len(v.Content); i += 2 {
		if v.Content[i].Value == key {
			return v.Content[i].Line
		}
	}
	return def
}
