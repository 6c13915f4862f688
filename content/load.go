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

// LoadDir loads and validates the pack in a directory on disk. on names
// the pack's switches that are on (SwitchTwilioErase); the rest are off.
func LoadDir(dir string, on ...string) (*Pack, *Report, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, &Report{}, fmt.Errorf("load content %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, &Report{}, fmt.Errorf("load content %s: not a directory; give the folder that holds pack.yaml", dir)
	}
	return Load(os.DirFS(dir), dir, on...)
}

// Load loads and validates a pack from fsys. name prefixes file names in
// messages. The report holds every issue found; the error is a *LoadError
// when any issue is an error, and the pack is nil then. on names the
// switches that are on.
func Load(fsys fs.FS, name string, on ...string) (*Pack, *Report, error) {
	l := &loader{fsys: fsys, dir: name, report: &Report{}, on: on}
	p := l.load()
	if errs := l.report.Errors(); len(errs) > 0 {
		return nil, l.report, &LoadError{Dir: name, Issues: errs}
	}
	return p, l.report, nil
}

// Check loads a pack like Load, once with every switch off and once with
// every switch on, so the texts of both sides are measured and checked. It
// returns the pack with the switches off and the issues of both loads.
func Check(fsys fs.FS, name string) (*Pack, *Report, error) {
	p, rep, err := Load(fsys, name)
	if err != nil || len(p.Switches) == 0 {
		return p, rep, err
	}
	_, on, _ := Load(fsys, name, p.Switches...)
	for _, i := range on.Issues {
		if !slices.Contains(rep.Issues, i) {
			rep.Issues = append(rep.Issues, i)
		}
	}
	if errs := rep.Errors(); len(errs) > 0 {
		return nil, rep, &LoadError{Dir: name, Issues: errs}
	}
	return p, rep, nil
}

type loader struct {
	fsys   fs.FS
	dir    string
	report *Report
	on     []string // switches that are on

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
	l.understanding()
	l.phraseTests()
	l.contact()
	if len(l.report.Errors()) > 0 {
		return nil
	}
	l.p.Fingerprint = fingerprint(l.p)
	l.render()
	l.checkLockScreens()
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

func (l *loader) texts() {
	f := l.file(packFile)
	for _, key := range slices.Sorted(maps.Keys(l.raw.Texts)) {
		if _, ok := requiredTexts[key]; !ok && optionalTexts[key] == nil {
			if _, ok := optionalTexts[key]; !ok {
				known := slices.Concat(slices.Collect(maps.Keys(requiredTexts)), slices.Collect(maps.Keys(optionalTexts)))
				slices.Sort(known)
				l.report.errorf(f, l.raw.Texts[key].Line, "unknown text %q under texts (known: %s)", key, strings.Join(known, ", "))
			}
		}
	}
	all := maps.Clone(requiredTexts)
	maps.Copy(all, optionalTexts)
	for _, key := range slices.Sorted(maps.Keys(all)) {
		rt, ok := l.raw.Texts[key]
		if !ok {
			if _, required := requiredTexts[key]; required {
				l.report.errorf(f, l.raw.TextsLine, "texts.%s is missing; it is required (see docs/CONTENT.md)", key)
			}
			continue
		}
		used := map[string]bool{}
		t := l.userText(f, rt, "texts."+key, "texts."+key, true, used)
		l.markShown(used)
		allowed := all[key]
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
