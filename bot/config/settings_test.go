package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSettingsListsWhatLoadReads records every variable Load, LoadClient,
// Addr and ContentDir look up: each is in Settings, a setting is Secret
// exactly when its NAME_FILE is read too, and nothing in Settings goes
// unread.
func TestSettingsListsWhatLoadReads(t *testing.T) {
	t.Parallel()
	read := map[string]bool{}
	record := func(name string) (string, bool) { read[name] = true; return "", false }
	Load(record)
	LoadClient(record)
	Addr(record)
	ContentDir(record)
	listed := map[string]bool{}
	for _, s := range Settings() {
		if listed[s.Name] {
			t.Errorf("%s is listed twice", s.Name)
		}
		listed[s.Name] = true
		if !read[s.Name] {
			t.Errorf("%s is listed but never read", s.Name)
		}
		if s.Secret != read[s.Name+"_FILE"] {
			t.Errorf("%s: Secret is %v, but %s_FILE read is %v", s.Name, s.Secret, s.Name, read[s.Name+"_FILE"])
		}
	}
	for name := range read {
		base, isFile := strings.CutSuffix(name, "_FILE")
		if !listed[name] && !(isFile && listed[base]) {
			t.Errorf("%s is read but not in Settings", name)
		}
	}
}

func TestExplainMasksSecretsAndNamesSources(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "hash")
	os.WriteFile(file, []byte("a-hash-key-that-is-secret-0123456789\n"), 0o600)
	lines := Explain(env(map[string]string{
		"SENDA_ENV":           "production",
		"SENDA_REDIS_URL":     "redis://:hunter2pass@127.0.0.1:6379/0",
		"TWILIO_AUTH_TOKEN":   "tokentokentoken99",
		"SENDA_HASH_KEY_FILE": file,
		"SENDA_QUIET_HOURS":   "",
	}))
	got := map[string]Line{}
	var all strings.Builder
	for _, l := range lines {
		got[l.Name] = l
		all.WriteString(l.Value + "\n")
	}
	for _, secret := range []string{"hunter2pass", "tokentokentoken99", "a-hash-key"} {
		if strings.Contains(all.String(), secret) {
			t.Errorf("a secret shows: %q in\n%s", secret, all.String())
		}
	}
	for name, want := range map[string]Line{
		"SENDA_ENV":         {Source: FromEnv, Value: "production"},
		"SENDA_ADDR":        {Source: FromDefault, Value: DefaultAddr},
		"SENDA_REDIS_URL":   {Source: FromEnv, Value: "redis://:xxxxx@127.0.0.1:6379/0"},
		"TWILIO_AUTH_TOKEN": {Source: FromEnv, Value: "set, 17 characters"},
		"SENDA_HASH_KEY":    {Source: FromFile, Value: "set, 36 characters (from " + file + ")"},
		"SENDA_QUIET_HOURS": {Source: FromEnv, Value: ""},
	} {
		if l := got[name]; l.Source != want.Source || l.Value != want.Value {
			t.Errorf("%s: %s %q, want %s %q", name, l.Source, l.Value, want.Source, want.Value)
		}
	}
	if len(lines) != len(Settings()) {
		t.Errorf("%d lines for %d settings", len(lines), len(Settings()))
	}
}

func TestProductionProblems(t *testing.T) {
	t.Parallel()
	complete := map[string]string{
		"SENDA_ENV":       "development", // checked as production whatever it says
		"SENDA_REDIS_URL": "redis://localhost:6379/0", "TWILIO_AUTH_TOKEN": "t",
		"SENDA_HASH_KEY": strings.Repeat("k", 32), "SENDA_PUBLIC_URL": "https://senda.example.org",
	}
	if p := ProductionProblems(env(complete)); len(p) != 0 {
		t.Fatalf("a complete configuration has problems: %q", p)
	}
	if p := ProductionProblems(env(nil)); len(p) != 1 || !strings.Contains(p[0], "SENDA_REDIS_URL, TWILIO_AUTH_TOKEN, SENDA_HASH_KEY, SENDA_PUBLIC_URL") {
		t.Errorf("nothing set: %q", p)
	}
	bad := env(complete).Over(map[string]string{"SENDA_WORKERS": "many", "SENDA_WHATSAPP_FROM": "whatsapp:+"})
	p := ProductionProblems(bad)
	if !slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(s, "SENDA_WORKERS=") }) ||
		!slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(s, "SENDA_WHATSAPP_FROM must be whatsapp:") }) {
		t.Errorf("problems %q: want SENDA_WORKERS and SENDA_WHATSAPP_FROM named", p)
	}
}

// TestPlaceholdersAreRefused: values left half-filled from an example file
// are refused with a sentence, whether or not subscriptions are on.
func TestPlaceholdersAreRefused(t *testing.T) {
	t.Parallel()
	for name, value := range map[string]string{
		"SENDA_WHATSAPP_FROM":         "whatsapp:+",
		"SENDA_TWILIO_FROM":           "+",
		"TWILIO_ACCOUNT_SID":          "AC…",
		"SENDA_MESSAGING_SERVICE_SID": "MG…",
		"TWILIO_API_KEY":              "SK…",
	} {
		c, err := Load(env(map[string]string{name: value}))
		if err != nil {
			t.Fatal(err)
		}
		err = c.Validate()
		if err == nil || !strings.Contains(err.Error(), name+" must be") {
			t.Errorf("%s=%q: %v; want a sentence naming it", name, value, err)
		}
	}
}
