package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
)

// consoleFiles hold every word the console shows: its messages, templates,
// health checks, and the pack's topic and language names.
var consoleFiles = []string{
	"bot/console/i18n.go", "bot/console/templates/*.html", "bot/console/adapters.go", "bot/app/console.go",
	"content/pack/topics.yaml", "content/pack/pack.yaml",
}

var (
	bold = regexp.MustCompile(`(?s)\*\*(.+?)\*\*`)
	// labelParts splits a label shown with figures or separators:
	// "Progreso: 12 de 57", "Inicio · Avisos", "Idioma / Language".
	labelParts = regexp.MustCompile(`: | · | / | — `)
	digits     = regexp.MustCompile(`^[\d\s.,<>%…]*|[\d\s.,%…]*$`)
	blank      = regexp.MustCompile(`\{\{(\d+|N)\}\}`)
)

// TestGuiaBoldIsWhatTheConsoleSays holds GUIA.md to its promise: every
// **bold** text is a label, button or title the console shows, as written
// there (figures and filled-in blanks aside). A renamed button fails it.
func TestGuiaBoldIsWhatTheConsoleSays(t *testing.T) {
	t.Parallel()
	var said strings.Builder
	for _, pattern := range consoleFiles {
		files, err := filepath.Glob(filepath.Join(root, filepath.FromSlash(pattern)))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no file (%v)", pattern, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			said.Write(b)
			said.WriteString("\n")
		}
	}
	said.WriteString(string(content.GSM7) + "\n" + string(content.UCS2) + "\n") // what the counter shows
	haystack := strings.ToLower(said.String())
	shown := func(s string) bool {
		s = strings.ToLower(strings.TrimSpace(digits.ReplaceAllString(s, "")))
		if s == "" || strings.Contains(haystack, s) {
			return true
		}
		// A label the template builds from two pieces: "Texto en" + "Español".
		for i := strings.Index(s, " "); i > 0; i = nextSpace(s, i) {
			if strings.Contains(haystack, s[:i]) && strings.Contains(haystack, strings.TrimSpace(s[i:])) {
				return true
			}
		}
		return false
	}
	b, err := os.ReadFile(filepath.Join(root, "docs", "GUIA.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range bold.FindAllStringSubmatch(string(b), -1) {
		label := strings.Trim(strings.Join(strings.Fields(m[1]), " "), "«»")
		label = blank.ReplaceAllString(label, "{{%s}}")
		label = strings.TrimRight(label, ":.")
		for _, part := range labelParts.Split(label, -1) {
			if !shown(strings.Trim(part, "«»")) {
				t.Errorf("GUIA.md shows **%s** in bold, but the console does not say %q (bold is only for what the console says)", m[1], part)
			}
		}
	}
}

func nextSpace(s string, i int) int {
	j := strings.Index(s[i+1:], " ")
	if j < 0 {
		return -1
	}
	return i + 1 + j
}
