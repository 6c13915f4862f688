package twilio_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
)

func TestContentTemplates(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if u, p, _ := r.BasicAuth(); u != "SKkey" || p != "secret" || r.URL.Path != "/v1/ContentAndApprovals" {
			http.Error(w, `{"code":20003}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Query().Get("Page") == "" {
			fmt.Fprint(w, `{"contents":[
			  {"sid":"HX00000000000000000000000000000001","friendly_name":"aviso_salud","language":"es","approval_requests":{"name":"aviso_salud","status":"approved"},
			   "variables":{"2":"9:00","1":"lunes"},"types":{"twilio/quick-reply":{"body":"otro"},"twilio/text":{"body":"Jornada el {{1}} a las {{ 2 }}; {{10}} {{3}}"}}},
			  {"sid":"HX00000000000000000000000000000002","friendly_name":"borrador","language":"es","approval_requests":{"status":"pending"}}],
			  "meta":{"next_page_url":"https://content.twilio.com/v1/ContentAndApprovals?PageSize=200&Page=1"}}`)
			return
		}
		fmt.Fprint(w, `{"contents":[{"sid":"HX00000000000000000000000000000003","friendly_name":"alert","language":"en","approval_requests":{"whatsapp":{"status":"approved"}}}],"meta":{"next_page_url":null}}`)
	}))
	defer srv.Close()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cfg := twilio.Config{AccountSID: "AC" + strings.Repeat("0", 32), AuthToken: "tokenNotUsed0", APIKey: "SKkey", APISecret: "secret", APIBase: srv.URL}
	ct, err := twilio.NewContentTemplates(cfg, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	got, err := ct.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "alert" || got[1].SID != "HX00000000000000000000000000000001" {
		t.Fatalf("templates = %+v; want the two approved ones", got)
	}
	want := []twilio.TemplateVariable{{Key: "1", Sample: "lunes"}, {Key: "2", Sample: "9:00"}, {Key: "3"}, {Key: "10"}}
	if got[1].Body != "Jornada el {{1}} a las {{ 2 }}; {{10}} {{3}}" || !slices.Equal(got[1].Variables, want) {
		t.Errorf("template text %q, variables %+v; want the twilio/text body and %+v", got[1].Body, got[1].Variables, want)
	}
	if got[0].Body != "" || len(got[0].Variables) != 0 {
		t.Errorf("a template without text or variables came back with %q %+v", got[0].Body, got[0].Variables)
	}
	ct.List(context.Background())
	if calls.Load() != 2 {
		t.Errorf("%d calls; the second List should come from the cache", calls.Load())
	}
	now = now.Add(6 * time.Minute)
	ct.List(context.Background())
	if calls.Load() != 4 {
		t.Errorf("%d calls; the cache should expire after five minutes", calls.Load())
	}
	cfg.APISecret = "wrong"
	bad, err := twilio.NewContentTemplates(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.List(context.Background()); err == nil {
		t.Error("a 401 gave no error")
	}
}

// TestContentTemplatesCredentials: the template list authenticates as the
// sender does, with the account SID and auth token when no API key is set;
// Twilio's own API base means the Content API's host; a missing account
// is refused when the lister is built, not at the first page load.
func TestContentTemplatesCredentials(t *testing.T) {
	var user, pass string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ = r.BasicAuth()
		fmt.Fprint(w, `{"contents":[],"meta":{}}`)
	}))
	defer srv.Close()
	cfg := twilio.Config{AccountSID: "AC" + strings.Repeat("1", 32), AuthToken: "token123", APIBase: srv.URL + "/"}
	ct, err := twilio.NewContentTemplates(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	if user != cfg.AccountSID || pass != cfg.AuthToken {
		t.Errorf("basic auth %q:%q; want the account SID and the auth token", user, pass)
	}
	if got := twilio.ContentBase(twilio.Config{APIBase: twilio.DefaultAPIBase}); got != twilio.DefaultContentBase {
		t.Errorf("Twilio's API base gave the Content API base %q", got)
	}
	if _, err := twilio.NewContentTemplates(twilio.Config{AuthToken: "token123"}, nil); err == nil || !strings.Contains(err.Error(), "TWILIO_ACCOUNT_SID") {
		t.Errorf("no account: %v", err)
	}
}

// TestTemplateFill: the preview puts each value typed in place of its
// placeholder, spaces inside the braces or not, and leaves the ones
// without a value (or only spaces) as they are.
func TestTemplateFill(t *testing.T) {
	t.Parallel()
	tpl := twilio.Template{Body: "Jornada el {{1}} a las {{ 2 }} en {{lugar}}"}
	got := tpl.Fill(map[string]string{"1": "lunes", "2": "  ", "lugar": " Patzún "})
	if want := "Jornada el lunes a las {{ 2 }} en Patzún"; got != want {
		t.Errorf("Fill = %q, want %q", got, want)
	}
	if got := tpl.Fill(nil); got != tpl.Body {
		t.Errorf("Fill(nil) = %q, want the text unchanged", got)
	}
}
