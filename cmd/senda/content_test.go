package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyPack copies the default pack into a temporary folder to edit.
func copyPack(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pack")
	if err := os.CopyFS(dir, os.DirFS("../../content/pack")); err != nil {
		t.Fatalf("copy pack: %v", err)
	}
	return dir
}

func TestContentCommands(t *testing.T) {
	t.Parallel()
	dir := copyPack(t)
	stale := copyPack(t)
	facts := filepath.Join(stale, "facts.yaml")
	data, err := os.ReadFile(facts)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(facts, []byte(strings.Replace(string(data), "checked: 2026-11-20", "checked: 2020-01-01", 1)), 0o644)
	failing := copyPack(t)
	os.WriteFile(filepath.Join(failing, "tests.yaml"), []byte("tests:\n  - {phrase: \"me muero de risa\", page: crisis}\n  - {phrase: \"donde me regalan condones\", page: sexual_condones}\n"), 0o644)
	called := copyPack(t)
	os.WriteFile(filepath.Join(called, "facts.yaml"), regexp.MustCompile(`(?m)^(    value: "\d+"\n)`).ReplaceAll(data, []byte("${1}    called: 2026-12-01\n")), 0o644)

	cases := []struct {
		name       string
		args       []string
		code       int
		wantStdout []string
		wantStderr string
	}{
		{name: "check shows every language", args: []string{"content", "check", dir}, code: exitOK,
			wantStdout: []string{"phrase tests (tests.yaml) pass", "Replies in es", "Replies in en", "Replies in kaq", "kaq Kaqchikel: 0 of", "not offered yet", "mp_mujeres (1572)"}},
		{name: "stale facts fail the check", args: []string{"content", "check", "-q", "--stale", "180d", stale}, code: exitError,
			wantStdout: []string{"Not checked for more than 180 days", "policia (110), checked 2020-01-01", "1 fact(s) not checked within 180d"}},
		{name: "a phrase test that fails is named", args: []string{"content", "check", "-q", failing}, code: exitError,
			wantStdout: []string{`tests.yaml:2: "me muero de risa" reached none, want crisis`, "1 of 2 phrase tests (tests.yaml) pass"}},
		{name: "no stale facts", args: []string{"content", "check", "-q", "--stale", "100000d", dir}, code: exitOK},
		{name: "no number rung: not ready to launch", args: []string{"content", "check", "-q", "--launch", "--date", "2026-12-07", dir}, code: exitError,
			wantStdout: []string{"policia (110), never rung", "bomberos_vol (122)", "bomberos_mun (123)", "pdh (1555)", "mp_extorsion (1574)", "mp_mujeres (1572)",
				"6 number(s) not confirmed by a call", "no listo para lanzar"}},
		{name: "every number rung: ready to launch", args: []string{"content", "check", "-q", "--launch", "--date", "2026-12-07", called}, code: exitOK,
			wantStdout: []string{"every number people see was confirmed by a call in the last 180 days"}},
		{name: "rung too long ago", args: []string{"content", "check", "-q", "--launch", "--date", "2027-07-01", called}, code: exitError,
			wantStdout: []string{"pdh (1555), last rung / última llamada 2026-12-01"}},
		{name: "a bad date", args: []string{"content", "check", "--launch", "--date", "mañana", dir}, code: exitUsage, wantStderr: "write the day as YYYY-MM-DD"},
		{name: "a bad age", args: []string{"content", "check", "--stale", "soon", dir}, code: exitUsage, wantStderr: "write it as days"},
		{name: "export csv", args: []string{"content", "export", "--lang", "kaq", dir}, code: exitOK,
			wantStdout: []string{"key,status,source,translation", "node.emergencia.text,missing,"}},
		{name: "export po", args: []string{"content", "export", "--lang", "kaq", "--format", "po"}, code: exitOK,
			wantStdout: []string{`msgctxt "node.inicio.title"`, `msgid "Inicio"`}},
		{name: "export needs a language", args: []string{"content", "export", dir}, code: exitUsage, wantStderr: "--lang is required"},
		{name: "export the default language", args: []string{"content", "export", "--lang", "es", dir}, code: exitUsage, wantStderr: "not a language of the pack other than the default"},
		{name: "import needs a folder", args: []string{"content", "import", "--lang", "kaq", "x.csv"}, code: exitUsage, wantStderr: "give the pack folder"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			for _, w := range c.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			if !strings.Contains(stderr, c.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantStderr, stderr)
			}
		})
	}
}

// A translator's round trip: export, translate (a marker stands in for
// Kaqchikel, which only translators write), import, check.
func TestContentImport(t *testing.T) {
	t.Parallel()
	dir := copyPack(t)
	code, csv, stderr := runCmd(t, nil, "", "content", "export", "--lang", "kaq", dir)
	if code != exitOK {
		t.Fatalf("export: %d %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	// Translate the second row only, as a draft.
	lines[1] = strings.Replace(lines[1], ",missing,", ",draft,", 1) + "KAQ"
	file := filepath.Join(t.TempDir(), "kaq.csv")
	os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	code, out, stderr := runCmd(t, nil, "", "content", "import", "--lang", "kaq", file, dir)
	if code != exitOK || !strings.Contains(out, "1 translation(s), 0 reviewed") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "translations", "kaq.yaml")); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, nil, "", "content", "check", "-q", dir)
	if code != exitOK || !strings.Contains(out, "kaq Kaqchikel: 0 of") {
		t.Fatalf("check after a draft import: exit %d\n%s", code, out)
	}
}
