package twilioapi_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilioapi"
	"github.com/senda-org/senda/bot/twilioapi/twiliofake"
)

// Senders used throughout: Twilio's test number and its WhatsApp sandbox.
const (
	smsFrom = "+15005550006"
	waFrom  = "whatsapp:+14155238886"
	mgSID   = "MG00000000000000000000000000000001"
)

// setup starts a fake and a client configured for it, with Privacy on;
// edit may change the configuration first.
func setup(t testing.TB, edit func(*twilioapi.Config)) (*twiliofake.Server, *twilioapi.Client) {
	t.Helper()
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	return fake, newClient(t, fake, edit)
}

// newClient builds a client for an existing fake.
func newClient(t testing.TB, fake *twiliofake.Server, edit func(*twilioapi.Config)) *twilioapi.Client {
	t.Helper()
	cfg := twilioapi.DefaultConfig()
	cfg.AccountSID, cfg.AuthToken, cfg.APIBase = fake.AccountSID, fake.AuthToken, fake.URL
	cfg.SMSFrom, cfg.WhatsAppFrom = smsFrom, waFrom
	cfg.Timeout = 5 * time.Second
	if edit != nil {
		edit(&cfg)
	}
	c, err := twilioapi.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// asError returns err as *twilioapi.Error, failing the test otherwise.
func asError(t *testing.T, err error) *twilioapi.Error {
	t.Helper()
	var te *twilioapi.Error
	if !errors.As(err, &te) {
		t.Fatalf("err = %v (%T), want *twilioapi.Error", err, err)
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
