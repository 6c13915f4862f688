package content

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fact is one entry of the facts registry (facts.yaml): a number, place,
// service or opening time, with where it comes from and who checked it and
// when. Texts use it as {id}; nothing but Value ever reaches a person.
type Fact struct {
	ID        string
	Value     Text   // what texts show, per language
	What      string // what it is, for editors
	Source    string // where it was checked
	Checked   string // YYYY-MM-DD
	CheckedBy string
	// Confirm says what must still be confirmed before launch (a number
	// whose newest source is old, say). Editors see it; users never do.
	Confirm string
	// Called is the day (YYYY-MM-DD) the NGO last rang a phone number and
	// reached the service it names; empty until someone does. The launch
	// gate (Pack.Uncalled) holds it to a number of days.
	Called string
	// Shown is whether some text people can get uses the fact.
	Shown bool
	Line  int
}

// factsFile is the registry's file name inside a pack directory.
const factsFile = "facts.yaml"

var (
	// phoneLike is three or more digits, possibly split by single spaces,
	// dots or dashes ("2222 3333", "1-800").
	phoneLike = regexp.MustCompile(`\+?\d(?:[ .\-]?\d){2,}`)
	// hoursLike is an opening time or a span of hours.
	hoursLike = regexp.MustCompile(`(?i)\b\d{1,2}[:h]\d{2}\b|\b\d+ ?(horas|hours|hrs|h|am|pm|a\.m\.|p\.m\.)(\b|$)|lunes a viernes|monday to friday`)
	// webLike is a domain name.
	webLike = regexp.MustCompile(`(?i)\b(?:[a-z0-9-]+\.)+(?:gt|org|com|net|int|info|gob|edu)\b`)
	// editorNote is a parenthesised note meant for editors: "(confirma el
	// número)", "(TODO)", "(check)".
	editorNote = regexp.MustCompile(`(?i)\((?:[^()]*\b)?(confirma|confirmar|confirm|verifica|verificar|verify|check|revisa|revisar|review|pendiente|pending|todo|tbd|fixme|nota|note|fuente|source|editor|ojo)\b[^()]*\)`)
	// factRef is a placeholder naming a fact or a value.
	factRef = regexp.MustCompile(`\{([a-z][a-z0-9_]*)\}`)
)

// reservedPlaceholders are filled in by the renderer in interface texts,
// so no fact or value may take their names.
var reservedPlaceholders = []string{"name", "description", "max", "phone", "hours"}

// checkRaw reports what a text written by an editor may not contain: phone
// numbers, opening times or web addresses typed in by hand instead of taken
// from the registry, and notes meant for editors. It sees the text before
// placeholders are filled in.
func checkRaw(s string) []string {
	var out []string
	if m := editorNote.FindString(s); m != "" {
		out = append(out, fmt.Sprintf("has the editor note %q: notes go in the node's source or in facts.yaml, never in a text people get", m))
	}
	for _, m := range phoneLike.FindAllString(s, -1) {
		out = append(out, fmt.Sprintf("has the number %q typed in: write it as {id} of a facts.yaml entry, so it is checked and changed in one place", m))
	}
	if m := hoursLike.FindString(s); m != "" {
		out = append(out, fmt.Sprintf("has the time %q typed in: opening hours and time limits come from facts.yaml as {id}", m))
	}
	for _, m := range webLike.FindAllString(s, -1) {
		out = append(out, fmt.Sprintf("has the web address %q typed in: write it as {id} of a facts.yaml entry", m))
	}
	if strings.Contains(s, "@") {
		out = append(out, "has an @ (an e-mail or a handle): contacts come from facts.yaml or the pack's contact")
	}
	return out
}

// facts loads the registry. A pack without facts.yaml has no facts; then a
// text that names one fails.
func (l *loader) facts() {
	var raw rawFacts
	if !l.decode(factsFile, &raw, false) {
		return
	}
	f := l.file(factsFile)
	seen := map[string]int{}
	for _, rf := range raw.Facts {
		fact := &Fact{ID: rf.ID, What: strings.TrimSpace(rf.What), Source: strings.TrimSpace(rf.Source),
			Checked: rf.Checked, CheckedBy: strings.TrimSpace(rf.CheckedBy), Confirm: strings.TrimSpace(rf.Confirm), Called: rf.Called, Line: rf.Line}
		switch {
		case !idPattern.MatchString(rf.ID):
			l.report.errorf(f, rf.Line, "fact id %q: use lower-case letters, digits and _ and start with a letter", rf.ID)
		case slices.Contains(reservedPlaceholders, rf.ID):
			l.report.errorf(f, rf.Line, "fact id %q is reserved for interface texts; choose another", rf.ID)
		}
		if prev, dup := seen[rf.ID]; dup {
			l.report.errorf(f, rf.Line, "fact id %q is already used at line %d", rf.ID, prev)
		}
		seen[rf.ID] = rf.Line
		if fact.Source == "" {
			l.report.errorf(f, rf.Line, "fact %s has no source: say where it was checked", rf.ID)
		}
		if fact.CheckedBy == "" {
			l.report.errorf(f, rf.Line, "fact %s has no checked_by: say who checked it", rf.ID)
		}
		if rf.Called != "" && !validDate(rf.Called) {
			l.report.errorf(f, rf.Line, "fact %s: called %q is not a date: write the day the number was rung as YYYY-MM-DD", rf.ID, rf.Called)
		}
		if !validDate(rf.Checked) {
			l.report.errorf(f, rf.Line, "fact %s: checked %q is not a date: write it as YYYY-MM-DD", rf.ID, rf.Checked)
		}
		fact.Value = l.plainText(f, rf.Value, "fact."+rf.ID, "fact "+rf.ID+" value")
		for lang, v := range fact.Value {
			if strings.ContainsAny(v, "{}\n") {
				l.report.errorf(f, rf.Line, "fact %s value (%s) must be one line without { }", rf.ID, l.p.Languages[lang].Code)
			}
			if m := editorNote.FindString(v); m != "" {
				l.report.errorf(f, rf.Line, "fact %s value (%s) has the editor note %q: put it under confirm:", rf.ID, l.p.Languages[lang].Code, m)
			}
		}
		l.p.Facts = append(l.p.Facts, fact)
	}
}

// plainText resolves a fact's or value's text: one plain text for every
// language, or a text per language with the usual fallback.
func (l *loader) plainText(file string, t rawText, key, what string) Text {
	if t.Any != "" || len(t.By) == 0 {
		out := make(Text, len(l.p.Languages))
		s := strings.TrimSpace(t.Any)
		if s == "" {
			l.report.errorf(file, t.Line, "%s is empty", what)
		}
		for i := range out {
			out[i] = s
		}
		return out
	}
	return l.text(file, t, key, what, true)
}

// values loads the named values of pack.yaml: snippets of text defined once
// and used as {name} in any text. Values may use facts but not other values.
func (l *loader) values() {
	f := l.file(packFile)
	vt := map[string]Text{}
	for _, name := range slices.Sorted(maps.Keys(l.raw.Values)) {
		rt := l.raw.Values[name]
		switch {
		case !idPattern.MatchString(name):
			l.report.errorf(f, rt.Line, "value name %q: use lower-case letters, digits and _ and start with a letter", name)
		case slices.Contains(reservedPlaceholders, name):
			l.report.errorf(f, rt.Line, "value name %q is reserved for interface texts; choose another", name)
		}
		if _, clash := l.factIndex(name); clash {
			l.report.errorf(f, rt.Line, "value %q has the name of a fact in %s; one name, one meaning", name, factsFile)
		}
		l.checkRawText(f, rt, "value "+name)
		vt[name] = l.plainText(f, rt, "value."+name, "value "+name)
	}
	// Values may name facts, not other values: l.valueTexts is still nil.
	for _, name := range slices.Sorted(maps.Keys(vt)) {
		for i, s := range vt[name] {
			vt[name][i] = l.expand(f, l.raw.Values[name].Line, "value "+name, s, i, false, nil)
		}
	}
	l.switches(vt)
	l.valueTexts = vt
}

// SwitchTwilioErase is the switch that follows SENDA_TWILIO_ERASE: whether
// Senda deletes every message from the Twilio account, so the privacy page
// says what Twilio keeps truly either way.
const SwitchTwilioErase = "twilio_erase"

// switches loads the values that follow a setting of the deployment: both
// texts are checked, and the one for the setting the program passed (off
// unless it is in l.on) becomes the value.
func (l *loader) switches(vt map[string]Text) {
	f := l.file(packFile)
	for _, name := range slices.Sorted(maps.Keys(l.raw.Switches)) {
		rs := l.raw.Switches[name]
		if !idPattern.MatchString(name) || slices.Contains(reservedPlaceholders, name) {
			l.report.errorf(f, rs.Line, "switch name %q: use lower-case letters, digits and _, and none of %s", name, placeholderList(reservedPlaceholders))
		}
		if _, clash := vt[name]; clash {
			l.report.errorf(f, rs.Line, "switch %q has the name of a value; one name, one meaning", name)
		}
		if _, clash := l.factIndex(name); clash {
			l.report.errorf(f, rs.Line, "switch %q has the name of a fact in %s; one name, one meaning", name, factsFile)
		}
		var texts [2]Text
		for i, side := range []struct {
			key string
			t   rawText
		}{{"off", rs.Off}, {"on", rs.On}} {
			what := "switch " + name + " " + side.key
			l.checkRawText(f, side.t, what)
			texts[i] = l.plainText(f, side.t, "switch."+name+"."+side.key, what)
			for lang, s := range texts[i] {
				texts[i][lang] = l.expand(f, side.t.Line, what, s, lang, false, nil)
			}
		}
		l.p.Switches = append(l.p.Switches, name)
		if slices.Contains(l.on, name) {
			vt[name] = texts[1]
		} else {
			vt[name] = texts[0]
		}
	}
}

// markShown records that texts people get use these facts.
func (l *loader) markShown(used map[string]bool) {
	for id := range used {
		if i, ok := l.factIndex(id); ok {
			l.p.Facts[i].Shown = true
		}
	}
}

func (l *loader) factIndex(id string) (int, bool) {
	for i, f := range l.p.Facts {
		if f.ID == id {
			return i, true
		}
	}
	return -1, false
}

// checkRawText runs checkRaw on every language of a raw text.
func (l *loader) checkRawText(file string, t rawText, what string) {
	check := func(code, s string) {
		for _, problem := range checkRaw(s) {
			l.report.errorf(file, t.Line, "%s (%s) %s", what, code, problem)
		}
	}
	if t.Any != "" {
		check("all", t.Any)
	}
	for _, code := range slices.Sorted(maps.Keys(t.By)) {
		check(code, t.By[code])
	}
}

// expand fills in the facts and values a text names, in language lang.
// Placeholders that are neither stay as they are when keepUnknown is set
// (interface texts have their own); otherwise they are errors. used collects
// the fact ids met.
func (l *loader) expand(file string, line int, what, s string, lang int, keepUnknown bool, used map[string]bool) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return factRef.ReplaceAllStringFunc(s, func(ph string) string {
		name := ph[1 : len(ph)-1]
		if v, ok := l.valueTexts[name]; ok {
			if used != nil {
				for _, m := range factRef.FindAllStringSubmatch(l.rawValueFacts(name), -1) {
					used[m[1]] = true
				}
			}
			return v[lang]
		}
		if i, ok := l.factIndex(name); ok {
			if used != nil {
				used[name] = true
			}
			return l.p.Facts[i].Value[lang]
		}
		if !keepUnknown {
			l.report.errorf(file, line, "%s uses %s, which is neither a fact in %s nor a value in %s", what, ph, factsFile, packFile)
		}
		return ph
	})
}

// rawValueFacts returns a value's text as written in every language, to
// find the facts it names.
func (l *loader) rawValueFacts(name string) string {
	rt := l.raw.Values[name]
	var b strings.Builder
	b.WriteString(rt.Any)
	for _, s := range rt.By {
		b.WriteString(s)
	}
	return b.String()
}

// ParseAge parses an age such as "180d", "26w" or "4320h".
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	mult := time.Duration(0)
	switch {
	case strings.HasSuffix(s, "d"):
		mult = 24 * time.Hour
	case strings.HasSuffix(s, "w"):
		mult = 7 * 24 * time.Hour
	}
	if mult == 0 {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("age %q: write it as days (180d), weeks (26w) or hours (4320h)", s)
		}
		return d, nil
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("age %q: write it as days (180d), weeks (26w) or hours (4320h)", s)
	}
	return time.Duration(n) * mult, nil
}

// Stale returns the facts last checked more than age before now, oldest
// first, and the NGO contact's check date when it is as old.
func (p *Pack) Stale(now time.Time, age time.Duration) []*Fact {
	var out []*Fact
	limit := now.Add(-age)
	for _, f := range p.Facts {
		d, err := time.Parse(time.DateOnly, f.Checked)
		if err != nil || d.Before(limit) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b *Fact) int { return strings.Compare(a.Checked, b.Checked) })
	return out
}

// ToConfirm returns the facts whose entry says something must still be
// confirmed before launch.
func (p *Pack) ToConfirm() []*Fact {
	var out []*Fact
	for _, f := range p.Facts {
		if f.Confirm != "" {
			out = append(out, f)
		}
	}
	return out
}

// FactByID returns the registry entry with the given id.
func (p *Pack) FactByID(id string) (*Fact, bool) {
	for _, f := range p.Facts {
		if f.ID == id {
			return f, true
		}
	}
	return nil, false
}

// LaunchAge is how recently the NGO must have rung every number people can
// be shown before Senda is opened to them.
const LaunchAge = 180 * 24 * time.Hour

// phoneValue is a value that is a phone number and nothing else.
var phoneValue = regexp.MustCompile(`^` + phoneLike.String() + `$`)

// IsPhone reports whether the fact is a phone number, the kind of fact
// only a call confirms.
func (f *Fact) IsPhone() bool {
	return len(f.Value) > 0 && phoneValue.MatchString(f.Value[0])
}

// Uncalled returns the phone numbers people can be shown that nobody rang
// within age before now (called: empty, older, or after now, which is a
// typo), in registry order. It is the launch gate: `senda content check
// --launch` fails while any is left, and the console counts them.
func (p *Pack) Uncalled(now time.Time, age time.Duration) []*Fact {
	var out []*Fact
	for _, f := range p.Facts {
		if f.Shown && f.IsPhone() && !recent(f.Called, now, age) {
			out = append(out, f)
		}
	}
	return out
}

// recent reports whether day (YYYY-MM-DD) is within age before now.
func recent(day string, now time.Time, age time.Duration) bool {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return false
	}
	return !d.Before(now.Add(-age).Truncate(24*time.Hour)) && !d.After(now)
}
