package app

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
)

// browser keeps cookies the way a browser does for one site, including
// Secure ones (the test talks to the handler directly, not over http).
type browser struct {
	t       *testing.T
	ts      *testService
	cookies map[string]*http.Cookie
}

func (ts *testService) browser(t *testing.T) *browser {
	return &browser{t: t, ts: ts, cookies: map[string]*http.Cookie{}}
}

func (b *browser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	b.ts.Handler().ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return rec
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in to the console with token and returns the cookie of
// the session.
func (b *browser) signIn(token string) *http.Cookie {
	b.t.Helper()
	page := b.do(http.MethodGet, "/admin/entrar", nil)
	m := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || m == nil {
		b.t.Fatalf("sign-in page: %d %s", page.Code, page.Body.String())
	}
	rec := b.do(http.MethodPost, "/admin/entrar", url.Values{"csrf": {m[1]}, "token": {token}})
	if rec.Code != http.StatusSeeOther || b.cookies["senda_console"] == nil {
		b.t.Fatalf("sign in: %d %s", rec.Code, rec.Body.String())
	}
	return b.cookies["senda_console"]
}

func consoleConfig() config.Config { return broadcastConfig() }

// TestConsoleFiguresEndToEnd: after 8 people open one topic and 3 another
// through the real webhook, GET /admin/stats (bearer token or console
// session) shows people ≥ 11, the first topic's count and null for the
// second; no number or message text is in any output, page or CSV.
func TestConsoleFiguresEndToEnd(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, consoleConfig(), Deps{})
	var numbers []string
	for i := range 8 {
		n := fmt.Sprintf("+5025880%04d", i)
		numbers = append(numbers, n)
		ts.whatsapp(n).say(t, "salud")
	}
	for i := range 3 {
		n := fmt.Sprintf("+5025881%04d", i)
		numbers = append(numbers, n)
		ts.sms(n).say(t, "prevencion")
	}

	rec := ts.admin(t, http.MethodGet, adminapi.PathStats, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /admin/stats: %d %s", rec.Code, rec.Body.String())
	}
	var raw struct {
		Timezone string                       `json:"timezone"`
		MinCount int                          `json:"min_count"`
		Days     []map[string]json.RawMessage `json:"days"`
		Total    struct {
			People   *int64            `json:"people"`
			Messages *int64            `json:"messages"`
			Nodes    map[string]*int64 `json:"nodes"`
			Channels map[string]*int64 `json:"channels"`
		} `json:"total"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	tot := raw.Total
	if tot.People == nil || *tot.People < 11 {
		t.Errorf("total.people = %v, want ≥ 11", tot.People)
	}
	if n := tot.Nodes["salud"]; n == nil || *n != 8 {
		t.Errorf("nodes.salud = %v, want 8", n)
	}
	if n, ok := tot.Nodes["sexual"]; !ok || n != nil {
		t.Errorf("nodes.sexual = %v (present %v), want null: 3 is a small count", n, ok)
	}
	if n := tot.Channels["whatsapp"]; n == nil || *n != 8 {
		t.Errorf("channels.whatsapp = %v, want 8", n)
	}
	if raw.Timezone != config.DefaultTimeZone || raw.MinCount != 5 || len(raw.Days) != 30 {
		t.Errorf("timezone %q min_count %d days %d", raw.Timezone, raw.MinCount, len(raw.Days))
	}
	if !strings.Contains(rec.Body.String(), `"sexual":null`) {
		t.Errorf("the small count is not null in the JSON: %s", rec.Body.String())
	}

	csv := ts.admin(t, http.MethodGet, adminapi.PathStats+"?format=csv", nil)
	if csv.Code != http.StatusOK || !strings.HasPrefix(csv.Body.String(), "date,people,messages") || !strings.Contains(csv.Body.String(), "<5") {
		t.Errorf("CSV: %d %s", csv.Code, csv.Body.String())
	}

	// The console: the figures page and its CSV, and the API read with the
	// console's session instead of a token.
	b := ts.browser(t)
	b.signIn(testAdminToken)
	page := b.do(http.MethodGet, "/admin/estadisticas", nil)
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "salud") {
		t.Fatalf("figures page: %d", page.Code)
	}
	pageCSV := b.do(http.MethodGet, "/admin/estadisticas.csv", nil)
	bySession := b.do(http.MethodGet, adminapi.PathStats, nil)
	if bySession.Code != http.StatusOK || !strings.Contains(bySession.Body.String(), `"salud":8`) {
		t.Errorf("GET /admin/stats with a console session: %d %s", bySession.Code, bySession.Body.String())
	}
	outputs := map[string]string{"redis": fmt.Sprint(redistest.Dump(t, ts.rdb, ts.prefix)), "json": rec.Body.String(), "csv": csv.Body.String(), "page": page.Body.String(),
		"page csv": pageCSV.Body.String(), "session json": bySession.Body.String(), "logs": ts.logs.String()}
	for name, out := range outputs {
		for _, n := range numbers {
			if strings.Contains(out, n[1:]) || strings.Contains(out, n[4:]) {
				t.Errorf("%s holds the number %s", name, n)
			}
		}
		if strings.Contains(strings.ToLower(out), "prevencion") {
			t.Errorf("%s holds message text", name)
		}
	}
}

func TestConsoleMountedBesideTheBearerAPI(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, consoleConfig(), Deps{})
	b := ts.browser(t)
	if rec := b.do(http.MethodGet, "/admin/", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/entrar" {
		t.Fatalf("console without a session: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := b.do(http.MethodGet, "/admin", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("/admin: %d, want a redirect to the console", rec.Code)
	}
	if rec := b.do(http.MethodGet, adminapi.PathStats, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("stats without token or session: %d", rec.Code)
	}
	// A wrong token is counted under a keyed hash of the client address
	// (httptest's 192.0.2.1), never the address or its plain SHA-256, in
	// the one count the API's wrong tokens go to (bot/access): the stats
	// request above without a token counted there too.
	login := b.do(http.MethodGet, "/admin/entrar", nil)
	b.do(http.MethodPost, "/admin/entrar", url.Values{"csrf": {csrfField.FindStringSubmatch(login.Body.String())[1]}, "token": {"not-the-token-at-all"}})
	sum := ts.hasher.Label("admin-client", "192.0.2.1")
	if n, _ := ts.rdb.Get(context.Background(), rkey.Space(ts.prefix).AuthFailures(hex.EncodeToString(sum[:12]))).Int(); n != 2 {
		t.Errorf("failed sign-ins under the keyed client hash = %d, want 2", n)
	}
	session := b.signIn(testAdminToken)
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v: want Secure (SENDA_PUBLIC_URL is https), HttpOnly, SameSite=Strict", session)
	}
	home := b.do(http.MethodGet, "/admin/", nil)
	for _, want := range []string{"Redis", "Contenido", "Twilio", "Trabajadores"} {
		if !strings.Contains(home.Body.String(), want) {
			t.Errorf("home page lacks the %s check", want)
		}
	}
	// The bearer API keeps its paths and its token; a session reads it but
	// never writes through it.
	if rec := ts.admin(t, http.MethodGet, adminapi.PathTopics, nil); rec.Code != http.StatusOK {
		t.Errorf("GET /admin/topics with the token: %d", rec.Code)
	}
	if rec := b.do(http.MethodGet, adminapi.PathBroadcasts, nil); rec.Code != http.StatusOK {
		t.Errorf("GET /admin/broadcasts with a session: %d", rec.Code)
	}
	post := b.do(http.MethodPost, adminapi.PathBroadcasts, url.Values{"topic": {"salud"}})
	if post.Code != http.StatusUnauthorized {
		t.Errorf("POST /admin/broadcasts with only a session: %d, want 401", post.Code)
	}
	// The console's actions and the API's land in one audit trail.
	ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}, SendAt: time.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	audit := b.do(http.MethodGet, "/admin/registro", nil).Body.String()
	if !strings.Contains(audit, "creó un aviso") || !strings.Contains(audit, "entró") || strings.Contains(audit, testAdminToken) {
		t.Errorf("audit page lacks the API's create or the sign-in, or shows the token:\n%s", audit)
	}
	if strings.Contains(ts.logs.String(), testAdminToken) {
		t.Error("the admin token reached the log")
	}
}

func TestConsoleOffWithoutAdminTokens(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, testConfig(), Deps{})
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("/admin/ without SENDA_ADMIN_TOKENS: %d, want 404", rec.Code)
	}
}

func TestBroadcastOutcomesInTheFigures(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, consoleConfig(), Deps{Sender: client})
	ok, gone := "+50254450001", "+50254450002"
	ts.sms(ok).optIn(t, "1")
	ts.sms(gone).optIn(t, "1")
	fake.FailNext(func(f url.Values) bool { return f.Get("To") == gone }, 400, 21610, 1)
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	rep, err := ts.stats.Read(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Broadcast.Sent != 1 || rep.Total.Broadcast.Failed != 1 {
		t.Errorf("broadcasts sent %d failed %d, want 1 and 1", rep.Total.Broadcast.Sent, rep.Total.Broadcast.Failed)
	}
	if rep.Total.OptOuts["salud"] != 1 {
		t.Errorf("opt-outs = %v, want salud 1 (forgotten after 21610)", rep.Total.OptOuts)
	}
}

func TestConsoleTwilioCheck(t *testing.T) {
	t.Parallel()
	_, client := fakeSender(t)
	withSender := consoleConfig()
	withSender.Twilio.SMSFrom, withSender.Twilio.WhatsAppFrom = testSMSFrom, testWAFrom
	noToken := consoleConfig()
	noToken.Twilio.AuthToken = ""
	cases := []struct {
		name string
		cfg  config.Config
		deps Deps
		ok   bool
		says []string
	}{
		{"all set", withSender, Deps{Sender: client}, true, []string{"firma de Twilio", "SMS", "WhatsApp"}},
		{"no sender", consoleConfig(), Deps{}, false, []string{"falta TWILIO_ACCOUNT_SID"}},
		{"neither", noToken, Deps{}, false, []string{"TWILIO_AUTH_TOKEN no está", "falta TWILIO_ACCOUNT_SID"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestService(t, c.cfg, c.deps)
			got := ts.twilioCheck(context.Background())
			if got.OK != c.ok {
				t.Errorf("OK = %v, want %v (%s)", got.OK, c.ok, got.Detail)
			}
			for _, s := range c.says {
				if !strings.Contains(got.Detail, s) {
					t.Errorf("detail %q lacks %q", got.Detail, s)
				}
			}
			if strings.Contains(got.Detail, testToken) {
				t.Error("the check shows the auth token")
			}
		})
	}
}

// TestStatusCallbackOutcomesInTheFigures: a failed status callback counts
// one failed broadcast message however often Twilio repeats it, and the
// person it forgets counts one opt-out per topic they had.
func TestStatusCallbackOutcomesInTheFigures(t *testing.T) {
	t.Parallel()
	_, client := fakeSender(t)
	ts := newTestService(t, consoleConfig(), Deps{Sender: client})
	blocked := "whatsapp:+50261120002"
	ts.sms("+50261120001").optIn(t, "1")
	ts.whatsapp("+50261120002").optIn(t, "1")
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	path := httpapi.StatusPath + "?b=" + st.ID
	failed := url.Values{"MessageSid": {"SM" + strings.Repeat("3", 32)}, "MessageStatus": {"undelivered"}, "ErrorCode": {"63014"}, "To": {blocked}}
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(failed.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", twilioSignature(testToken, testPublicURL+path, failed))
		rec := httptest.NewRecorder()
		ts.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			t.Fatalf("callback: %d %s", rec.Code, rec.Body.String())
		}
	}
	rep, err := ts.stats.Read(context.Background(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Broadcast.Sent != 2 || rep.Total.Broadcast.Failed != 1 || rep.Total.OptOuts["salud"] != 1 {
		t.Errorf("figures: sent %d failed %d opt-outs %v; want 2, 1 and salud 1",
			rep.Total.Broadcast.Sent, rep.Total.Broadcast.Failed, rep.Total.OptOuts)
	}
}

func TestStatsEndpointRefusesBadRanges(t *testing.T) {
	t.Parallel()
	ts := newTestService(t, consoleConfig(), Deps{})
	cases := []struct {
		query string
		code  int
		says  string
	}{
		{"?from=2026-13-01", http.StatusBadRequest, "no es AAAA-MM-DD"},
		{"?from=2026-11-30&to=2026-11-01", http.StatusBadRequest, "from is after to"},
		{"?from=2025-01-01&to=2026-11-27", http.StatusBadRequest, "at most 400"},
		{"?format=xml", http.StatusBadRequest, "format must be json or csv"},
		{"?from=2026-11-01&to=2026-11-30", http.StatusOK, `"from":"2026-11-01","to":"2026-11-30","timezone":"America/Guatemala","min_count":5`},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			rec := ts.admin(t, http.MethodGet, adminapi.PathStats+c.query, nil)
			if rec.Code != c.code || !strings.Contains(rec.Body.String(), c.says) {
				t.Errorf("%d %s; want %d and %q", rec.Code, rec.Body.String(), c.code, c.says)
			}
		})
	}
}

// TestConsoleTestSendThroughTheSender: "send a test" goes once through the
// broadcast sender to the number typed, and the number is kept nowhere:
// not in Redis, the log, the audit trail or the page sent back.
func TestConsoleTestSendThroughTheSender(t *testing.T) {
	t.Parallel()
	fake, client := fakeSender(t)
	ts := newTestService(t, consoleConfig(), Deps{Sender: client})
	b := ts.browser(t)
	b.signIn(testAdminToken)
	page := b.do(http.MethodGet, "/admin/avisos", nil)
	csrf := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || csrf == nil || !strings.Contains(page.Body.String(), `name="number"`) {
		t.Fatalf("Avisos page without the test box: %d", page.Code)
	}
	const number = "+50255517171"
	rec := b.do(http.MethodPost, "/admin/avisos/prueba", url.Values{"csrf": {csrf[1]}, "topic": {"salud"},
		"text_es": {"Jornada de salud el lunes."}, "number": {number}, "channel": {"sms"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("test send: %d %s", rec.Code, rec.Body.String())
	}
	rec = b.do(http.MethodGet, rec.Header().Get("Location"), nil) // the page after it
	msgs := fake.Messages()
	if len(msgs) != 1 || msgs[0].Form.Get("To") != number || !strings.Contains(msgs[0].Form.Get("Body"), "Jornada de salud el lunes.") ||
		msgs[0].Form.Get("StatusCallback") != "" {
		t.Fatalf("Twilio got %+v; want one SMS to the typed number, without a status callback", msgs)
	}
	audit := b.do(http.MethodGet, "/admin/registro", nil).Body.String()
	if !strings.Contains(audit, "envió una prueba") {
		t.Error("the audit trail lacks the test send")
	}
	for name, out := range map[string]string{"redis": fmt.Sprint(redistest.Dump(t, ts.rdb, ts.prefix)), "logs": ts.logs.String(),
		"page": rec.Body.String(), "audit": audit} {
		if strings.Contains(out, number[1:]) || strings.Contains(out, number[4:]) {
			t.Errorf("%s holds the test number", name)
		}
	}
}

// TestConsoleTemplatesFromTheContentAPI: with Twilio's REST settings, the
// Avisos page offers the account's approved WhatsApp templates, read from
// the Content API with the same credentials.
func TestConsoleTemplatesFromTheContentAPI(t *testing.T) {
	t.Parallel()
	var auth string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/ContentAndApprovals" {
			http.NotFound(w, r)
			return
		}
		user, pass, _ := r.BasicAuth()
		auth = user + ":" + pass
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"contents":[
			{"sid":"HX11111111111111111111111111111111","friendly_name":"jornada_salud","language":"es","approval_requests":{"status":"approved"}},
			{"sid":"HX22222222222222222222222222222222","friendly_name":"borrador","language":"es","approval_requests":{"status":"pending"}}],
			"meta":{"next_page_url":null}}`)
	}))
	t.Cleanup(api.Close)
	cfg := consoleConfig()
	cfg.Twilio.AccountSID, cfg.Twilio.SMSFrom, cfg.Twilio.APIBase = "AC"+strings.Repeat("0", 32), testSMSFrom, api.URL
	cfg.Twilio.AuthToken = strings.Repeat("ab12", 8) // Twilio's shape: letters and digits
	ts := newTestService(t, cfg, Deps{})
	b := ts.browser(t)
	b.signIn(testAdminToken)
	page := b.do(http.MethodGet, "/admin/avisos", nil).Body.String()
	if !strings.Contains(page, "HX11111111111111111111111111111111") || strings.Contains(page, "borrador") {
		t.Errorf("templates offered are not the approved ones:\n%s", page)
	}
	if auth != cfg.Twilio.AccountSID+":"+cfg.Twilio.AuthToken {
		t.Errorf("Content API called as %q, want the account SID and auth token", auth)
	}
}
