package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/erase"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

// eraseService is a service whose erasures go to a fake Twilio, with the
// waits shortened: a message is first tried 100 ms after it is final.
func eraseService(t *testing.T, on bool) (*testService, *twiliofake.Server) {
	t.Helper()
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	del, err := twilio.NewDeleter(twilio.Config{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, APIBase: fake.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Erase, cfg.EraseRPS = on, 100
	cfg.Twilio.AccountSID = fake.AccountSID
	ts := newTestService(t, cfg, Deps{
		Deleter:      del,
		EraseOptions: []erase.Option{erase.WithDelay(100 * time.Millisecond), erase.WithSentFallback(time.Hour)},
		EraseTune: func(c *erase.WorkerConfig) {
			c.Block, c.Tick, c.Incomplete, c.RetryBase = 50*time.Millisecond, 20*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond
		},
	})
	return ts, fake
}

// statusCallback posts the status callback Twilio would send to url for a
// reply, signed as Twilio signs it.
func (ts *testService) statusCallback(t *testing.T, callback, sid, status, to string) {
	t.Helper()
	u, err := url.Parse(callback)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "MessageStatus": {status}, "SmsStatus": {status},
		"AccountSid": {"AC00000000000000000000000000000000"}, "To": {to}, "From": {"+50220000000"}, "ApiVersion": {"2010-04-01"}}
	req := httptest.NewRequest(http.MethodPost, u.RequestURI(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, callback, form))
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("status callback %s: %d %s", status, rec.Code, rec.Body.String())
	}
}

// converse runs a scripted conversation through the webhook as Twilio
// would: each inbound message is known to the fake, each reply is created
// there when Twilio reads the TwiML, and each reply's status callbacks
// follow to the URL the TwiML names. It returns every message's SID.
func converse(t *testing.T, ts *testService, fake *twiliofake.Server, wantCallback bool) []string {
	t.Helper()
	const from = "+50255509101"
	s := ts.sms(from)
	var sids []string
	for _, body := range []string{"HOLA", "2", "1", "0", "AYUDA", "SALIR"} {
		form := s.form(body)
		in := fake.Add("inbound", url.Values{"From": {from}, "Body": {body}})
		form.Set("MessageSid", in)
		rec := ts.post(t, form)
		if rec.Code != http.StatusOK {
			t.Fatalf("%q: %d %s", body, rec.Code, rec.Body.String())
		}
		twiml := rec.Body.String()
		callback := testPublicURL + httpapi.StatusPath + "?r=1"
		attr := `<Message action="` + strings.ReplaceAll(callback, "&", "&amp;") + `">`
		if got := strings.Contains(twiml, attr); got != wantCallback {
			t.Fatalf("%q: reply has status callback %v, want %v: %s", body, got, wantCallback, twiml)
		}
		if rec.Header().Get("Content-Length") != "" && rec.Header().Get("Content-Length") != strconv.Itoa(len(twiml)) {
			t.Fatalf("Content-Length %s for %d bytes", rec.Header().Get("Content-Length"), len(twiml))
		}
		reply := fake.Add("outbound-reply", url.Values{"To": {from}})
		ts.statusCallback(t, callback, reply, "queued", from)
		ts.statusCallback(t, callback, reply, "sent", from)
		ts.statusCallback(t, callback, reply, "delivered", from)
		sids = append(sids, in, reply)
	}
	return sids
}

// TestEraseConversation is issue 11's "done when": with erasure on, every
// inbound message and every reply of a scripted conversation gets exactly
// one successful DELETE at Twilio, though Twilio first answers 20009.
func TestEraseConversation(t *testing.T) {
	ts, fake := eraseService(t, true)
	fake.SetIncomplete(0, 1) // every message is incomplete at its first DELETE
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.RunWorkers(ctx, nil) }()
	t.Cleanup(func() { cancel(); <-done })

	sids := converse(t, ts, fake, true)
	deadline := time.Now().Add(15 * time.Second)
	for {
		f, err := ts.Erase().Figures(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if f.Erased == int64(len(sids)) && f.Pending == 0 {
			if f.Failed != 0 || f.Gone != 0 {
				t.Errorf("figures = %+v", f)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("figures stuck at %+v; want %d erased", f, len(sids))
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // nothing more may come
	ok, incomplete := map[string]int{}, 0
	for _, d := range fake.Deletes() {
		switch d.Code {
		case 0:
			ok[d.SID]++
		case 20009:
			incomplete++
		default:
			t.Errorf("unexpected DELETE answer %+v", d)
		}
	}
	for _, sid := range sids {
		if ok[sid] != 1 {
			t.Errorf("%s: %d successful DELETEs, want exactly 1", sid, ok[sid])
		}
	}
	if len(ok) != len(sids) || incomplete != len(sids) {
		t.Errorf("%d messages deleted, %d 20009 answers; want %d and %d", len(ok), incomplete, len(sids), len(sids))
	}
	if n := len(fake.Messages()); n != 0 {
		t.Errorf("%d messages left at Twilio", n)
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `senda_erase_total{outcome="erased"} ` + strconv.Itoa(len(sids)); !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %q:\n%s", want, rec.Body.String())
	}
	for k, v := range redistest.Dump(t, ts.rdb, ts.prefix) {
		if strings.Contains(k+v, "5550910") {
			t.Errorf("%s holds the number: %s", k, v)
		}
	}
}

// TestEraseOffSendsNoDelete: with SENDA_TWILIO_ERASE=off, replies carry no
// status callback, callbacks queue nothing and Twilio gets no DELETE.
func TestEraseOffSendsNoDelete(t *testing.T) {
	ts, fake := eraseService(t, false)
	if ts.Erase() != nil {
		t.Fatal("erasure is off but the app has a queue")
	}
	if err := ts.RunWorkers(context.Background(), nil); err == nil {
		t.Error("RunWorkers with nothing to do did not say so")
	}
	converse(t, ts, fake, false)
	time.Sleep(300 * time.Millisecond)
	if d := fake.Deletes(); len(d) != 0 {
		t.Errorf("erasure off, yet %d DELETEs", len(d))
	}
	for _, k := range redistest.Keys(t, ts.rdb, ts.prefix) {
		if strings.Contains(k, "{e}") {
			t.Errorf("erasure off, yet %s was written", k)
		}
	}
}

// TestWebhookRoundTripsWithErase counts the webhook's Redis round trips
// with erasure on: the inbound message's erasure rides the session step
// (conversation.Rider), so a message still costs one.
func TestWebhookRoundTripsWithErase(t *testing.T) {
	ts, fake := eraseService(t, true)
	hook := &countHook{}
	ts.rdb.AddHook(hook)
	s := ts.sms("+50255509201")
	s.say(t, "HOLA") // loads the script
	inputs := []string{"1", "2", "0", "xyz", "MENU"}
	before := hook.n.Load()
	for _, in := range inputs {
		form := s.form(in)
		form.Set("MessageSid", fake.Add("inbound", nil))
		if rec := ts.post(t, form); rec.Code != http.StatusOK {
			t.Fatalf("%q: %d", in, rec.Code)
		}
	}
	if got, want := hook.n.Load()-before, int64(len(inputs)); got > want {
		t.Fatalf("%d messages cost %d Redis round trips; want at most %d", len(inputs), got, want)
	}
}

// TestEraseBroadcastMessages: broadcast messages are erased once their
// status callbacks say they are final, like replies.
func TestEraseBroadcastMessages(t *testing.T) {
	fake, client := fakeSender(t)
	del, err := twilio.NewDeleter(twilio.Config{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, APIBase: fake.URL, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := broadcastConfig()
	cfg.Erase, cfg.EraseRPS = true, 100
	cfg.Twilio.AccountSID = fake.AccountSID
	ts := newTestService(t, cfg, Deps{Sender: client, Deleter: del,
		EraseOptions: []erase.Option{erase.WithDelay(50 * time.Millisecond)},
		EraseTune:    func(c *erase.WorkerConfig) { c.Block, c.Tick = 50*time.Millisecond, 20*time.Millisecond },
	})
	ts.sms("+50251119001").optIn(t, "1")
	ts.whatsapp("+50251119002").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	msgs := fake.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d broadcast messages, want 2", len(msgs))
	}
	for _, m := range msgs {
		for _, status := range []string{"sent", "delivered", "read"} {
			ts.statusCallback(t, m.Form.Get("StatusCallback"), m.SID, status, m.Form.Get("To"))
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(fake.Messages()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d broadcast messages still at Twilio; DELETEs %+v", len(fake.Messages()), fake.Deletes())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	ok := map[string]int{}
	for _, d := range fake.Deletes() {
		if d.Code == 0 {
			ok[d.SID]++
		}
	}
	for _, m := range msgs {
		if ok[m.SID] != 1 {
			t.Errorf("broadcast message %s deleted %d times, want 1", m.SID, ok[m.SID])
		}
	}
	if got := ts.status(t, st.ID); got.Delivered != 2 {
		t.Errorf("delivered = %d, want 2: erasure must not stop the counting", got.Delivered)
	}
}

// issue 14, item 10: the privacy page says what Twilio keeps as
// SENDA_TWILIO_ERASE makes it true.
func TestPrivacyPageFollowsErase(t *testing.T) {
	for _, on := range []bool{false, true} {
		ts, _ := eraseService(t, on)
		s := ts.sms("+502 5550-2099")
		s.say(t, "hola")
		got := s.say(t, "historial") + s.say(t, "mas") // the sentence is on the SMS page after
		want, never := "guarda registros", "que los borre"
		if on {
			want, never = never, want
		}
		if !strings.Contains(got, want) || strings.Contains(got, never) {
			t.Errorf("SENDA_TWILIO_ERASE on=%v: the privacy page says\n%s\nwant %q", on, got, want)
		}
	}
}
