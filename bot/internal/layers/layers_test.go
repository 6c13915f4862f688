package layers

import (
	"errors"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	module   = "github.com/senda-org/senda"
	twilioGo = "github.com/twilio/twilio-go"
)

// pkg is one of the module's packages: its import path and what its files
// import, without and with its tests.
type pkg struct {
	path        string
	imports     []string // non-test files
	testImports []string // _test.go files, in the package and outside it
}

// modulePackages reads every package of the module from source, with
// go/build (the same file selection as the go command for this machine).
func modulePackages(t *testing.T) map[string]pkg {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	pkgs := map[string]pkg{}
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); dir != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		bp, err := build.Default.ImportDir(dir, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, dir)
		path := module
		if rel != "." {
			path += "/" + filepath.ToSlash(rel)
		}
		pkgs[path] = pkg{path: path, imports: bp.Imports, testImports: append(slices.Clone(bp.TestImports), bp.XTestImports...)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pkgs[module+"/bot/config"]; !ok || len(pkgs) < 20 {
		t.Fatalf("read %d packages, bot/config among them: %v; is the walk reading the module?", len(pkgs), ok)
	}
	return pkgs
}

// ours lists the module's packages among imports.
func ours(imports []string) []string {
	var out []string
	for _, p := range imports {
		if p == module || strings.HasPrefix(p, module+"/") {
			out = append(out, p)
		}
	}
	return out
}

// TestConfigImportsOnlyLeaves: every package may read settings, so
// bot/config must not import one that imports others (bot/broadcast and
// bot/subscribers did).
func TestConfigImportsOnlyLeaves(t *testing.T) {
	pkgs := modulePackages(t)
	for _, dep := range ours(pkgs[module+"/bot/config"].imports) {
		if deeper := ours(pkgs[dep].imports); len(deeper) > 0 {
			t.Errorf("bot/config imports %s, which is not a leaf: it imports %v; move what config needs into a leaf package", dep, deeper)
		}
	}
}

// TestMetricsKnowsNoFlowsOrContent: bot/metrics holds counters and writes
// them; it must not depend, even through another package, on the menu
// (flows) or the pack (content).
func TestMetricsKnowsNoFlowsOrContent(t *testing.T) {
	pkgs := modulePackages(t)
	seen := map[string]string{} // package → the package that imports it
	queue := []string{module + "/bot/metrics"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, dep := range ours(pkgs[p].imports) {
			if _, ok := seen[dep]; !ok {
				seen[dep] = p
				queue = append(queue, dep)
			}
		}
	}
	for _, banned := range []string{module + "/flows", module + "/content"} {
		if by, ok := seen[banned]; ok {
			t.Errorf("bot/metrics depends on %s (imported by %s); count what needs it where it happens", banned, by)
		}
	}
}

// TestOnlyBotTwilioImportsTwilioGo: Twilio's APIs are called from
// bot/twilio only, tests included. content may use twilio-go's twiml
// package, markup only, to render replies once when the pack loads.
func TestOnlyBotTwilioImportsTwilioGo(t *testing.T) {
	pkgs := modulePackages(t)
	for _, p := range pkgs {
		if p.path == module+"/bot/twilio" || strings.HasPrefix(p.path, module+"/bot/twilio/") {
			continue
		}
		for _, imp := range append(slices.Clone(p.imports), p.testImports...) {
			if imp != twilioGo && !strings.HasPrefix(imp, twilioGo+"/") {
				continue
			}
			if p.path == module+"/content" && imp == twilioGo+"/twiml" {
				continue
			}
			t.Errorf("%s imports %s; only bot/twilio may talk to Twilio", p.path, imp)
		}
	}
}
