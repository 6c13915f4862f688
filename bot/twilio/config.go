package twilio

import (
	"errors"
	"net/url"
	"strings"
	"time"
)

// Defaults, with the reason for each.
const (
	// DefaultAPIBase is Twilio's REST API; another base points the client at
	// a Twilio-compatible mock.
	DefaultAPIBase = "https://api.twilio.com"
	// DefaultTimeout bounds one request. Twilio answers a message create in
	// well under a second; ten seconds rides out a slow moment without
	// holding a broadcast worker for long.
	DefaultTimeout = 10 * time.Second
)

// Config is what the sender needs. Exactly one of MessagingServiceSID or the
// From numbers is used: MessagingServiceSID when set, otherwise SMSFrom for
// SMS recipients and WhatsAppFrom for WhatsApp ones.
type Config struct {
	AccountSID string // TWILIO_ACCOUNT_SID (AC…)
	AuthToken  string // TWILIO_AUTH_TOKEN: signs Twilio's requests to Senda; and for the REST API, or:
	APIKey     string // TWILIO_API_KEY (SK…), preferred over the auth token when set, with
	APISecret  string // TWILIO_API_SECRET
	APIBase    string // SENDA_TWILIO_API_BASE; empty means DefaultAPIBase
	// AuthTokenPrevious is TWILIO_AUTH_TOKEN_PREVIOUS: the token being
	// replaced, still accepted on webhooks during a rotation
	// (NewRotatingValidator); the REST API never uses it.
	AuthTokenPrevious string
	// MessagingServiceSID is SENDA_MESSAGING_SERVICE_SID (MG…).
	MessagingServiceSID string
	SMSFrom             string        // SENDA_TWILIO_FROM (+E.164)
	WhatsAppFrom        string        // SENDA_WHATSAPP_FROM (whatsapp:+E.164)
	Timeout             time.Duration // per request; 0 means DefaultTimeout
	// Privacy asks Twilio to keep as little as the account allows:
	// ContentRetention=discard and AddressRetention=obfuscate on every
	// message. Its zero value is false, so start from DefaultConfig, which
	// turns it on.
	Privacy bool
}

// DefaultConfig returns the defaults: Twilio's API, DefaultTimeout, and
// Privacy on. Load settings into it rather than into a zero Config.
func DefaultConfig() Config {
	return Config{APIBase: DefaultAPIBase, Timeout: DefaultTimeout, Privacy: true}
}

// REST reports whether the REST API's account and credentials are set.
func (c Config) REST() bool {
	return c.AccountSID != "" && (c.AuthToken != "" || c.APIKey != "")
}

// Sends reports whether the account and a sender are set: what broadcasts
// need to go out.
func (c Config) Sends() bool {
	return c.AccountSID != "" && (c.MessagingServiceSID != "" || c.SMSFrom != "" || c.WhatsAppFrom != "")
}

// credentials are the user and password of every REST request: the API key
// and secret when a key is set, else the account SID and auth token.
func (c Config) credentials() (user, password string) {
	if c.APIKey != "" {
		return c.APIKey, c.APISecret
	}
	return c.AccountSID, c.AuthToken
}

// Validate checks the configuration as a whole and names every problem at
// once, in whole sentences. It never repeats a secret or a number.
func (c Config) Validate() error { return c.validate(true) }

// validate checks the configuration; a client that only deletes messages
// needs no sender.
func (c Config) validate(sends bool) error {
	p := c.credentialProblems()
	if sends {
		p = append(p, c.senderProblems()...)
	}
	p = append(p, c.FormatProblems()...)
	if c.APIBase != "" {
		if _, err := parseBase(c.APIBase); err != nil {
			p = append(p, "SENDA_TWILIO_API_BASE must be an absolute http(s) URL without query or fragment, like https://api.twilio.com.")
		}
	}
	if c.Timeout < 0 {
		p = append(p, "The Twilio request timeout must not be negative.")
	}
	if len(p) > 0 {
		return errors.New(strings.Join(p, " "))
	}
	return nil
}

// credentialProblems checks the account and the credentials.
func (c Config) credentialProblems() []string {
	var p []string
	if c.AccountSID == "" {
		p = append(p, "TWILIO_ACCOUNT_SID is not set: copy the Account SID (AC…) from the Twilio Console.")
	}
	switch {
	case c.APIKey != "" && c.APISecret == "":
		p = append(p, "TWILIO_API_KEY is set without TWILIO_API_SECRET: set both, or neither and TWILIO_AUTH_TOKEN.")
	case c.APIKey == "" && c.APISecret != "":
		p = append(p, "TWILIO_API_SECRET is set without TWILIO_API_KEY: set both, or neither and TWILIO_AUTH_TOKEN.")
	case c.APIKey == "" && c.AuthToken == "":
		p = append(p, "Neither TWILIO_AUTH_TOKEN nor the TWILIO_API_KEY and TWILIO_API_SECRET pair is set: set one of them.")
	}
	// twilio-go refuses credentials with other characters (error 21222/21224)
	// at every request; say so once, at start.
	if !alnum(c.AuthToken) {
		p = append(p, "TWILIO_AUTH_TOKEN has characters other than letters and digits: check for quotes, spaces or a line break.")
	}
	if !alnum(c.APISecret) {
		p = append(p, "TWILIO_API_SECRET has characters other than letters and digits: check for quotes, spaces or a line break.")
	}
	return p
}

// senderProblems checks that messages have a sender.
func (c Config) senderProblems() []string {
	if c.MessagingServiceSID == "" && c.SMSFrom == "" && c.WhatsAppFrom == "" {
		return []string{"No sender is set: set SENDA_MESSAGING_SERVICE_SID (MG…), or SENDA_TWILIO_FROM and/or SENDA_WHATSAPP_FROM."}
	}
	return nil
}

// FormatProblems checks the form of the ids and senders that are set, and
// nothing else, in whole sentences. A value left half-filled from an example
// file (whatsapp:+, AC…) is refused this way even when nothing is sent, so
// it cannot pass for a real sender until the first broadcast.
func (c Config) FormatProblems() []string {
	var p []string
	if c.AccountSID != "" && (!strings.HasPrefix(c.AccountSID, "AC") || !alnum(c.AccountSID)) {
		p = append(p, "TWILIO_ACCOUNT_SID must be an Account SID: AC followed by letters and digits.")
	}
	if c.APIKey != "" && (!strings.HasPrefix(c.APIKey, "SK") || !alnum(c.APIKey)) {
		p = append(p, "TWILIO_API_KEY must be an API key SID: SK followed by letters and digits.")
	}
	if c.MessagingServiceSID != "" && (!strings.HasPrefix(c.MessagingServiceSID, "MG") || !alnum(c.MessagingServiceSID)) {
		p = append(p, "SENDA_MESSAGING_SERVICE_SID must be a Messaging Service SID: MG followed by letters and digits.")
	}
	if c.SMSFrom != "" && !e164(c.SMSFrom) {
		p = append(p, "SENDA_TWILIO_FROM must be a phone number in E.164 form: + and country code, digits only, like +50212345678.")
	}
	if c.WhatsAppFrom != "" {
		if n, ok := strings.CutPrefix(c.WhatsAppFrom, "whatsapp:"); !ok || !e164(n) {
			p = append(p, "SENDA_WHATSAPP_FROM must be whatsapp: followed by an E.164 number, like whatsapp:+50212345678; leave it empty if WhatsApp is not used.")
		}
	}
	return p
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if (b < '0' || b > '9') && (b < 'a' || b > 'z') && (b < 'A' || b > 'Z') {
			return false
		}
	}
	return true
}

// e164 reports whether s is + and 7 to 15 digits, the first not 0.
func e164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// parseBase parses an API base URL: absolute http(s), a host, an optional
// path prefix, no user info, query or fragment.
func parseBase(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, errors.New("twilio: bad API base")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
