package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/app"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/localtime"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/twilio"
)

const testAdminToken = "ngo-token-0123456789abcdef0123"

// adminFixture is a real Senda service on the test Redis, its admin API
// served over HTTP, and a record of every request the CLI made.
type adminFixture struct {
	svc    *app.App
	srv    *httptest.Server
	env    map[string]string
	hasher *ident.Hasher

	mu   sync.Mutex
	reqs []seenRequest
	// dropPOSTs is how many POSTs to answer by closing the connection.
	dropPOSTs int
}

type seenRequest struct {
	method, path string
	header       http.Header
	body         []byte
}

type fixtureOptions struct {
	sender   broadcast.Sender
	noTokens bool
}

func newAdminFixture(t *testing.T, opts fixtureOptions) *adminFixture {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	key := make([]byte, 32)
	rand.Read(key)
	cfg := config.Config{
		Env:        config.EnvDevelopment,
		Addr:       config.DefaultAddr,
		SessionTTL: config.DefaultSessionTTL,
		HashKey:    []byte(strings.Repeat("k", config.MinHashKeyLen)),
		Broadcast: config.BroadcastConfig{
			SubscriberKey: key,
			AdminTokens:   map[string]string{"ngo": testAdminToken},
			MPS:           config.DefaultMPS,
			Workers:       2,
			TimeZone:      config.DefaultTimeZone,
			Quiet:         mustQuiet(t, "", config.DefaultTimeZone),
		},
	}
	if opts.noTokens {
		cfg.Broadcast.AdminTokens = nil
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := app.New(context.Background(), cfg, log, app.Deps{Redis: rdb, Prefix: prefix, Sender: opts.sender})
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	f := &adminFixture{svc: svc, hasher: ident.NewHasher([]byte("cli-test-hash-key-0123456789abcdef"))}
	handler := svc.Handler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		f.reqs = append(f.reqs, seenRequest{method: r.Method, path: r.URL.RequestURI(), header: r.Header.Clone(), body: body})
		drop := r.Method == http.MethodPost && f.dropPOSTs > 0
		if drop {
			f.dropPOSTs--
		}
		f.mu.Unlock()
		if drop {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.env = map[string]string{"SENDA_ADMIN_URL": f.srv.URL, "SENDA_ADMIN_TOKEN": testAdminToken}
	return f
}

// subscribe opts an address in to a topic, as ALTA and SI would.
func (f *adminFixture) subscribe(t *testing.T, address, lang, topic string) {
	t.Helper()
	ch := ident.ChannelOf(address)
	id := f.hasher.Sender(ch, address)
	if err := f.svc.Subscribers().Subscribe(context.Background(), id, address, ch, lang, topic); err != nil {
		t.Fatalf("subscribe %s: %v", address, err)
	}
}

func (f *adminFixture) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.reqs...)
}

// lastPOST returns the body of the last POST /admin/broadcasts, decoded.
func (f *adminFixture) lastPOST(t *testing.T) (adminapi.BroadcastRequest, http.Header) {
	t.Helper()
	reqs := f.requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if r := reqs[i]; r.method == http.MethodPost && r.path == "/admin/broadcasts" {
			var req adminapi.BroadcastRequest
			if err := json.Unmarshal(r.body, &req); err != nil {
				t.Fatalf("the CLI posted something other than a Request: %v\n%s", err, r.body)
			}
			return req, r.header
		}
	}
	t.Fatal("no POST /admin/broadcasts was made")
	return adminapi.BroadcastRequest{}, nil
}

// cli runs `senda ARGS` with the fixture's environment.
func (f *adminFixture) cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runWith(context.Background(), f.env, stdin, args...)
}

func runWith(ctx context.Context, env map[string]string, stdin string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return code, stdout.String(), stderr.String()
}

var createdID = regexp.MustCompile(`Broadcast ([0-9a-f]{17}) (?:already )?created`)

// send runs `senda broadcast send ARGS`, expects success and returns the id.
func (f *adminFixture) send(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := f.cli(t, stdin, append([]string{"broadcast", "send"}, args...)...)
	if code != exitOK {
		t.Fatalf("send %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	m := createdID.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("send printed no broadcast id:\n%s", out)
	}
	return m[1]
}

// status fetches a broadcast through `senda broadcast status ID --json`.
func (f *adminFixture) status(t *testing.T, id string) adminapi.Broadcast {
	t.Helper()
	code, out, errOut := f.cli(t, "", "broadcast", "status", id, "--json")
	if code != exitOK {
		t.Fatalf("status %s: exit %d: %s", id, code, errOut)
	}
	var st adminapi.Broadcast
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json printed something other than a status: %v\n%s", err, out)
	}
	return st
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

func TestBroadcastSendText(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550001", "es", "salud")
	f.subscribe(t, "+50255550002", "en", "salud")
	f.subscribe(t, "whatsapp:+50255550003", "es", "salud")
	f.subscribe(t, "+50255550004", "es", "seguridad")

	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "salud",
		"--text", "Jornada de salud el lunes 9:00 en el Centro de Salud", "--text", "en=Health day Monday 9:00 at the Health Centre")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mustContain(t, "send output", out, "created: topic salud, 3 recipients, sending.", "senda broadcast status ")
	id := createdID.FindStringSubmatch(out)[1]

	req, header := f.lastPOST(t)
	want := map[string]string{"es": "Jornada de salud el lunes 9:00 en el Centro de Salud", "en": "Health day Monday 9:00 at the Health Centre"}
	if fmt.Sprint(req.Text) != fmt.Sprint(want) || req.Topic != "salud" || req.Urgent || req.SendAt != "" || req.Template != nil {
		t.Errorf("posted %+v", req)
	}
	if k := header.Get("Idempotency-Key"); len(k) != 32 {
		t.Errorf("Idempotency-Key %q, want a random key", k)
	}
	if got := header.Get("Authorization"); got != "Bearer "+testAdminToken {
		t.Errorf("Authorization %q", got)
	}

	st := f.status(t, id)
	if st.ID != id || st.Topic != "salud" || st.Recipients != 3 || st.State != adminapi.StateSending || st.Urgent || st.Template || st.CreatedBy != "ngo" {
		t.Errorf("status %+v", st)
	}

	// A second run gets a key of its own: a second broadcast.
	f.send(t, "", "--topic", "salud", "--text", "Otra")
	_, header2 := f.lastPOST(t)
	if header2.Get("Idempotency-Key") == header.Get("Idempotency-Key") {
		t.Error("two runs sent the same idempotency key")
	}
}

func TestBroadcastSendFilesTemplateSchedule(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "whatsapp:+50255550011", "es", "talleres")
	dir := t.TempDir()
	path := filepath.Join(dir, "aviso.txt")
	os.WriteFile(path, []byte("\n  Curso de cocina en INTECAP, inscripción el martes  \n\n"), 0o644)
	at := time.Now().Add(48 * time.Hour).Truncate(time.Second).In(time.FixedZone("CST", -6*3600))

	id := f.send(t, "Cooking course at INTECAP, sign up Tuesday\n",
		"--topic", "talleres", "--file", path, "--file", "en=-",
		"--template", "HX0123456789abcdef0123456789abcdef", "--var", "1=martes", "--var", "2=9:00",
		"--at", at.Format(time.RFC3339), "--urgent", "--json=false")
	req, _ := f.lastPOST(t)
	if req.Text["es"] != "Curso de cocina en INTECAP, inscripción el martes" || req.Text["en"] != "Cooking course at INTECAP, sign up Tuesday" {
		t.Errorf("texts %q", req.Text)
	}
	if req.Template == nil || req.Template.ContentSID != "HX0123456789abcdef0123456789abcdef" ||
		fmt.Sprint(req.Template.Variables) != "map[1:martes 2:9:00]" {
		t.Errorf("template %+v", req.Template)
	}
	if req.SendAt != at.Format(time.RFC3339) || !req.Urgent {
		t.Errorf("send_at %q urgent %v", req.SendAt, req.Urgent)
	}
	st := f.status(t, id)
	if st.State != adminapi.StateScheduled || !st.Urgent || !st.Template || !st.SendAt.Equal(at) || st.Recipients != 1 {
		t.Errorf("status %+v", st)
	}

	// The table says when it goes.
	code, out, _ := f.cli(t, "", "broadcast", "status", id)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	mustContain(t, "status", out, "topic talleres, scheduled (urgent, with a WhatsApp template)", "to be sent "+localTime(at, guatemala(t)))

	// --lang sets the language of a plain --text; the pack's default (es)
	// is still required, and the API says so.
	code, _, errOut := f.cli(t, "", "broadcast", "send", "--topic", "talleres", "--lang", "en", "--text", "English only")
	if code != exitError || !strings.HasPrefix(errOut, "senda broadcast: text.es is required") {
		t.Errorf("English only: exit %d: %s", code, errOut)
	}
	if req, _ := f.lastPOST(t); req.Text["en"] != "English only" || len(req.Text) != 1 {
		t.Errorf("--lang en posted %q", req.Text)
	}
}

func TestBroadcastSendErrors(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})

	// The API's validation message, as it is.
	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "nope", "--text", "Hola")
	if code != exitError || out != "" {
		t.Errorf("unknown topic: exit %d, stdout %q", code, out)
	}
	mustContain(t, "unknown topic", errOut, `senda broadcast: topic "nope" does not exist; choose one of: salud, seguridad, talleres.`)

	code, _, errOut = f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Hola", "--template", "HXnope")
	if code != exitError || !strings.Contains(errOut, `whatsapp_template.content_sid "HXnope" is not a Content SID`) {
		t.Errorf("bad template: exit %d: %s", code, errOut)
	}
	code, _, errOut = f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Hola", "--at", "2020-01-01 09:00")
	if code != exitError || !strings.Contains(errOut, "Entendí: miércoles 1 de enero de 2020") || !strings.Contains(errOut, "send_at") {
		t.Errorf("--at in the past: exit %d: %s", code, errOut)
	}
	before := len(f.requests())

	// Mistakes on the command line never reach the API.
	usage := []struct {
		args []string
		want string
	}{
		{[]string{"--text", "Hola"}, "--topic is required"},
		{[]string{"--topic", "salud"}, "give the message with --text or --file"},
		{[]string{"--topic", "salud", "--text", "Hola", "--text", "es=Otra"}, "the es text is given twice"},
		{[]string{"--topic", "salud", "--text", "  "}, "the es text is empty"},
		{[]string{"--topic", "salud", "--text", "Hola", "--var", "1=lunes"}, "--var needs --template"},
		{[]string{"--topic", "salud", "--text", "Hola", "--template", "HX0123456789abcdef0123456789abcdef", "--var", "lunes"}, "write it as N=VALUE"},
		{[]string{"--topic", "salud", "--text", "Jornada", "de", "salud"}, `unexpected argument "de" (put a text with spaces in quotes)`},
		{[]string{"--topic", "salud", "--file", filepath.Join(t.TempDir(), "none.txt")}, "no such file"},
		{[]string{"--topic", "salud", "--file", "-", "--file", "en=-"}, "only one --file can read standard input"},
		{[]string{"--topic", "salud", "--text", "Hola", "--lang", "Español"}, `--lang "Español" is not a language code`},
		{[]string{"--topic", "salud", "--text", "Hola", "--interval", "1ms"}, "--interval 1ms is too short"},
		{[]string{"--nope"}, "flag provided but not defined: -nope"},
	}
	for _, u := range usage {
		code, _, errOut := f.cli(t, "Hola", append([]string{"broadcast", "send"}, u.args...)...)
		if code != exitUsage || !strings.Contains(errOut, u.want) {
			t.Errorf("send %q: exit %d, want %d with %q:\n%s", u.args, code, exitUsage, u.want, errOut)
		}
	}
	if after := len(f.requests()); after != before {
		t.Errorf("command-line mistakes made %d requests", after-before)
	}
}

func TestBroadcastAuth(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})

	// No token: said before any request.
	code, _, errOut := runWith(context.Background(), map[string]string{"SENDA_ADMIN_URL": f.srv.URL}, "", "broadcast", "list")
	if code != exitError || !strings.Contains(errOut, "senda broadcast: no admin token: set SENDA_ADMIN_TOKEN") {
		t.Errorf("no token: exit %d: %s", code, errOut)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("made %d requests without a token", n)
	}
	code, _, errOut = runWith(context.Background(), map[string]string{"SENDA_ADMIN_URL": f.srv.URL, "SENDA_ADMIN_TOKEN": "x", "SENDA_ADMIN_TOKEN_FILE": "/y"}, "", "broadcast", "list")
	if code != exitError || !strings.Contains(errOut, "both SENDA_ADMIN_TOKEN and SENDA_ADMIN_TOKEN_FILE are set") {
		t.Errorf("two tokens: exit %d: %s", code, errOut)
	}

	// A wrong token: the API's 401 message and what to check.
	code, _, errOut = runWith(context.Background(), map[string]string{"SENDA_ADMIN_URL": f.srv.URL, "SENDA_ADMIN_TOKEN": "not-the-token-at-all-000"}, "", "broadcast", "list")
	if code != exitError {
		t.Errorf("wrong token: exit %d", code)
	}
	mustContain(t, "wrong token", errOut, "senda broadcast: missing or invalid bearer token", "check SENDA_ADMIN_TOKEN")
	if strings.Contains(errOut, "not-the-token-at-all-000") {
		t.Error("the token was printed")
	}

	// The token from a file, as the server reads its secrets.
	path := filepath.Join(t.TempDir(), "token")
	os.WriteFile(path, []byte(testAdminToken+"\n"), 0o600)
	code, out, errOut := runWith(context.Background(), map[string]string{"SENDA_ADMIN_URL": f.srv.URL, "SENDA_ADMIN_TOKEN_FILE": path}, "", "broadcast", "list")
	if code != exitOK || !strings.Contains(out, "No broadcasts yet") {
		t.Errorf("token file: exit %d: %s%s", code, out, errOut)
	}

	// The admin API off (no SENDA_ADMIN_TOKENS): the server says how to turn it on.
	off := newAdminFixture(t, fixtureOptions{noTokens: true})
	code, _, errOut = off.cli(t, "", "broadcast", "list")
	if code != exitError || !strings.Contains(errOut, "senda broadcast: the admin API is off: set SENDA_ADMIN_TOKENS") {
		t.Errorf("admin API off: exit %d: %s", code, errOut)
	}
}

func TestBroadcastUnreachable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	env := map[string]string{"SENDA_ADMIN_URL": url, "SENDA_ADMIN_TOKEN": testAdminToken}

	code, _, errOut := runWith(context.Background(), env, "", "broadcast", "list")
	if code != exitError {
		t.Errorf("exit %d", code)
	}
	mustContain(t, "unreachable", errOut, "senda broadcast: cannot reach the admin API at "+url, "Is senda serve running there? Is SENDA_ADMIN_URL (or --admin-url) right?")

	// send tries once more, then says how to retry without sending twice.
	code, _, errOut = runWith(context.Background(), env, "", "broadcast", "send", "--topic", "salud", "--text", "Hola", "--idempotency-key", "k-1")
	if code != exitError {
		t.Errorf("send: exit %d", code)
	}
	mustContain(t, "send unreachable", errOut, "Trying once more", "run the same command with --idempotency-key k-1")

	// --admin-url wins over SENDA_ADMIN_URL, and is checked.
	code, _, errOut = runWith(context.Background(), env, "", "broadcast", "list", "--admin-url", "localhost:8080")
	if code != exitError || !strings.Contains(errOut, `--admin-url "localhost:8080" is not a base URL`) {
		t.Errorf("bad --admin-url: exit %d: %s", code, errOut)
	}

	// Something that is not Senda at that address.
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	code, _, errOut = runWith(context.Background(), map[string]string{"SENDA_ADMIN_URL": other.URL + "/", "SENDA_ADMIN_TOKEN": testAdminToken}, "", "broadcast", "status", "0123456789abcdef0")
	if code != exitError || !strings.Contains(errOut, "answered 404 Not Found; is SENDA_ADMIN_URL the address of senda serve?") {
		t.Errorf("not senda: exit %d: %s", code, errOut)
	}
}

func TestBroadcastRetriesOnceWithTheSameKey(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550021", "es", "salud")
	f.dropPOSTs = 1 // the first attempt's connection breaks
	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Hola")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	mustContain(t, "stderr", errOut, "Trying once more")
	mustContain(t, "stdout", out, "created: topic salud, 1 recipient, sending.")
	var keys []string
	for _, r := range f.requests() {
		if r.method == http.MethodPost {
			keys = append(keys, r.header.Get("Idempotency-Key"))
		}
	}
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] == "" {
		t.Errorf("POSTs carried keys %q, want the same key twice", keys)
	}
}

func TestBroadcastIdempotency(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550031", "es", "salud")
	first := f.send(t, "", "--topic", "salud", "--text", "Hola", "--idempotency-key", "clinic-day-2026-12-01")
	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Hola", "--idempotency-key", "clinic-day-2026-12-01")
	if code != exitOK {
		t.Fatalf("second send: exit %d: %s", code, errOut)
	}
	mustContain(t, "second send", out, "Broadcast "+first+" already created")
	mustContain(t, "second send", errOut, "was already used in the last 24 hours", "nothing new was sent")

	code, out, _ = f.cli(t, "", "broadcast", "list", "--json")
	var list struct{ Broadcasts []adminapi.Broadcast }
	if code != exitOK || json.Unmarshal([]byte(out), &list) != nil || len(list.Broadcasts) != 1 || list.Broadcasts[0].ID != first {
		t.Errorf("list after two sends with one key: exit %d\n%s", code, out)
	}
}

func TestBroadcastList(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550041", "es", "salud")
	f.subscribe(t, "+50255550042", "es", "seguridad")
	a := f.send(t, "", "--topic", "salud", "--text", "Uno")
	time.Sleep(2 * time.Millisecond) // ids and order follow the millisecond
	b := f.send(t, "", "--topic", "seguridad", "--text", "Dos")

	code, out, errOut := f.cli(t, "", "broadcast", "list")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and two rows:\n%s", out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f, " ") != "ID TOPIC STATE RECIPIENTS SENT DELIVERED FAILED SKIPPED CREATED" {
		t.Errorf("header %q", lines[0])
	}
	row := strings.Fields(lines[1]) // newest first
	if len(row) < 9 || row[0] != b || row[1] != "seguridad" || row[2] != "sending" || row[3] != "1" || row[4] != "0" {
		t.Errorf("first row %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], a+"  salud") {
		t.Errorf("second row %q", lines[2])
	}
	// The CLI prints times in SENDA_TIMEZONE (the default here), not in the
	// machine's zone: compare with today's date there.
	loc, err := time.LoadLocation(config.DefaultTimeZone)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(loc)
	if !strings.Contains(lines[1], now.Format("2006-01-02")) && !strings.Contains(lines[1], now.Add(-time.Minute).Format("2006-01-02")) {
		t.Errorf("created_at is not today's local date: %q", lines[1])
	}

	code, out, _ = f.cli(t, "", "broadcast", "list", "--limit", "1")
	if code != exitOK || strings.Count(strings.TrimSpace(out), "\n") != 1 || !strings.Contains(out, b) {
		t.Errorf("--limit 1: exit %d\n%s", code, out)
	}
	if code, _, errOut := f.cli(t, "", "broadcast", "list", "--limit", "0"); code != exitUsage || !strings.Contains(errOut, "--limit must be from 1 to 100") {
		t.Errorf("--limit 0: exit %d: %s", code, errOut)
	}
}

func TestBroadcastCancelTwice(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550051", "es", "salud")
	f.subscribe(t, "+50255550052", "es", "salud")
	id := f.send(t, "", "--topic", "salud", "--text", "Hola")

	code, out, errOut := f.cli(t, "", "broadcast", "cancel", id)
	if code != exitOK || !strings.Contains(out, "Broadcast "+id+" cancelled: 0 of 2 recipients had been sent") {
		t.Fatalf("cancel: exit %d\n%s%s", code, out, errOut)
	}
	if st := f.status(t, id); st.State != adminapi.StateCancelled || st.DoneAt == nil {
		t.Errorf("after cancel: %+v", st)
	}
	code, _, errOut = f.cli(t, "", "broadcast", "cancel", id)
	if code != exitError || !strings.Contains(errOut, "senda broadcast: broadcast "+id+" is already cancelled; there is nothing left to cancel") {
		t.Errorf("second cancel: exit %d: %s", code, errOut)
	}
	code, _, errOut = f.cli(t, "", "broadcast", "cancel", "0123456789abcdef0")
	if code != exitError || !strings.Contains(errOut, `no broadcast with id "0123456789abcdef0"`) {
		t.Errorf("cancel unknown: exit %d: %s", code, errOut)
	}
	if code, _, errOut := f.cli(t, "", "broadcast", "cancel"); code != exitUsage || !strings.Contains(errOut, "give the broadcast id") {
		t.Errorf("cancel without id: exit %d: %s", code, errOut)
	}
}

// fakeSender stands in for Twilio: it accepts every message but those to
// addresses it is told to refuse.
type fakeSender struct {
	mu     sync.Mutex
	refuse map[string]int // address → Twilio error code
	sent   []twilio.Message
}

func (s *fakeSender) Send(_ context.Context, m twilio.Message) (twilio.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code, ok := s.refuse[m.To]; ok {
		return twilio.Result{}, &twilio.Error{Code: code, HTTPStatus: 400, Kind: twilio.Classify(code, 400), Desc: twilio.Describe(code)}
	}
	s.sent = append(s.sent, m)
	return twilio.Result{SID: fmt.Sprintf("SM%032d", len(s.sent)), Status: "queued"}, nil
}

func (s *fakeSender) SentSince(context.Context, string, time.Time, string) (bool, error) {
	return false, nil
}

// runWorkers delivers the fixture's broadcasts until the test ends.
func (f *adminFixture) runWorkers(t *testing.T, tune func(*broadcast.WorkerConfig)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunWorkers(ctx, tune) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("workers: %v", err)
		}
	})
}

func TestBroadcastSendWaitDone(t *testing.T) {
	t.Parallel()
	sender := &fakeSender{refuse: map[string]int{"+50255550063": 21610, "whatsapp:+50255550064": 63016}}
	f := newAdminFixture(t, fixtureOptions{sender: sender})
	f.runWorkers(t, func(c *broadcast.WorkerConfig) { c.Quiet = localtime.QuietHours{}; c.MPS = 0 })
	for _, a := range []string{"+50255550061", "whatsapp:+50255550062", "+50255550063", "whatsapp:+50255550064"} {
		f.subscribe(t, a, "es", "salud")
	}

	code, out, errOut := f.cli(t, "", "broadcast", "send", "--topic", "salud", "--text", "Jornada de salud el lunes", "--wait", "--interval", "100ms", "--timeout", "20s")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// Not a terminal: whole progress lines, the last one at the end. (How
	// many come before it depends on how fast the workers are: they may even
	// finish before the create answers, so its line says "sending" or "done".)
	mustContain(t, "progress", errOut, "topic salud, 4 recipients, ",
		"[####################] 2/4 sent 1 failed 1 skipped · done")
	if strings.Contains(errOut, "\r") {
		t.Error("progress redrawn in place on a stream that is not a terminal")
	}
	mustContain(t, "final figures", out, "topic salud, done", "recipients  4", "sent        2", "failed      1", "skipped     1",
		"Why not sent or not delivered:", "21610", "recipient opted out (STOP); their subscription was deleted",
		"outside_window", "WhatsApp refused the text: outside the 24-hour window")
	if len(sender.sent) != 2 {
		t.Errorf("Twilio got %d messages, want 2", len(sender.sent))
	}

	// status of a settled broadcast with --wait returns at once.
	id := regexp.MustCompile(`Broadcast ([0-9a-f]{17}):`).FindStringSubmatch(errOut)[1]
	code, out, _ = f.cli(t, "", "broadcast", "status", id, "--wait", "--json")
	var st adminapi.Broadcast
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st.State != adminapi.StateDone || st.Reasons["21610"] != 1 || st.Reasons["outside_window"] != 1 {
		t.Errorf("status --wait --json of a done broadcast: exit %d\n%s", code, out)
	}
}

func TestBroadcastStatusWaiting(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{sender: &fakeSender{}})
	// Quiet hours around now, whatever the time of day.
	now := time.Now().UTC()
	span := fmt.Sprintf("%s-%s", now.Add(-time.Hour).Format("15:04"), now.Add(time.Hour).Format("15:04"))
	quiet, err := localtime.ParseQuietHours(span, "UTC")
	if err != nil {
		t.Fatal(err)
	}
	f.runWorkers(t, func(c *broadcast.WorkerConfig) { c.Quiet = quiet; c.MPS = 0 })
	for _, a := range []string{"+50255550071", "+50255550072", "whatsapp:+50255550073"} {
		f.subscribe(t, a, "es", "salud")
	}
	id := f.send(t, "", "--topic", "salud", "--text", "Hola")
	var st adminapi.Broadcast
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if st = f.status(t, id); st.Waiting["quiet_hours"] == 3 {
			break
		}
	}
	if st.Waiting["quiet_hours"] != 3 {
		t.Fatalf("deliveries never waited for quiet hours: %+v", st)
	}
	code, out, _ := f.cli(t, "", "broadcast", "status", id)
	if code != exitOK {
		t.Fatalf("status: exit %d", code)
	}
	mustContain(t, "status", out, "topic salud, sending", "recipients  3", "Waiting now:", "3 waiting for quiet hours to end")

	// --timeout: the figures so far, and exit 1 (it did not finish).
	code, out, errOut := f.cli(t, "", "broadcast", "status", id, "--wait", "--interval", "100ms", "--timeout", "300ms")
	if code != exitError {
		t.Errorf("--timeout: exit %d", code)
	}
	mustContain(t, "--timeout stderr", errOut, "0/3 sent 0 failed 0 skipped · waiting: quiet hours 3", "is still sending after 300ms; it goes on")
	mustContain(t, "--timeout stdout", out, "3 waiting for quiet hours to end")

	// Ctrl-C: the figures so far, exit 0; the broadcast goes on.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	code, out, errOut = runWith(ctx, f.env, "", "broadcast", "status", id, "--wait", "--interval", "100ms")
	if code != exitOK {
		t.Errorf("interrupted: exit %d: %s", code, errOut)
	}
	mustContain(t, "interrupted stderr", errOut, "Stopped watching; broadcast "+id+" goes on")
	mustContain(t, "interrupted stdout", out, "topic salud, sending")
	if st := f.status(t, id); st.State != adminapi.StateSending {
		t.Errorf("the broadcast stopped with the watcher: %s", st.State)
	}

	// Cancelled from elsewhere while being watched: --wait ends there.
	go func() {
		time.Sleep(300 * time.Millisecond)
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/admin/broadcasts/"+id+"/cancel", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	code, out, errOut = f.cli(t, "", "broadcast", "status", id, "--wait", "--interval", "100ms", "--timeout", "20s")
	if code != exitOK {
		t.Errorf("cancelled while watched: exit %d: %s", code, errOut)
	}
	mustContain(t, "cancelled while watched", out, "topic salud, cancelled")
}

func TestBroadcastStatusAndTopics(t *testing.T) {
	t.Parallel()
	f := newAdminFixture(t, fixtureOptions{})
	f.subscribe(t, "+50255550081", "es", "salud")
	f.subscribe(t, "+50255550082", "es", "salud")
	id := f.send(t, "", "--topic", "salud", "--text", "Hola")

	code, out, errOut := f.cli(t, "", "broadcast", "status", id)
	if code != exitOK {
		t.Fatalf("status: exit %d: %s", code, errOut)
	}
	mustContain(t, "status", out, "Broadcast "+id+": topic salud, sending\n", "by ngo; sending since ",
		"recipients  2  subscribed to salud", "sent        0  accepted by Twilio", "delivered   0", "failed      0", "skipped     0")

	code, out, _ = f.cli(t, "", "broadcast", "status", "--json", id)
	var st adminapi.Broadcast
	if code != exitOK || json.Unmarshal([]byte(out), &st) != nil || st.ID != id {
		t.Errorf("status --json before the id: exit %d\n%s", code, out)
	}
	code, _, errOut = f.cli(t, "", "broadcast", "status", "0123456789abcdef0")
	if code != exitError || !strings.Contains(errOut, `senda broadcast: no broadcast with id "0123456789abcdef0"; GET /admin/broadcasts lists them`) {
		t.Errorf("unknown id: exit %d: %s", code, errOut)
	}

	code, out, _ = f.cli(t, "", "broadcast", "topics")
	if code != exitOK {
		t.Fatalf("topics: exit %d", code)
	}
	mustContain(t, "topics", out, "TOPIC", "SUBSCRIBERS")
	if !regexp.MustCompile(`(?m)^salud\s+Salud\s+2$`).MatchString(out) || !regexp.MustCompile(`(?m)^talleres\s+Talleres\s+0$`).MatchString(out) {
		t.Errorf("topics table:\n%s", out)
	}
}

func TestBroadcastUsage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args       []string
		code       int
		stdout     string
		stderr     string
		notStderr  string
		wantStream string
	}{
		{args: []string{"broadcast"}, code: exitUsage, stderr: "Usage: senda broadcast COMMAND"},
		{args: []string{"broadcast", "-h"}, code: exitOK, stdout: "SENDA_ADMIN_TOKEN_FILE"},
		{args: []string{"broadcast", "fly"}, code: exitUsage, stderr: `unknown command "fly"`},
		{args: []string{"broadcast", "send", "-h"}, code: exitOK, stderr: "-idempotency-key"},
		{args: []string{"broadcast", "send", "--help"}, code: exitOK, stderr: "SENDA_ADMIN_URL"},
		{args: []string{"broadcast", "list", "-h"}, code: exitOK, stderr: "-limit"},
		{args: []string{"broadcast", "status", "-h"}, code: exitOK, stderr: "-timeout"},
		{args: []string{"broadcast", "cancel", "-h"}, code: exitOK, stderr: "SENDA_ADMIN_TOKEN"},
		{args: []string{"broadcast", "status", "a", "b"}, code: exitUsage, stderr: "give one broadcast id, not 2 arguments"},
		{args: []string{"help"}, code: exitOK, stdout: "senda broadcast"},
	} {
		code, out, errOut := runWith(context.Background(), nil, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
			t.Errorf("%q: exit %d (want %d)\nstdout: %s\nstderr: %s", c.args, code, c.code, out, errOut)
		}
	}
}

func TestSplitLang(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, lang, text string }{
		{"Hola", "es", "Hola"},
		{"en=Hello", "en", "Hello"},
		{"cak=Xta", "cak", "Xta"},
		{"es=Precio=Q10", "es", "Precio=Q10"},
		{"Precio=Q10", "es", "Precio=Q10"},
		{"Lunes: 9:00 = abierto", "es", "Lunes: 9:00 = abierto"},
		{"=x", "es", "=x"},
	} {
		if l, text := splitLang(c.in, "es"); l != c.lang || text != c.text {
			t.Errorf("splitLang(%q) = %q, %q; want %q, %q", c.in, l, text, c.lang, c.text)
		}
	}
}

func TestProgressLine(t *testing.T) {
	t.Parallel()
	st := adminapi.Broadcast{State: adminapi.StateSending, Recipients: 1000, Sent: 312, Failed: 3, Skipped: 12,
		Waiting: map[string]int64{"quiet_hours": 400, "retry": 2}}
	want := "[######..............] 312/1000 sent 3 failed 12 skipped · waiting: quiet hours 400 retry 2"
	if got := progressLine(st, time.UTC); got != want {
		t.Errorf("progressLine\n got %q\nwant %q", got, want)
	}
	// Failed status callbacks also count messages already sent: the bar
	// stays within its width, and full only when done.
	st = adminapi.Broadcast{State: adminapi.StateSending, Recipients: 10, Sent: 10, Failed: 2}
	if got := progressLine(st, time.UTC); !strings.HasPrefix(got, "[####################]") {
		t.Errorf("over-counted progress: %q", got)
	}
	st = adminapi.Broadcast{State: adminapi.StateSending, Recipients: 100, Sent: 99}
	if got := progressLine(st, time.UTC); !strings.HasPrefix(got, "[###################.]") {
		t.Errorf("99%% shows as %q", got)
	}
	if got := progressLine(adminapi.Broadcast{State: adminapi.StateDone}, time.UTC); !strings.HasPrefix(got, "[####################] 0/0") {
		t.Errorf("empty done broadcast: %q", got)
	}
}

func TestExplainReason(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]string{
		"21610":        "opted out",
		"63014":        "blocked",
		"63016":        "24-hour window",
		"unsubscribed": "BAJA",
		"no_template":  "no template",
		"cancelled":    "cancelled",
		"http_500":     "HTTP 500",
		"99999":        "Twilio error 99999",
	} {
		if got := explainReason(code); !strings.Contains(got, want) {
			t.Errorf("explainReason(%s) = %q, want it to mention %q", code, got, want)
		}
	}
}

func mustQuiet(t *testing.T, span, zone string) localtime.QuietHours {
	t.Helper()
	q, err := localtime.ParseQuietHours(span, zone)
	if err != nil {
		t.Fatal(err)
	}
	return q
}
