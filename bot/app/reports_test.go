package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/flows"
)

// sessionState reads the conversation state stored for a sender (session
// value: format, count, effect, topic, count message hashes, state), or nil.
func (ts *testService) sessionState(t testing.TB, s *sender) *flows.State {
	t.Helper()
	id := ts.hasher.Sender(ident.ChannelOf(s.from), s.from)
	v, err := ts.rdb.Get(context.Background(), ts.keys.Session(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil || len(v) < 4 || len(v) < 4+8*int(v[1]) {
		t.Fatalf("session value %q: %v", v, err)
	}
	st, err := ts.conversation.Engine().Decode([]byte(v[4+8*int(v[1]):]))
	if err != nil {
		t.Fatalf("session state: %v", err)
	}
	return &st
}

// reportKeys lists the keys of filed reports and their counters.
func reportKeys(t testing.TB, ts *testService) []string {
	t.Helper()
	return redistest.Keys(t, ts.rdb, ts.prefix+"{r}:")
}

// Through the signed webhook, on WhatsApp and SMS: from AVISAR to the
// receipt in six messages, filed once, and nothing typed kept in clear.
func TestWebhookReportInSixMessages(t *testing.T) {
	ts := newTestService(t, broadcastConfig(), Deps{})
	for i, s := range []*sender{ts.whatsapp("+50255550001"), ts.sms("+50255550002")} {
		answers := []string{"AVISAR", "1", "Parque central", "1", "Hombre alto, gorra roja, moto placa M-123XYZ", "1"}
		var reply string
		for j, a := range answers {
			reply = s.say(t, a)
			if j < len(answers)-1 {
				for k, v := range redistest.Dump(t, ts.rdb, ts.prefix) {
					if strings.Contains(v, "Parque") || strings.Contains(v, "M-123XYZ") {
						t.Fatalf("after %q key %s holds what was typed, in clear", a, k)
					}
				}
			}
		}
		if !strings.Contains(reply, "Nadie sabr") {
			t.Fatalf("%s: last reply %q is not the receipt", s.from, reply)
		}
		list, err := ts.Reports().List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != i+1 {
			t.Fatalf("%d reports filed after %d conversations", len(list), i+1)
		}
		if r := list[i]; r.Kind != "violent" || r.Area != "Parque central" || r.When != "today" || !strings.Contains(r.Text, "M-123XYZ") {
			t.Fatalf("filed %+v", r)
		}
	}
}

// 0 at any step leaves the report, and Redis holds nothing of it.
func TestWebhookLeavingAReportLeavesNothing(t *testing.T) {
	ts := newTestService(t, broadcastConfig(), Deps{})
	answers := []string{"AVISAR", "2", "Mercado", "3", "Carro azul P-999QQQ"}
	for step := 1; step <= len(answers); step++ {
		for _, leave := range []string{"0", "SALIR"} {
			s := ts.sms("+5025555" + strings.Repeat("7", 3) + string(rune('0'+step)))
			for _, a := range answers[:step] {
				s.say(t, a)
			}
			s.say(t, leave)
			for k, v := range redistest.Dump(t, ts.rdb, ts.prefix) {
				if strings.Contains(k, "{r}") {
					t.Fatalf("%q after %d answers: %s is in Redis", leave, step, k)
				}
				if strings.Contains(v, "Mercado") || strings.Contains(v, "P-999QQQ") {
					t.Fatalf("%q after %d answers: key %s holds what was typed", leave, step, k)
				}
			}
			// Nothing sealed is left either: the session holds no draft.
			if st := ts.sessionState(t, s); st != nil && st.Report != nil {
				t.Fatalf("%q after %d answers: the session keeps the draft", leave, step)
			}
		}
	}
}

// Redis failing when the report is filed: "try later", nothing half-saved,
// and sending the answer again files it once. A Twilio retry of the
// message that filed it does not file it twice.
func TestWebhookReportRedisFailsAtTheLastStep(t *testing.T) {
	ts, down := newFlakyService(t, broadcastConfig())
	s := ts.whatsapp("+50255550003")
	for _, a := range []string{"AVISAR", "5", "Calle 3", "2", "Moto negra sin placa"} {
		s.say(t, a)
	}
	down.Store(true)
	reply := s.say(t, "1")
	down.Store(false)
	if !strings.Contains(reply, "Intenta de nuevo") {
		t.Fatalf("with Redis down: %q, want try later", reply)
	}
	if keys := reportKeys(t, ts); len(keys) != 0 {
		t.Fatalf("a failed filing left %v", keys)
	}
	form := s.form("1")
	rec := ts.post(t, form)
	if got := messageText(t, rec.Body.String()); !strings.Contains(got, "Nadie sabr") {
		t.Fatalf("retry: %q", got)
	}
	ts.post(t, form) // Twilio retries the same MessageSid
	list, err := ts.Reports().List(context.Background())
	if err != nil || len(list) != 1 || list[0].Area != "Calle 3" {
		t.Fatalf("after the retry: %+v, %v; want one report", list, err)
	}
}

// Without subscriptions (no SENDA_SUBSCRIBER_KEY) the line takes no
// reports and says so.
func TestWebhookNoReportsWithoutKey(t *testing.T) {
	ts := newTestService(t, testConfig(), Deps{})
	if got := ts.sms("+50255550004").say(t, "AVISAR"); !strings.Contains(got, "no recibe avisos") {
		t.Fatalf("AVISAR without reports: %q", got)
	}
}

// Twenty reports from twenty senders through the webhook: what reports
// keep names no number, sender id or MessageSid, and every report's
// expiry is the same, so nothing orders or times them.
func TestWebhookReportsJoinNoSender(t *testing.T) {
	c := &clock{}
	c.set(time.Date(2026, 12, 7, 10, 0, 0, 0, time.FixedZone("CST", -6*3600))) // far from midnight
	ts := newTestService(t, broadcastConfig(), c.deps(Deps{}))
	var forbidden []string
	for i := range 20 {
		s := ts.sms("+502444400" + string(rune('0'+i/10)) + string(rune('0'+i%10)))
		if i%2 == 0 {
			s = ts.whatsapp("+502333300" + string(rune('0'+i/10)) + string(rune('0'+i%10)))
		}
		id := ts.hasher.Sender(ident.ChannelOf(s.from), s.from)
		for _, a := range []string{"AVISAR", "6", "Zona 1", "3", "Algo raro"} {
			s.say(t, a)
		}
		form := s.form("1")
		ts.post(t, form)
		num := ident.NormalizeAddress(s.from)
		forbidden = append(forbidden, num, num[4:], id.String(), string(id[:8]), form.Get("MessageSid"))
	}
	ctx := context.Background()
	expiries := map[int64]bool{}
	for k, v := range redistest.Dump(t, ts.rdb, ts.prefix+"{r}:") {
		for _, f := range forbidden {
			if strings.Contains(k, f) || strings.Contains(v, f) {
				t.Fatalf("report key %s holds %q", k, f)
			}
		}
		if strings.HasPrefix(k, ts.prefix+"{r}:r:") {
			at, err := ts.rdb.Do(ctx, "EXPIRETIME", k).Int64()
			if err != nil {
				t.Skipf("EXPIRETIME needs Redis 7: %v", err)
			}
			expiries[at] = true
		}
	}
	if list, _ := ts.Reports().List(ctx); len(list) != 20 || len(expiries) != 1 {
		t.Fatalf("%d reports with %d different expiries; want 20 with one", len(list), len(expiries))
	}
}
