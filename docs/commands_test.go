package docs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/senda-org/senda/internal/sendabin"
)

// pendingFlags are documented flags that another branch adds; each leaves
// this list when that branch is merged.
var pendingFlags = map[string]string{}

// sendaCall finds a call of the senda program where a command starts (a
// line, or after ; & | or a parenthesis): `senda`, `./senda`,
// `.\senda.exe` or `go run ./cmd/senda`, and what follows it up to a pipe,
// a redirection or the end of the command. Comments are dropped first.
var sendaCall = regexp.MustCompile(`(?m)(?:^|[;&|(])[ \t]*(?:go run \./cmd/senda|\./senda|\.\\senda\.exe|senda)[ \t]+([^\n|;&>)]*)`)

// word is a subcommand: lowercase letters and dashes.
var word = regexp.MustCompile(`^[a-z][a-z-]*$`)

// command is one documented call: its subcommands and its flags.
type command struct {
	path  string   // "broadcast send"
	flags []string // "topic", "at"
	where string
}

// documentedCommands returns every senda call in the shell blocks (any
// marker, PowerShell too) and `code` spans of README.md, docs/ and
// deploy/README.md.
func documentedCommands(t *testing.T) []command {
	t.Helper()
	docs := readDocs(t)
	if b, err := os.ReadFile(filepath.Join(root, "deploy", "README.md")); err == nil {
		docs = append(docs, doc{path: "deploy/README.md", text: string(b)})
	}
	var out []command
	add := func(where, text string) {
		for _, m := range sendaCall.FindAllStringSubmatch(stripComments(text), -1) {
			if c, ok := parseCall(m[1]); ok {
				c.where = where
				out = append(out, c)
			}
		}
	}
	for _, d := range docs {
		for _, b := range blocks(d) {
			if isShell(b.lang) || b.lang == "powershell" {
				add(b.String(), b.body)
			}
		}
		for _, c := range backticked(d.text) {
			add(d.path, c)
		}
	}
	return out
}

// parseCall splits what follows `senda`: up to two subcommand words, then
// flags (--name or --name=value); arguments and flag values are skipped.
func parseCall(rest string) (command, bool) {
	var c command
	var path []string
	for i, f := range strings.Fields(rest) {
		switch {
		case strings.HasPrefix(f, "-"):
			name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
			if name != "" && name != "h" && name != "help" {
				c.flags = append(c.flags, name)
			}
		case i == len(path) && len(path) < 2 && word.MatchString(f):
			path = append(path, f)
		}
	}
	c.path = strings.Join(path, " ")
	return c, c.path != ""
}

// TestDocumentedCommandsExist asks the program itself: every documented
// subcommand answers -h, and lists every flag the docs give it.
func TestDocumentedCommandsExist(t *testing.T) {
	cmds := documentedCommands(t)
	if len(cmds) == 0 {
		t.Fatal("no senda command found in the docs")
	}
	bin := sendabin.Build(t)
	helps := map[string]string{}
	for _, c := range cmds {
		help, seen := helps[c.path]
		if !seen {
			cmd := exec.Command(bin, append(strings.Fields(c.path), "-h")...)
			cmd.Env = blockEnv(bin, t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				help = "\x00" + err.Error()
			} else {
				help = string(out)
			}
			helps[c.path] = help
		}
		if strings.HasPrefix(help, "\x00") {
			t.Errorf("%s: `senda %s` is not a command (%s)", c.where, c.path, help[1:])
			continue
		}
		for _, f := range c.flags {
			if pendingFlags[c.path+" --"+f] != "" {
				continue
			}
			// PrintDefaults lists "  -name"; a usage line may say "[--name 180d]".
			if !regexp.MustCompile(`(^|[\s\[])--?` + regexp.QuoteMeta(f) + `([\s=\]]|$)`).MatchString(help) {
				t.Errorf("%s: `senda %s` has no flag --%s", c.where, c.path, f)
			}
		}
	}
}
