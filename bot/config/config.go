// Package config reads every Senda setting once, from SENDA_* and TWILIO_*
// variables, into typed fields, and checks that they fit together. No other
// package reads the environment.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/localtime"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/twilio"
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
	Env       string       // SENDA_ENV: development (default) or production
	Addr      string       // SENDA_ADDR: listen address
	PublicURL string       // SENDA_PUBLIC_URL: the base URL Twilio calls, e.g. https://senda.example.org
	RedisURL  string       // SENDA_REDIS_URL: see ParseRedisURL; empty in development runs an embedded server
	Redis     RedisOptions // SENDA_REDIS_URL parsed; zero when it is empty
	// Twilio is every setting of Twilio's APIs (TWILIO_ACCOUNT_SID,
	// TWILIO_AUTH_TOKEN and _PREVIOUS, TWILIO_API_KEY and _SECRET,
	// SENDA_TWILIO_API_BASE, SENDA_MESSAGING_SERVICE_SID, SENDA_TWILIO_FROM,
	// SENDA_WHATSAPP_FROM) in the one struct bot/twilio takes. Load starts
	// it from twilio.DefaultConfig (privacy parameters on).
	Twilio  twilio.Config
	HashKey []byte // SENDA_HASH_KEY: keys the HMAC that names sessions
	// HashKeyOld is SENDA_HASH_KEY_OLD: the previous hash key, set only
	// while `senda subscribers rotate-hash-key` moves subscribers to the
	// new one (a BAJA meanwhile deletes the record under both).
	HashKeyOld []byte
	SessionTTL time.Duration // SENDA_SESSION_TTL: idle time before a conversation is forgotten
	ContentDir string        // SENDA_CONTENT_DIR: a content pack folder; empty uses the embedded pack
	LogLevel   slog.Level    // SENDA_LOG_LEVEL: debug, info (default), warn or error
	// DefaultLang is SENDA_DEFAULT_LANG: the language code new conversations
	// start in; empty means the pack's default language.
	DefaultLang string
	// LangByNumber is SENDA_NUMBER_LANGS: per Twilio number (the To of the
	// message), the language code new conversations start in, written
	// "+50212345678=es,whatsapp:+14155238886=en".
	LangByNumber map[string]string

	// Erase is SENDA_TWILIO_ERASE resolved: delete every message (inbound,
	// reply, broadcast) from the Twilio account once it is final. Unset, it
	// is on in production when Twilio's REST credentials are set; "off"
	// turns it off; "on" requires the credentials.
	Erase bool
	// EraseRPS is SENDA_TWILIO_ERASE_RPS: DELETEs a second for all
	// processes together.
	EraseRPS float64

	Broadcast BroadcastConfig
}

// DefaultEraseRPS keeps erasures well below Twilio's REST limits, which
// broadcasts share: 18,000 an hour.
const DefaultEraseRPS = 5

// BroadcastConfig is what opt-in updates need. Subscriptions are on when
// SENDA_SUBSCRIBER_KEY is set; delivery needs the Twilio REST settings too
// (Config.Twilio, twilio.Config.Sends).
type BroadcastConfig struct {
	SubscriberKey     []byte            // SENDA_SUBSCRIBER_KEY: 32 bytes, base64; seals subscribers' addresses
	SubscriberKeysOld [][]byte          // SENDA_SUBSCRIBER_KEYS_OLD: comma-separated keys still opened during a rotation
	AdminTokens       map[string]string // SENDA_ADMIN_TOKENS: name:token,… for the admin API
	TrustProxy        bool              // SENDA_TRUST_PROXY: take the client address from X-Forwarded-For (behind a proxy you run)

	MPS        float64 // SENDA_TWILIO_MPS: messages per second for all workers together
	QuietHours string  // SENDA_QUIET_HOURS: e.g. 20:00-08:00; empty turns them off
	TimeZone   string  // SENDA_TIMEZONE: where quiet hours and daily caps are counted
	DailyCap   int     // SENDA_WHATSAPP_DAILY_CAP: people reached with WhatsApp templates in a rolling 24 hours (Meta's tier)
	Workers    int     // SENDA_WORKERS: deliveries in flight at once per process; 0 sizes them from the rate
	// OptOutDir (SENDA_OPTOUT_DIR) holds the opt-out journal, outside Redis,
	// replayed on start so a restored backup cannot re-subscribe someone
	// who left after it was taken; empty keeps no journal.
	OptOutDir string
	// OptOutRetention (SENDA_OPTOUT_DAYS, in days) is how long journal lines
	// are kept: as long as Redis backups are.
	OptOutRetention time.Duration
	// WaitReplicas (SENDA_WAIT_REPLICAS) is how many replicas must have a
	// delivery's ledger claim and a fan-out's queue entries before a worker
	// goes on (Redis WAIT), so a master failover cannot lose them and send
	// a message twice or not at all; 0 (one server) waits for none.
	WaitReplicas int
	// Quiet is QuietHours in TimeZone, parsed. Validate reports a span that
	// does not parse once subscriptions are on.
	Quiet    localtime.QuietHours
	quietErr error
	// ReportDays is SENDA_REPORT_DAYS: how long a report people send in
	// (AVISAR) waits for staff before it is deleted unread.
	ReportDays int
}

// DefaultOptOutDays is how long the opt-out journal keeps a line unless
// SENDA_OPTOUT_DAYS says otherwise: a common backup retention (90 days).
const DefaultOptOutDays = 90

// DefaultReportDays is how long a report people send in (AVISAR) waits
// for staff unless SENDA_REPORT_DAYS says otherwise.
const DefaultReportDays = 30

// Broadcast defaults, with the reasons for them.
const (
	// DefaultMPS is WhatsApp's default sender rate on Twilio; a long-code SMS
	// sender manages about one segment a second and should set 1.
	DefaultMPS = 10
	// DefaultQuietHours is the window aggregators allow business SMS in
	// Guatemala (08:00-20:00) turned around.
	DefaultQuietHours = "20:00-08:00"
	DefaultTimeZone   = "America/Guatemala"
	// DefaultDailyCap is Meta's first tier for a new business: 250 people a day.
	DefaultDailyCap = 250
	// twilioLatency is a generous time for Twilio to answer one create:
	// each worker waits for it, so a process needs rate × latency of them
	// to keep up with SENDA_TWILIO_MPS.
	twilioLatency = 500 * time.Millisecond
	minWorkers    = 4
	// MinAdminTokenLen keeps admin tokens out of guessing range.
	MinAdminTokenLen = 16
)

// WorkerCount is how many deliveries one process keeps in flight: as set,
// or enough to hold SENDA_TWILIO_MPS while each waits up to half a second
// for Twilio's answer (at least 4).
func (b BroadcastConfig) WorkerCount() int {
	if b.Workers > 0 {
		return b.Workers
	}
	return min(max(minWorkers, int(math.Ceil(b.MPS*twilioLatency.Seconds()))), 256)
}

// Location is SENDA_TIMEZONE loaded: the zone quiet hours, daily caps, the
// anonymous daily figures and the times staff type and read are in.
func (b BroadcastConfig) Location() (*time.Location, error) {
	return loadZone(b.TimeZone)
}

func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(cmp.Or(name, DefaultTimeZone))
	if err != nil {
		return nil, fmt.Errorf("SENDA_TIMEZONE=%q is not a time zone; write it like America/Guatemala: %w", name, err)
	}
	return loc, nil
}

// Subscriptions reports whether people may opt in to updates.
func (b BroadcastConfig) Subscriptions() bool { return len(b.SubscriberKey) > 0 }

// Keyring builds the keyring that seals subscribers' addresses from the
// keys; nil when subscriptions are off.
func (b BroadcastConfig) Keyring() (*sealer.Keyring, error) {
	if !b.Subscriptions() {
		return nil, nil
	}
	return sealer.New(b.SubscriberKey, b.SubscriberKeysOld...)
}

// Lookup reads one setting and says whether it is set at all (an empty
// value can mean something: SENDA_QUIET_HOURS= turns quiet hours off).
// os.LookupEnv in production, a map in tests.
type Lookup func(string) (string, bool)

// get reads a setting, trimmed; unset reads as empty.
func (g Lookup) get(name string) string {
	v, _ := g(name)
	return strings.TrimSpace(v)
}

// Over returns a lookup that answers from values first, then from g:
// command-line flags laid over the environment.
func (g Lookup) Over(values map[string]string) Lookup {
	return func(name string) (string, bool) {
		if v, ok := values[name]; ok {
			return v, true
		}
		return g(name)
	}
}

// reader reads settings and collects what cannot be parsed.
type reader struct {
	getenv Lookup
	errs   []error
}

func (r *reader) str(name string) string { return r.getenv.get(name) }

func (r *reader) fail(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// secret reads NAME or the file NAME_FILE names.
func (r *reader) secret(name string) string {
	v, err := readSecret(r.getenv, name)
	r.fail(err)
	return v
}

func (r *reader) number(name string, def float64) float64 {
	v := r.str(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.fail(fmt.Errorf("%s=%q is not a number", name, v))
		return def
	}
	return f
}

func (r *reader) integer(name string, def int) int {
	v := r.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		r.fail(fmt.Errorf("%s=%q is not a whole number", name, v))
		return def
	}
	return n
}

// Load reads the configuration from the environment. It fails on values
// that cannot be parsed; Validate checks that they fit together.
func Load(getenv Lookup) (Config, error) {
	r := &reader{getenv: getenv}
	c := Config{
		Env:         cmp.Or(strings.ToLower(r.str("SENDA_ENV")), EnvDevelopment),
		Addr:        cmp.Or(r.str("SENDA_ADDR"), DefaultAddr),
		PublicURL:   r.str("SENDA_PUBLIC_URL"),
		RedisURL:    r.secret("SENDA_REDIS_URL"),
		Twilio:      r.twilio(),
		HashKey:     []byte(r.secret("SENDA_HASH_KEY")),
		HashKeyOld:  []byte(r.secret("SENDA_HASH_KEY_OLD")),
		ContentDir:  r.str("SENDA_CONTENT_DIR"),
		DefaultLang: r.str("SENDA_DEFAULT_LANG"),
		SessionTTL:  DefaultSessionTTL,
	}
	if v := r.str("SENDA_LOG_LEVEL"); v != "" && c.LogLevel.UnmarshalText([]byte(v)) != nil {
		r.fail(fmt.Errorf("SENDA_LOG_LEVEL=%q: use debug, info, warn or error", v))
	}
	if c.RedisURL != "" {
		opts, err := ParseRedisURL(c.RedisURL)
		r.fail(err)
		c.Redis = opts
	}
	if v := r.str("SENDA_SESSION_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			r.fail(fmt.Errorf("SENDA_SESSION_TTL=%q is not a duration: write it like 30m or 1h", v))
		}
		c.SessionTTL = d
	}
	if v := r.str("SENDA_NUMBER_LANGS"); v != "" {
		m, err := parseNumberLangs(v)
		r.fail(err)
		c.LangByNumber = m
	}
	c.Broadcast = r.broadcast()
	c.EraseRPS = r.number("SENDA_TWILIO_ERASE_RPS", DefaultEraseRPS)
	switch v := strings.ToLower(r.str("SENDA_TWILIO_ERASE")); v {
	case "":
		c.Erase = c.Production() && c.Twilio.REST()
	case "on":
		c.Erase = true
	case "off":
	default:
		r.fail(fmt.Errorf("SENDA_TWILIO_ERASE=%q: use on or off", v))
	}
	return c, errors.Join(r.errs...)
}

// twilio reads the settings of Twilio's APIs over twilio.DefaultConfig.
func (r *reader) twilio() twilio.Config {
	t := twilio.DefaultConfig()
	t.AuthToken = r.secret("TWILIO_AUTH_TOKEN")
	t.AuthTokenPrevious = r.secret("TWILIO_AUTH_TOKEN_PREVIOUS")
	t.APISecret = r.secret("TWILIO_API_SECRET")
	t.AccountSID = r.str("TWILIO_ACCOUNT_SID")
	t.APIKey = r.str("TWILIO_API_KEY")
	t.APIBase = r.str("SENDA_TWILIO_API_BASE")
	t.MessagingServiceSID = r.str("SENDA_MESSAGING_SERVICE_SID")
	t.SMSFrom = r.str("SENDA_TWILIO_FROM")
	t.WhatsAppFrom = r.str("SENDA_WHATSAPP_FROM")
	return t
}

// broadcast reads the settings of opt-in updates.
func (r *reader) broadcast() BroadcastConfig {
	var b BroadcastConfig
	cur, old, err := sealer.ParseKeys(r.secret("SENDA_SUBSCRIBER_KEY"), r.secret("SENDA_SUBSCRIBER_KEYS_OLD"))
	if err == nil && cur != nil {
		if _, err = sealer.New(cur, old...); err != nil { // two entries holding one key
			err = fmt.Errorf("%w (old key n is entry n of SENDA_SUBSCRIBER_KEYS_OLD)", err)
		}
	}
	r.fail(err)
	b.SubscriberKey, b.SubscriberKeysOld = cur, old
	b.TimeZone = cmp.Or(r.str("SENDA_TIMEZONE"), DefaultTimeZone)
	b.QuietHours = DefaultQuietHours
	if v, ok := r.getenv("SENDA_QUIET_HOURS"); ok {
		b.QuietHours = strings.TrimSpace(v) // set but empty: no quiet hours
	}
	if tokens := r.secret("SENDA_ADMIN_TOKENS"); tokens != "" {
		m, err := parseAdminTokens(tokens)
		r.fail(err)
		b.AdminTokens = m
	}
	b.TrustProxy = r.str("SENDA_TRUST_PROXY") == "true" || r.str("SENDA_TRUST_PROXY") == "1"
	b.MPS = r.number("SENDA_TWILIO_MPS", DefaultMPS)
	b.DailyCap = r.integer("SENDA_WHATSAPP_DAILY_CAP", DefaultDailyCap)
	b.Workers = r.integer("SENDA_WORKERS", 0)
	b.WaitReplicas = r.integer("SENDA_WAIT_REPLICAS", 0)
	b.OptOutDir = r.str("SENDA_OPTOUT_DIR")
	b.OptOutRetention = time.Duration(r.integer("SENDA_OPTOUT_DAYS", DefaultOptOutDays)) * 24 * time.Hour
	b.Quiet, b.quietErr = localtime.ParseQuietHours(b.QuietHours, b.TimeZone)
	b.ReportDays = r.integer("SENDA_REPORT_DAYS", DefaultReportDays)
	return b
}

// readSecret returns NAME, or the content of the file NAME_FILE names.
func readSecret(getenv Lookup, name string) (string, error) {
	v := getenv.get(name)
	path := getenv.get(name + "_FILE")
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

func parseAdminTokens(v string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(v, ",") {
		name, token, ok := strings.Cut(strings.TrimSpace(pair), ":")
		name, token = strings.TrimSpace(name), strings.TrimSpace(token)
		switch {
		case !ok || name == "" || token == "":
			return nil, errors.New("SENDA_ADMIN_TOKENS: write it as name:token,name2:token2 (the name shows in the audit log)")
		case len(token) < MinAdminTokenLen:
			return nil, fmt.Errorf("SENDA_ADMIN_TOKENS: the token of %q is shorter than %d characters; make one with `openssl rand -hex 24`", name, MinAdminTokenLen)
		case m[name] != "":
			return nil, fmt.Errorf("SENDA_ADMIN_TOKENS: the name %q appears twice", name)
		}
		m[name] = token
	}
	return m, nil
}

// Production reports whether the strict production rules apply.
func (c Config) Production() bool { return c.Env == EnvProduction }

// Validate checks the configuration as a whole and names every problem at
// once, in whole sentences.
func (c Config) Validate() error {
	if problems := c.Problems(); len(problems) > 0 {
		return errors.New(strings.Join(problems, " "))
	}
	return nil
}

// Problems is what Validate reports, one whole sentence each.
func (c Config) Problems() []string {
	var problems []string
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		problems = append(problems, fmt.Sprintf("SENDA_ENV=%q: use development or production.", c.Env))
	}
	if c.Production() {
		var missing []string
		for _, s := range []struct{ name, value string }{
			{"SENDA_REDIS_URL", c.RedisURL}, {"TWILIO_AUTH_TOKEN", c.Twilio.AuthToken},
			{"SENDA_HASH_KEY", string(c.HashKey)}, {"SENDA_PUBLIC_URL", c.PublicURL},
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
	if len(c.HashKey) > 0 && len(c.HashKey) < MinHashKeyLen {
		problems = append(problems, fmt.Sprintf("SENDA_HASH_KEY is %d bytes; use at least %d random bytes, e.g. the output of `openssl rand -base64 32`.", len(c.HashKey), MinHashKeyLen))
	}
	if len(c.HashKeyOld) > 0 && (len(c.HashKey) == 0 || string(c.HashKeyOld) == string(c.HashKey)) {
		problems = append(problems, "SENDA_HASH_KEY_OLD is the previous hash key during a rotation: set the new key as SENDA_HASH_KEY, different from the old one.")
	}
	if c.PublicURL != "" {
		if err := checkPublicURL(c.PublicURL); err != nil {
			problems = append(problems, err.Error())
		}
	}
	problems = append(problems, c.validatePrevious()...)
	problems = append(problems, c.Broadcast.validate(c.Production(), c.Twilio)...)
	problems = append(problems, c.eraseProblems()...)
	problems = append(problems, c.twilioFormatProblems()...)
	if d := c.Broadcast.ReportDays; d < 0 || d > 365 {
		problems = append(problems, fmt.Sprintf("SENDA_REPORT_DAYS=%d: use between 1 and 365 days.", d))
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 24*time.Hour {
		problems = append(problems, fmt.Sprintf("SENDA_SESSION_TTL=%s: use between 1m and 24h.", c.SessionTTL))
	}
	return problems
}

// twilioFormatProblems checks the form of every Twilio id and sender that is
// set, whether or not subscriptions are on: a placeholder such as
// SENDA_WHATSAPP_FROM=whatsapp:+ must not pass for a real sender.
func (c Config) twilioFormatProblems() []string {
	return c.Twilio.FormatProblems()
}

// validatePrevious checks TWILIO_AUTH_TOKEN_PREVIOUS against the current token.
func (c Config) validatePrevious() []string {
	switch p := c.Twilio.AuthTokenPrevious; {
	case p == "":
		return nil
	case c.Twilio.AuthToken == "":
		return []string{"TWILIO_AUTH_TOKEN_PREVIOUS is set without TWILIO_AUTH_TOKEN: set the new token as TWILIO_AUTH_TOKEN."}
	case p == c.Twilio.AuthToken:
		return []string{"TWILIO_AUTH_TOKEN_PREVIOUS is the same as TWILIO_AUTH_TOKEN: set it to the old token, or remove it."}
	case strings.IndexFunc(p, notAlnum) >= 0:
		return []string{"TWILIO_AUTH_TOKEN_PREVIOUS has characters other than letters and digits: check for quotes, spaces or a line break."}
	}
	return nil
}

func notAlnum(r rune) bool {
	return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
}

// eraseProblems checks the erasure settings.
func (c Config) eraseProblems() []string {
	var p []string
	if c.Erase && !c.Twilio.REST() {
		p = append(p, "SENDA_TWILIO_ERASE=on deletes messages through Twilio's REST API, which needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET); set them, or set SENDA_TWILIO_ERASE=off.")
	}
	if c.Erase && (c.EraseRPS < 0.1 || c.EraseRPS > 100) {
		p = append(p, fmt.Sprintf("SENDA_TWILIO_ERASE_RPS=%v: use between 0.1 and 100 deletions a second (default %d).", c.EraseRPS, DefaultEraseRPS))
	}
	return p
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

// durabilityProblems checks SENDA_WAIT_REPLICAS and SENDA_OPTOUT_DAYS.
func (b BroadcastConfig) durabilityProblems() []string {
	var problems []string
	if b.WaitReplicas < 0 || b.WaitReplicas > 5 {
		problems = append(problems, fmt.Sprintf("SENDA_WAIT_REPLICAS=%d: use 0 for one Redis server, or 1 (up to 5) when the master has replicas (Sentinel or Cluster).", b.WaitReplicas))
	}
	if b.OptOutDir != "" && (b.OptOutRetention < 24*time.Hour || b.OptOutRetention > 3650*24*time.Hour) {
		problems = append(problems, "SENDA_OPTOUT_DAYS: use between 1 and 3650 days, at least as long as Redis backups are kept.")
	}
	return problems
}

// validate checks the broadcast settings, in whole sentences. In production,
// turning subscriptions on means the updates must be deliverable and
// manageable, so everything that needs is required.
func (b BroadcastConfig) validate(production bool, tw twilio.Config) []string {
	var problems []string
	if len(b.SubscriberKeysOld) > 0 && len(b.SubscriberKey) == 0 {
		problems = append(problems, "SENDA_SUBSCRIBER_KEYS_OLD is set without SENDA_SUBSCRIBER_KEY; set the new key too.")
	}
	if (tw.APIKey == "") != (tw.APISecret == "") {
		problems = append(problems, "TWILIO_API_KEY and TWILIO_API_SECRET go together; set both or neither.")
	}
	if !b.Subscriptions() {
		return problems // the rest only matters once people can subscribe
	}
	if b.MPS <= 0 || b.MPS > 1000 {
		problems = append(problems, fmt.Sprintf("SENDA_TWILIO_MPS=%v: use a rate between 0.01 and 1000 messages a second (1 for a long code, 10 for WhatsApp by default).", b.MPS))
	}
	if b.DailyCap < 0 {
		problems = append(problems, "SENDA_WHATSAPP_DAILY_CAP must not be negative; 0 means no cap.")
	}
	if b.Workers < 0 || b.Workers > 256 {
		problems = append(problems, fmt.Sprintf("SENDA_WORKERS=%d: use between 1 and 256, or leave it unset to size them from SENDA_TWILIO_MPS.", b.Workers))
	}
	if b.quietErr != nil {
		problems = append(problems, b.quietErr.Error()+".")
	}
	problems = append(problems, b.durabilityProblems()...)
	if tw.APIBase != "" {
		if u, err := url.Parse(tw.APIBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("SENDA_TWILIO_API_BASE=%q must be an absolute http(s) URL.", tw.APIBase))
		}
	}
	if production {
		if missing := b.missingInProduction(tw); len(missing) > 0 {
			problems = append(problems, fmt.Sprintf("SENDA_SUBSCRIBER_KEY turns subscriptions on, which in production also needs %s.", strings.Join(missing, ", ")))
		}
	}
	return problems
}

// Client is what the command-line client of the admin API reads.
type Client struct {
	AdminURL   string // SENDA_ADMIN_URL: the admin API's base URL; empty means the default
	AdminToken string // SENDA_ADMIN_TOKEN or SENDA_ADMIN_TOKEN_FILE: a token from the server's SENDA_ADMIN_TOKENS
	TimeZone   string // SENDA_TIMEZONE: the zone times are typed and printed in; default DefaultTimeZone
}

// Location is the client's SENDA_TIMEZONE loaded.
func (c Client) Location() (*time.Location, error) { return loadZone(c.TimeZone) }

// LoadClient reads the admin client's settings, and none of the server's:
// a broadcast is sent from a shell that need not hold them.
func LoadClient(getenv Lookup) (Client, error) {
	token, err := readSecret(getenv, "SENDA_ADMIN_TOKEN")
	return Client{AdminURL: getenv.get("SENDA_ADMIN_URL"), AdminToken: token,
		TimeZone: cmp.Or(getenv.get("SENDA_TIMEZONE"), DefaultTimeZone)}, err
}

// ContentDir reads SENDA_CONTENT_DIR alone, for commands that only look at
// content (chat, content check) and must not fail on server settings.
func ContentDir(getenv Lookup) string { return getenv.get("SENDA_CONTENT_DIR") }

// Addr returns SENDA_ADDR, or DefaultAddr, without reading the rest of the
// configuration: `senda healthcheck` needs only the port.
func Addr(getenv Lookup) string { return cmp.Or(getenv.get("SENDA_ADDR"), DefaultAddr) }

// missingInProduction names what production needs once subscriptions are
// on: a Twilio account, credentials, a sender and admin tokens.
func (b BroadcastConfig) missingInProduction(tw twilio.Config) []string {
	var missing []string
	if tw.AccountSID == "" {
		missing = append(missing, "TWILIO_ACCOUNT_SID")
	}
	if tw.AuthToken == "" && tw.APIKey == "" {
		missing = append(missing, "TWILIO_AUTH_TOKEN or TWILIO_API_KEY/TWILIO_API_SECRET")
	}
	if tw.MessagingServiceSID == "" && tw.SMSFrom == "" && tw.WhatsAppFrom == "" {
		missing = append(missing, "SENDA_MESSAGING_SERVICE_SID or SENDA_TWILIO_FROM / SENDA_WHATSAPP_FROM")
	}
	if len(b.AdminTokens) == 0 {
		missing = append(missing, "SENDA_ADMIN_TOKENS")
	}
	return missing
}
