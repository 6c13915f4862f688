// Package bot is Senda's service: the Twilio webhook, conversation sessions
// in Redis, health checks, and the wiring that starts and stops them.
package bot

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Environments.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// Defaults, with the reason for each.
const (
	// DefaultAddr is where the webhook listens; a reverse proxy usually
	// terminates TLS in front of it.
	DefaultAddr = ":8080"
	// DefaultSessionTTL is how long an idle conversation is remembered: long
	// enough to read a reply and answer, short enough that little lingers.
	DefaultSessionTTL = 30 * time.Minute
	// MinHashKeyLen is the shortest hash key accepted: 32 bytes is the
	// HMAC-SHA256 block-size guidance for full strength.
	MinHashKeyLen = 32
)

// Config is everything Senda reads from its environment. Secrets may come
// from files: NAME_FILE holds the path of a file whose content is NAME.
type Config struct {
	Env        string        // SENDA_ENV: development (default) or production
	Addr       string        // SENDA_ADDR: listen address
	PublicURL  string        // SENDA_PUBLIC_URL: the base URL Twilio calls, e.g. https://senda.example.org
	RedisURL   string        // SENDA_REDIS_URL: see ParseRedisURL; empty in development runs an embedded server
	AuthToken  string        // TWILIO_AUTH_TOKEN: signs Twilio's requests
	HashKey    string        // SENDA_HASH_KEY: keys the HMAC that names sessions
	SessionTTL time.Duration // SENDA_SESSION_TTL: idle time before a conversation is forgotten
	ContentDir string        // SENDA_CONTENT_DIR: a content pack folder; empty uses the embedded pack
	// DefaultLang is SENDA_DEFAULT_LANG: the language code new conversations
	// start in; empty means the pack's default language.
	DefaultLang string
	// LangByNumber is SENDA_NUMBER_LANGS: per Twilio number (the To of the
	// message), the language code new conversations start in, written
	// "+50212345678=es,whatsapp:+14155238886=en".
	LangByNumber map[string]string
}

// Getenv reads one setting; os.Getenv in production, a map in tests.
type Getenv func(string) string

// LoadConfig reads the configuration from the environment. It fails on
// values that cannot be parsed; Validate checks that they fit together.
func LoadConfig(getenv Getenv) (Config, error) {
	var errs []error
	secret := func(name string) string {
		v, err := readSecret(getenv, name)
		if err != nil {
			errs = append(errs, err)
		}
		return v
	}
	c := Config{
		Env:         strings.ToLower(strings.TrimSpace(getenv("SENDA_ENV"))),
		Addr:        strings.TrimSpace(getenv("SENDA_ADDR")),
		PublicURL:   strings.TrimSpace(getenv("SENDA_PUBLIC_URL")),
		RedisURL:    secret("SENDA_REDIS_URL"),
		AuthToken:   secret("TWILIO_AUTH_TOKEN"),
		HashKey:     secret("SENDA_HASH_KEY"),
		ContentDir:  strings.TrimSpace(getenv("SENDA_CONTENT_DIR")),
		DefaultLang: strings.TrimSpace(getenv("SENDA_DEFAULT_LANG")),
		SessionTTL:  DefaultSessionTTL,
	}
	if c.Env == "" {
		c.Env = EnvDevelopment
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if v := strings.TrimSpace(getenv("SENDA_SESSION_TTL")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("SENDA_SESSION_TTL=%q is not a duration: write it like 30m or 1h", v))
		}
		c.SessionTTL = d
	}
	if v := strings.TrimSpace(getenv("SENDA_NUMBER_LANGS")); v != "" {
		m, err := parseNumberLangs(v)
		if err != nil {
			errs = append(errs, err)
		}
		c.LangByNumber = m
	}
	return c, errors.Join(errs...)
}

// readSecret returns NAME, or the content of the file NAME_FILE names.
func readSecret(getenv Getenv, name string) (string, error) {
	v := strings.TrimSpace(getenv(name))
	path := strings.TrimSpace(getenv(name + "_FILE"))
	switch {
	case path == "":
		return v, nil
	case v != "":
		return "", fmt.Errorf("both %s and %s_FILE are set: keep one", name, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func parseNumberLangs(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		num, lang, ok := strings.Cut(strings.TrimSpace(pair), "=")
		num, lang = strings.TrimSpace(num), strings.TrimSpace(lang)
		if !ok || num == "" || lang == "" {
			return nil, fmt.Errorf("SENDA_NUMBER_LANGS: %q is not NUMBER=LANG; write it like +50212345678=es,whatsapp:+14155238886=en", pair)
		}
		m[num] = strings.ToLower(lang)
	}
	return m, nil
}

// Production reports whether the strict production rules apply.
func (c Config) Production() bool { return c.Env == EnvProduction }

// Validate checks the configuration as a whole and names every problem at
// once, in whole sentences.
func (c Config) Validate() error {
	var problems []string
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		problems = append(problems, fmt.Sprintf("SENDA_ENV=%q: use development or production.", c.Env))
	}
	if c.Production() {
		var missing []string
		for _, s := range []struct{ name, value string }{
			{"SENDA_REDIS_URL", c.RedisURL}, {"TWILIO_AUTH_TOKEN", c.AuthToken},
			{"SENDA_HASH_KEY", c.HashKey}, {"SENDA_PUBLIC_URL", c.PublicURL},
		} {
			if s.value == "" {
				missing = append(missing, s.name)
			}
		}
		if len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("Production needs %s; set %s (see deploy/senda.env.example).",
				strings.Join(missing, ", "), map[bool]string{true: "it", false: "them"}[len(missing) == 1]))
		}
	}
	if c.HashKey != "" && len(c.HashKey) < MinHashKeyLen {
		problems = append(problems, fmt.Sprintf("SENDA_HASH_KEY is %d bytes; use at least %d random bytes, e.g. the output of `openssl rand -base64 32`.", len(c.HashKey), MinHashKeyLen))
	}
	if c.PublicURL != "" {
		if err := checkPublicURL(c.PublicURL); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 24*time.Hour {
		problems = append(problems, fmt.Sprintf("SENDA_SESSION_TTL=%s: use between 1m and 24h.", c.SessionTTL))
	}
	if c.RedisURL != "" {
		if _, err := ParseRedisURL(c.RedisURL); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, " "))
	}
	return nil
}

func checkPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("SENDA_PUBLIC_URL=%q must be an absolute http(s) URL, the address Twilio calls, like https://senda.example.org.", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("SENDA_PUBLIC_URL=%q must not have a query or fragment; give only scheme, host and an optional path prefix.", s)
	}
	return nil
}
