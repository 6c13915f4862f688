package twilio_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

func TestDelete(t *testing.T) {
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	cfg := twilio.DefaultConfig()
	cfg.AccountSID, cfg.AuthToken, cfg.APIBase, cfg.Timeout = fake.AccountSID, fake.AuthToken, fake.URL, 5*time.Second
	if _, err := twilio.New(cfg); err == nil || !strings.Contains(err.Error(), "No sender is set") {
		t.Fatalf("New without a sender: %v, want the sender problem", err)
	}
	c, err := twilio.NewDeleter(cfg) // erasing needs no sender
	if err != nil {
		t.Fatalf("NewDeleter: %v", err)
	}
	ctx := t.Context()
	sid := fake.Add("inbound", url.Values{"From": {"+50212345678"}, "Body": {"Hola"}})

	fake.SetIncomplete(0, 1)
	te := asError(t, c.Delete(ctx, sid))
	if te.Code != 20009 || te.Kind != twilio.KindRetry {
		t.Errorf("incomplete: %+v, want 20009/retry", te)
	}
	if err := c.Delete(ctx, sid); err != nil {
		t.Errorf("complete: %v", err)
	}
	te = asError(t, c.Delete(ctx, sid))
	if te.Code != 20404 || te.HTTPStatus != 404 {
		t.Errorf("already deleted: %+v, want 20404/404", te)
	}
	fake.FailNextDeletes(429, 20429, 1)
	if te = asError(t, c.Delete(ctx, "SMother")); te.Kind != twilio.KindRetry {
		t.Errorf("rate limited: %+v, want retry", te)
	}
	for _, bad := range []string{"", "SM/../Calls", "SM1?x=1"} {
		if te = asError(t, c.Delete(ctx, bad)); te.HTTPStatus != 0 {
			t.Errorf("Delete(%q) reached Twilio: %+v", bad, te)
		}
	}
	if _, err := c.Send(ctx, twilio.Message{To: "+50212345678", Body: "x"}); asError(t, err).Kind != twilio.KindConfig {
		t.Errorf("Send without a sender: %v, want a config error", err)
	}
	if n := len(fake.Deletes()); n != 4 {
		t.Errorf("fake saw %d DELETEs, want 4", n)
	}
}
