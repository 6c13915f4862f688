// Package luatest holds Redis Lua scripts to the Go constants of the code
// that runs them: every string literal and literal return value a script
// holds must be one the Go side names, and every one the Go side names must
// be in the script, so renaming a field or an answer on one side only fails
// a test.
package luatest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Script is what one script may hold besides Redis command names (all
// capitals) and Lua syntax.
type Script struct {
	Literals []string // string literals, as the Go constants for them
	Returns  []int    // numbers the script returns literally
	Syntax   []string // literals that are syntax, not data: patterns, defaults, score bounds
}

var (
	luaString  = regexp.MustCompile(`'([^']*)'`)
	luaCommand = regexp.MustCompile(`^[A-Z]+$`)
	luaReturn  = regexp.MustCompile(`\breturn (\d+)\b`)
)

// Check compares every dir/*.lua with its entry in scripts; a script with
// no entry fails too. The empty string is always syntax.
func Check(t *testing.T, dir string, scripts map[string]Script) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in %s: %v", dir, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := scripts[name]
			if !ok {
				t.Fatalf("%s has no entry: list the Go constants for its literals", name)
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			code := stripComments(string(src))
			var lits []string
			for _, m := range luaString.FindAllStringSubmatch(code, -1) {
				if lit := m[1]; lit != "" && !luaCommand.MatchString(lit) && !slices.Contains(want.Syntax, lit) {
					lits = append(lits, lit)
				}
			}
			if g, w := set(lits), set(want.Literals); !slices.Equal(g, w) {
				t.Errorf("%s string literals = %q, Go constants = %q", name, g, w)
			}
			var rets, wantRets []string
			for _, m := range luaReturn.FindAllStringSubmatch(code, -1) {
				rets = append(rets, m[1])
			}
			for _, n := range want.Returns {
				wantRets = append(wantRets, strconv.Itoa(n))
			}
			if g, w := set(rets), set(wantRets); !slices.Equal(g, w) {
				t.Errorf("%s returns %q, Go constants = %q", name, g, w)
			}
		})
	}
}

// stripComments drops -- comments, which quote fields in prose.
func stripComments(src string) string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

func set(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
