package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/console"
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
	ct := &console.ContentTemplates{User: "SKkey", Password: "secret", BaseURL: srv.URL, Now: func() time.Time { return now }}
	got, err := ct.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "alert" || got[1].SID != "HX00000000000000000000000000000001" {
		t.Fatalf("templates = %+v; want the two approved ones", got)
	}
	want := []console.TemplateVariable{{Key: "1", Sample: "lunes"}, {Key: "2", Sample: "9:00"}, {Key: "3"}, {Key: "10"}}
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
	bad := &console.ContentTemplates{User: "SKkey", Password: "wrong", BaseURL: srv.URL}
	if _, err := bad.List(context.Background()); err == nil {
		t.Error("a 401 gave no error")
	}
}
