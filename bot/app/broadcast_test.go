package app

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/localtime"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
	"github.com/senda-org/senda/content"
)

const (
	testAdminToken = "ngo-token-0123456789abcdef"
	testSMSFrom    = "+50220000000"
	testWAFrom     = "whatsapp:+14155238886"
)

func randomKey() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// clock is a settable clock for the service; it starts at the real time.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func (c *clock) set(t time.Time)         { c.offset.Store(int64(time.Until(t))) }
func (c *clock) deps(d Deps) Deps        { d.Now = c.now; return d }
func broadcastConfig() config.Config     { return broadcastConfigKey(randomKey()) }
func broadcastConfigKey(key []byte) config.Config {
	cfg := testConfig()
	cfg.Broadcast = config.BroadcastConfig{
		SubscriberKey: key, AdminTokens: map[string]string{"ngo": testAdminToken},
		MPS: 1000, Workers: 4, QuietHours: "", TimeZone: config.DefaultTimeZone, DailyCap: 250,
		Quiet: quietHours("", config.DefaultTimeZone),
	}
	return cfg
}

// quietHours parses a span the way config.Load does.
func quietHours(span, zone string) localtime.QuietHours {
	q, err := localtime.ParseQuietHours(span, zone)
	if err != nil {
		panic(err)
	}
	return q
}

// fakeSender returns a real Twilio client pointed at a fake Twilio.
func fakeSender(t testing.TB) (*twiliofake.Server, *twilio.Client) {
	t.Helper()
	fake := twiliofake.New()
	t.Cleanup(fake.Close)
	client, err := twilio.New(twilio.Config{
		AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, APIBase: fake.URL,
		SMSFrom: testSMSFrom, WhatsAppFrom: testWAFrom, Privacy: true, Timeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return fake, client
}

// fastWorkers tunes workers for tests: no pacing, quick reclaim and retry.
func fastWorkers(c *broadcast.WorkerConfig) {
	c.MPS = 0
	c.Tick = 20 * time.Millisecond
	c.Block = 50 * time.Millisecond
	c.RetryBase = 10 * time.Millisecond
	c.MinIdle = 300 * time.Millisecond
	c.CallbackGrace = 300 * time.Millisecond
	c.ClaimEvery = 100 * time.Millisecond
}

// startWorkers runs a service's workers until the test ends; the returned
// function stops them and waits.
func startWorkers(t testing.TB, ts *testService, tune func(*broadcast.WorkerConfig)) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.RunWorkers(ctx, tune) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("workers: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// admin calls the admin API with the NGO's token.
func (ts *testService) admin(t testing.TB, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var r *strings.Reader
	switch b := body.(type) {
	case nil:
		r = strings.NewReader("")
	case string:
		r = strings.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		r = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

func (ts *testService) createBroadcast(t testing.TB, req broadcast.Request) broadcast.Status {
	t.Helper()
	rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("create broadcast: %d %s", rec.Code, rec.Body.String())
	}
	var st broadcast.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (ts *testService) status(t testing.TB, id string) broadcast.Status {
	t.Helper()
	rec := ts.admin(t, http.MethodGet, "/admin/broadcasts/"+id, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status: %d %s", rec.Code, rec.Body.String())
	}
	var st broadcast.Status
	json.Unmarshal(rec.Body.Bytes(), &st)
	return st
}

// waitStatus polls a broadcast until cond holds or the deadline passes.
func (ts *testService) waitStatus(t testing.TB, id string, what string, cond func(broadcast.Status) bool) broadcast.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := ts.status(t, id)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("broadcast never %s: %+v", what, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func settled(st broadcast.Status) bool { return st.Settled() }

// optIn subscribes through the conversation, as a person would.
func (s *sender) optIn(t testing.TB, topicNumber string) {
	t.Helper()
	for _, in := range []string{"ALTA", topicNumber} {
		s.say(t, in)
	}
	if got := s.say(t, "SI"); !strings.Contains(got, "BAJA") && !strings.Contains(got, "STOP") {
		t.Fatalf("subscribing did not confirm how to stop:\n%s", got)
	}
}

// sentTo counts the fake's accepted messages per recipient.
func sentTo(fake *twiliofake.Server) map[string]int {
	out := map[string]int{}
	for _, m := range fake.Messages() {
		out[m.Form.Get("To")]++
	}
	return out
}

func TestBroadcastOptInDeliversOnceWithExactParameters(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	smsNumbers := []string{"+50251110001", "+50251110002", "+50251110003"}
	for _, n := range smsNumbers {
		ts.sms(n).optIn(t, "1")
	}
	wa := ts.whatsapp("+50251110004")
	wa.say(t, "ENGLISH")
	wa.optIn(t, "1")
	if got := ts.admin(t, http.MethodGet, "/admin/topics", nil).Body.String(); !strings.Contains(got, `"id":"salud","name":"Salud","subscribers":4`) {
		t.Fatalf("topics: %s", got)
	}
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud",
		Text:     map[string]string{"es": "Jornada de salud el lunes a las 9:00 en el Centro de Salud. Pruebas rápidas gratis.", "en": "Health day on Monday at 9:00 at the Health Center."},
		Template: &broadcast.Template{ContentSID: "HX" + strings.Repeat("a", 32), Variables: map[string]string{"1": "lunes"}},
	})
	if st.Recipients != 4 {
		t.Fatalf("recipients = %d, want 4", st.Recipients)
	}
	st = ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if st.Sent != 4 || st.Failed != 0 || st.Skipped != 0 {
		t.Fatalf("figures: %+v", st)
	}
	msgs := fake.Messages()
	if len(msgs) != 4 {
		t.Fatalf("the fake got %d messages, want 4", len(msgs))
	}
	for _, m := range msgs {
		f := m.Form
		to := f.Get("To")
		cb, _ := url.Parse(f.Get("StatusCallback"))
		if cb == nil || cb.Scheme+"://"+cb.Host+cb.Path != testPublicURL+httpapi.StatusPath || cb.Query().Get("b") != st.ID ||
			len(cb.Query().Get("d")) != 16 || f.Get("ContentRetention") != "discard" || f.Get("AddressRetention") != "obfuscate" {
			t.Errorf("message to %s: callback/retention %v", to, f)
		}
		switch {
		case strings.HasPrefix(to, "whatsapp:"):
			// Inside the 24-hour window (they just wrote): free text, in English, accents kept.
			if f.Get("From") != testWAFrom || f.Get("Body") != "Senda\nHealth day on Monday at 9:00 at the Health Center." || f.Get("ContentSid") != "" {
				t.Errorf("WhatsApp message: %v", f)
			}
		default:
			if f.Get("From") != testSMSFrom || f.Get("Body") != "Senda\nJornada de salud el lunes a las 9:00 en el Centro de Salud. Pruebas rapidas gratis." {
				t.Errorf("SMS message: %v", f)
			}
		}
	}
	for to, n := range sentTo(fake) {
		if n != 1 {
			t.Errorf("%s got %d messages", to, n)
		}
	}
}

func TestBroadcastWhatsAppOutsideWindowUsesTemplateOrSkips(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	clk := &clock{}
	ts := newTestService(t, broadcastConfig(), clk.deps(Deps{Sender: client}))
	ts.whatsapp("+50252220001").optIn(t, "1")
	clk.advance(25 * time.Hour) // their last message is now more than a day old
	startWorkers(t, ts, fastWorkers)
	withTpl := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Jornada de salud."},
		Template: &broadcast.Template{ContentSID: "HX" + strings.Repeat("b", 32), Variables: map[string]string{"1": "lunes", "2": "9:00"}}})
	ts.waitStatus(t, withTpl.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].Form.Get("ContentSid") != "HX"+strings.Repeat("b", 32) || msgs[0].Form.Get("Body") != "" ||
		msgs[0].Form.Get("ContentVariables") != `{"1":"lunes","2":"9:00"}` {
		t.Fatalf("outside the window a template must go: %+v", msgs)
	}
	without := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Jornada de salud."}})
	st := ts.waitStatus(t, without.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if st.Skipped != 1 || st.Reasons["no_template"] != 1 || len(fake.Messages()) != 1 {
		t.Fatalf("without a template it must be skipped and counted: %+v", st)
	}
}

func TestBroadcastRetriesRateLimitsThenSends(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	ts.sms("+50253330001").optIn(t, "1")
	fake.FailNext(nil, http.StatusTooManyRequests, 20429, 2)
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	st = ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if st.Sent != 1 || fake.Requests() != 3 || len(fake.Messages()) != 1 {
		t.Fatalf("after two 429s: %+v, %d requests, %d messages", st, fake.Requests(), len(fake.Messages()))
	}
}

func TestBroadcastPermanentErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code, status int
		keep         bool // the subscription survives
		suspended    bool
	}{
		{code: 21610, status: 400},                              // opted out at the carrier
		{code: 63014, status: 400},                              // blocked by the user
		{code: 21211, status: 400},                              // invalid number
		{code: 63049, status: 400, keep: true, suspended: true}, // Meta declined a marketing template
		{code: 30007, status: 400, keep: true},                  // filtered: counted only
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			t.Parallel()
			fake, client := fakeSender(t)
			ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
			number := "+50254440001"
			ts.sms(number).optIn(t, "1")
			fake.FailNext(nil, c.status, c.code, 1)
			startWorkers(t, ts, fastWorkers)
			st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
			st = ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
			if st.Failed != 1 || st.Reasons[fmt.Sprint(c.code)] != 1 || fake.Requests() != 1 {
				t.Fatalf("figures %+v after %d requests", st, fake.Requests())
			}
			id := ts.hasher.Sender(content.SMS, number)
			sub, ok, err := ts.subs.Get(context.Background(), id)
			if err != nil || ok != c.keep {
				t.Fatalf("subscription kept = %v (%v), want %v", ok, err, c.keep)
			}
			if c.suspended != sub.TemplatesSuspendedUntil.After(time.Now()) {
				t.Fatalf("templates suspended until %v", sub.TemplatesSuspendedUntil)
			}
			n, _ := ts.rdb.SCard(context.Background(), ts.keys.Topic("salud")).Result()
			if (n == 1) != c.keep {
				t.Fatalf("topic set has %d members", n)
			}
		})
	}
}

// dyingSender sends through the fake for the first few messages, then acts
// out a worker dying mid-send: for some messages after Twilio created them,
// for others before the request left, it never returns.
type dyingSender struct {
	real  *twilio.Client
	sends atomic.Int64
	after int64
	dead  chan struct{}
}

func (d *dyingSender) Send(ctx context.Context, m twilio.Message) (twilio.Result, error) {
	n := d.sends.Add(1)
	if n <= d.after {
		return d.real.Send(ctx, m)
	}
	if n%2 == 0 {
		d.real.Send(ctx, m) // Twilio created it; the answer is never recorded
	}
	<-d.dead
	return twilio.Result{}, &twilio.Error{Kind: twilio.KindUnknown, Desc: "worker died"}
}

func (d *dyingSender) SentSince(ctx context.Context, to string, since time.Time, body string) (bool, error) {
	return d.real.SentSince(ctx, to, since, body)
}

// TestBroadcastWorkerKilledMidwaySecondFinishes kills a worker in the middle
// of a broadcast (some of its messages reached Twilio, some did not, none
// was recorded) and checks that a second worker finishes it: every
// subscriber gets the message exactly once.
func TestBroadcastWorkerKilledMidwaySecondFinishes(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	rdb, prefix := redistest.Client(t)
	cfg := broadcastConfig()
	dying := &dyingSender{real: client, after: 5, dead: make(chan struct{})}
	a := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix, Sender: dying})
	b := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix, Sender: client})
	const n = 30
	for i := range n {
		a.sms(fmt.Sprintf("+5025555%04d", i)).optIn(t, "1")
	}
	stopA := startWorkers(t, a, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.Workers = 3 })
	st := a.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso importante."}})
	// Wait until worker a is stuck on all three of its deliveries.
	for deadline := time.Now().Add(10 * time.Second); dying.sends.Load() < dying.after+3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("worker a sent %d", dying.sends.Load())
		}
	}
	// Kill a: it stops reading; its stuck deliveries stay pending, unrecorded.
	go stopA()
	startWorkers(t, b, fastWorkers)
	final := b.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	close(dying.dead) // let a's goroutines end; they must not count anything now
	if final.Sent != n || final.Failed != 0 || final.Skipped != 0 {
		t.Fatalf("figures after a worker died: %+v", final)
	}
	oncePerRecipient(t, fake, n)
	time.Sleep(200 * time.Millisecond)
	if again := b.status(t, st.ID); again.Sent != n {
		t.Fatalf("the dead worker's late answers changed the figures: %+v", again)
	}
}

// TestBroadcastTwoWorkersShareTheRate runs two processes' workers against
// one rate: together they never go faster than SENDA_TWILIO_MPS.
func TestBroadcastTwoWorkersShareTheRate(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	rdb, prefix := redistest.Client(t)
	cfg := broadcastConfig()
	a := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix, Sender: client})
	b := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix, Sender: client})
	const n, mps = 40, 20
	for i := range n {
		a.sms(fmt.Sprintf("+5025666%04d", i)).optIn(t, "1")
	}
	paced := func(c *broadcast.WorkerConfig) { fastWorkers(c); c.MPS = mps }
	startWorkers(t, a, paced)
	startWorkers(t, b, paced)
	st := a.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	a.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	msgs := fake.Messages()
	if len(msgs) != n {
		t.Fatalf("%d messages, want %d", len(msgs), n)
	}
	// Slower is always possible on a busy machine; faster is not. The times
	// are when the fake received each message, so a stalled goroutine can
	// deliver a few paced sends together: the bounds leave room for that
	// (a quarter of the rate) but not for two workers pacing apart, which
	// would send at twice the rate.
	for i := range msgs {
		inSecond := 0
		for j := i; j < len(msgs) && msgs[j].At.Sub(msgs[i].At) < time.Second; j++ {
			inSecond++
		}
		if inSecond > mps+mps/4 {
			t.Fatalf("%d messages within one second at %d per second", inSecond, mps)
		}
	}
	if took := msgs[n-1].At.Sub(msgs[0].At); took < time.Duration(0.75*float64(n-1)/mps*float64(time.Second)) {
		t.Fatalf("%d messages took %v at %d per second", n, took, mps)
	}
}

func TestBroadcastCancelStopsWhatIsNotSent(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	const n = 20
	for i := range n {
		ts.sms(fmt.Sprintf("+5025777%04d", i)).optIn(t, "1")
	}
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.MPS = 10 })
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "started", func(s broadcast.Status) bool { return s.Sent >= 2 })
	rec := ts.admin(t, http.MethodPost, "/admin/broadcasts/"+st.ID+"/cancel", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"state":"cancelled"`) {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body.String())
	}
	final := ts.waitStatus(t, st.ID, "to account for everyone", func(s broadcast.Status) bool { return s.Sent+s.Skipped == n })
	if final.Reasons["cancelled"] == 0 || final.State != broadcast.StateCancelled {
		t.Fatalf("after cancel: %+v", final)
	}
	sentAtCancel := len(fake.Messages())
	time.Sleep(300 * time.Millisecond)
	if len(fake.Messages()) != sentAtCancel || int64(sentAtCancel) != final.Sent {
		t.Fatalf("messages went after the cancel: %d then %d (%+v)", sentAtCancel, len(fake.Messages()), final)
	}
	if again := ts.admin(t, http.MethodPost, "/admin/broadcasts/"+st.ID+"/cancel", nil); again.Code != http.StatusConflict {
		t.Fatalf("cancelling twice: %d", again.Code)
	}
}

func TestBroadcastScheduledWaitsForItsTime(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	clk := &clock{}
	ts := newTestService(t, broadcastConfig(), clk.deps(Deps{Sender: client}))
	ts.sms("+50258880001").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	at := clk.now().Add(2 * time.Hour).Truncate(time.Second)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}, SendAt: at.Format(time.RFC3339)})
	if st.State != broadcast.StateScheduled || !st.SendAt.Equal(at) {
		t.Fatalf("created: %+v", st)
	}
	time.Sleep(200 * time.Millisecond)
	if len(fake.Messages()) != 0 || ts.status(t, st.ID).State != broadcast.StateScheduled {
		t.Fatal("a scheduled broadcast went early")
	}
	clk.set(at.Add(time.Second))
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if len(fake.Messages()) != 1 {
		t.Fatalf("%d messages", len(fake.Messages()))
	}
}

func TestBroadcastQuietHoursHoldAllButUrgentWhatsApp(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	clk := &clock{}
	loc, _ := time.LoadLocation(config.DefaultTimeZone)
	night := time.Date(2026, 11, 27, 22, 30, 0, 0, loc)
	clk.set(night)
	cfg := broadcastConfig()
	cfg.Broadcast.QuietHours = "20:00-08:00"
	cfg.Broadcast.Quiet = quietHours("20:00-08:00", config.DefaultTimeZone)
	ts := newTestService(t, cfg, clk.deps(Deps{Sender: client}))
	ts.sms("+50259990001").optIn(t, "1")
	ts.whatsapp("+50259990002").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Alerta de seguridad."}, Urgent: true})
	st = ts.waitStatus(t, st.ID, "to hold the SMS", func(s broadcast.Status) bool { return s.Sent == 1 && s.Waiting["quiet_hours"] == 1 })
	if msgs := fake.Messages(); len(msgs) != 1 || !strings.HasPrefix(msgs[0].Form.Get("To"), "whatsapp:") {
		t.Fatalf("during quiet hours only the urgent WhatsApp message may go: %+v", msgs)
	}
	clk.set(time.Date(2026, 11, 28, 8, 0, 1, 0, loc))
	st = ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if st.Sent != 2 || len(st.Waiting) != 0 || len(fake.Messages()) != 2 {
		t.Fatalf("after quiet hours: %+v", st)
	}
}

func TestBroadcastDailyTemplateCapWaits(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	clk := &clock{}
	cfg := broadcastConfig()
	cfg.Broadcast.DailyCap = 2
	ts := newTestService(t, cfg, clk.deps(Deps{Sender: client}))
	for i := range 4 {
		ts.whatsapp(fmt.Sprintf("+5025100%04d", i)).optIn(t, "1")
	}
	clk.advance(30 * time.Hour) // outside the window: templates only
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."},
		Template: &broadcast.Template{ContentSID: "HX" + strings.Repeat("c", 32)}})
	st = ts.waitStatus(t, st.ID, "to hit the cap", func(s broadcast.Status) bool { return s.Sent == 2 && s.Waiting["daily_cap"] == 2 })
	if len(fake.Messages()) != 2 {
		t.Fatalf("%d templates went with a cap of 2", len(fake.Messages()))
	}
	clk.advance(24 * time.Hour)
	ts.waitStatus(t, st.ID, "done the next day", func(s broadcast.Status) bool { return s.State == broadcast.StateDone && s.Sent == 4 })
}

func TestStatusCallbacksCountOnceAndAreSigned(t *testing.T) {
	t.Parallel()
	_, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	blocked := "whatsapp:+50261110002"
	ts.sms("+50261110001").optIn(t, "1")
	ts.whatsapp("+50261110002").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	path := httpapi.StatusPath + "?b=" + st.ID
	callback := func(form url.Values, sign bool) int {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sign {
			req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, testPublicURL+path, form))
		}
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	delivered := url.Values{"MessageSid": {"SM" + strings.Repeat("1", 32)}, "MessageStatus": {"delivered"}, "To": {"+50261110001"}}
	if code := callback(delivered, false); code != http.StatusForbidden {
		t.Fatalf("unsigned callback: %d", code)
	}
	for _, status := range []string{"sent", "delivered", "delivered", "read"} { // repeats and read count once
		f := url.Values{"MessageSid": delivered["MessageSid"], "MessageStatus": {status}, "To": {"+50261110001"}}
		if code := callback(f, true); code != http.StatusNoContent {
			t.Fatalf("callback %s: %d", status, code)
		}
	}
	failed := url.Values{"MessageSid": {"SM" + strings.Repeat("2", 32)}, "MessageStatus": {"undelivered"}, "ErrorCode": {"63014"}, "To": {blocked}}
	callback(failed, true)
	callback(failed, true)
	got := ts.status(t, st.ID)
	if got.Delivered != 1 || got.Failed != 1 || got.Reasons["63014"] != 1 {
		t.Fatalf("after callbacks: %+v", got)
	}
	if _, ok, _ := ts.subs.Get(context.Background(), ts.hasher.Sender(content.WhatsApp, blocked)); ok {
		t.Fatal("a person who blocked the sender is still subscribed")
	}
}

func TestAdminAuthentication(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, broadcastConfig(), Deps{})
	callPath := func(path, token, addr string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.RemoteAddr = addr + ":5555"
		req.Header.Set("X-Forwarded-For", "203.0.113.9") // not trusted unless SENDA_TRUST_PROXY
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		return rec
	}
	call := func(token, addr string) *httptest.ResponseRecorder { return callPath("/admin/topics", token, addr) }
	if rec := call(testAdminToken, "192.0.2.1"); rec.Code != http.StatusOK {
		t.Fatalf("right token: %d", rec.Code)
	}
	for _, bad := range []string{"", "wrong", testAdminToken + "x", strings.ToUpper(testAdminToken)} {
		if rec := call(bad, "192.0.2.2"); rec.Code != http.StatusUnauthorized || !strings.Contains(rec.Body.String(), "SENDA_ADMIN_TOKENS") {
			t.Fatalf("token %q: %d %s", bad, rec.Code, rec.Body.String())
		}
	}
	for range access.MaxFailures {
		call("guess", "192.0.2.3")
	}
	rec := call("guess", "192.0.2.3")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("after %d failures the address must wait: %d", access.MaxFailures, rec.Code)
	}
	// Someone guessing from the NGO's address (or every client behind a
	// proxy) must not lock the NGO out: a valid token is never refused.
	if rec := call(testAdminToken, "192.0.2.3"); rec.Code != http.StatusOK {
		t.Fatalf("a valid token after %d failures from its address: %d %s", access.MaxFailures, rec.Code, rec.Body.String())
	}
	// Unknown admin paths are not failed logins: they do not count.
	for range 2 * access.MaxFailures {
		if rec := callPath("/admin/no-such-thing", "guess", "192.0.2.5"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("unknown admin path: %d", rec.Code)
		}
	}
	if rec := call("guess", "192.0.2.5"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("unknown paths counted as failed logins: %d", rec.Code)
	}
	if rec := call(testAdminToken, "192.0.2.4"); rec.Code != http.StatusOK {
		t.Fatalf("another address is not locked out: %d", rec.Code)
	}
	if strings.Contains(strings.Join(redistest.Keys(t, ts.rdb, ts.prefix), " "), "192.0.2") {
		t.Fatal("a client address is stored in Redis in the clear")
	}
}

func TestAdminCreateValidatesAndIsIdempotent(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, broadcastConfig(), Deps{})
	cases := []struct {
		body string
		code int
		want string
	}{
		{`{"topic":"nope","text":{"es":"x"}}`, 422, `topic \"nope\" does not exist; choose one of: salud, seguridad, talleres`},
		{`{"topic":"salud","text":{"en":"x"}}`, 422, "text.es is required"},
		{`{"topic":"salud","text":{"es":"x","fr":"y"}}`, 422, `no language \"fr\"`},
		{`{"topic":"salud","text":{"es":"` + strings.Repeat("a", 200) + `"}}`, 422, "shorten it by"},
		{`{"topic":"salud","text":{"es":"x"},"whatsapp_template":{"content_sid":"abc"}}`, 422, "is not a Content SID"},
		{`{"topic":"salud","text":{"es":"x"},"send_at":"2020-01-01T00:00:00Z"}`, 422, "is in the past"},
		{`{"topic":"salud","text":{"es":"x"},"send_at":"mañana"}`, 422, "RFC 3339"},
		{`{"topic":"salud","text":{"es":"x"},"colour":"red"}`, 400, `unknown field \"colour\"`},
		{`not json`, 400, "not the expected JSON"},
	}
	for _, c := range cases {
		rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", c.body)
		if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.body, rec.Code, rec.Body.String(), c.code, c.want)
		}
	}
	body := `{"topic":"salud","text":{"es":"Aviso."}}`
	first := ts.admin(t, http.MethodPost, "/admin/broadcasts", body, "Idempotency-Key", "k-1")
	again := ts.admin(t, http.MethodPost, "/admin/broadcasts", body, "Idempotency-Key", "k-1")
	var a, b broadcast.Status
	json.Unmarshal(first.Body.Bytes(), &a)
	json.Unmarshal(again.Body.Bytes(), &b)
	if first.Code != http.StatusCreated || again.Code != http.StatusOK || a.ID == "" || a.ID != b.ID {
		t.Fatalf("idempotent create: %d %s / %d %s", first.Code, a.ID, again.Code, b.ID)
	}
	if other := ts.admin(t, http.MethodPost, "/admin/broadcasts", `{"topic":"salud","text":{"es":"Otro aviso."}}`, "Idempotency-Key", "k-1"); other.Code != http.StatusConflict || !strings.Contains(other.Body.String(), "different request") {
		t.Fatalf("a reused key with another body: %d %s", other.Code, other.Body.String())
	}
	list := ts.admin(t, http.MethodGet, "/admin/broadcasts", nil).Body.String()
	if strings.Count(list, `"id":`) != 1 {
		t.Fatalf("list after an idempotent retry: %s", list)
	}
	audit := ts.admin(t, http.MethodGet, "/admin/audit", nil).Body.String()
	if !strings.Contains(audit, `"token":"ngo","action":"create","broadcast":"`+a.ID+`"`) {
		t.Fatalf("audit: %s", audit)
	}
	if rec := ts.admin(t, http.MethodGet, "/admin/broadcasts/0123456789abcdef0", nil); rec.Code != http.StatusNotFound {
		t.Fatalf("unknown id: %d", rec.Code)
	}
}

func TestSubscriberAddressIsSealedAndKeysRotate(t *testing.T) {
	t.Parallel()
	oldKey := randomKey()
	rdb, prefix := redistest.Client(t)
	ts := newTestService(t, broadcastConfigKey(oldKey), Deps{Redis: rdb, Prefix: prefix})
	numbers := []string{"+50262220001", "+50262220002"}
	for _, n := range numbers {
		ts.whatsapp(n).optIn(t, "2")
	}
	dump := redistest.Dump(t, rdb, prefix)
	for k, v := range dump {
		for _, n := range numbers {
			if strings.Contains(k+v, n[4:]) {
				t.Fatalf("%s holds a subscriber's number in the clear", k)
			}
		}
	}
	// Rotate: the new key seals, the old one still opens until rotate-key ran.
	newKey := randomKey()
	cfg := broadcastConfigKey(newKey)
	cfg.Broadcast.SubscriberKeysOld = [][]byte{oldKey}
	rotated := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix})
	res, err := rotated.Subscribers().Rotate(context.Background())
	if err != nil || res.Resealed != 2 || res.Failed != 0 {
		t.Fatalf("rotate: %+v %v", res, err)
	}
	if res, _ := rotated.Subscribers().Rotate(context.Background()); res.Resealed != 0 || res.Current != 2 {
		t.Fatalf("a second rotation changed something: %+v", res)
	}
	only := newTestService(t, broadcastConfigKey(newKey), Deps{Redis: rdb, Prefix: prefix})
	for _, n := range numbers {
		sub, ok, err := only.subs.Get(context.Background(), only.hasher.Sender(content.WhatsApp, "whatsapp:"+n))
		if err != nil || !ok || sub.Address != "whatsapp:"+n {
			t.Fatalf("after rotation the new key alone must open %s: %+v %v %v", n, sub, ok, err)
		}
	}
	oldOnly, _ := sealer.New(oldKey)
	raw := rdb.HGet(context.Background(), only.keys.Subscriber(only.hasher.Sender(content.WhatsApp, "whatsapp:"+numbers[0])), "a").Val()
	if _, err := oldOnly.Open([]byte(raw), nil); err == nil {
		t.Fatal("the old key still opens a rotated address")
	}
}

// TestOptOutRacesBroadcast sends BAJA while a broadcast is going out: no
// message goes to someone after their BAJA was answered, and nothing of
// them is left.
func TestOptOutRacesBroadcast(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	const n = 24
	senders := make([]*sender, n)
	for i := range n {
		senders[i] = ts.sms(fmt.Sprintf("+5026333%04d", i))
		senders[i].optIn(t, "1")
	}
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.MPS = 8 })
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "started", func(s broadcast.Status) bool { return s.Sent >= 3 })
	leftAt := map[string]time.Time{}
	for i := n - 8; i < n; i++ {
		if got := senders[i].say(t, "BAJA"); !strings.Contains(got, "borramos tu numero") {
			t.Fatalf("BAJA: %s", got)
		}
		leftAt[senders[i].from] = time.Now()
	}
	final := ts.waitStatus(t, st.ID, "done", settled)
	if final.Reasons["unsubscribed"] == 0 {
		t.Fatalf("nobody who left was skipped; the race was not run: %+v", final)
	}
	// A send already handed to Twilio when BAJA came may still arrive; one
	// that starts later must not. A second is far more than any send takes
	// once started, and far less than the broadcast takes.
	for _, m := range fake.Messages() {
		if at, ok := leftAt[m.Form.Get("To")]; ok && m.At.After(at.Add(time.Second)) {
			t.Errorf("a message went to someone %v after their BAJA", m.At.Sub(at))
		}
	}
	if final.Sent+final.Skipped != n || final.Sent != int64(len(fake.Messages())) {
		t.Fatalf("figures: %+v with %d messages", final, len(fake.Messages()))
	}
	for from := range leftAt {
		id := ts.hasher.Sender(ident.ChannelOf(from), from)
		if n, _ := ts.rdb.Exists(context.Background(), ts.keys.Subscriber(id)).Result(); n != 0 {
			t.Fatalf("BAJA left a record behind")
		}
		if ok, _ := ts.rdb.SIsMember(context.Background(), ts.keys.Topic("salud"), id.String()).Result(); ok {
			t.Fatal("BAJA left the id in the topic")
		}
	}
}

func TestMyTopicsCanBeSeenAndChanged(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, broadcastConfig(), Deps{})
	s := ts.whatsapp("+50264440001")
	s.optIn(t, "1")
	s.optIn(t, "3")
	s.say(t, "MENU")
	s.say(t, "9")
	got := s.say(t, "2") // my updates
	if !strings.Contains(got, "1 Salud: SI") || !strings.Contains(got, "2 Seguridad: NO") || !strings.Contains(got, "3 Talleres: SI") {
		t.Fatalf("my topics:\n%s", got)
	}
	got = s.say(t, "1") // stop health days
	if !strings.Contains(got, "1 Salud: NO") {
		t.Fatalf("after turning one off:\n%s", got)
	}
	id := ts.hasher.Sender(content.WhatsApp, "whatsapp:+50264440001")
	if topics, _ := ts.subs.Topics(context.Background(), id); len(topics) != 1 || topics[0] != "talleres" {
		t.Fatalf("topics now %v", topics)
	}
	s.say(t, "3") // stop the last one: nothing is kept any more
	if n, _ := ts.rdb.Exists(context.Background(), ts.keys.Subscriber(id)).Result(); n != 0 {
		t.Fatal("a record with no topics left is still stored")
	}
	// NO does not subscribe; a SI out of context does nothing.
	s.say(t, "ALTA")
	s.say(t, "2")
	if got := s.say(t, "NO"); !strings.Contains(got, "no guardamos tu numero") && !strings.Contains(got, "no guardamos tu número") {
		t.Fatalf("NO:\n%s", got)
	}
	s.say(t, "SI")
	if n, _ := ts.rdb.Exists(context.Background(), ts.keys.Subscriber(id)).Result(); n != 0 {
		t.Fatal("a SI after NO subscribed")
	}
}

// TestTopicMonthlyLimitIsKept holds the promise made at opt-in: a topic
// sends at most max_per_month messages in 30 days (salud: 4).
func TestTopicMonthlyLimitIsKept(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, broadcastConfig(), Deps{})
	ts.sms("+50265550001").optIn(t, "1") // someone to send to, so broadcasts stay open (no sender here)
	var ids []string
	for i := range 4 {
		ids = append(ids, ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": fmt.Sprintf("Aviso %d.", i)}}).ID)
	}
	rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Uno más."}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "at most 4 messages a month") {
		t.Fatalf("a fifth broadcast in a month: %d %s", rec.Code, rec.Body.String())
	}
	// Another topic has its own count, and a cancelled broadcast that sent
	// nothing gives its place back.
	ts.createBroadcast(t, broadcast.Request{Topic: "seguridad", Text: map[string]string{"es": "Alerta."}})
	ts.admin(t, http.MethodPost, "/admin/broadcasts/"+ids[0]+"/cancel", nil)
	ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Uno más."}})
	topics := ts.admin(t, http.MethodGet, "/admin/topics", nil).Body.String()
	if !strings.Contains(topics, `"default_language":"es"`) || !strings.Contains(topics, `"delivering":false`) {
		t.Fatalf("topics: %s", topics)
	}
	if created := ts.admin(t, http.MethodPost, "/admin/broadcasts", broadcast.Request{Topic: "talleres", Text: map[string]string{"es": "Taller."}}); !strings.Contains(created.Body.String(), `"warning":"this Senda has no Twilio REST settings`) {
		t.Fatalf("no warning that nothing will be delivered: %s", created.Body.String())
	}
}

// TestStatusCallbackKeysExpireAndUnknownIDsAreIgnored sends late callbacks
// for a finished broadcast and for one that does not exist: the first
// leave no key without an expiry, the second create nothing at all.
func TestStatusCallbackKeysExpireAndUnknownIDsAreIgnored(t *testing.T) {
	t.Parallel()
	_, client := fakeSender(t)
	ts := newTestService(t, broadcastConfig(), Deps{Sender: client})
	ts.sms("+50261120001").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	callback := func(id string, form url.Values) int {
		path := httpapi.StatusPath + "?b=" + id
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, testPublicURL+path, form))
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		return rec.Code
	}
	before := redistest.Keys(t, ts.rdb, ts.prefix)
	phantom := "0190abcdef012345a"
	for _, status := range []string{"delivered", "undelivered"} {
		f := url.Values{"MessageSid": {"SM" + strings.Repeat("7", 32)}, "MessageStatus": {status}, "ErrorCode": {"30008"}, "To": {"+50261120009"}}
		if code := callback(phantom, f); code != http.StatusNoContent {
			t.Fatalf("callback for an unknown broadcast: %d", code)
		}
	}
	if after := redistest.Keys(t, ts.rdb, ts.prefix); len(after) != len(before) {
		t.Fatalf("a callback for an unknown broadcast created keys: %v", after)
	}
	for i, status := range []string{"delivered", "read", "undelivered"} {
		f := url.Values{"MessageSid": {fmt.Sprintf("SM%032d", i)}, "MessageStatus": {status}, "ErrorCode": {"30008"}, "To": {"+50261120001"}}
		if code := callback(st.ID, f); code != http.StatusNoContent {
			t.Fatalf("late callback %s: %d", status, code)
		}
	}
	ctx := context.Background()
	for _, k := range redistest.Keys(t, ts.rdb, ts.prefix) {
		if !strings.Contains(k, st.ID) {
			continue
		}
		if ttl := ts.rdb.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry after late callbacks (PTTL %v)", k, ttl)
		}
	}
	if got := ts.status(t, st.ID); got.Delivered != 2 || got.Failed != 1 {
		t.Fatalf("late callbacks were not counted: %+v", got)
	}
}

// TestTopicMonthlyLimitHoldsUnderConcurrentCreates sends ten creates for a
// topic with four places at once: exactly four pass.
func TestTopicMonthlyLimitHoldsUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, broadcastConfig(), Deps{})
	ts.sms("+50265550101").optIn(t, "1")
	const tries = 10
	codes := make(chan int, tries)
	var start sync.WaitGroup
	start.Add(1)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start.Wait()
			body := broadcast.Request{Topic: "salud", Text: map[string]string{"es": fmt.Sprintf("Aviso %d.", i)}, SendAt: time.Now().Add(time.Hour).Format(time.RFC3339)}
			codes <- ts.admin(t, http.MethodPost, "/admin/broadcasts", body).Code
		}()
	}
	start.Done()
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	if got[http.StatusCreated] != 4 || got[http.StatusUnprocessableEntity] != tries-4 {
		t.Fatalf("ten concurrent creates for a topic with 4 places a month: %v", got)
	}
}

// TestIdempotencyReplayNeverCreatesASecondBroadcastOnAReadError fails the
// read of the first broadcast during a replay of its Idempotency-Key: the
// replay must fail, not create a second broadcast.
func TestIdempotencyReplayNeverCreatesASecondBroadcastOnAReadError(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	hook := faults.NewHook()
	rdb.AddHook(hook)
	ts := newTestService(t, broadcastConfig(), Deps{Redis: rdb, Prefix: prefix})
	body := `{"topic":"salud","text":{"es":"Aviso."},"send_at":"` + time.Now().Add(time.Hour).Format(time.RFC3339) + `"}`
	if rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", body, "Idempotency-Key", "k-9"); rec.Code != http.StatusCreated {
		t.Fatalf("first create: %d %s", rec.Code, rec.Body.String())
	}
	hook.Set(faults.Rule{Name: "hgetall"})
	if rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", body, "Idempotency-Key", "k-9"); rec.Code < 500 {
		t.Fatalf("a replay that could not read the first broadcast answered %d %s", rec.Code, rec.Body.String())
	}
	hook.Set()
	list := ts.admin(t, http.MethodGet, "/admin/broadcasts", nil).Body.String()
	if n := strings.Count(list, `"id":`); n != 1 {
		t.Fatalf("%d broadcasts after a failed replay: %s", n, list)
	}
	if rec := ts.admin(t, http.MethodPost, "/admin/broadcasts", body, "Idempotency-Key", "k-9"); rec.Code != http.StatusOK {
		t.Fatalf("replay once Redis answers: %d %s", rec.Code, rec.Body.String())
	}
}
