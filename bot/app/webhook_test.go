package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/content"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestWebhookGoldenTwiML(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	cases := []struct {
		name   string
		sender *sender
		inputs []string
	}{
		{"sms_hola", ts.sms("+50255501001"), []string{"HOLA"}},
		{"whatsapp_hola", ts.whatsapp("+50255501002"), []string{"hola"}},
		{"sms_salud_centro", ts.sms("+50255501003"), []string{"HOLA", "1", "1"}},
		{"whatsapp_unknown", ts.whatsapp("+50255501004"), []string{"HOLA", "quiero <algo> & más"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			for _, in := range c.inputs {
				rec = ts.post(t, c.sender.form(in))
				if rec.Code != http.StatusOK {
					t.Fatalf("%q: status %d", in, rec.Code)
				}
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/xml; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/xml; charset=utf-8", ct)
			}
			golden(t, filepath.Join("testdata", "golden", c.name+".xml"), rec.Body.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -run Golden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("reply differs from %s:\n got: %s\nwant: %s", path, got, want)
	}
}

func TestWebhookConversation(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	s := ts.sms("+502 5550-2001")
	steps := []struct{ in, want string }{
		{"hola", "nadie lee esto"},
		{"mas", "4 Seguridad\n"},
		{"2", "4 PrEP"},
		{"4", "Senda 1/5"},
		{"más", "Senda 2/5"},
		{"MAAAS!", "Senda 3/5"},
		{"mas", "Senda 4/5"},
		{"mas", "Senda 5/5"},
		{"mas", "No hay mas."},
		{"0", "1 Revision de ITS"},
		{"volver", "9 Avisos"},
		{"DERECHOS", "3 PDH"},
		{"patata", "No entendi"},
		{"ENGLISH", "Your rights and legal help"},
		{"xyz", "Sorry, pick a number"},
		{"menu", "1 Health\n"},
		{"ayuda", "Send the number of an option."},
	}
	for _, st := range steps {
		got := s.say(t, st.in)
		if !strings.Contains(got, st.want) {
			t.Fatalf("after %q got\n%s\nwant it to contain %q", st.in, got, st.want)
		}
		if !strings.HasPrefix(got, "Senda") {
			t.Fatalf("after %q the first line is not the neutral header: %q", st.in, got)
		}
		if m := content.MeasureSMS(got); m.Encoding != content.GSM7 || m.Segments != 1 {
			t.Fatalf("after %q the SMS reply is %+v, want one GSM-7 segment:\n%s", st.in, m, got)
		}
	}
}

func TestWebhookWhatsAppKeepsAccentsAndUsesFullText(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	s := ts.whatsapp("+50255502002")
	got := s.say(t, "PrEP")
	if strings.Contains(got, "MAS para seguir") || !strings.Contains(got, "Patzún") {
		t.Fatalf("WhatsApp should get the whole text with accents, got:\n%s", got)
	}
}

func TestWebhookRejects(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	valid := url.Values{"From": {"+50255503001"}, "To": {"+50220000000"}, "Body": {"HOLA"}, "MessageSid": {"SM00000000000000000000000000000001"}}
	sign := func(form url.Values) string {
		return twilioSignature(testToken, testPublicURL+httpapi.MessagesPath, form)
	}
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		header map[string]string
		want   int
	}{
		{name: "no signature", body: valid.Encode(), want: http.StatusForbidden},
		{name: "wrong signature", body: valid.Encode(), header: map[string]string{"X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="}, want: http.StatusForbidden},
		{name: "signed with another token", body: valid.Encode(),
			header: map[string]string{"X-Twilio-Signature": twilioSignature("other-token", testPublicURL+httpapi.MessagesPath, valid)}, want: http.StatusForbidden},
		{name: "signed for the Host the server sees, not the public URL", body: valid.Encode(),
			header: map[string]string{"X-Twilio-Signature": twilioSignature(testToken, "http://example.com"+httpapi.MessagesPath, valid)}, want: http.StatusForbidden},
		{name: "tampered body", body: strings.Replace(valid.Encode(), "HOLA", "SALIR", 1), header: map[string]string{"X-Twilio-Signature": sign(valid)}, want: http.StatusForbidden},
		{name: "missing From", body: without(valid, "From").Encode(), header: map[string]string{"X-Twilio-Signature": sign(without(valid, "From"))}, want: http.StatusBadRequest},
		{name: "missing MessageSid", body: without(valid, "MessageSid").Encode(), header: map[string]string{"X-Twilio-Signature": sign(without(valid, "MessageSid"))}, want: http.StatusBadRequest},
		{name: "malformed form", body: "From=%zz&Body=x", want: http.StatusBadRequest},
		{name: "oversized body", body: "Body=" + strings.Repeat("a", httpapi.MaxWebhookBody), want: http.StatusRequestEntityTooLarge},
		{name: "json body", body: `{"From":"x"}`, header: map[string]string{"Content-Type": "application/json"}, want: http.StatusUnsupportedMediaType},
		{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
		{name: "unknown path", path: "/twilio/other", body: valid.Encode(), want: http.StatusNotFound},
		{name: "valid", body: valid.Encode(), header: map[string]string{"X-Twilio-Signature": sign(valid)}, want: http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, path := c.method, c.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = httpapi.MessagesPath
			}
			req := httptest.NewRequest(method, path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			ts.Handler().ServeHTTP(rec, req)
			if rec.Code != c.want {
				t.Fatalf("status %d, want %d; body %s", rec.Code, c.want, rec.Body.String())
			}
			if c.want != http.StatusOK {
				var body adminapi.Error
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Error == "" {
					t.Fatalf("error response is not JSON with an error message: %q", rec.Body.String())
				}
			}
		})
	}
}

func without(v url.Values, key string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		if k != key {
			out[k] = vs
		}
	}
	return out
}

func TestWebhookSignatureIgnoresHostHeader(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	form := ts.sms("+50255504001").form("HOLA")
	req := httptest.NewRequest(http.MethodPost, "http://10.0.0.7:8080"+httpapi.MessagesPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, testPublicURL+httpapi.MessagesPath, form))
	req.Host = "internal-proxy:8080"
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("a request signed for SENDA_PUBLIC_URL but seen under another Host got %d", rec.Code)
	}
}

func TestWebhookRepeatedMessageSidAnswersOnce(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{CacheSize: -1})
	s := ts.sms("+50255505001")
	s.say(t, "HOLA")
	form := s.form("1") // → Salud
	first := ts.post(t, form)
	retry := ts.post(t, form) // Twilio's retry, or a replay of a captured request
	if first.Body.String() != retry.Body.String() {
		t.Fatalf("a retried message got a different answer:\n%s\n%s", first.Body.String(), retry.Body.String())
	}
	// Had the retry advanced the conversation, "1" would now have chosen
	// the first option of Salud; instead the same menu is still current.
	if got := s.say(t, "1"); !strings.Contains(got, "Centro de Salud de Patzun") {
		t.Fatalf("the retry moved the conversation on; next reply:\n%s", got)
	}
}

func TestWebhookRepeatedSidAfterErase(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	s := ts.sms("+50255505002")
	s.say(t, "HOLA")
	form := s.form("SALIR")
	first := ts.post(t, form).Body.String()
	retry := ts.post(t, form).Body.String()
	if first != retry || !strings.Contains(first, "borramos") {
		t.Fatalf("SALIR and its retry differ or do not confirm:\n%s\n%s", first, retry)
	}
	// Only the service's hash-key fingerprint and the day's anonymous figures
	// (counters and a HyperLogLog, which holds a count, not ids, and the
	// number of this process's last batch of them) may remain: nothing of
	// the person.
	if err := ts.stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, k := range redistest.Keys(t, ts.rdb, ts.prefix) {
		if k != ts.keys.HashKeyFingerprint() && !strings.Contains(k, "{stats}:d:") && !strings.Contains(k, "{stats}:f:") {
			left = append(left, k)
		}
	}
	if len(left) > 0 {
		t.Fatalf("SALIR left keys behind: %v", left)
	}
}

// countHook counts the round trips a client makes: each command, and each
// pipeline as one.
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

func TestWebhookOneRoundTripPerMessage(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	hook := &countHook{}
	rdb.AddHook(hook)
	ts := newTestService(t, testConfig(), Deps{Redis: rdb, Prefix: prefix})
	s := ts.sms("+50255506001")
	s.say(t, "HOLA") // loads the script into the server's cache if needed
	inputs := []string{"1", "2", "MAS", "0", "xyz", "MENU", "5", "AYUDA", "SALUD", "0", "SALIR", "HOLA"}
	before := hook.n.Load()
	for _, in := range inputs {
		s.say(t, in)
	}
	if got := hook.n.Load() - before; got > int64(len(inputs)) {
		t.Fatalf("%d messages cost %d Redis round trips; want at most one each", len(inputs), got)
	}
}

func TestSessionsTwoReplicasShareOneConversation(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	a := newTestService(t, testConfig(), Deps{Redis: rdb, Prefix: prefix})
	b := newTestService(t, testConfig(), Deps{Redis: rdb, Prefix: prefix})
	sa, sb := a.sms("+50255507001"), b.sms("+50255507001")
	sa.say(t, "HOLA")
	sb.say(t, "2")                                             // replica b must see a's state: sexual health
	if got := sa.say(t, "4"); !strings.Contains(got, "PrEP") { // a's cache is stale now
		t.Fatalf("replica a did not continue from b's state:\n%s", got)
	}
	if got := sb.say(t, "0"); !strings.Contains(got, "4 PrEP") {
		t.Fatalf("replica b did not continue from a's state:\n%s", got)
	}
}

func TestSessionExpiresAndStartsOver(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	ts := newTestService(t, cfg, Deps{CacheSize: -1, SessionTTL: 500 * time.Millisecond})
	s := ts.sms("+50255508001")
	s.say(t, "HOLA")
	s.say(t, "2")
	key := ts.keys.Session(ts.hasher.Sender(content.SMS, "+50255508001"))
	ttl, err := ts.rdb.PTTL(context.Background(), key).Result()
	if err != nil || ttl <= 0 || ttl > 500*time.Millisecond {
		t.Fatalf("session key TTL = %v (%v), want (0, 500ms]", ttl, err)
	}
	redistest.FastForward(700 * time.Millisecond)
	if n, _ := ts.rdb.Exists(context.Background(), key).Result(); n != 0 {
		t.Fatal("session still stored after its TTL")
	}
	// "1" in the sexual health menu would be STI testing; after expiry the
	// conversation starts over with the welcome.
	if got := s.say(t, "1"); !strings.Contains(got, "nadie lee esto") {
		t.Fatalf("after expiry got\n%s\nwant the welcome of a new conversation", got)
	}
}

func TestSessionMemoryPerIdleSession(t *testing.T) {
	if redistest.Embedded() {
		t.Skip("MEMORY USAGE needs a real Redis")
	}
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	s := ts.sms("+50255509001")
	for _, in := range []string{"HOLA", "2", "4", "MAS"} { // a three-deep back stack
		s.say(t, in)
	}
	key := ts.keys.Session(ts.hasher.Sender(content.SMS, "+50255509001"))
	used, err := ts.rdb.MemoryUsage(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("MEMORY USAGE of an idle session: %d bytes", used)
	if used > 200 {
		t.Fatalf("an idle session uses %d bytes of Redis memory, want at most 200", used)
	}
}

func TestHealthAndReady(t *testing.T) {
	t.Parallel()
	ts, down := newFlakyService(t, testConfig())
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("%s = %d, want %d", path, rec.Code, want)
		}
	}
	// A Redis that does not answer makes the replica not ready.
	down.Store(true)
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Redis down = %d, want 503", rec.Code)
	}
}

func TestWebhookRedisDownStillAnswers(t *testing.T) {
	t.Parallel()
	ts, down := newFlakyService(t, testConfig())
	down.Store(true)
	got := ts.sms("+50255510001").say(t, "HOLA")
	if !strings.Contains(got, "problema") {
		t.Fatalf("with Redis down the person should be told to try later, got:\n%s", got)
	}
}

func TestMetricsAreAggregates(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	s := ts.sms("+50255511001")
	s.say(t, "HOLA")
	s.say(t, "1")
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{`senda_messages_total{channel="sms"} 2`, `senda_node_views_total{node="salud"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "55511001") {
		t.Fatal("metrics mention the sender")
	}
}

// TestWebhookTokenRotation: with TWILIO_AUTH_TOKEN_PREVIOUS set, requests
// signed with the new token and with the old one are answered, one signed
// with neither gets 403, and /metrics says which token each used.
func TestWebhookTokenRotation(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	cfg.Twilio.AuthTokenPrevious = "previousTestToken0"
	ts := newTestService(t, cfg, Deps{})
	cases := []struct {
		name, token string
		want        int
	}{
		{"current", testToken, http.StatusOK},
		{"previous", cfg.Twilio.AuthTokenPrevious, http.StatusOK},
		{"previous again", cfg.Twilio.AuthTokenPrevious, http.StatusOK},
		{"neither", "some-other-token", http.StatusForbidden},
	}
	for i, c := range cases {
		form := url.Values{"From": {"+50255512001"}, "To": {"+50220000000"}, "Body": {"HOLA"}, "MessageSid": {fmt.Sprintf("SM%032d", i)}}
		req := httptest.NewRequest(http.MethodPost, httpapi.MessagesPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twilioSignature(c.token, testPublicURL+httpapi.MessagesPath, form))
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.want)
		}
	}
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`senda_webhook_signatures_total{token="current"} 1`,
		`senda_webhook_signatures_total{token="previous"} 2`,
		`senda_webhook_forbidden_total 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, rec.Body.String())
		}
	}
}
