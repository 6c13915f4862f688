package docs_test

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// root is the repository, seen from this package's folder.
const root = ".."

// doc is one Markdown file, by its path from the repository root.
type doc struct {
	path string
	text string
}

// readDocs returns README.md and every docs/*.md.
func readDocs(t *testing.T) []doc {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	paths = append([]string{filepath.Join(root, "README.md")}, paths...)
	var docs []doc
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		docs = append(docs, doc{path: filepath.ToSlash(rel), text: string(b)})
	}
	return docs
}

// block is a fenced code block.
type block struct {
	doc    string
	line   int      // of the opening fence, 1-based
	lang   string   // the info string's first word: sh, json, …
	marker []string // the info string's other words
	body   string
}

func (b block) String() string { return b.doc + ":" + strconv.Itoa(b.line) }

// blocks returns the fenced code blocks of a Markdown text, in order. A
// fence may be indented (inside a list item); its body is dedented by as
// much.
func blocks(d doc) []block {
	var out []block
	var cur *block
	indent := ""
	sc := bufio.NewScanner(strings.NewReader(d.text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " ")
		if cur == nil {
			if info, ok := strings.CutPrefix(trimmed, "```"); ok {
				f := strings.Fields(info)
				cur = &block{doc: d.path, line: n}
				if len(f) > 0 {
					cur.lang, cur.marker = f[0], f[1:]
				}
				indent = line[:len(line)-len(trimmed)]
			}
			continue
		}
		if strings.HasPrefix(trimmed, "```") && strings.TrimSpace(trimmed) == "```" {
			out = append(out, *cur)
			cur = nil
			continue
		}
		cur.body += strings.TrimPrefix(line, indent) + "\n"
	}
	return out
}

// table is a Markdown table: its header cells and its rows' cells.
type table struct {
	doc    string
	header []string
	rows   [][]string
}

// tables returns the tables of a Markdown text.
func tables(d doc) []table {
	var out []table
	var cur *table
	for _, line := range strings.Split(d.text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		cells := splitRow(line)
		switch {
		case cur == nil:
			cur = &table{doc: d.path, header: cells}
		case len(cur.rows) == 0 && isRule(cells):
		default:
			cur.rows = append(cur.rows, cells)
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

func splitRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}

func isRule(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, "-: ") != "" {
			return false
		}
	}
	return true
}

// backticked returns the `code` spans of a Markdown text.
var codeSpan = regexp.MustCompile("`([^`\n]+)`")

func backticked(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
