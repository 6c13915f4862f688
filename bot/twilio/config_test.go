package twilio_test

import (
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
)

func TestConfigValidate(t *testing.T) {
	good := func() twilio.Config {
		c := twilio.DefaultConfig()
		c.AccountSID = "AC0123456789abcdef0123456789abcdef"
		c.AuthToken = "0123456789abcdef0123456789abcdef"
		c.SMSFrom = "+50212345678"
		return c
	}
	tests := []struct {
		name string
		edit func(*twilio.Config)
		want []string // pieces of the message, one per problem; none means valid
	}{
		{"auth token and SMS number", nil, nil},
		{"API key pair without token", func(c *twilio.Config) {
			c.AuthToken, c.APIKey, c.APISecret = "", "SK0123456789abcdef0123456789abcdef", "secret"
		}, nil},
		{"messaging service only", func(c *twilio.Config) { c.SMSFrom, c.MessagingServiceSID = "", mgSID }, nil},
		{"WhatsApp only", func(c *twilio.Config) { c.SMSFrom, c.WhatsAppFrom = "", "whatsapp:+14155238886" }, nil},
		{"empty API base and zero timeout take defaults", func(c *twilio.Config) { c.APIBase, c.Timeout = "", 0 }, nil},
		{"mock API base with a path", func(c *twilio.Config) { c.APIBase = "http://127.0.0.1:9999/twilio/" }, nil},

		{"no account SID", func(c *twilio.Config) { c.AccountSID = "" }, []string{"TWILIO_ACCOUNT_SID is not set"}},
		{"account SID without AC", func(c *twilio.Config) { c.AccountSID = "XX0123" }, []string{"TWILIO_ACCOUNT_SID must be"}},
		{"no credentials", func(c *twilio.Config) { c.AuthToken = "" }, []string{"Neither TWILIO_AUTH_TOKEN nor"}},
		{"API key without secret", func(c *twilio.Config) { c.APIKey = "SK0123" }, []string{"TWILIO_API_KEY is set without TWILIO_API_SECRET"}},
		{"secret without API key", func(c *twilio.Config) { c.APISecret = "secret" }, []string{"TWILIO_API_SECRET is set without TWILIO_API_KEY"}},
		{"API key without SK", func(c *twilio.Config) { c.APIKey, c.APISecret = "AK0123", "secret" }, []string{"TWILIO_API_KEY must be"}},
		{"token with a line break", func(c *twilio.Config) { c.AuthToken = "abc\n" }, []string{"TWILIO_AUTH_TOKEN has characters"}},
		{"secret with quotes", func(c *twilio.Config) { c.APIKey, c.APISecret = "SK0123", `"abc"` }, []string{"TWILIO_API_SECRET has characters"}},
		{"no sender", func(c *twilio.Config) { c.SMSFrom = "" }, []string{"No sender is set"}},
		{"WhatsApp sender without prefix", func(c *twilio.Config) { c.WhatsAppFrom = "+14155238886" }, []string{"SENDA_WHATSAPP_FROM must be whatsapp:"}},
		{"SMS sender with WhatsApp prefix", func(c *twilio.Config) { c.SMSFrom = "whatsapp:+14155238886" }, []string{"SENDA_TWILIO_FROM must be"}},
		{"SMS sender without +", func(c *twilio.Config) { c.SMSFrom = "50212345678" }, []string{"SENDA_TWILIO_FROM must be"}},
		{"messaging service without MG", func(c *twilio.Config) { c.MessagingServiceSID = "PN0123" }, []string{"SENDA_MESSAGING_SERVICE_SID must be"}},
		{"API base not a URL", func(c *twilio.Config) { c.APIBase = "api.twilio.com" }, []string{"SENDA_TWILIO_API_BASE must be"}},
		{"API base with query", func(c *twilio.Config) { c.APIBase = "https://mock.example/?x=1" }, []string{"SENDA_TWILIO_API_BASE must be"}},
		{"API base with user info", func(c *twilio.Config) { c.APIBase = "https://u:p@mock.example" }, []string{"SENDA_TWILIO_API_BASE must be"}},
		{"API base ftp", func(c *twilio.Config) { c.APIBase = "ftp://mock.example" }, []string{"SENDA_TWILIO_API_BASE must be"}},
		{"negative timeout", func(c *twilio.Config) { c.Timeout = -time.Second }, []string{"timeout must not be negative"}},
		{"everything wrong at once", func(c *twilio.Config) {
			*c = twilio.Config{APIKey: "SK0123", AuthToken: "a b", WhatsAppFrom: "+1415", APIBase: "nope"}
		}, []string{
			"TWILIO_ACCOUNT_SID is not set", "TWILIO_API_KEY is set without TWILIO_API_SECRET",
			"TWILIO_AUTH_TOKEN has characters", "SENDA_WHATSAPP_FROM must be", "SENDA_TWILIO_API_BASE must be",
		}},
		{"nothing set", func(c *twilio.Config) { *c = twilio.Config{} }, []string{
			"TWILIO_ACCOUNT_SID is not set", "Neither TWILIO_AUTH_TOKEN nor", "No sender is set",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			if tt.edit != nil {
				tt.edit(&c)
			}
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want %q", tt.want)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if got := strings.Count(msg, ". ") + 1; got != len(tt.want) {
				t.Errorf("error has %d sentences, want %d: %q", got, len(tt.want), msg)
			}
			for _, secret := range []string{c.AuthToken, c.APISecret} {
				if len(secret) > 2 && strings.Contains(msg, secret) {
					t.Errorf("error %q repeats a secret", msg)
				}
			}
		})
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	if _, err := twilio.New(twilio.Config{}); err == nil {
		t.Fatal("New(Config{}) = nil error")
	}
}

func TestDefaultConfig(t *testing.T) {
	c := twilio.DefaultConfig()
	if !c.Privacy || c.Timeout != twilio.DefaultTimeout || c.APIBase != twilio.DefaultAPIBase {
		t.Errorf("DefaultConfig = %+v, want privacy on, default timeout and base", c)
	}
}
