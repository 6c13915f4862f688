package content

import (
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"maps"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Issue is one problem found in a pack, at a file and line.
type Issue struct {
	File    string
	Line    int
	Warning bool
	Msg     string
}

// String formats the issue as "file:line: message", the form editors and
// terminals recognize.
func (i Issue) String() string {
	kind := "error"
	if i.Warning {
		kind = "warning"
	}
	if i.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", i.File, i.Line, kind, i.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", i.File, kind, i.Msg)
}

// Report holds everything the loader found, errors and warnings alike.
type Report struct {
	Issues []Issue
}

// Errors returns the issues that stop a pack from loading.
func (r *Report) Errors() []Issue {
	return slices.DeleteFunc(slices.Clone(r.Issues), func(i Issue) bool { return i.Warning })
}

// Warnings returns the issues that do not stop a pack from loading.
func (r *Report) Warnings() []Issue {
	return slices.DeleteFunc(slices.Clone(r.Issues), func(i Issue) bool { return !i.Warning })
}

func (r *Report) errorf(file string, line int, format string, args ...any) {
	r.Issues = append(r.Issues, Issue{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (r *Report) warnf(file string, line int, format string, args ...any) {
	r.Issues = append(r.Issues, Issue{File: file, Line: line, Warning: true, Msg: fmt.Sprintf(format, args...)})
}

// LoadError is returned when a pack has errors; it lists all of them.
type LoadError struct {
	Dir    string
	Issues []Issue
}

// Error lists every error, one per line.
func (e *LoadError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "content pack %s has %d error(s); run `senda content check %s` for the full report:", e.Dir, len(e.Issues), e.Dir)
	for _, i := range e.Issues {
		b.WriteString("\n  ")
		b.WriteString(i.String())
	}
	return b.String()
}

// Limits the format enforces.
const (
	MaxOptions = 9 // options are numbered 1-9 and answered with one digit
	MaxTopics  = 9 // topics are chosen with one digit too
)

// File names inside a pack directory.
const (
	packFile   = "pack.yaml"
	topicsFile = "topics.yaml"
	nodesDir   = "nodes"
)

var (
	idPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	langPattern = regexp.MustCompile(`^[a-z]{2,8}$`)
	lineInError = regexp.MustCompile(`line (\d+): (.*)`)
)

// requiredTexts lists the interface texts every pack must have in its default
// language, with the placeholders each may use.
var requiredTexts = map[string][]string{
	"header": nil, "more": nil, "nav": nil, "unknown": nil, "no_more": nil, "help": nil, "misses": nil,
	"erased": nil, "unavailable": nil, "topics": nil, "topic_confirm": {"name", "description", "max"},
	"subscribed": {"name"}, "declined": nil, "unsubscribed": nil, "my_topics": nil, "no_topics": nil,
	"subscriptions_off": nil, "welcome": nil, "polite": nil, "media": nil, "automatic": nil,
	"contact": {"name", "phone", "hours"},
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// LoadDir loads and validates the pack in a directory on disk.
func LoadDir(dir string) (*Pack, *Report, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, &Report{}, fmt.Errorf("load content %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, &Report{}, fmt.Errorf("load content %s: not a directory; give the folder that holds pack.yaml", dir)
	}
	return Load(os.DirFS(dir), dir)
}

// Load loads and validates a pack from fsys. name prefixes file names in
// messages. The report holds every issue found; the error is a *LoadError
// when any issue is an error, and the pack is nil then.
func Load(fsys fs.FS, name string) (*Pack, *Report, error) {
	l := &loader{fsys: fsys, dir: name, report: &Report{}}
	p := l.load()
	if errs := l.report.Errors(); len(errs) > 0 {
		return nil, l.report, &LoadError{Dir: name, Issues: errs}
	}
	return p, l.report, nil
}

type loader struct {
	fsys   fs.FS
	dir    string
	report *Report

	raw       rawPack
	rawNodes  []rawNode
	nodeFiles []string // file of each raw node
	rawTopics []rawTopic
	p         *Pack

	translations map[string]map[string]rawTranslation // language → key → translation
	valueTexts   map[string]Text                      // named values, filled in
}

func (l *loader) file(name string) string { return path.Join(l.dir, name) }

// decode reads one YAML file into v, turning syntax and type errors into
// file:line issues. It reports whether the file was read without errors.
func (l *loader) decode(name string, v any, required bool) bool {
	data, err := fs.ReadFile(l.fsys, name)
	if err != nil {
		if !required && errors.Is(err, fs.ErrNotExist) {
			return false
		}
		l.report.errorf(l.file(name), 0, "cannot read: %v", err)
		return false
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		var te *yaml.TypeError
		msgs := []string{err.Error()}
		if errors.As(err, &te) {
			msgs = te.Errors
		}
		for _, m := range msgs {
			line := 0
			if sm := lineInError.FindStringSubmatch(m); sm != nil {
				line, _ = strconv.Atoi(sm[1])
				m = sm[2]
			}
			l.report.errorf(l.file(name), line, "%s", strings.TrimPrefix(m, "yaml: "))
		}
		return false
	}
	return true
}

func (l *loader) load() *Pack {
	if !l.decode(packFile, &l.raw, true) {
		return nil
	}
	var topics rawTopics
	if l.decode(topicsFile, &topics, false) {
		l.rawTopics = topics.Topics
	}
	files, err := fs.Glob(l.fsys, nodesDir+"/*.yaml")
	if err != nil {
		l.report.errorf(l.file(nodesDir), 0, "cannot list node files: %v", err)
	}
	if len(files) == 0 {
		l.report.errorf(l.file(nodesDir), 0, "no node files: put the menu in %s/*.yaml", nodesDir)
	}
	slices.Sort(files)
	for _, f := range files {
		var nodes []rawNode
		if !l.decode(f, &nodes, true) {
			continue
		}
		for _, n := range nodes {
			l.rawNodes = append(l.rawNodes, n)
			l.nodeFiles = append(l.nodeFiles, l.file(f))
		}
	}

	l.p = &Pack{
		Name:        l.raw.Name,
		Reviewed:    l.raw.Reviewed,
		ReviewNote:  l.raw.ReviewNote,
		SMS:         SMSSettings{Segments: l.raw.SMS.Segments, MaxPages: l.raw.SMS.MaxPages},
		WhatsAppMax: l.raw.WhatsApp.MaxChars,
		texts:       map[string]Text{},
		words:       map[string]Word{},
		byID:        map[string]int{},
	}
	if !l.languages() {
		return nil // nothing else can be checked without languages
	}
	l.loadTranslations()
	l.facts()
	l.values()
	l.settings()
	l.nodes()
	l.topics()
	l.texts()
	l.offered()
	l.words()
	l.distress()
	l.contact()
	if len(l.report.Errors()) > 0 {
		return nil
	}
	l.p.Fingerprint = fingerprint(l.p)
	l.render()
	return l.p
}

func (l *loader) languages() bool {
	f := l.file(packFile)
	def := strings.TrimSpace(l.raw.DefaultLanguage)
	if def == "" {
		l.report.errorf(f, l.raw.Line, "default_language is missing: name the language every text must have, e.g. default_language: es")
		return false
	}
	if _, ok := l.raw.Languages[def]; !ok {
		l.report.errorf(f, l.raw.LanguagesLine, "default_language %q is not listed under languages", def)
		return false
	}
	codes := slices.Sorted(maps.Keys(l.raw.Languages))
	codes = slices.DeleteFunc(codes, func(c string) bool { return c == def })
	codes = append([]string{def}, codes...)
	for _, c := range codes {
		rl := l.raw.Languages[c]
		if !langPattern.MatchString(c) {
			l.report.errorf(f, rl.Line, "language code %q must be 2-8 lower-case letters, like es, en or cak", c)
		}
		if strings.TrimSpace(rl.Name) == "" {
			l.report.errorf(f, rl.Line, "language %q has no name: add name: (the language's name in itself)", c)
		}
		l.p.Languages = append(l.p.Languages, Language{Code: c, Name: rl.Name})
	}
	if len(codes) > 250 {
		l.report.errorf(f, l.raw.LanguagesLine, "too many languages (%d)", len(codes))
		return false
	}
	return true
}

func (l *loader) settings() {
	f := l.file(packFile)
	if strings.TrimSpace(l.p.Name) == "" {
		l.report.errorf(f, l.raw.Line, "name is missing: give the pack a name")
	}
	if l.p.SMS.Segments == 0 {
		l.p.SMS.Segments = 1
	}
	if l.p.SMS.Segments < 1 || l.p.SMS.Segments > 10 {
		l.report.errorf(f, l.raw.SMSLine, "sms.segments must be between 1 and 10, not %d", l.p.SMS.Segments)
	}
	if l.p.SMS.MaxPages == 0 {
		l.p.SMS.MaxPages = 6
	}
	if l.p.SMS.MaxPages < 1 || l.p.SMS.MaxPages > 9 {
		l.report.errorf(f, l.raw.SMSLine, "sms.max_pages must be between 1 and 9, not %d", l.p.SMS.MaxPages)
	}
	if l.p.WhatsAppMax == 0 {
		l.p.WhatsAppMax = 1600
	}
	if l.p.WhatsAppMax < 200 || l.p.WhatsAppMax > 1600 {
		l.report.errorf(f, l.raw.WhatsAppLine, "whatsapp.max_chars must be between 200 and 1600 (Twilio's limit), not %d", l.p.WhatsAppMax)
	}
	if l.raw.Reviewed != "" && !validDate(l.raw.Reviewed) {
		l.report.errorf(f, l.raw.ReviewedLine, "reviewed %q is not a date: write it as YYYY-MM-DD", l.raw.Reviewed)
	}
}

// isControl reports the control characters a text may not hold; line
// breaks and tabs are fine.
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t'
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// text resolves a raw text into every language, as written (placeholders
// not filled in): a language's own text where it has a reviewed one, the
// default language's otherwise. key names the text in the catalog that
// translators export and import ("" keeps it out); what names it in
// messages.
func (l *loader) text(file string, t rawText, key, what string, required bool) Text {
	out := make(Text, len(l.p.Languages))
	def := l.p.Languages[0].Code
	if t.Any != "" {
		l.report.errorf(file, t.Line, "%s must be written per language, like {%s: \"…\"}", what, def)
		return out
	}
	base := strings.TrimSpace(t.By[def])
	line := t.Line
	if base == "" {
		if required {
			l.report.errorf(file, line, "%s has no %s text; the default language must be complete", what, def)
		}
		return out
	}
	for _, code := range slices.Sorted(maps.Keys(t.By)) {
		if l.p.LanguageIndex(code) < 0 {
			l.report.errorf(file, line, "%s has text in %q, which is not listed under languages in %s", what, code, packFile)
		}
		// TwiML (XML) cannot carry most control characters: the reply would
		// differ from what was measured, or fail.
		if i := strings.IndexFunc(t.By[code], isControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(t.By[code][i:])
			l.report.errorf(file, line, "%s (%s) has the invisible control character %U; remove it", what, code, r)
		}
	}
	entry := &Entry{Key: key, Text: make([]string, len(l.p.Languages)), Status: make([]Status, len(l.p.Languages)), File: file, Line: line}
	for i, lang := range l.p.Languages {
		s := strings.TrimSpace(t.By[lang.Code])
		status := StatusReviewed
		if s == "" && i > 0 {
			status = StatusMissing
			if tr, ok := l.translations[lang.Code][key]; ok && key != "" && strings.TrimSpace(tr.Text) != "" {
				s = strings.TrimSpace(tr.Text)
				switch {
				case tr.Source != base:
					status = StatusOutdated
					l.report.warnf(l.file(translationsFile(lang.Code)), tr.Line, "%s: the %s text changed since it was translated; %s is used until the translation is redone", key, def, def)
				case tr.Status == "reviewed":
					status = StatusReviewed
				default:
					status = StatusDraft
				}
			}
		}
		entry.Text[i], entry.Status[i] = s, status
		if status != StatusReviewed {
			s = base
		}
		out[i] = s
	}
	if key != "" {
		l.p.Catalog = append(l.p.Catalog, entry)
	}
	return out
}

// userText resolves a text people are sent: it checks what the editor
// wrote, then fills in facts and values. used collects the facts it names.
func (l *loader) userText(file string, t rawText, key, what string, keepUnknown bool, used map[string]bool) Text {
	l.checkRawText(file, t, what)
	out := l.text(file, t, key, what, true)
	for i, s := range out {
		out[i] = l.expand(file, t.Line, what, s, i, keepUnknown, used)
	}
	return out
}

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
	for _, id := range rn.Facts {
		if _, ok := l.factIndex(id); !ok {
			l.report.errorf(f, rn.Line, "node %s: facts lists %q, which is not an id in %s (the facts a node uses are found from its texts; the list may be left out)", n.ID, id, factsFile)
		}
	}
	n.labels = titleLabels(n.Title)
	action, ok := actionNames[rn.Action]
	if !ok {
		l.report.errorf(f, rn.Line, "node %s: unknown action %q (known: topics, my_topics, optout)", n.ID, rn.Action)
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
		l.report.warnf(n.File, n.Line, "node %s has no source: say which section of the source document or FACTS.md it comes from", n.ID)
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
		t.Name = l.userText(f, rt.Name, "topic."+rt.ID+".name", "topic "+rt.ID+" name", false, nil)
		t.Description = l.userText(f, rt.Description, "topic."+rt.ID+".description", "topic "+rt.ID+" description", false, nil)
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

func (l *loader) texts() {
	f := l.file(packFile)
	for _, key := range slices.Sorted(maps.Keys(l.raw.Texts)) {
		if _, ok := requiredTexts[key]; !ok {
			l.report.errorf(f, l.raw.Texts[key].Line, "unknown text %q under texts (known: %s)", key, strings.Join(slices.Sorted(maps.Keys(requiredTexts)), ", "))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(requiredTexts)) {
		rt, ok := l.raw.Texts[key]
		if !ok {
			l.report.errorf(f, l.raw.TextsLine, "texts.%s is missing; it is required (see docs/CONTENT.md)", key)
			continue
		}
		t := l.userText(f, rt, "texts."+key, "texts."+key, true, nil)
		allowed := requiredTexts[key]
		for i, s := range t {
			for _, ph := range placeholder.FindAllString(s, -1) {
				if !slices.Contains(allowed, strings.Trim(ph, "{}")) {
					l.report.errorf(f, rt.Line, "texts.%s (%s) uses %s; allowed here: %s", key, l.p.Languages[i].Code, ph, placeholderList(allowed))
				}
			}
		}
		if key == "header" && strings.Contains(t[0], "\n") {
			l.report.errorf(f, rt.Line, "texts.header must be one line: lock screens show it")
		}
		l.p.texts[key] = t
	}
}

func placeholderList(allowed []string) string {
	if len(allowed) == 0 {
		return "none"
	}
	out := make([]string, len(allowed))
	for i, a := range allowed {
		out[i] = "{" + a + "}"
	}
	return strings.Join(out, ", ")
}

// words builds the table every input is looked up in, rejecting words that
// would mean two things once normalized.
func (l *loader) words() {
	t := &wordTable{l: l, origins: map[string]wordOrigin{}}
	pf := l.file(packFile)
	l.commandWords(pf, t)
	l.languageWords(pf, t)
	l.numberWords(pf, t)
	l.wordsPerLanguage(pf, l.raw.Polite, "polite", func(file string, line int, raw string, lang int) {
		t.add(file, line, raw, Word{Kind: WordPolite, Node: -1, Lang: lang}, "polite word")
	})
	for i, rn := range l.rawNodes {
		n := l.p.Nodes[i]
		l.wordsPerLanguage(l.nodeFiles[i], rn.Keywords, "node "+n.ID+" keywords", func(file string, line int, raw string, lang int) {
			t.add(file, line, raw, Word{Kind: WordKeyword, Node: n.Index, Lang: lang}, "keyword of "+n.ID)
		})
	}
	slices.Sort(l.p.fuzzy)
}

// wordOrigin is where a word of the table was listed, for messages about
// a clash.
type wordOrigin struct {
	file string
	line int
	what string
}

// wordTable adds words to the pack's table, remembering where each came
// from.
type wordTable struct {
	l       *loader
	origins map[string]wordOrigin
}

// add puts one word in the table, or reports why it cannot be there.
func (t *wordTable) add(file string, line int, raw string, w Word, what string) {
	l := t.l
	key := Normalize(raw)
	switch {
	case key == "":
		l.report.errorf(file, line, "%s: word %q has no letters or digits", what, raw)
		return
	case isDigits(key):
		l.report.errorf(file, line, "%s: word %q is a number; numbers choose options", what, raw)
		return
	}
	if prev, ok := l.p.words[key]; ok {
		if !t.again(key, prev, w) {
			o := t.origins[key]
			l.report.errorf(file, line, "%s: %q is the same word as %q for %s at %s:%d once case, accents and punctuation are ignored", what, raw, key, o.what, o.file, o.line)
		}
		return
	}
	l.p.words[key] = w
	t.origins[key] = wordOrigin{file, line, what}
	if typosForgiven(key, w.Kind) {
		l.p.fuzzy = append(l.p.fuzzy, key)
	}
}

// again reports whether w, whose key is already in the table as prev,
// means the same thing (and so is no clash).
func (t *wordTable) again(key string, prev, w Word) bool {
	if prev.Kind == WordLanguage && w.Kind == WordLanguage && prev.Lang == w.Lang {
		return true // a language's name listed again among its switch words
	}
	if prev.Kind == w.Kind && prev.Node == w.Node && w.Kind != WordLanguage {
		if prev.Lang != w.Lang {
			prev.Lang = -1 // the same word in two languages: no switch
			t.l.p.words[key] = prev
		}
		return true
	}
	return false
}

// typosForgiven reports whether a word is matched with one typo. Words that
// erase or unsubscribe must be typed exactly: "pasar" is one letter from
// "parar", and a typo must never cost someone their subscription or
// conversation.
func typosForgiven(key string, k WordKind) bool {
	switch k {
	case WordErase, WordOptOut, WordYes, WordNo, WordNumber:
		return false
	}
	return len([]rune(key)) >= 5
}

// commandWords adds every command's words, and reports commands missing
// or unknown.
func (l *loader) commandWords(pf string, t *wordTable) {
	for _, name := range slices.Sorted(maps.Keys(commandKinds)) {
		words, ok := l.raw.Commands[name]
		if !ok {
			l.report.errorf(pf, l.raw.CommandsLine, "commands.%s is missing: list its words per language", name)
			continue
		}
		l.wordsPerLanguage(pf, words, "commands."+name, func(file string, line int, raw string, lang int) {
			t.add(file, line, raw, Word{Kind: commandKinds[name], Node: -1, Lang: lang}, "command "+name)
		})
	}
	for _, name := range slices.Sorted(maps.Keys(l.raw.Commands)) {
		if _, ok := commandKinds[name]; !ok {
			l.report.errorf(pf, l.raw.Commands[name].Line, "unknown command %q (known: %s)", name, strings.Join(slices.Sorted(maps.Keys(commandKinds)), ", "))
		}
	}
}

// languageWords adds the words that switch to each offered language.
func (l *loader) languageWords(pf string, t *wordTable) {
	for i, lang := range l.p.Languages {
		if !lang.Offered {
			continue // not until its menus and urgent pages are reviewed
		}
		rl := l.raw.Languages[lang.Code]
		for _, s := range append([]string{lang.Name}, rl.Switch...) {
			t.add(pf, rl.Line, s, Word{Kind: WordLanguage, Node: -1, Lang: i}, "language "+lang.Code)
		}
	}
}

// numberWords adds the words for 1 to 9 in each language.
func (l *loader) numberWords(pf string, t *wordTable) {
	for _, code := range slices.Sorted(maps.Keys(l.raw.Numbers.By)) {
		if n := len(l.raw.Numbers.By[code]); n != 9 {
			l.report.errorf(pf, l.raw.Numbers.Line, "numbers.%s has %d words; list the words for 1 to 9, in order", code, n)
		}
	}
	l.wordsPerLanguage(pf, l.raw.Numbers, "numbers", func(file string, line int, raw string, lang int) {
		code := l.p.Languages[lang].Code
		n := slices.IndexFunc(l.raw.Numbers.By[code], func(w rawWord) bool { return w.Line == line && w.Word == raw }) + 1
		t.add(file, line, raw, Word{Kind: WordNumber, Node: n, Lang: lang}, "number word")
	})
}

// distress reads the kinds of distress: each names an urgent node and
// the words and phrases that lead to it from any state.
func (l *loader) distress() {
	f := l.file(packFile)
	seen := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(l.raw.Distress)) {
		rd := l.raw.Distress[id]
		d := Distress{ID: id, Node: -1}
		if !idPattern.MatchString(id) {
			l.report.errorf(f, rd.Line, "distress kind %q: use lower-case letters, digits and _", id)
		}
		n, ok := l.p.byID[rd.Node]
		switch {
		case !ok:
			l.report.errorf(f, rd.Line, "distress %s: node %q is not a node id", id, rd.Node)
		case !l.p.Nodes[n].Urgent:
			l.report.errorf(f, rd.Line, "distress %s: node %s must be marked urgent: true (it then says the line is automatic and shows the NGO contact)", id, rd.Node)
		default:
			d.Node = n
		}
		l.wordsPerLanguage(f, rd.Phrases, "distress "+id, func(file string, line int, raw string, lang int) {
			prefix := strings.HasSuffix(strings.TrimSpace(raw), "*")
			key := Normalize(raw)
			if prefix {
				key += "*"
			}
			switch {
			case key == "" || key == "*":
				l.report.errorf(file, line, "distress %s: phrase %q has no letters", id, raw)
				return
			case prefix && len(key) < 5:
				l.report.errorf(file, line, "distress %s: prefix %q is too short; give at least four letters before *", id, raw)
				return
			}
			if other, dup := seen[key]; dup {
				if other != id {
					l.report.errorf(file, line, "distress %s: phrase %q is already listed under %s", id, raw, other)
				}
				return
			}
			seen[key] = id
			d.Phrases = append(d.Phrases, key)
		})
		if len(d.Phrases) == 0 {
			l.report.errorf(f, rd.Line, "distress %s lists no phrases", id)
		}
		l.p.Distress = append(l.p.Distress, d)
	}
}

// contact reads the NGO's own contact, shown only when it is set.
func (l *loader) contact() {
	rc, f := l.raw.Contact, l.file(packFile)
	c := Contact{Name: strings.TrimSpace(rc.Name), Phone: strings.TrimSpace(rc.Phone), WhatsApp: strings.TrimSpace(rc.WhatsApp),
		Hours: strings.TrimSpace(rc.Hours), Checked: rc.Checked, CheckedBy: strings.TrimSpace(rc.CheckedBy)}
	if c == (Contact{}) {
		return
	}
	switch {
	case c.Name == "":
		l.report.errorf(f, rc.Line, "contact has no name: people must know who they are writing to")
	case c.Phone == "" && c.WhatsApp == "":
		l.report.errorf(f, rc.Line, "contact %s has no phone and no whatsapp", c.Name)
	case !validDate(c.Checked) || c.CheckedBy == "":
		l.report.errorf(f, rc.Line, "contact %s needs checked (YYYY-MM-DD) and checked_by: who rang it, and when", c.Name)
	}
	for _, s := range []string{c.Name, c.Phone, c.WhatsApp, c.Hours} {
		if strings.ContainsAny(s, "\n{}") {
			l.report.errorf(f, rc.Line, "contact fields must be one line without { }")
		}
	}
	l.p.Contact = c
}

func (l *loader) wordsPerLanguage(file string, words rawWords, what string, add func(file string, line int, raw string, lang int)) {
	for _, code := range slices.Sorted(maps.Keys(words.By)) {
		lang := l.p.LanguageIndex(code)
		if lang < 0 {
			l.report.errorf(file, words.Line, "%s has words in %q, which is not listed under languages in %s", what, code, packFile)
			continue
		}
		for _, w := range words.By[code] {
			add(file, w.Line, w.Word, lang)
		}
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func fingerprint(p *Pack) uint32 {
	h := fnv.New32a()
	for _, n := range p.Nodes {
		h.Write([]byte(n.ID))
		h.Write([]byte{0})
	}
	h.Write([]byte{1})
	for _, t := range p.Topics {
		h.Write([]byte(t.ID))
		h.Write([]byte{0})
	}
	h.Write([]byte{1})
	for _, lang := range p.Languages {
		h.Write([]byte(lang.Code))
		h.Write([]byte{0})
	}
	return h.Sum32()
}
