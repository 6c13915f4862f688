package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/senda-org/senda/bot/internal/testlog"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/twilio"
)

const (
	testToken     = "test-auth-token-0123456789abcdef"
	testPublicURL = "https://senda.example.org"
	testHashKey   = "test-hash-key-0123456789abcdef0123456789"
)

type testService struct {
	*App
	rdb    redis.UniversalClient
	prefix string
	logs   *testlog.Buffer
}

// testConfig is a development configuration with a webhook token, its
// Twilio settings started from twilio.DefaultConfig as config.Load does.
func testConfig() config.Config {
	tw := twilio.DefaultConfig()
	tw.AuthToken = testToken
	return config.Config{
		Env:        config.EnvDevelopment,
		Addr:       config.DefaultAddr,
		PublicURL:  testPublicURL,
		Twilio:     tw,
		HashKey:    []byte(testHashKey),
		SessionTTL: config.DefaultSessionTTL,
	}
}

// newTestService starts a service logging everything (debug included) to a
// buffer. Unless deps name a Redis client and prefix, it gets the test
// Redis with a key prefix of its own.
func newTestService(t testing.TB, cfg config.Config, deps Deps) *testService {
	t.Helper()
	if deps.Redis == nil {
		deps.Redis, deps.Prefix = redistest.Client(t)
	}
	if deps.Prefix == "" {
		t.Fatal("newTestService: a test that brings its own Redis client must bring its key prefix too")
	}
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := New(context.Background(), cfg, log, deps)
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return &testService{App: svc, rdb: deps.Redis, prefix: deps.Prefix, logs: logs}
}

// twilioSignature signs a request the way Twilio documents it, written here
// from the documentation rather than taken from the code under test: the
// full URL, then every POST parameter's name and value sorted by name,
// HMAC-SHA1 with the auth token, base64.
func twilioSignature(token, fullURL string, form url.Values) string {
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range names {
		b.WriteString(k)
		b.WriteString(form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// post sends a webhook request signed for the public URL and returns the
// response.
func (ts *testService) post(t testing.TB, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, httpapi.MessagesPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, testPublicURL+httpapi.MessagesPath, form))
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, req)
	return rec
}

// sender sends messages from one address, numbering MessageSids.
type sender struct {
	ts     *testService
	from   string
	to     string
	extra  url.Values
	n      int
	prefix string
}

func (ts *testService) sms(from string) *sender {
	return &sender{ts: ts, from: from, to: "+50220000000", prefix: "SM"}
}

func (ts *testService) whatsapp(from string) *sender {
	return &sender{ts: ts, from: "whatsapp:" + from, to: "whatsapp:+14155238886", prefix: "SM"}
}

// sids numbers MessageSids across every sender of the tests, as Twilio's
// are unique: a conversation remembers its last 8, so two sender values for
// one address must not reuse each other's.
var sids atomic.Uint64

func (s *sender) form(body string) url.Values {
	s.n = int(sids.Add(1))
	f := url.Values{}
	for k, v := range s.extra {
		f[k] = v
	}
	f.Set("From", s.from)
	f.Set("To", s.to)
	f.Set("Body", body)
	f.Set("MessageSid", fmt.Sprintf("%s%032x", s.prefix, s.n))
	f.Set("AccountSid", "AC00000000000000000000000000000000")
	f.Set("NumMedia", "0")
	return f
}

// say sends body and returns the reply's message text, failing on anything
// but 200 with TwiML.
func (s *sender) say(t testing.TB, body string) string {
	t.Helper()
	rec := s.ts.post(t, s.form(body))
	if rec.Code != http.StatusOK {
		t.Fatalf("%q: status %d: %s", body, rec.Code, rec.Body.String())
	}
	return messageText(t, rec.Body.String())
}

// messageText extracts the text of the one <Message> in a TwiML reply.
func messageText(t testing.TB, twiml string) string {
	t.Helper()
	const open, close = "<Message", "</Message>"
	i, j := strings.Index(twiml, open), strings.LastIndex(twiml, close)
	if i >= 0 {
		i += strings.Index(twiml[i:], ">") + 1 // after its attributes (a status callback)
	}
	if !strings.HasPrefix(twiml, `<?xml version="1.0" encoding="UTF-8"?><Response>`) || i <= 0 || j < i {
		t.Fatalf("not a TwiML message reply: %q", twiml)
	}
	r := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`, "&apos;", "'", "&#xA;", "\n", "&#39;", "'", "&#34;", `"`)
	return r.Replace(twiml[i:j])
}

// newFlakyService is newTestService over a Redis that stops answering
// while the returned switch is on.
func newFlakyService(t testing.TB, cfg config.Config) (*testService, *atomic.Bool) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	down := &atomic.Bool{}
	rdb.AddHook(outage{down})
	t.Cleanup(func() { down.Store(false) }) // before redistest deletes the test's keys
	return newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix}), down
}

// outage fails every Redis command while down is set, as a Redis that
// stopped answering would.
type outage struct{ down *atomic.Bool }

var errOutage = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (o outage) DialHook(next redis.DialHook) redis.DialHook { return next }

func (o outage) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if o.down.Load() {
			cmd.SetErr(errOutage)
			return errOutage
		}
		return next(ctx, cmd)
	}
}

func (o outage) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if o.down.Load() {
			for _, c := range cmds {
				c.SetErr(errOutage)
			}
			return errOutage
		}
		return next(ctx, cmds)
	}
}
