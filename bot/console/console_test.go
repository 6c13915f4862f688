package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/internal/testlog"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/console"
	"github.com/senda-org/senda/bot/console/internal/demo"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

const (
	token      = "s3cret-admin-token-for-tests"
	testNumber = "+50255598765"
)

type env struct {
	t      *testing.T
	rdb    redis.UniversalClient
	prefix string
	demo   *demo.Demo
	srv    *httptest.Server
	logs   *testlog.Buffer
}

func setup(t *testing.T, edit ...func(*console.Options)) *env {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	logs := &testlog.Buffer{}
	d, err := demo.New(rdb, prefix, token, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), edit...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	srv := httptest.NewServer(d.Echo)
	t.Cleanup(srv.Close)
	return &env{t: t, rdb: rdb, prefix: prefix, demo: d, srv: srv, logs: logs}
}

// client is a browser: cookies kept, redirects not followed.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(c *http.Client, method, path string, form url.Values) page {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{res.StatusCode, res.Header, string(b)}
}

// wantPage gets path and fails unless it answers 200 with every want.
func (e *env) wantPage(c *http.Client, path string, want ...string) page {
	e.t.Helper()
	got := e.do(c, "GET", path, nil)
	for _, w := range want {
		if got.status != http.StatusOK || !strings.Contains(got.body, w) {
			e.t.Fatalf("GET %s: %d, want %q in\n%s", path, got.status, w, got.body)
		}
	}
	return got
}

var csrfPattern = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in:\n%s", body)
	}
	return m[1]
}

// signIn signs c in and returns the session's CSRF token.
func (e *env) signIn(c *http.Client) string {
	e.t.Helper()
	p := e.do(c, "GET", "/admin/entrar", nil)
	p = e.do(c, "POST", "/admin/entrar", url.Values{"csrf": {csrfOf(e.t, p.body)}, "token": {token}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/admin/" {
		e.t.Fatalf("sign in: %d %s", p.status, p.header.Get("Location"))
	}
	p = e.do(c, "GET", "/admin/", nil)
	if p.status != http.StatusOK {
		e.t.Fatalf("home after sign in: %d", p.status)
	}
	return csrfOf(e.t, p.body)
}

var pages = []string{"/admin/", "/admin/avisos", "/admin/estadisticas", "/admin/estadisticas.csv", "/admin/contenido", "/admin/registro"}

func TestSignInRequired(t *testing.T) {
	e := setup(t)
	c := e.client()
	for _, p := range pages {
		got := e.do(c, "GET", p, nil)
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/admin/entrar" {
			t.Errorf("GET %s without a session: %d → %q, want 303 to /admin/entrar", p, got.status, got.header.Get("Location"))
		}
	}
	for _, p := range []string{"/admin/avisos", "/admin/avisos/medir", "/admin/avisos/prueba", "/admin/contenido", "/admin/salir", "/admin/avisos/x/cancelar"} {
		if got := e.do(c, "POST", p, url.Values{"csrf": {"x"}}); got.status != http.StatusUnauthorized {
			t.Errorf("POST %s without a session: %d, want 401", p, got.status)
		}
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(e.srv.URL + "/admin/")
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "senda_console", Value: "made-up"}})
	if got := e.do(c, "GET", "/admin/", nil); got.status != http.StatusSeeOther {
		t.Errorf("made-up session: %d, want 303", got.status)
	}
}

func TestSignIn(t *testing.T) {
	e := setup(t)
	c := e.client()
	p := e.do(c, "GET", "/admin/entrar", nil)
	login := csrfOf(t, p.body)

	// No sign-in token, or one not bound to the cookie: refused.
	if got := e.do(e.client(), "POST", "/admin/entrar", url.Values{"csrf": {login}, "token": {token}}); got.status != http.StatusForbidden {
		t.Errorf("sign-in without the login cookie: %d, want 403", got.status)
	}
	if got := e.do(c, "POST", "/admin/entrar", url.Values{"token": {token}}); got.status != http.StatusForbidden {
		t.Errorf("sign-in without CSRF: %d, want 403", got.status)
	}
	// A wrong token: 401, and the page does not show it back.
	got := e.do(c, "POST", "/admin/entrar", url.Values{"csrf": {login}, "token": {"wrong-token-xyz"}})
	if got.status != http.StatusUnauthorized || strings.Contains(got.body, "wrong-token-xyz") || !strings.Contains(got.body, "no es válida") {
		t.Errorf("wrong token: %d\n%s", got.status, got.body)
	}
	got = e.do(c, "POST", "/admin/entrar", url.Values{"csrf": {csrfOf(t, got.body)}, "token": {token}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("sign in: %d", got.status)
	}
	var session *http.Cookie
	for _, ck := range (&http.Response{Header: got.header}).Cookies() {
		if ck.Name == "senda_console" {
			session = ck
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.MaxAge != 8*3600 || session.Path != "/admin/" {
		t.Errorf("session cookie = %+v; want HttpOnly, SameSite=Strict, not Secure on http, Max-Age 8h, Path /admin/", session)
	}
	// Only a hash of the session id is stored; the token never is.
	dump := fmt.Sprint(redistest.Dump(t, e.rdb, e.prefix))
	if strings.Contains(dump, session.Value) || strings.Contains(dump, token) {
		t.Error("Redis holds the session id or the token")
	}
	// Sign out ends the session.
	home := e.do(c, "GET", "/admin/", nil)
	if got := e.do(c, "POST", "/admin/salir", url.Values{"csrf": {csrfOf(t, home.body)}}); got.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", got.status)
	}
	stolen := e.client()
	u, _ := url.Parse(e.srv.URL + "/admin/")
	stolen.Jar.SetCookies(u, []*http.Cookie{{Name: "senda_console", Value: session.Value}})
	if got := e.do(stolen, "GET", "/admin/", nil); got.status != http.StatusSeeOther {
		t.Errorf("the session still works after sign out: %d", got.status)
	}
	if strings.Contains(e.logs.String(), token) || strings.Contains(e.logs.String(), "wrong-token-xyz") {
		t.Errorf("a token reached the log:\n%s", e.logs)
	}
}

// The console follows the admin API's rule, with the same Access: wrong
// tokens from one address are slowed once it has used up its tries, and
// the right token is never refused (issue 18). Guesses at the API and at
// the console share one allowance.
func TestWrongTokensNeverLockOut(t *testing.T) {
	var acc *access.Access
	e := setup(t, func(o *console.Options) {
		acc = access.New(access.Options{Tokens: map[string]string{demo.TokenName: token}, Redis: o.Redis, Keys: rkey.Space(o.Prefix),
			Hasher: ident.NewHasher([]byte("console-test")), Penalty: time.Millisecond})
		o.Access = acc
	})
	// Five wrong tokens at the API (httpapi calls Check the same way)...
	for range 5 {
		acc.Check(context.Background(), "api-guess", "127.0.0.1")
	}
	c := e.client()
	login := csrfOf(t, e.do(c, "GET", "/admin/entrar", nil).body)
	statuses := []int{}
	for range 10 {
		got := e.do(c, "POST", "/admin/entrar", url.Values{"csrf": {login}, "token": {"console-guess"}})
		statuses = append(statuses, got.status)
		login = csrfOf(t, got.body)
		if got.status == http.StatusTooManyRequests && (got.header.Get("Retry-After") == "" || !strings.Contains(got.body, "La clave correcta sigue funcionando")) {
			t.Errorf("a slowed sign-in does not say to wait or that the right token works: %v\n%s", got.header, got.body)
		}
	}
	// ...and five at the console use up the ten tries together.
	want := []int{401, 401, 401, 401, 401, 429, 429, 429, 429, 429}
	if fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("wrong sign-ins answered %v, want %v", statuses, want)
	}
	got := e.do(c, "POST", "/admin/entrar", url.Values{"csrf": {login}, "token": {token}})
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/admin/" {
		t.Fatalf("the right token after 15 wrong ones from its address: %d %s", got.status, got.body)
	}
}

func TestSignedInForTheStatsEndpoint(t *testing.T) {
	e := setup(t)
	// How the integrator lets GET /admin/stats accept a console session.
	e.demo.Echo.GET("/admin/stats", func(ec echo.Context) error {
		if _, ok := e.demo.Console.SignedIn(ec); !ok {
			return echo.NewHTTPError(http.StatusUnauthorized)
		}
		return console.StatsJSON(e.demo.Stats)(ec)
	})
	c := e.client()
	if got := e.do(c, "GET", "/admin/stats", nil); got.status != http.StatusUnauthorized {
		t.Errorf("without a session: %d", got.status)
	}
	e.signIn(c)
	got := e.do(c, "GET", "/admin/stats?from=2026-11-01&to=2026-11-30", nil)
	if got.status != http.StatusOK || !strings.HasPrefix(got.body, `{"from":"2026-11-01","to":"2026-11-30","timezone":"America/Guatemala","min_count":5,"days":[`) {
		t.Errorf("with a session: %d %.120s", got.status, got.body)
	}
}

func TestSecureCookieAndExpiry(t *testing.T) {
	e := setup(t, func(o *console.Options) { o.Secure = true; o.SessionTTL = time.Second })
	p := e.do(e.client(), "GET", "/admin/entrar", nil)
	for _, ck := range (&http.Response{Header: p.header}).Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure with an https public URL", ck.Name)
		}
	}
	// The cookie jar will not send Secure cookies over http: sign in by hand.
	var login string
	for _, ck := range (&http.Response{Header: p.header}).Cookies() {
		login = ck.Value
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/admin/entrar", strings.NewReader(url.Values{"csrf": {login}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "senda_console_login", Value: login})
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var session string
	for _, ck := range res.Cookies() {
		if ck.Name == "senda_console" {
			session = ck.Value
			if !ck.Secure || ck.MaxAge != 1 {
				t.Errorf("session cookie %+v: want Secure, Max-Age 1", ck)
			}
		}
	}
	get := func() int {
		req, _ := http.NewRequest("GET", e.srv.URL+"/admin/", nil)
		req.AddCookie(&http.Cookie{Name: "senda_console", Value: session})
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := get(); got != http.StatusOK {
		t.Fatalf("fresh session: %d", got)
	}
	redistest.FastForward(1500 * time.Millisecond)
	if got := get(); got != http.StatusSeeOther {
		t.Errorf("expired session: %d, want 303 to sign in", got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := setup(t)
	c := e.client()
	e.signIn(c)
	for _, p := range append(pages, "/admin/entrar") {
		got := e.do(c, "GET", p, nil)
		csp := got.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		if got.header.Get("X-Frame-Options") != "DENY" || got.header.Get("Cache-Control") != "no-store" || got.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", p, got.header)
		}
		// No inline script or style anywhere (the CSP would block them).
		for _, bad := range []string{"<script>", "style=", "onclick", "onload", "javascript:", "<style"} {
			if strings.Contains(got.body, bad) {
				t.Errorf("%s holds %q", p, bad)
			}
		}
	}
	for _, asset := range []string{"/admin/static/console.css", "/admin/static/console.js"} {
		if got := e.do(c, "GET", asset, nil); got.status != http.StatusOK || len(got.body) < 100 {
			t.Errorf("%s: %d", asset, got.status)
		}
	}
}

func TestCSRFRefused(t *testing.T) {
	e := setup(t)
	c := e.client()
	csrf := e.signIn(c)
	form := url.Values{"topic": {"salud"}, "text_es": {"Sin token"}, "action": {"create"}}
	for _, bad := range []string{"", "x", csrf + "x"} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if bad != "" {
			f.Set("csrf", bad)
		}
		if got := e.do(c, "POST", "/admin/avisos", f); got.status != http.StatusForbidden {
			t.Errorf("POST with csrf %q: %d, want 403", bad, got.status)
		}
	}
	huge := url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {strings.Repeat("a", 400<<10)}, "action": {"create"}}
	if got := e.do(c, "POST", "/admin/avisos", huge); got.status != http.StatusForbidden {
		t.Errorf("a 400 KB form: %d, want 403 (not read past the limit)", got.status)
	}
	list, _ := e.demo.Store.List(context.Background(), 10)
	if len(list) != 0 {
		t.Errorf("a refused POST created %d broadcasts", len(list))
	}
}

func TestComposeScheduleCancel(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	c := e.client()
	csrf := e.signIn(c)

	// The live count measures with content's functions.
	got := e.do(c, "POST", "/admin/avisos/medir", url.Values{"csrf": {csrf}, "lang": {"es"}, "text": {"Jornada de salud el lunes"}})
	var m map[string]any
	if err := json.Unmarshal([]byte(got.body), &m); err != nil || m["encoding"] != "GSM-7" || m["segments"] != float64(1) {
		t.Fatalf("measure: %d %s", got.status, got.body)
	}

	// Problems come back on the form, with what was typed.
	got = e.do(c, "POST", "/admin/avisos", url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {""}, "action": {"create"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "Revisa el aviso") {
		t.Errorf("empty text: %d", got.status)
	}
	got = e.do(c, "POST", "/admin/avisos", url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {"Hola"}, "when_text": {"el lunes que viene"}, "action": {"create"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "no entendí la fecha") {
		t.Errorf("bad date: %d", got.status)
	}

	// "lunes 9:00" in the line's zone.
	got = e.do(c, "POST", "/admin/avisos", url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {"Jornada de salud el lunes."},
		"when_text": {"lunes 9:00"}, "action": {"create"}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", got.status, got.body)
	}
	list, err := e.demo.Store.List(ctx, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	st := list[0]
	local := st.SendAt.In(e.demo.Location)
	if local.Weekday() != time.Monday || local.Hour() != 9 || local.Minute() != 0 || st.CreatedBy != demo.TokenName || st.State != broadcast.StateScheduled {
		t.Errorf("created %+v at %v", st, local)
	}
	got = e.do(c, "GET", got.header.Get("Location"), nil)
	if !strings.Contains(got.body, "Aviso programado.") || !strings.Contains(got.body, "Entendí: lunes") || !strings.Contains(got.body, "Programado") {
		t.Errorf("list after create:\n%s", got.body)
	}
	got = e.do(c, "POST", "/admin/avisos/"+st.ID+"/cancelar", url.Values{"csrf": {csrf}})
	if got.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", got.status)
	}
	if st, _ := e.demo.Store.Get(ctx, st.ID); st.State != broadcast.StateCancelled {
		t.Errorf("state after cancel: %s", st.State)
	}
	if got := e.do(c, "POST", "/admin/avisos/nope/cancelar", url.Values{"csrf": {csrf}}); got.status != http.StatusNotFound {
		t.Errorf("cancel of a made-up id: %d", got.status)
	}
	got = e.do(c, "GET", "/admin/registro", nil)
	for _, want := range []string{"creó un aviso", "canceló un aviso", "entró", demo.TokenName} {
		if !strings.Contains(got.body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	if strings.Contains(got.body, token) {
		t.Error("audit page shows the token")
	}
}

// The count under each text says what the SMS will be, in the page's
// language: one part or several, and characters SMS cannot carry named
// (SMS stays GSM-7; the broadcast is refused with them, never sent with
// "?"), the warning gone once they are.
func TestLiveCount(t *testing.T) {
	e := setup(t)
	c := e.client()
	csrf := e.signIn(c)
	measure := func(text string) map[string]any {
		t.Helper()
		got := e.do(c, "POST", "/admin/avisos/medir", url.Values{"csrf": {csrf}, "lang": {"es"}, "text": {text}})
		var m map[string]any
		if err := json.Unmarshal([]byte(got.body), &m); err != nil {
			t.Fatalf("measure %q: %d %s", text, got.status, got.body)
		}
		return m
	}
	for _, tc := range []struct{ text, line, warning string }{
		{"Jornada de salud el lunes", "SMS: 31 / 160 · GSM-7 · 1 parte de SMS", ""},
		{"Jornada 😀 de salud", "SMS: 24 / 160 · GSM-7 · 1 parte de SMS", "El SMS no puede llevar 😀"},
		{strings.Repeat("a", 170), "SMS: 176 / 160 · GSM-7 · 2 partes de SMS", "quita 16 caracteres"},
		{"", "SMS: 0 / 160 · GSM-7 · 0 partes de SMS", ""},
	} {
		m := measure(tc.text)
		if m["sms_line"] != tc.line || !strings.Contains(m["warning"].(string), tc.warning) || (tc.warning == "") != (m["warning"] == "") {
			t.Errorf("%.30q: line %q, warning %q; want %q, %q", tc.text, m["sms_line"], m["warning"], tc.line, tc.warning)
		}
	}
	e.do(c, "GET", "/admin/idioma?l=en&volver=/admin/avisos", nil)
	if m := measure("Hi 😀"); m["sms_line"] != "SMS: 10 / 160 · GSM-7 · 1 SMS part" || !strings.HasPrefix(m["warning"].(string), "SMS cannot carry 😀") {
		t.Errorf("in English: %v", m)
	}
	// Scheduling it is refused in the page's language, the form kept.
	got := e.do(c, "POST", "/admin/avisos", url.Values{"csrf": {csrf}, "topic": {"salud"}, "text_es": {"Hola 😀"}, "action": {"create"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "Text in Español: SMS cannot carry 😀") || !strings.Contains(got.body, ">Hola 😀</textarea>") {
		t.Errorf("a broadcast with an emoji: %d\n%s", got.status, got.body)
	}
	// An SMS test of a text with an emoji is refused, not sent with "?".
	got = e.do(c, "POST", "/admin/avisos/prueba", url.Values{"csrf": {csrf}, "number": {testNumber}, "channel": {"sms"}, "text_es": {"Hola 😀"}})
	if got.status != http.StatusUnprocessableEntity || !strings.Contains(got.body, "SMS cannot carry 😀") || len(e.demo.Twilio.Messages()) != 0 {
		t.Errorf("SMS test with an emoji: %d, %d sent", got.status, len(e.demo.Twilio.Messages()))
	}
}

func TestSendTestKeepsNoNumber(t *testing.T) {
	e := setup(t)
	c := e.client()
	csrf := e.signIn(c)
	got := e.do(c, "POST", "/admin/avisos/prueba", url.Values{"csrf": {csrf}, "number": {"5559"}, "channel": {"sms"}, "text_es": {"Prueba"}})
	if got.status != http.StatusUnprocessableEntity {
		t.Errorf("short number: %d", got.status)
	}
	got = e.do(c, "POST", "/admin/avisos/prueba", url.Values{"csrf": {csrf}, "number": {"+502 5559 8765"}, "channel": {"whatsapp"},
		"text_es": {"Jornada de salud el lunes."}, "test_lang": {"es"}})
	// POST/redirect/GET: reloading the page after a test sends nothing
	// again, and the form comes back as it was, without the number.
	if got.status != http.StatusSeeOther || got.header.Get("Location") != "/admin/avisos?hecho=prueba" {
		t.Fatalf("send test: %d %q", got.status, got.header.Get("Location"))
	}
	for range 2 { // the page, then a reload
		got = e.wantPage(c, "/admin/avisos?hecho=prueba", "Prueba enviada", ">Jornada de salud el lunes.</textarea>")
	}
	msgs := e.demo.Twilio.Messages()
	if len(msgs) != 1 || msgs[0].Form.Get("To") != "whatsapp:"+testNumber || !strings.Contains(msgs[0].Form.Get("Body"), "Jornada de salud") {
		t.Fatalf("Twilio got %+v", msgs)
	}
	digits := testNumber[1:]
	if strings.Contains(got.body, digits) || strings.Contains(got.body, "5559 8765") {
		t.Error("the page shows the number back")
	}
	if strings.Contains(e.logs.String(), digits[3:]) {
		t.Errorf("the number reached the log:\n%s", e.logs)
	}
	// The text waits in the console session for the redirect, as the
	// draft; the number never reaches Redis.
	for k, v := range redistest.Dump(t, e.rdb, e.prefix) {
		if strings.Contains(v, digits[3:]) || strings.Contains(v, "Jornada") && !strings.Contains(k, "console:s:") {
			t.Errorf("Redis holds the test number, or the text outside the session: %s", k)
		}
	}
	// A failing send says so without the number, in the page and the log.
	e.demo.Twilio.FailNext(nil, 400, 21211, 1)
	got = e.do(c, "POST", "/admin/avisos/prueba", url.Values{"csrf": {csrf}, "number": {testNumber}, "channel": {"sms"}, "text_es": {"Hola"}})
	if got.status != http.StatusBadGateway || strings.Contains(got.body, digits) || strings.Contains(e.logs.String(), digits[3:]) {
		t.Errorf("failed test: %d", got.status)
	}
}

// say counts one message of a new conversation, as the conversation step does.
func say(t *testing.T, e *env, h *ident.Hasher, number, text string) {
	t.Helper()
	eng := flows.New(e.demo.Pack, flows.Options{Subscriptions: true})
	in := flows.Input{Text: text, Channel: content.WhatsApp, New: true}
	res := eng.Step(flows.State{}, in)
	e.demo.Stats.Count(time.Now(), stats.FromStep(e.demo.Pack, in, res, h.Sender(content.WhatsApp, number), stats.DefaultDistressNodes))
}

func TestFiguresHideSmallCounts(t *testing.T) {
	e := setup(t)
	h := ident.NewHasher([]byte("console-test-key"))
	var numbers []string
	for i := range 8 {
		numbers = append(numbers, fmt.Sprintf("+50244%06d", i))
		say(t, e, h, numbers[i], "salud")
	}
	for i := range 3 {
		numbers = append(numbers, fmt.Sprintf("+50233%06d", i))
		say(t, e, h, numbers[8+i], "prevencion")
	}
	// GET /admin/stats as the integrator mounts it.
	ec := echo.New()
	ec.GET("/admin/stats", console.StatsJSON(e.demo.Stats))
	rec := httptest.NewRecorder()
	ec.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/stats", nil))
	var rep struct {
		Total struct {
			People float64
			Nodes  map[string]*float64
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.People < 11 || rep.Total.Nodes["salud"] == nil || *rep.Total.Nodes["salud"] != 8 {
		t.Errorf("stats = %s", rec.Body)
	}
	if v, ok := rep.Total.Nodes["sexual"]; !ok || v != nil {
		t.Errorf("nodes.sexual = %v (present %v), want null", v, ok)
	}
	rec = httptest.NewRecorder()
	ec.ServeHTTP(rec, httptest.NewRequest("GET", "/admin/stats?from=2026-13-01", nil))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("bad range: %d", rec.Code)
	}

	c := e.client()
	e.signIn(c)
	page := e.do(c, "GET", "/admin/estadisticas", nil)
	csv := e.do(c, "GET", "/admin/estadisticas.csv", nil)
	home := e.do(c, "GET", "/admin/", nil)
	if !strings.Contains(page.body, "&lt;5") || !strings.Contains(csv.body, "<5") || !strings.Contains(page.body, "<svg") {
		t.Error("the page or CSV does not hide the 3")
	}
	if !strings.HasPrefix(csv.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV disposition %q", csv.header.Get("Content-Disposition"))
	}
	for name, out := range map[string]string{"json": rec.Body.String(), "page": page.body, "csv": csv.body, "home": home.body} {
		for _, n := range numbers {
			if strings.Contains(out, n[4:]) {
				t.Errorf("%s shows a number", name)
			}
		}
		if strings.Contains(out, "prevencion") {
			t.Errorf("%s shows message text", name)
		}
	}
}

func TestSimulator(t *testing.T) {
	e := setup(t)
	c := e.client()
	csrf := e.signIn(c)
	got := e.do(c, "POST", "/admin/contenido", url.Values{"csrf": {csrf}, "channel": {"sms"}, "lang": {"es"}, "text": {"hola"}, "action": {"send"}})
	if got.status != http.StatusOK {
		t.Fatalf("simulate: %d", got.status)
	}
	carry := regexp.MustCompile(`name="carry" value="([^"]*)"`).FindStringSubmatch(got.body)
	if carry == nil || carry[1] == "" {
		t.Fatal("no state carried in the page")
	}
	got = e.do(c, "POST", "/admin/contenido", url.Values{"csrf": {csrf}, "channel": {"sms"}, "lang": {"es"}, "text": {"1"}, "carry": {carry[1]}, "action": {"send"}})
	if strings.Count(got.body, `class="line"`) != 2 {
		t.Errorf("transcript does not hold two replies")
	}
	// A changed state is not decoded: the conversation starts again.
	tampered := "A" + carry[1][1:]
	got = e.do(c, "POST", "/admin/contenido", url.Values{"csrf": {csrf}, "channel": {"sms"}, "text": {"1"}, "carry": {tampered}, "action": {"send"}})
	if got.status != http.StatusOK || strings.Count(got.body, `class="line"`) != 1 {
		t.Errorf("tampered state: %d, %d replies", got.status, strings.Count(got.body, `class="line"`))
	}
	// Nothing of it in Redis.
	dump := fmt.Sprint(redistest.Dump(t, e.rdb, e.prefix))
	if strings.Contains(dump, "hola") {
		t.Error("the simulator stored text")
	}
	page := e.do(c, "GET", "/admin/contenido", nil)
	if !strings.Contains(page.body, `class="graph"`) || !strings.Contains(page.body, "Revisión del contenido") {
		t.Error("content page lacks the graph or the check")
	}
}

func TestEnglish(t *testing.T) {
	e := setup(t)
	c := e.client()
	e.signIn(c)
	got := e.do(c, "GET", "/admin/idioma?l=en&volver=/admin/avisos", nil)
	if got.header.Get("Location") != "/admin/avisos" {
		t.Errorf("switch back to %q", got.header.Get("Location"))
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/admin/", "/admin/\\evil"} {
		got := e.do(c, "GET", "/admin/idioma?l=en&volver="+url.QueryEscape(evil), nil)
		if got.header.Get("Location") != "/admin/" {
			t.Errorf("volver=%s redirects to %q", evil, got.header.Get("Location"))
		}
	}
	for _, p := range []string{"/admin/", "/admin/avisos", "/admin/estadisticas", "/admin/contenido", "/admin/registro"} {
		got := e.do(c, "GET", p, nil)
		if !strings.Contains(got.body, `lang="en"`) || !strings.Contains(got.body, "Broadcasts") || !strings.Contains(got.body, "Español") {
			t.Errorf("%s is not in English", p)
		}
	}
}

func TestWorkersCheck(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	ctx := context.Background()
	queue := prefix + "{q}:stream"
	check := console.WorkersCheck(rdb, queue)
	if c := check(ctx); !c.OK {
		t.Errorf("no queue yet: %+v", c)
	}
	rdb.XGroupCreateMkStream(ctx, queue, broadcast.Group, "$")
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: queue, Values: []any{"d", "1"}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: queue, Values: []any{"d", "2"}})
	if c := check(ctx); c.OK || !strings.Contains(c.Detail, "2 entregas esperan") {
		t.Errorf("deliveries waiting, no worker: %+v", c)
	}
	rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: broadcast.Group, Consumer: "w1", Streams: []string{queue, ">"}, Count: 1, Block: 10 * time.Millisecond})
	if c := check(ctx); !c.OK || !strings.Contains(c.Detail, "1 activos") {
		t.Errorf("one worker reading: %+v", c)
	}
}

// issue 14, item 11: Inicio says how many numbers shown to people nobody
// at the NGO confirmed by a call (the default pack records no call yet).
func TestHomeCountsUncalledNumbers(t *testing.T) {
	e := setup(t)
	c := e.client()
	e.signIn(c)
	if home := e.do(c, "GET", "/admin/", nil); !strings.Contains(home.body, "6 números sin confirmar por llamada") {
		t.Errorf("Inicio lacks the uncalled numbers:\n%s", home.body)
	}
}
