package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Setting is one variable Senda reads. The list in Settings is what
// `senda config check` reports and what the docs check holds the settings
// tables of README.md and docs/ to.
type Setting struct {
	Name string
	// Secret settings may come from a file named by NAME_FILE, and their
	// values are never shown.
	Secret bool
	// Default says what applies while the setting is unset.
	Default string
	// Client settings are read by the admin client (senda broadcast,
	// senda stats), not by the server.
	Client bool
}

// Settings lists every variable Senda reads, server's first.
func Settings() []Setting {
	return []Setting{
		{Name: "SENDA_ENV", Default: EnvDevelopment},
		{Name: "SENDA_ADDR", Default: DefaultAddr},
		{Name: "SENDA_PUBLIC_URL"},
		{Name: "SENDA_REDIS_URL", Secret: true, Default: "embedded, in development"},
		{Name: "TWILIO_AUTH_TOKEN", Secret: true},
		{Name: "TWILIO_AUTH_TOKEN_PREVIOUS", Secret: true},
		{Name: "SENDA_HASH_KEY", Secret: true, Default: "random, in development"},
		{Name: "SENDA_HASH_KEY_OLD", Secret: true},
		{Name: "SENDA_SESSION_TTL", Default: "30m"},
		{Name: "SENDA_CONTENT_DIR", Default: "the embedded pack"},
		{Name: "SENDA_DEFAULT_LANG", Default: "the pack's default language"},
		{Name: "SENDA_NUMBER_LANGS"},
		{Name: "SENDA_LOG_LEVEL", Default: "info"},
		{Name: "SENDA_SUBSCRIBER_KEY", Secret: true, Default: "none: subscriptions off"},
		{Name: "SENDA_SUBSCRIBER_KEYS_OLD", Secret: true},
		{Name: "SENDA_ADMIN_TOKENS", Secret: true, Default: "none: admin API and console off"},
		{Name: "SENDA_TRUST_PROXY", Default: "false"},
		{Name: "TWILIO_ACCOUNT_SID"},
		{Name: "TWILIO_API_KEY"},
		{Name: "TWILIO_API_SECRET", Secret: true},
		{Name: "SENDA_MESSAGING_SERVICE_SID"},
		{Name: "SENDA_TWILIO_FROM"},
		{Name: "SENDA_WHATSAPP_FROM"},
		{Name: "SENDA_TWILIO_API_BASE", Default: "Twilio's"},
		{Name: "SENDA_TWILIO_MPS", Default: strconv.Itoa(DefaultMPS)},
		{Name: "SENDA_QUIET_HOURS", Default: DefaultQuietHours},
		{Name: "SENDA_TIMEZONE", Default: DefaultTimeZone},
		{Name: "SENDA_WHATSAPP_DAILY_CAP", Default: strconv.Itoa(DefaultDailyCap)},
		{Name: "SENDA_WORKERS", Default: "from SENDA_TWILIO_MPS"},
		{Name: "SENDA_WAIT_REPLICAS", Default: "0"},
		{Name: "SENDA_OPTOUT_DIR", Default: "none: no opt-out journal"},
		{Name: "SENDA_OPTOUT_DAYS", Default: strconv.Itoa(DefaultOptOutDays)},
		{Name: "SENDA_REPORT_DAYS", Default: strconv.Itoa(DefaultReportDays)},
		{Name: "SENDA_TWILIO_ERASE", Default: "on in production with Twilio's REST credentials, else off"},
		{Name: "SENDA_TWILIO_ERASE_RPS", Default: strconv.Itoa(DefaultEraseRPS)},
		{Name: "SENDA_ADMIN_URL", Client: true, Default: "http://localhost:8080"},
		{Name: "SENDA_ADMIN_TOKEN", Secret: true, Client: true},
	}
}

// Source says where a setting's value comes from.
type Source string

// Sources of a value.
const (
	FromEnv     Source = "env"     // the variable itself
	FromFile    Source = "file"    // the file NAME_FILE names
	FromDefault Source = "default" // unset
)

// Line is one setting as `senda config check` shows it.
type Line struct {
	Setting
	Source Source
	// Value is what is set, or the default; a secret's is masked, and a
	// Redis URL shows without its password.
	Value string
}

// Explain says, for every setting, where its value comes from and what it
// is, without showing a secret.
func Explain(getenv Lookup) []Line {
	var lines []Line
	for _, s := range Settings() {
		l := Line{Setting: s, Source: FromDefault, Value: s.Default}
		v, set := getenv(s.Name)
		path := ""
		if s.Secret {
			path = getenv.get(s.Name + "_FILE")
		}
		switch {
		case path != "":
			l.Source = FromFile
			b, err := os.ReadFile(path)
			if err != nil {
				l.Value = fmt.Sprintf("%s_FILE=%s cannot be read: %v", s.Name, path, errors.Unwrap(err))
				break
			}
			l.Value = mask(s.Name, strings.TrimSpace(string(b))) + " (from " + path + ")"
		case set:
			l.Source = FromEnv
			l.Value = strings.TrimSpace(v)
			if s.Secret {
				l.Value = mask(s.Name, l.Value)
			}
		}
		lines = append(lines, l)
	}
	return lines
}

// mask hides a secret: a Redis URL keeps everything but its password,
// anything else shows only its length.
func mask(name, v string) string {
	switch {
	case v == "":
		return "(empty)"
	case name == "SENDA_REDIS_URL":
		if u, err := url.Parse(v); err == nil && u.Host != "" {
			return u.Redacted()
		}
	}
	return fmt.Sprintf("set, %d characters", len(v))
}

// ProductionProblems lists, one whole sentence each, why production
// (SENDA_ENV=production) would refuse to start with these settings,
// whatever SENDA_ENV says now. It reads secret files but connects to
// nothing: Redis and the content pack are checked when Senda starts.
func ProductionProblems(getenv Lookup) []string {
	c, err := Load(getenv.Over(map[string]string{"SENDA_ENV": EnvProduction}))
	var problems []string
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			problems = append(problems, e.Error())
		}
	}
	return append(problems, c.Problems()...)
}
