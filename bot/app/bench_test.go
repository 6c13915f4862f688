package app

import (
	"context"
	"runtime"
	"time"

	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
	"github.com/senda-org/senda/content"
)

// benchRequests builds signed webhook requests from many senders, each
// walking a realistic conversation, with a unique MessageSid each.
func benchRequests(n, senders int) []struct{ body, sig string } {
	script := []string{"HOLA", "2", "4", "MAS", "MAS", "0", "1", "0", "SALUD", "3", "MENU", "xyz"}
	out := make([]struct{ body, sig string }, n)
	for i := range out {
		s := i % senders
		form := url.Values{
			"From": {fmt.Sprintf("whatsapp:+5023%07d", s)}, "To": {"whatsapp:+14155238886"},
			"Body": {script[(i/senders)%len(script)]}, "MessageSid": {fmt.Sprintf("SM%032x", i)},
			"AccountSid": {"AC00000000000000000000000000000000"}, "NumMedia": {"0"}, "NumSegments": {"1"},
			"ProfileName": {"Persona"}, "WaId": {fmt.Sprintf("5023%07d", s)}, "SmsStatus": {"received"},
			"SmsMessageSid": {fmt.Sprintf("SM%032x", i)}, "SmsSid": {fmt.Sprintf("SM%032x", i)},
			"MessageType": {"text"}, "ApiVersion": {"2010-04-01"},
		}
		out[i].body = form.Encode()
		out[i].sig = twilioSignature(testToken, testPublicURL+httpapi.MessagesPath, form)
	}
	return out
}

// BenchmarkWebhook measures the whole handler (signature, parsing, one
// Redis round trip, reply) on the test Redis.
func BenchmarkWebhook(b *testing.B) {
	ts := newTestService(b, testConfig(), Deps{})
	reqs := benchRequests(max(b.N, 1), 2000)
	stat := scriptStat(ts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := ts.serveSigned(reqs[i].body, reqs[i].sig); code != http.StatusOK {
			b.Fatalf("status %d", code)
		}
	}
	b.StopTimer()
	stat.report(b)
}

// BenchmarkWebhookErase is BenchmarkWebhook with erasure at Twilio on: each
// message's SID rides the session step into the erase stream, and each reply
// carries the action attribute for its status callback. No erase worker runs.
func BenchmarkWebhookErase(b *testing.B) {
	fake := twiliofake.New()
	b.Cleanup(fake.Close)
	del, err := twilio.NewDeleter(twilio.Config{AccountSID: fake.AccountSID, AuthToken: fake.AuthToken, APIBase: fake.URL})
	if err != nil {
		b.Fatal(err)
	}
	cfg := testConfig()
	cfg.Erase, cfg.EraseRPS = true, 5
	cfg.Twilio.AccountSID = fake.AccountSID
	ts := newTestService(b, cfg, Deps{Deleter: del})
	reqs := benchRequests(max(b.N, 1), 2000)
	stat := scriptStat(ts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code := ts.serveSigned(reqs[i].body, reqs[i].sig); code != http.StatusOK {
			b.Fatalf("status %d", code)
		}
	}
	b.StopTimer()
	stat.report(b)
}

// evalStat is Redis's own count of EVALSHA calls and the microseconds it
// spent in them (INFO commandstats), taken before a benchmark's loop.
type evalStat struct {
	ts          *testService
	calls, usec int64
	ok          bool
}

// scriptStat reads the test Redis's EVALSHA figures now.
func scriptStat(ts *testService) evalStat {
	calls, usec, ok := evalshaStats(ts)
	return evalStat{ts: ts, calls: calls, usec: usec, ok: ok}
}

// report adds Redis's time per EVALSHA since scriptStat as the metric
// redis-µs/evalsha: the session script's cost inside Redis (meaningful on
// a Redis of its own; other clients' scripts count too). Nothing is
// asserted about it.
func (e evalStat) report(b *testing.B) {
	calls, usec, ok := evalshaStats(e.ts)
	if !ok || !e.ok || calls <= e.calls {
		return
	}
	b.ReportMetric(float64(usec-e.usec)/float64(calls-e.calls), "redis-µs/evalsha")
}

func evalshaStats(ts *testService) (calls, usec int64, ok bool) {
	info, err := ts.rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(info, "\r\n") {
		rest, found := strings.CutPrefix(line, "cmdstat_evalsha:")
		if !found {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(f, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				calls = n
			case "usec":
				usec = n
			}
		}
		return calls, usec, true
	}
	return 0, 0, false
}

// serveSigned posts one pre-signed webhook request to the handler.
func (ts *testService) serveSigned(body, sig string) int {
	req := httptest.NewRequest(http.MethodPost, httpapi.MessagesPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec.Code
}

// BenchmarkWebhookParallel is the same under concurrent requests, closer to
// a server's load.
func BenchmarkWebhookParallel(b *testing.B) {
	ts := newTestService(b, testConfig(), Deps{})
	reqs := benchRequests(max(b.N, 1), 2000)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := reqs[int(next.Add(1)-1)%len(reqs)]
			if code := ts.serveSigned(r.body, r.sig); code != http.StatusOK {
				b.Errorf("status %d", code)
				return
			}
		}
	})
}

// BenchmarkBroadcast10k delivers a broadcast to 10,000 WhatsApp
// subscribers through the real workers, ledger and Twilio client to the fake
// Twilio, with no rate limit: how fast Senda itself can go. Each iteration is
// one whole broadcast; run it with -benchtime 1x (a topic allows only a few a
// month). It reports messages per second and allocations per message (the
// fake Twilio's own work, in the same process, is counted too).
func BenchmarkBroadcast10k(b *testing.B) {
	const n = 10_000
	fake, client := fakeSender(b)
	ts := newTestService(b, broadcastConfig(), Deps{Sender: client})
	ctx := context.Background()
	for i := range n {
		addr := fmt.Sprintf("whatsapp:+5023%07d", i)
		if err := ts.subs.Subscribe(ctx, ts.hasher.Sender(content.WhatsApp, addr), addr, content.WhatsApp, "es", "seguridad"); err != nil {
			b.Fatal(err)
		}
	}
	startWorkers(b, ts, func(c *broadcast.WorkerConfig) { fastWorkers(c); c.Workers = 16 })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		st := ts.createBroadcast(b, broadcast.Request{Topic: "seguridad", Text: map[string]string{"es": fmt.Sprintf("Alerta %d.", i)}})
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
			got, err := ts.broadcasts.Get(ctx, st.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.State == broadcast.StateDone {
				if got.Sent != n {
					b.Fatalf("sent %d of %d", got.Sent, n)
				}
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("not done after 5 minutes: %+v", got)
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	runtime.ReadMemStats(&after)
	msgs := float64(n * b.N)
	b.ReportMetric(msgs/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/msgs, "allocs/msg")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/msgs, "B/msg")
	if got := len(fake.Messages()); got != n*b.N {
		b.Fatalf("the fake got %d messages, want %d", got, n*b.N)
	}
}
