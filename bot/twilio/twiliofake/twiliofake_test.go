package twiliofake_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

// call makes one request to the fake and decodes the JSON answer.
func call(t *testing.T, s *twiliofake.Server, method, path string, form url.Values, user, pass string) (int, http.Header, map[string]any) {
	t.Helper()
	var body *strings.Reader
	target := s.URL + path
	if method == http.MethodGet {
		body = strings.NewReader("")
		if form != nil {
			target += "?" + form.Encode()
		}
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, out
}

func messagesPath(s *twiliofake.Server) string {
	return "/2010-04-01/Accounts/" + s.AccountSID + "/Messages.json"
}

func create(t *testing.T, s *twiliofake.Server, to, body string) map[string]any {
	t.Helper()
	status, _, out := call(t, s, http.MethodPost, messagesPath(s),
		url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {body}}, s.AccountSID, s.AuthToken)
	if status != http.StatusCreated {
		t.Fatalf("create: status %d: %v", status, out)
	}
	return out
}

func TestAuthAndPaths(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	s.AllowAPIKey("SKkey1", "secret1")
	form := url.Values{"To": {"+50212345678"}, "From": {"+15005550006"}, "Body": {"x"}}
	tests := []struct {
		name       string
		path       string
		user, pass string
		status     int
		code       float64
	}{
		{"account and token", messagesPath(s), s.AccountSID, s.AuthToken, 201, 0},
		{"API key and secret", messagesPath(s), "SKkey1", "secret1", 201, 0},
		{"no auth", messagesPath(s), "", "", 401, 20003},
		{"wrong token", messagesPath(s), s.AccountSID, "nope", 401, 20003},
		{"unknown API key", messagesPath(s), "SKother", "secret1", 401, 20003},
		{"API key, wrong secret", messagesPath(s), "SKkey1", "nope", 401, 20003},
		{"another account", "/2010-04-01/Accounts/AC11111111111111111111111111111111/Messages.json", "SKkey1", "secret1", 404, 20404},
		{"another resource", "/2010-04-01/Accounts/" + s.AccountSID + "/Calls.json", s.AccountSID, s.AuthToken, 404, 20404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, out := call(t, s, http.MethodPost, tt.path, form, tt.user, tt.pass)
			if status != tt.status {
				t.Fatalf("status = %d, want %d: %v", status, tt.status, out)
			}
			if tt.code == 0 {
				return
			}
			if out["code"] != tt.code || out["status"] != float64(tt.status) || out["message"] == "" ||
				out["more_info"] != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", int(tt.code)) {
				t.Errorf("error JSON = %v", out)
			}
			if status == 401 && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if s.Requests() != 2 || len(s.Messages()) != 2 {
		t.Errorf("requests = %d, messages = %d; want 2 and 2 (refused requests are not creates)", s.Requests(), len(s.Messages()))
	}
}

func TestCreateAnswer(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	out := create(t, s, "+50212345678", "Hola")
	sid, _ := out["sid"].(string)
	if len(sid) != 34 || !strings.HasPrefix(sid, "SM") {
		t.Errorf("sid = %q, want SM + 32 hex", sid)
	}
	if out["status"] != "queued" || out["direction"] != "outbound-api" || out["to"] != "+50212345678" ||
		out["body"] != "Hola" || out["account_sid"] != s.AccountSID || out["date_sent"] != nil {
		t.Errorf("answer = %v", out)
	}
	created, err := time.Parse(time.RFC1123Z, out["date_created"].(string))
	if err != nil || time.Since(created) > time.Minute {
		t.Errorf("date_created = %v (%v), want RFC 1123 now", out["date_created"], err)
	}
	m := s.Messages()
	if len(m) != 1 || m[0].SID != sid || m[0].Form.Get("Body") != "Hola" || m[0].User != s.AccountSID {
		t.Errorf("Messages() = %+v", m)
	}
}

func TestCreateValidation(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	tests := []struct {
		form url.Values
		code float64
	}{
		{url.Values{"From": {"+15005550006"}, "Body": {"x"}}, 21604},
		{url.Values{"To": {"+50212345678"}, "Body": {"x"}}, 21603},
		{url.Values{"To": {"+50212345678"}, "From": {"+15005550006"}}, 21602},
		{url.Values{"To": {"+50212345678"}, "From": {"+15005550006"}, "ContentSid": {"HX1"}, "ContentVariables": {"{"}}, 21656},
	}
	for _, tt := range tests {
		status, _, out := call(t, s, http.MethodPost, messagesPath(s), tt.form, s.AccountSID, s.AuthToken)
		if status != 400 || out["code"] != tt.code {
			t.Errorf("%v: status %d, %v; want 400 and code %v", tt.form, status, out, tt.code)
		}
	}
}

func TestScriptedFailuresAndPrivacy(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	s.FailNext(func(f url.Values) bool { return f.Get("Body") == "fail" }, 429, 20429, 1)
	form := func(body string) url.Values {
		return url.Values{"To": {"+50212345678"}, "From": {"+15005550006"}, "Body": {body}}
	}
	if status, _, _ := call(t, s, http.MethodPost, messagesPath(s), form("ok"), s.AccountSID, s.AuthToken); status != 201 {
		t.Errorf("non-matching create: status %d", status)
	}
	if status, _, out := call(t, s, http.MethodPost, messagesPath(s), form("fail"), s.AccountSID, s.AuthToken); status != 429 || out["code"] != 20429.0 {
		t.Errorf("matching create: status %d %v", status, out)
	}
	if status, _, _ := call(t, s, http.MethodPost, messagesPath(s), form("fail"), s.AccountSID, s.AuthToken); status != 201 {
		t.Errorf("script used up: status %d", status)
	}

	s.RejectPrivacy(true)
	f := form("x")
	f.Set("AddressRetention", "obfuscate")
	if status, _, out := call(t, s, http.MethodPost, messagesPath(s), f, s.AccountSID, s.AuthToken); status != 400 || out["code"] != 30030.0 {
		t.Errorf("AddressRetention: status %d %v", status, out)
	}
	f.Set("ContentRetention", "discard")
	if status, _, out := call(t, s, http.MethodPost, messagesPath(s), f, s.AccountSID, s.AuthToken); status != 400 || out["code"] != 30029.0 {
		t.Errorf("ContentRetention: status %d %v", status, out)
	}
	if s.Requests() != 5 || len(s.Messages()) != 2 {
		t.Errorf("requests = %d, messages = %d; want 5 and 2", s.Requests(), len(s.Messages()))
	}
}

func TestListFiltersAndPages(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	for i := range 5 {
		create(t, s, "+50211111111", fmt.Sprint("a", i))
	}
	create(t, s, "+50222222222", "b")
	at := s.Messages()[0].At

	list := func(q url.Values) map[string]any {
		t.Helper()
		status, _, out := call(t, s, http.MethodGet, messagesPath(s), q, s.AccountSID, s.AuthToken)
		if status != 200 {
			t.Fatalf("list %v: status %d %v", q, status, out)
		}
		return out
	}
	count := func(out map[string]any) int { return len(out["messages"].([]any)) }

	// twilio-go sends DateSent> as RFC 3339 in the time's own zone.
	before := at.Add(-time.Hour).In(time.FixedZone("GT", -6*3600)).Format(time.RFC3339)
	after := at.Add(time.Hour).UTC().Format(time.RFC3339)
	day := at.UTC().Format(time.DateOnly)
	for _, tt := range []struct {
		q    url.Values
		want int
	}{
		{url.Values{}, 6},
		{url.Values{"To": {"+50211111111"}}, 5},
		{url.Values{"To": {"+50211111111"}, "From": {"+15005550006"}}, 5},
		{url.Values{"From": {"+15005550001"}}, 0},
		{url.Values{"DateSent>": {before}}, 6},
		{url.Values{"DateSent>": {after}}, 0},
		{url.Values{"DateSent<": {before}}, 0},
		{url.Values{"DateSent<": {after}}, 6},
		{url.Values{"DateSent": {day}}, 6},
		{url.Values{"DateSent>": {day}}, 6},
		{url.Values{"DateSent<": {day}}, 6},
	} {
		if got := count(list(tt.q)); got != tt.want {
			t.Errorf("list %v: %d messages, want %d", tt.q, got, tt.want)
		}
	}

	// Newest first, two a page, following next_page_uri.
	out := list(url.Values{"To": {"+50211111111"}, "PageSize": {"2"}})
	var bodies []string
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatal("more than 3 pages for 5 messages")
		}
		for _, m := range out["messages"].([]any) {
			bodies = append(bodies, m.(map[string]any)["body"].(string))
		}
		next, _ := out["next_page_uri"].(string)
		if next == "" {
			break
		}
		u, err := url.Parse(next)
		if err != nil || u.Path != messagesPath(s) || u.Query().Get("To") != "+50211111111" || u.Query().Get("PageToken") == "" {
			t.Fatalf("next_page_uri = %q", next)
		}
		out = list(u.Query())
	}
	if got := strings.Join(bodies, ","); got != "a4,a3,a2,a1,a0" {
		t.Errorf("pages gave %s, want a4,a3,a2,a1,a0", got)
	}

	status, _, _ := call(t, s, http.MethodGet, messagesPath(s), url.Values{"DateSent>": {"yesterday"}}, s.AccountSID, s.AuthToken)
	if status != 400 {
		t.Errorf("bad date: status %d, want 400", status)
	}
}

func TestHangStoresAndCloseReleases(t *testing.T) {
	s := twiliofake.New()
	s.Hang(nil, 1)
	done := make(chan error, 1)
	go func() {
		form := url.Values{"To": {"+50212345678"}, "From": {"+15005550006"}, "Body": {"x"}}
		req, _ := http.NewRequest(http.MethodPost, s.URL+messagesPath(s), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(s.AccountSID, s.AuthToken)
		hc := &http.Client{Timeout: 10 * time.Second}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("hung create was not stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("hung create answered")
	case <-time.After(100 * time.Millisecond):
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(3 * time.Second):
		t.Fatal("Close blocked on a hung request")
	}
	<-done
}

func TestConcurrentCreates(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := url.Values{"To": {fmt.Sprintf("+502%08d", i)}, "From": {"+15005550006"}, "Body": {"x"}}
			req, _ := http.NewRequest(http.MethodPost, s.URL+messagesPath(s), strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(s.AccountSID, s.AuthToken)
			hc := &http.Client{Timeout: 10 * time.Second}
			resp, err := hc.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, m := range s.Messages() {
		if seen[m.SID] {
			t.Fatalf("duplicate SID %s", m.SID)
		}
		seen[m.SID] = true
	}
	if len(seen) != n || s.Requests() != n {
		t.Errorf("messages = %d, requests = %d; want %d", len(seen), s.Requests(), n)
	}
}

func TestDelete(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	sid := create(t, s, "+50212345678", "Hola")["sid"].(string)
	inbound := s.Add("inbound", url.Values{"From": {"+50212345678"}, "Body": {"Hola"}})
	young := s.Add("outbound-reply", nil)
	path := func(sid string) string { return "/2010-04-01/Accounts/" + s.AccountSID + "/Messages/" + sid + ".json" }
	del := func(sid string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, s.URL+path(sid), nil)
		req.SetBasicAuth(s.AccountSID, s.AuthToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if st, out := del(sid); st != 204 || out != nil {
		t.Errorf("DELETE of a created message: %d %v, want 204 and no body", st, out)
	}
	if st, out := del(sid); st != 404 || out["code"] != 20404.0 {
		t.Errorf("second DELETE: %d %v, want 404 with 20404", st, out)
	}
	if st, _ := del("SMunknown"); st != 404 {
		t.Errorf("DELETE of an unknown SID: %d, want 404", st)
	}

	// Incomplete for its first two DELETEs, then deletable.
	s.SetIncomplete(0, 2)
	for i, want := range []int{409, 409, 204} {
		st, out := del(inbound)
		if st != want || (want == 409 && out["code"] != 20009.0) {
			t.Errorf("inbound DELETE %d: %d %v, want %d", i+1, st, out, want)
		}
	}
	// Incomplete while younger than an hour, whatever the count.
	s.SetIncomplete(time.Hour, 0)
	if st, out := del(young); st != 409 || out["code"] != 20009.0 {
		t.Errorf("young message: %d %v, want 409 with 20009", st, out)
	}
	s.SetIncomplete(0, 0)
	s.FailNextDeletes(429, 20429, 1)
	if st, out := del(young); st != 429 || out["code"] != 20429.0 {
		t.Errorf("scripted failure: %d %v", st, out)
	}
	if st, _ := del(young); st != 204 {
		t.Errorf("after the scripted failure: %d, want 204", st)
	}
	if st, _, out := call(t, s, http.MethodPost, path(young), url.Values{}, s.AccountSID, s.AuthToken); st != 405 {
		t.Errorf("POST to a message: %d %v, want 405", st, out)
	}

	var ok, codes []string
	for _, d := range s.Deletes() {
		if d.Status == 204 {
			ok = append(ok, d.SID)
		}
		codes = append(codes, fmt.Sprint(d.Code))
	}
	if want := []string{sid, inbound, young}; !slices.Equal(ok, want) {
		t.Errorf("successful deletes = %v, want %v", ok, want)
	}
	if got := strings.Join(codes, ","); got != "0,20404,20404,20009,20009,0,20009,20429,0" {
		t.Errorf("delete codes = %s", got)
	}
	if n := len(s.Messages()); n != 0 {
		t.Errorf("%d messages left after deleting all", n)
	}
}

func TestObfuscatedAddressesHideFromListsByTo(t *testing.T) {
	s := twiliofake.New()
	defer s.Close()
	create(t, s, "+50211112222", "a")
	s.ObfuscateAddresses(true)
	list := func(q url.Values) []any {
		t.Helper()
		status, _, out := call(t, s, http.MethodGet, messagesPath(s), q, s.AccountSID, s.AuthToken)
		if status != 200 {
			t.Fatalf("list %v: status %d %v", q, status, out)
		}
		return out["messages"].([]any)
	}
	if got := list(url.Values{"To": {"+50211112222"}}); len(got) != 0 {
		t.Fatalf("a list by the real To found %d messages under redaction", len(got))
	}
	all := list(url.Values{})
	if len(all) != 1 || all[0].(map[string]any)["to"] != "+5021111XXXX" {
		t.Fatalf("listed under redaction: %v", all)
	}
	if s.Messages()[0].Form.Get("To") != "+50211112222" {
		t.Fatal("the test's view of what was sent must keep the real address")
	}
	s.ObfuscateAddresses(false)
	if got := list(url.Values{"To": {"+50211112222"}}); len(got) != 1 {
		t.Fatalf("without redaction: %d", len(got))
	}
}
