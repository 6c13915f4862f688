package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/broadcast"
)

// TestBroadcastReconcilesUnderRedactionByCallbackTag loses Twilio's answer
// to one send (Twilio created the message; the request timed out) on an
// account whose Message Redaction obfuscates addresses, so listing by To
// finds nothing. The status callback Twilio posts for that message carries
// the delivery's tag; the retry finds it and does not send again.
func TestBroadcastReconcilesUnderRedactionByCallbackTag(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t) // the client gives up after 2 s
	fake.ObfuscateAddresses(true)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	const n = 5
	lost := "+50255570000"
	for i := range n {
		ts.sms(fmt.Sprintf("+5025557%04d", i)).optIn(t, "1")
	}
	fake.Hang(func(f url.Values) bool { return f.Get("To") == lost }, 1)
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.CallbackGrace = 5 * time.Second })
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	var callbackURL string
	eventually(t, 10*time.Second, "the send whose answer is lost", func() bool {
		for _, m := range fake.Messages() {
			if m.Form.Get("To") == lost {
				callbackURL = m.Form.Get("StatusCallback")
				return true
			}
		}
		return false
	})
	u, err := url.Parse(callbackURL)
	if err != nil || u.Query().Get(broadcast.CallbackParamTag) == "" || strings.Contains(callbackURL, strings.TrimPrefix(lost, "+")) {
		t.Fatalf("status callback URL %q: want a delivery tag and no address", callbackURL)
	}
	// Twilio posts the message's status to the URL it was given.
	form := url.Values{"MessageSid": {"SM" + strings.Repeat("5", 32)}, "MessageStatus": {"sent"}, "To": {"+5025557XXXX"}}
	req := httptest.NewRequest(http.MethodPost, u.RequestURI(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, callbackURL, form))
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status callback: %d %s", rec.Code, rec.Body.String())
	}
	final := ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if final.Sent != n || final.Failed != 0 {
		t.Fatalf("figures: %+v", final)
	}
	for to, c := range sentTo(fake) {
		if c != 1 {
			t.Errorf("%s got %d copies under redaction", to, c)
		}
	}
}
