package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
)

// person is someone texting Senda, with everything Twilio sends about them.
type person struct {
	number, profile, waID string
	secret                string // a message only they would write
}

var people = []person{
	{number: "+50245678123", profile: "Rosalinda Quemé Xicay", waID: "50245678123", secret: "zanahoria secreta 7788"},
	{number: "+50231415926", profile: "Doña Petrona Cumes", waID: "50231415926", secret: "mi cuñada Ixchel sabe"},
}

// TestPrivacyNothingPersonalIsKept runs SMS and WhatsApp conversations
// (with profile names, WaIds, location fields, distinctive bodies, a
// retried message, bad requests and a Redis failure), then scans every key
// and value written in Redis and every line logged: no run of the numbers'
// digits, no profile name, no message text may appear.
func TestPrivacyNothingPersonalIsKept(t *testing.T) {
	t.Parallel()
	ts, down := newFlakyService(t, testConfig())
	for _, p := range people {
		for _, ch := range []string{"sms", "whatsapp"} {
			var s *sender
			if ch == "sms" {
				s = ts.sms(p.number)
			} else {
				s = ts.whatsapp(p.number)
				s.extra = url.Values{"ProfileName": {p.profile}, "WaId": {p.waID}}
			}
			s.extra = merge(s.extra, url.Values{"FromCity": {"PATZUN"}, "FromState": {"Chimaltenango"}, "FromCountry": {"GT"}, "FromZip": {"04009"}})
			for _, body := range []string{"HOLA", p.secret, "2", p.secret, p.secret, "4", "MAS", p.profile, "0", "ENGLISH", "SALUD"} {
				s.say(t, body)
			}
			// A retry of the last message, and a forged one.
			form := s.form(p.secret)
			ts.post(t, form)
			ts.post(t, form)
			forged := s.form(p.secret)
			req := httptest.NewRequest(http.MethodPost, httpapi.MessagesPath, strings.NewReader(forged.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", "forgedforgedforgedforged0000")
			ts.Handler().ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	// A Redis failure makes the service log errors: they must not name anyone.
	down.Store(true)
	for _, p := range people {
		s := ts.whatsapp(p.number)
		s.extra = url.Values{"ProfileName": {p.profile}, "WaId": {p.waID}}
		s.say(t, p.secret)
	}
	down.Store(false)
	if !strings.Contains(ts.logs.String(), "step conversation") {
		t.Fatal("the Redis failure was not logged; the log scan below would prove nothing about error paths")
	}

	// The daily figures are written once a second; write them now, so the
	// scan covers them.
	if err := ts.stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	dump := redistest.Dump(t, ts.rdb, ts.prefix)
	if len(dump) == 0 {
		t.Fatal("no keys written; the scan below would prove nothing")
	}
	if _, ok := dump[ts.keys.StatsDay(time.Now().In(ts.loc).Format(time.DateOnly))]; !ok {
		t.Fatal("no daily figures written; the scan below would prove nothing about them")
	}
	var stored strings.Builder
	for k, v := range dump {
		stored.WriteString(k + "\n" + v + "\n")
	}
	places := map[string]string{"Redis": stored.String(), "log": ts.logs.String()}
	for where, text := range places {
		for _, p := range people {
			digits := strings.TrimPrefix(p.number, "+")
			for i := 0; i+6 <= len(digits); i++ {
				if run := digits[i : i+6]; strings.Contains(text, run) {
					t.Errorf("%s holds the digit run %s of a sender's number", where, run)
				}
			}
			for _, word := range append(strings.Fields(p.profile), strings.Fields(p.secret)...) {
				if len([]rune(word)) >= 4 && containsWord(text, word) {
					t.Errorf("%s holds %q from a profile name or message", where, word)
				}
			}
		}
		for _, field := range []string{"PATZUN", "04009", "MessageSid", "SM0000"} {
			if strings.Contains(text, field) {
				t.Errorf("%s holds %q from the request", where, field)
			}
		}
	}
}

func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for _, v := range []url.Values{a, b} {
		for k, vs := range v {
			out[k] = vs
		}
	}
	return out
}

func containsWord(text, word string) bool {
	return regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(word) + `\b`).MatchString(text)
}

// TestPrivacySessionKeyIsKeyedHash checks what a session key is: 128 bits
// of a keyed hash, the same for a number however it is written, different
// under another hash key, so a stolen Redis dump cannot be matched against
// a list of numbers without the key.
func TestPrivacySessionKeyIsKeyedHash(t *testing.T) {
	t.Parallel()
	a, b := ident.NewHasher([]byte(testHashKey)), ident.NewHasher([]byte("another-key-another-key-another-key"))
	id := a.Sender(ident.ChannelOf("+50245678123"), "+50245678123")
	if a.Sender(ident.ChannelOf("+502 4567-8123"), "+502 4567-8123") != id {
		t.Error("the same number written with spaces and dashes got another id")
	}
	if b.Sender(ident.ChannelOf("+50245678123"), "+50245678123") == id {
		t.Error("another hash key gave the same id")
	}
	if a.Sender(ident.ChannelOf("whatsapp:+50245678123"), "whatsapp:+50245678123") == id {
		t.Error("SMS and WhatsApp conversations of one number share an id")
	}
	if len(id.String()) != 22 || strings.Contains(id.String(), "45678123") {
		t.Errorf("id %q is not 128 bits in base64url", id)
	}
	if a.Sender(ident.ChannelOf("whatsapp:US.13491208655302741918"), "whatsapp:US.13491208655302741918") ==
		a.Sender(ident.ChannelOf("whatsapp:US.13491208655302741919"), "whatsapp:US.13491208655302741919") {
		t.Error("two opaque WhatsApp user ids share an id")
	}
}
