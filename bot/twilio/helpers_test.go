package twilio_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

// Senders used throughout: Twilio's test number and its WhatsApp sandbox.
const (
	smsFrom = "+15005550006"
	waFrom  = "whatsapp:+14155238886"
	mgSID   = "MG00000000000000000000000000000001"
)

// setup starts a fake and a client configured for it, with Privacy on;
// edit may change the configuration first.
func setup(t testing.TB, edit func(*twilio.Config)) (*twiliofake.Server, *twilio.Client) {
	t.Helper()
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	return fake, newClient(t, fake, edit)
}

// newClient builds a client for an existing fake.
func newClient(t testing.TB, fake *twiliofake.Server, edit func(*twilio.Config)) *twilio.Client {
	t.Helper()
	cfg := twilio.DefaultConfig()
	cfg.AccountSID, cfg.AuthToken, cfg.APIBase = fake.AccountSID, fake.AuthToken, fake.URL
	cfg.SMSFrom, cfg.WhatsAppFrom = smsFrom, waFrom
	cfg.Timeout = 5 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	c, err := twilio.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// asError returns err as *twilio.Error, failing the test otherwise.
func asError(t *testing.T, err error) *twilio.Error {
	t.Helper()
	var te *twilio.Error
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *twilio.Error", err, err)
	}
	return te
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
