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
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

// privateService starts a service on a private Redis reached through
// SENDA_REDIS_URL's parser, as `senda serve` connects.
func privateService(t *testing.T, redisURL string, cfg config.Config, deps Deps, prefix string) *testService {
	t.Helper()
	opts, err := config.ParseRedisURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := opts.Client()
	t.Cleanup(func() { rdb.Close() })
	deps.Redis, deps.Prefix = rdb, prefix
	return newTestService(t, cfg, deps)
}

// deniedService starts a delivering service on a private Redis, logged in
// as a user that will be denied commands once the test calls Apply.
func deniedService(t *testing.T, commands ...string) (*testService, *faults.Denial) {
	t.Helper()
	srv := faults.StartServer(t, faults.ServerOptions{})
	deny, err := srv.Deny(commands...)
	if err != nil {
		t.Fatal(err)
	}
	if err := deny.Lift(); err != nil {
		t.Fatal(err)
	}
	_, client := fakeSender(t)
	u := url.URL{Scheme: "redis", User: url.UserPassword(deny.User, deny.Options().Password), Host: srv.Addr(), Path: "/0"}
	return privateService(t, u.String(), broadcastConfig(), Deps{Sender: client}, "senda-fault:"), deny
}

// oncePerRecipient fails the test unless each of n subscribers got exactly
// one message at the fake Twilio.
func oncePerRecipient(t *testing.T, fake *twiliofake.Server, n int) {
	t.Helper()
	counts := sentTo(fake)
	if len(counts) != n {
		t.Fatalf("%d of %d subscribers got the message", len(counts), n)
	}
	for to, c := range counts {
		if c != 1 {
			t.Errorf("%s got %d copies", to, c)
		}
	}
}

// ready calls /readyz and returns the code and body.
func (ts *testService) ready() (int, string) {
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	return rec.Code, rec.Body.String()
}

// eventually polls cond until it holds or limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("not within %v: %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// optInRetrying subscribes through the conversation, retrying while the
// service answers "try later" after Redis came back.
func optInRetrying(t *testing.T, s *sender) {
	t.Helper()
	eventually(t, 10*time.Second, "opt-in after Redis came back", func() bool {
		for _, in := range []string{"ALTA", "1"} {
			s.ts.post(t, s.form(in))
		}
		rec := s.ts.post(t, s.form("SI"))
		return rec.Code == http.StatusOK && strings.Contains(rec.Body.String(), "BAJA")
	})
}

// TestBroadcastWorkersHealAfterRedisLosesItsData restarts Redis without
// persistence in the middle of a broadcast: the consumer group is gone.
// The workers recreate it, say so once, and deliver the next broadcast
// without Senda restarting; /readyz shows the outage while it lasts.
func TestBroadcastWorkersHealAfterRedisLosesItsData(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	fake, client := fakeSender(t)
	fake.SetLatency(30 * time.Millisecond)
	ts := privateService(t, srv.URL(), broadcastConfig(), Deps{Sender: client}, "senda-fault:")
	for i := range 20 {
		ts.sms(fmt.Sprintf("+5025556%04d", i)).optIn(t, "1")
	}
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.Workers = 1 })
	first := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso uno."}})
	eventually(t, 10*time.Second, "the first broadcast under way", func() bool { return len(fake.Messages()) >= 3 })
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "/readyz 503 while Redis is down", func() bool { code, _ := ts.ready(); return code == http.StatusServiceUnavailable })
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Everything is gone, the first broadcast too; people opt in again.
	for i := range 3 {
		optInRetrying(t, ts.sms(fmt.Sprintf("+5025557%04d", i)))
	}
	second := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso dos."}})
	if second.ID == first.ID {
		t.Fatal("same id")
	}
	took := eventually(t, 20*time.Second, "the broadcast after the restart delivered", func() bool {
		return ts.status(t, second.ID).State == broadcast.StateDone
	})
	t.Logf("delivered %v after the broadcast was created on the restarted Redis", took)
	if st := ts.status(t, second.ID); st.Sent != 3 {
		t.Fatalf("after the restart: %+v", st)
	}
	for _, m := range fake.Messages() {
		if strings.Contains(m.Form.Get("Body"), "Aviso dos.") && !strings.HasPrefix(m.Form.Get("To"), "+5025557") {
			t.Fatalf("the second broadcast went to someone Redis forgot: %s", m.Form.Get("To"))
		}
	}
	eventually(t, 5*time.Second, "/readyz 200 again", func() bool { code, _ := ts.ready(); return code == http.StatusOK })
	if n := strings.Count(ts.logs.String(), "consumer group was missing"); n != 1 {
		t.Fatalf("the recreated group is logged %d times, want once:\n%s", n, ts.logs.String())
	}
}

// TestReadyzReportsAWorkerThatCannotReadItsQueue denies the workers'
// stream read while Redis answers everything else: /readyz says 503 and
// why, and 200 again once the read works.
func TestReadyzReportsAWorkerThatCannotReadItsQueue(t *testing.T) {
	t.Parallel()
	ts, deny := deniedService(t, "xreadgroup")
	startWorkers(t, ts, fastWorkers)
	if code, body := ts.ready(); code != http.StatusOK {
		t.Fatalf("readyz before the fault: %d %s", code, body)
	}
	if err := deny.Apply(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "/readyz 503 naming the queue", func() bool {
		code, body := ts.ready()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "broadcast queue not readable")
	})
	if err := deny.Lift(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "/readyz 200 once the queue reads", func() bool { code, _ := ts.ready(); return code == http.StatusOK })
}

// TestBroadcastOutageLogsAreRateLimited fails every Lua script the worker
// runs for a while: the log gets the first failure and no flood.
func TestBroadcastOutageLogsAreRateLimited(t *testing.T) {
	t.Parallel()
	ts, deny := deniedService(t, "evalsha", "eval")
	for i := range 10 {
		ts.sms(fmt.Sprintf("+5025558%04d", i)).optIn(t, "1")
	}
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	if err := deny.Apply(); err != nil {
		t.Fatal(err)
	}
	startWorkers(t, ts, fastWorkers)
	time.Sleep(2 * time.Second)
	lines := 0
	for _, l := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN") {
			lines++
		}
	}
	if lines > 6 {
		t.Fatalf("%d warning and error lines in 2 s of outage:\n%s", lines, ts.logs.String())
	}
	if err := deny.Lift(); err != nil {
		t.Fatal(err)
	}
	ts.waitStatus(t, st.ID, "done after the outage", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
}
