package content

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Status is how far one text's translation has come.
type Status uint8

// Translation statuses. Only reviewed translations reach people; the others
// fall back to the default language.
const (
	StatusMissing  Status = iota
	StatusDraft           // translated, not yet reviewed
	StatusReviewed        // reviewed (texts written in the node files count as reviewed)
	StatusOutdated        // translated from a default-language text that has changed since
)

var statusNames = [...]string{"missing", "draft", "reviewed", "outdated"}

// String names the status as export files and reports write it.
func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Entry is one translatable text of the pack, as written (placeholders not
// filled in), in every language.
type Entry struct {
	Key    string   // e.g. node.inicio.title, texts.help, value.policia_cuidado
	Text   []string // per language, as written; "" where there is none
	Status []Status // per language; the default language is always reviewed
	File   string
	Line   int
}

// translationsDir holds one file per language, written by
// `senda content import`.
const translationsDir = "translations"

// translationsFile is the file of one language's imported translations.
func translationsFile(code string) string { return translationsDir + "/" + code + ".yaml" }

// loadTranslations reads translations/<code>.yaml for every language but
// the default.
func (l *loader) loadTranslations() {
	l.translations = map[string]map[string]rawTranslation{}
	for _, lang := range l.p.Languages[1:] {
		var raw rawTranslations
		name := translationsFile(lang.Code)
		if !l.decode(name, &raw, false) {
			continue
		}
		if raw.Language != lang.Code {
			l.report.errorf(l.file(name), 0, "language: %q does not match the file name; write language: %s", raw.Language, lang.Code)
		}
		for key, tr := range raw.Texts {
			if tr.Status != "draft" && tr.Status != "reviewed" {
				l.report.errorf(l.file(name), tr.Line, "%s: status %q: use draft or reviewed", key, tr.Status)
			}
		}
		l.translations[lang.Code] = raw.Texts
	}
}

// offered decides which languages people may switch to: the default one,
// and another once every menu, every option label, every urgent page and
// the texts around them have reviewed translations.
func (l *loader) offered() {
	p := l.p
	need := []string{"texts.header", "texts.nav", "texts.more", "texts.unknown", "texts.help", "texts.welcome"}
	for _, n := range p.Nodes {
		if len(n.Options) > 0 || n.Urgent {
			need = append(need, "node."+n.ID+".text")
		}
		for _, c := range n.Options {
			need = append(need, "node."+p.Nodes[c].ID+".title")
		}
	}
	byKey := map[string]*Entry{}
	for _, e := range p.Catalog {
		byKey[e.Key] = e
	}
	for i := range p.Languages {
		lang := &p.Languages[i]
		lang.Total = len(p.Catalog)
		for _, e := range p.Catalog {
			if e.Status[i] == StatusReviewed {
				lang.Reviewed++
			}
		}
		lang.Offered = i == 0 || !slices.ContainsFunc(need, func(k string) bool {
			e, ok := byKey[k]
			return ok && e.Status[i] != StatusReviewed
		})
	}
	// Missing translations are worth a warning in a language someone has
	// started; one not started yet (nothing reviewed) is only counted in
	// the check's summary.
	for i, lang := range p.Languages {
		if i == 0 || lang.Reviewed == 0 {
			continue
		}
		var lacking []string
		for _, e := range p.Catalog {
			if e.Status[i] == StatusMissing {
				l.report.warnf(e.File, e.Line, "%s has no %s translation; %s is used", e.Key, lang.Code, p.Languages[0].Code)
			}
			if e.Status[i] != StatusReviewed && slices.Contains(need, e.Key) {
				lacking = append(lacking, e.Key)
			}
		}
		if !lang.Offered {
			l.report.warnf(l.file(packFile), l.raw.Languages[lang.Code].Line, "language %s is not offered to people: %d menu or urgent texts have no reviewed translation (%s)",
				lang.Code, len(lacking), strings.Join(lacking[:min(3, len(lacking))], ", "))
		}
	}
}

// ExportRow is one text as a translator gets it.
type ExportRow struct {
	Key         string
	Status      Status
	Source      string // the default language's text
	Translation string
}

// Export lists every translatable text for one language, in pack order.
func (p *Pack) Export(lang string) ([]ExportRow, error) {
	i := p.LanguageIndex(lang)
	if i <= 0 {
		return nil, fmt.Errorf("export: %q is not a language of the pack other than the default (%s)", lang, strings.Join(p.LanguageCodes()[1:], ", "))
	}
	rows := make([]ExportRow, len(p.Catalog))
	for j, e := range p.Catalog {
		rows[j] = ExportRow{Key: e.Key, Status: e.Status[i], Source: e.Text[0], Translation: e.Text[i]}
	}
	return rows, nil
}

// WriteCSV writes rows as CSV with a header: key, status, source,
// translation.
func WriteCSV(w io.Writer, rows []ExportRow) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"key", "status", "source", "translation"})
	for _, r := range rows {
		cw.Write([]string{r.Key, r.Status.String(), r.Source, r.Translation})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// WritePO writes rows as a gettext PO file: msgctxt is the key, msgid the
// source, and a draft or outdated translation is marked fuzzy.
func WritePO(w io.Writer, lang string, rows []ExportRow) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "msgid \"\"\nmsgstr \"\"\n\"Language: %s\\n\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n", lang)
	for _, r := range rows {
		fmt.Fprintf(bw, "\n#. %s\n", r.Status)
		if r.Status == StatusDraft || r.Status == StatusOutdated {
			bw.WriteString("#, fuzzy\n")
		}
		fmt.Fprintf(bw, "msgctxt %s\nmsgid %s\nmsgstr %s\n", poQuote(r.Key), poQuote(r.Source), poQuote(r.Translation))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write po: %w", err)
	}
	return nil
}

func poQuote(s string) string {
	if !strings.Contains(s, "\n") {
		return strconv.Quote(s)
	}
	var b strings.Builder
	b.WriteString(`""`)
	for line := range strings.SplitAfterSeq(s, "\n") {
		if line != "" {
			b.WriteString("\n" + strconv.Quote(line))
		}
	}
	return b.String()
}

// ReadCSV reads rows written by WriteCSV (and edited by a translator).
func ReadCSV(r io.Reader) ([]ExportRow, error) {
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], []string{"key", "status", "source", "translation"}) {
		return nil, errors.New("read csv: the first row must be key,status,source,translation (as export writes it)")
	}
	var rows []ExportRow
	for n, rec := range recs[1:] {
		st, ok := parseStatus(rec[1])
		if !ok {
			return nil, fmt.Errorf("read csv: row %d: status %q: use draft or reviewed", n+2, rec[1])
		}
		rows = append(rows, ExportRow{Key: rec[0], Status: st, Source: rec[2], Translation: rec[3]})
	}
	return rows, nil
}

func parseStatus(s string) (Status, bool) {
	i := slices.Index(statusNames[:], strings.ToLower(strings.TrimSpace(s)))
	return Status(max(i, 0)), i >= 0
}

// ReadPO reads a PO file written by WritePO: entries marked fuzzy are
// drafts, the others with a translation are reviewed.
func ReadPO(r io.Reader) ([]ExportRow, error) {
	var (
		rows  []ExportRow
		cur   ExportRow
		fuzzy bool
		field *string
		line  int
	)
	flush := func() {
		if cur.Key != "" {
			cur.Status = StatusReviewed
			if fuzzy {
				cur.Status = StatusDraft
			}
			if cur.Translation == "" {
				cur.Status = StatusMissing
			}
			rows = append(rows, cur)
		}
		cur, fuzzy, field = ExportRow{}, false, nil
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		var rest string
		switch {
		case s == "":
			continue
		case strings.HasPrefix(s, "#,"):
			if cur.Key != "" {
				flush()
			}
			fuzzy = strings.Contains(s, "fuzzy")
			continue
		case strings.HasPrefix(s, "#"):
			continue
		case strings.HasPrefix(s, "msgctxt "):
			f := fuzzy
			flush()
			fuzzy = f
			field, rest = &cur.Key, s[len("msgctxt "):]
		case strings.HasPrefix(s, "msgid "):
			field, rest = &cur.Source, s[len("msgid "):]
		case strings.HasPrefix(s, "msgstr "):
			field, rest = &cur.Translation, s[len("msgstr "):]
		case strings.HasPrefix(s, `"`):
			rest = s
		default:
			return nil, fmt.Errorf("read po: line %d: unexpected %q", line, s)
		}
		if field == nil {
			continue // the header entry
		}
		u, err := strconv.Unquote(rest)
		if err != nil {
			return nil, fmt.Errorf("read po: line %d: bad string %s", line, rest)
		}
		*field += u
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read po: %w", err)
	}
	flush()
	return rows, nil
}

// ImportSummary says what an import changed.
type ImportSummary struct {
	Imported int      // translations written
	Reviewed int      // of them, reviewed
	Outdated []string // keys whose default-language text changed since export
	Unknown  []string // keys the pack does not have (skipped)
}

// Import merges translated rows into a language's translations file
// (existing: its current content, or nil) and returns the new content. A
// row whose source is no longer the pack's default-language text is kept,
// and listed as outdated: the pack falls back to the default language for
// it until it is translated again.
func (p *Pack) Import(lang string, rows []ExportRow, existing []byte) ([]byte, ImportSummary, error) {
	var sum ImportSummary
	i := p.LanguageIndex(lang)
	if i <= 0 {
		return nil, sum, fmt.Errorf("import: %q is not a language of the pack other than the default", lang)
	}
	file := rawTranslations{Language: lang, Texts: map[string]rawTranslation{}}
	if len(existing) > 0 {
		if err := yaml.Unmarshal(existing, &file); err != nil {
			return nil, sum, fmt.Errorf("import: read the current translations: %w", err)
		}
		if file.Texts == nil {
			file.Texts = map[string]rawTranslation{}
		}
	}
	byKey := map[string]*Entry{}
	for _, e := range p.Catalog {
		byKey[e.Key] = e
	}
	for _, r := range rows {
		e, ok := byKey[r.Key]
		if !ok {
			sum.Unknown = append(sum.Unknown, r.Key)
			continue
		}
		if strings.TrimSpace(r.Translation) == "" {
			continue
		}
		status := "draft"
		if r.Status == StatusReviewed {
			status = "reviewed"
			sum.Reviewed++
		}
		if r.Source != e.Text[0] {
			sum.Outdated = append(sum.Outdated, r.Key)
		}
		file.Texts[r.Key] = rawTranslation{Text: r.Translation, Status: status, Source: r.Source}
		sum.Imported++
	}
	out, err := marshalTranslations(file)
	return out, sum, err
}

func marshalTranslations(f rawTranslations) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Translations into %s, written by `senda content import`. Each text keeps the\n", f.Language)
	b.WriteString("# default-language source it was made from: when that source changes, the text\n")
	b.WriteString("# counts as outdated and people get the default language until it is redone.\n")
	b.WriteString("# status: draft (not shown to people) or reviewed.\n")
	fmt.Fprintf(&b, "language: %s\ntexts:\n", f.Language)
	for _, key := range slices.Sorted(maps.Keys(f.Texts)) {
		t := f.Texts[key]
		node := yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "text"}, strNode(t.Text),
			{Kind: yaml.ScalarNode, Value: "status"}, {Kind: yaml.ScalarNode, Value: t.Status},
			{Kind: yaml.ScalarNode, Value: "source"}, strNode(t.Source),
		}}
		entry := yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{strNode(key), &node}}
		data, err := yaml.Marshal(&entry)
		if err != nil {
			return nil, fmt.Errorf("import: write %s: %w", key, err)
		}
		for line := range strings.SplitAfterSeq(string(data), "\n") {
			if line != "" {
				b.WriteString("  " + line)
			}
		}
	}
	return b.Bytes(), nil
}

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Value: s, Tag: "!!str"}
	if strings.Contains(s, "\n") {
		n.Style = yaml.LiteralStyle
	}
	return n
}

// ReadTranslationsFile returns a language's translations file from a pack
// directory, or nil when there is none yet.
func ReadTranslationsFile(fsys fs.FS, lang string) ([]byte, error) {
	data, err := fs.ReadFile(fsys, translationsFile(lang))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return data, err
}

// TranslationsPath is where Import's output goes inside a pack directory.
func TranslationsPath(lang string) string { return translationsFile(lang) }
