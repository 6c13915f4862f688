package bot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
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
		out[i].sig = twilioSignature(testToken, testPublicURL+MessagesPath, form)
	}
	return out
}

// BenchmarkWebhook measures the whole handler (signature, parsing, one
// Redis round trip, reply) on the test Redis.
func BenchmarkWebhook(b *testing.B) {
	ts := newTestService(b, testConfig(), Deps{})
	reqs := benchRequests(max(b.N, 1), 2000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := reqs[i]
		req := httptest.NewRequest(http.MethodPost, MessagesPath, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", r.sig)
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
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
			req := httptest.NewRequest(http.MethodPost, MessagesPath, strings.NewReader(r.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", r.sig)
			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d", rec.Code)
				return
			}
		}
	})
}
