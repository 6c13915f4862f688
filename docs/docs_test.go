// The docs check. It fails when the documentation drifts from the program:
//
//   - every SENDA_*/TWILIO_* name in README.md, docs/ and deploy/ is a
//     setting in bot/config (config.Settings), a secret's NAME_FILE, or one
//     of the few names in notSettings;
//   - every setting is documented exactly once in a settings table (a table
//     whose first header cell is "variable"), and such tables hold settings
//     only;
//   - every file a doc links to or names in `code` exists;
//   - every shell block (```sh, ```bash or ```shell) in README.md and docs/
//     carries one marker after the language, and the blocks marked runnable
//     run;
//   - step 4 of docs/OPERATIONS.md, applied to deploy/senda.env.example,
//     gives a Senda that `senda config check` accepts and that answers
//     /readyz in production;
//   - every `senda` command and flag the docs show (in any shell or
//     PowerShell block, or `code`) is one the program lists in its -h;
//   - GUIA.md's **bold** is only what the console says.
//
// Markers, the word after the language of a shell block (```sh runnable):
//
//	runnable      this check runs it: bash -eo pipefail, in a fresh copy of the
//	              repository's tracked files, with `senda` on PATH (built once;
//	              `go run ./cmd/senda` is read as `senda`), no SENDA_* or
//	              TWILIO_* variables, and a minute at most
//	serve         starts `senda serve` (development): the check runs it in the
//	              background on a free port until the end of the document, and
//	              the later runnable blocks reach it at localhost:8080
//	needs-root    a Debian server, as root (packages, systemd, /etc)
//	needs-docker  Docker or podman with compose
//	needs-server  a running production Senda and an admin token
//	needs-twilio  a Twilio account
//	slow          the whole test suite, load tests, benchmarks: CI or a person
//	              runs them, this check does not
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/internal/sendabin"
)

func TestMain(m *testing.M) {
	code := m.Run()
	sendabin.Cleanup()
	os.Exit(code)
}

// markers are the words a shell block may carry; true means this check runs it.
var markers = map[string]bool{
	"runnable": true, "serve": true,
	"needs-root": false, "needs-docker": false, "needs-server": false, "needs-twilio": false, "slow": false,
}

// notSettings are names the docs use that Senda does not read, and why.
var notSettings = map[string]string{
	"SENDA_DOMAIN":         "the Caddyfile's domain, set for Caddy",
	"SENDA_UPSTREAM":       "the Caddyfile's upstream, set by compose.yaml",
	"SENDA_VERSION":        "the image tag compose builds",
	"SENDA_TEST_REDIS_URL": "the Redis the tests use (bot/redistest)",
	"SENDA_SKIP_PODMAN":    "deploy/release-check.sh's switch",
	"SENDA_EVAL_MISSES":    "lists each miss of the understanding evaluation (flows tests)",
}

// unmarked lists docs edited on another branch whose shell blocks do not
// carry markers yet; each must leave this list once it does.
var unmarked = map[string]bool{}

var settingName = regexp.MustCompile(`\b(SENDA|TWILIO)_[A-Z0-9_]*[A-Z0-9]\b`)

// knownNames is every name a doc may use: settings, secrets' NAME_FILE and
// notSettings.
func knownNames() map[string]bool {
	known := map[string]bool{}
	for _, s := range config.Settings() {
		known[s.Name] = true
		if s.Secret {
			known[s.Name+"_FILE"] = true
		}
	}
	for n := range notSettings {
		known[n] = true
	}
	return known
}

func TestDocumentedNamesAreSettings(t *testing.T) {
	t.Parallel()
	known := knownNames()
	texts := map[string]string{}
	for _, d := range readDocs(t) {
		texts[d.path] = d.text
	}
	deploy, err := filepath.Glob(filepath.Join(root, "deploy", "*"))
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob(filepath.Join(root, "deploy", "prometheus", "*"))
	for _, p := range append(deploy, more...) {
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || strings.HasSuffix(p, ".go") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		texts[filepath.ToSlash(rel)] = string(b)
	}
	for path, text := range texts {
		for i, line := range strings.Split(text, "\n") {
			for _, name := range settingName.FindAllString(line, -1) {
				if !known[name] {
					t.Errorf("%s:%d names %s, which Senda does not read (bot/config Settings)", path, i+1, name)
				}
			}
		}
	}
}

func TestEverySettingIsDocumentedOnce(t *testing.T) {
	t.Parallel()
	known := knownNames()
	rows := map[string][]string{} // setting → where it is a row
	for _, d := range readDocs(t) {
		for _, tb := range tables(d) {
			if len(tb.header) == 0 || tb.header[0] != "variable" {
				continue
			}
			for _, r := range tb.rows {
				names := settingName.FindAllString(r[0], -1)
				if len(names) == 0 {
					t.Errorf("%s: a settings table row names no setting: %q", d.path, r[0])
				}
				for _, n := range names {
					if !known[n] || notSettings[n] != "" {
						t.Errorf("%s: settings table row %s is not a setting Senda reads", d.path, n)
					}
					rows[n] = append(rows[n], d.path)
				}
			}
		}
	}
	for _, s := range config.Settings() {
		switch where := rows[s.Name]; len(where) {
		case 0:
			t.Errorf("%s is not in any settings table (a table whose first column is \"variable\")", s.Name)
		case 1:
		default:
			t.Errorf("%s is documented %d times, in %v: keep one row", s.Name, len(where), where)
		}
	}
}

// mdLink finds the target of a Markdown link.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// repoPath is a `code` span that names a file or folder of the repository.
var repoPath = regexp.MustCompile(`^(\.ci|bot|cmd|content|deploy|docs|flows)/[A-Za-z0-9_./-]*$|^[A-Z]+\.md$`)

// generated are paths the docs name that a command or a person makes, not
// the repository, and who makes them.
var generated = map[string]string{
	"deploy/senda.env":                    "the operator, from senda.env.example",
	"deploy/secrets":                      "deploy/make-secrets.sh",
	"bot/console/browsertest/screenshots": "bot/console/browsertest/run.sh",
	"content/pack/translations/kaq.yaml":  "senda content import --lang kaq",
	"deploy/loadtest/out":                 "deploy/loadtest/run.sh",
}

func isGenerated(p string) bool {
	for g := range generated {
		if p == g || strings.HasPrefix(p, g+"/") {
			return true
		}
	}
	return false
}

func TestCitedFilesExist(t *testing.T) {
	t.Parallel()
	docs := readDocs(t)
	if b, err := os.ReadFile(filepath.Join(root, "deploy", "README.md")); err == nil {
		docs = append(docs, doc{path: "deploy/README.md", text: string(b)})
	}
	for _, d := range docs {
		cited := map[string]bool{}
		for _, m := range mdLink.FindAllStringSubmatch(d.text, -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if target == "" || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			cited[filepath.ToSlash(filepath.Join(filepath.Dir(d.path), target))] = true
		}
		for _, c := range backticked(d.text) {
			if c = strings.TrimSuffix(c, "/"); repoPath.MatchString(c) && !isGenerated(c) {
				cited[c] = true
			}
		}
		for p := range cited {
			if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
				t.Errorf("%s cites %s, which does not exist", d.path, p)
			}
		}
	}
}
