package twilio_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
)

func TestSendParams(t *testing.T) {
	privacy := url.Values{"ContentRetention": {"discard"}, "AddressRetention": {"obfuscate"}}
	with := func(v url.Values, extra url.Values) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for k, vs := range extra {
			out[k] = vs
		}
		return out
	}
	tests := []struct {
		name string
		edit func(*twilio.Config)
		msg  twilio.Message
		want url.Values
	}{
		{
			name: "SMS from the SMS number",
			msg:  twilio.Message{To: "+50212345678", Body: "Hola"},
			want: with(privacy, url.Values{"To": {"+50212345678"}, "From": {smsFrom}, "Body": {"Hola"}}),
		},
		{
			name: "WhatsApp from the WhatsApp sender",
			msg:  twilio.Message{To: "whatsapp:+50212345678", Body: "Hola ¿qué tal?"},
			want: with(privacy, url.Values{"To": {"whatsapp:+50212345678"}, "From": {waFrom}, "Body": {"Hola ¿qué tal?"}}),
		},
		{
			name: "messaging service instead of From, SMS",
			edit: func(c *twilio.Config) { c.MessagingServiceSID = mgSID },
			msg:  twilio.Message{To: "+50212345678", Body: "Hola"},
			want: with(privacy, url.Values{"To": {"+50212345678"}, "MessagingServiceSid": {mgSID}, "Body": {"Hola"}}),
		},
		{
			name: "messaging service instead of From, WhatsApp",
			edit: func(c *twilio.Config) { c.MessagingServiceSID = mgSID },
			msg:  twilio.Message{To: "whatsapp:+50212345678", Body: "Hola"},
			want: with(privacy, url.Values{"To": {"whatsapp:+50212345678"}, "MessagingServiceSid": {mgSID}, "Body": {"Hola"}}),
		},
		{
			name: "template with variables as JSON, no body",
			msg: twilio.Message{
				To: "whatsapp:+50212345678", ContentSID: "HX0123456789abcdef0123456789abcdef",
				ContentVariables: map[string]string{"2": "martes", "1": "Clínica \"Sol\" & <más>"},
			},
			want: with(privacy, url.Values{
				"To": {"whatsapp:+50212345678"}, "From": {waFrom},
				"ContentSid":       {"HX0123456789abcdef0123456789abcdef"},
				"ContentVariables": {`{"1":"Clínica \"Sol\" \u0026 \u003cmás\u003e","2":"martes"}`},
			}),
		},
		{
			name: "template without variables",
			msg:  twilio.Message{To: "whatsapp:+50212345678", ContentSID: "HX0123456789abcdef0123456789abcdef"},
			want: with(privacy, url.Values{"To": {"whatsapp:+50212345678"}, "From": {waFrom}, "ContentSid": {"HX0123456789abcdef0123456789abcdef"}}),
		},
		{
			name: "status callback",
			msg:  twilio.Message{To: "+50212345678", Body: "Hola", StatusCallback: "https://senda.example.org/twilio/status?b=42"},
			want: with(privacy, url.Values{
				"To": {"+50212345678"}, "From": {smsFrom}, "Body": {"Hola"},
				"StatusCallback": {"https://senda.example.org/twilio/status?b=42"},
			}),
		},
		{
			name: "privacy off sends no retention parameters",
			edit: func(c *twilio.Config) { c.Privacy = false },
			msg:  twilio.Message{To: "+50212345678", Body: "Hola"},
			want: url.Values{"To": {"+50212345678"}, "From": {smsFrom}, "Body": {"Hola"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, tt.edit)
			res, err := c.Send(t.Context(), tt.msg)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := fake.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake got %d messages, want 1", len(msgs))
			}
			if got := msgs[0].Form; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("form:\n got %v\nwant %v", got, tt.want)
			}
			if res.SID != msgs[0].SID || res.Status != "queued" {
				t.Errorf("result = %+v, want SID %s status queued", res, msgs[0].SID)
			}
			if !strings.HasPrefix(res.SID, "SM") || len(res.SID) != 34 {
				t.Errorf("SID %q is not SM + 32 hex", res.SID)
			}
		})
	}
}

func TestSendAuth(t *testing.T) {
	t.Run("auth token", func(t *testing.T) {
		fake, c := setup(t, nil)
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		if got := fake.Messages()[0].User; got != fake.AccountSID {
			t.Errorf("basic auth user = %q, want the account SID", got)
		}
	})
	t.Run("API key pair is preferred and the account stays in the path", func(t *testing.T) {
		const key, secret = "SK00000000000000000000000000000abc", "keysecret123"
		fake, c := setup(t, func(c *twilio.Config) {
			c.APIKey, c.APISecret = key, secret
			c.AuthToken = "wrongtoken" // must not be used
		})
		fake.AllowAPIKey(key, secret)
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
			t.Fatal(err) // the fake answers 404 when the path names another account
		}
		if got := fake.Messages()[0].User; got != key {
			t.Errorf("basic auth user = %q, want the API key", got)
		}
	})
	t.Run("wrong token is a config error", func(t *testing.T) {
		fake, c := setup(t, func(c *twilio.Config) { c.AuthToken = "wrongtoken" })
		_, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"})
		te := asError(t, err)
		if te.Code != 20003 || te.HTTPStatus != 401 || te.Kind != twilio.KindConfig {
			t.Errorf("err = %+v, want 20003/401/config", te)
		}
		if len(fake.Messages()) != 0 {
			t.Error("fake stored a message without valid auth")
		}
	})
	t.Run("another account in the path is a config error", func(t *testing.T) {
		const key, secret = "SK00000000000000000000000000000abc", "keysecret123"
		fake, c := setup(t, func(c *twilio.Config) {
			c.APIKey, c.APISecret = key, secret
			c.AccountSID = "AC11111111111111111111111111111111"
		})
		fake.AllowAPIKey(key, secret)
		_, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"})
		te := asError(t, err)
		if te.Code != 20404 || te.HTTPStatus != 404 || te.Kind != twilio.KindConfig {
			t.Errorf("err = %+v, want 20404/404/config", te)
		}
	})
}

// TestNewIgnoresEnvironment proves twilio-go's environment fallbacks are off:
// credentials, account and host all come from the Config.
func TestNewIgnoresEnvironment(t *testing.T) {
	t.Setenv("TWILIO_ACCOUNT_SID", "AC99999999999999999999999999999999")
	t.Setenv("TWILIO_AUTH_TOKEN", "envtoken")
	t.Setenv("TWILIO_API_KEY", "SK99999999999999999999999999999999")
	t.Setenv("TWILIO_API_SECRET", "envsecret")
	// twilio-go reads these even when given a client and would send to
	// api.sydney.au1.twilio.com, which the mock rewrite refuses.
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_REGION", "au1")
	fake, c := setup(t, nil)
	if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := fake.Messages()
	if len(m) != 1 || m[0].User != fake.AccountSID {
		t.Fatalf("messages = %+v, want one sent with the configured account", m)
	}
	ok, err := c.SentSince(t.Context(), "+50212345678", m[0].At.Add(-time.Second), "x")
	if err != nil || !ok {
		t.Errorf("SentSince = %v, %v; want true (list under the configured account)", ok, err)
	}
}

func TestSendKinds(t *testing.T) {
	tests := []struct {
		status, code int
		want         twilio.Kind
	}{
		{429, 0, twilio.KindRetry},
		{429, 20429, twilio.KindRetry},
		{429, 63018, twilio.KindRetry},
		{400, 63018, twilio.KindRetry},
		{500, 0, twilio.KindRetry},
		{500, 20500, twilio.KindRetry},
		{503, 20503, twilio.KindRetry},
		{502, 0, twilio.KindUnknown},
		{504, 0, twilio.KindUnknown},
		{400, 21610, twilio.KindOptedOut},
		{400, 63014, twilio.KindBlocked},
		{400, 21211, twilio.KindInvalidAddress},
		{400, 21614, twilio.KindInvalidAddress},
		{400, 63003, twilio.KindInvalidAddress},
		{400, 63049, twilio.KindMarketingDeclined},
		{400, 63016, twilio.KindOutsideWindow},
		{401, 20003, twilio.KindConfig},
		{400, 21606, twilio.KindConfig},
		{400, 21659, twilio.KindConfig},
		{400, 63007, twilio.KindConfig},
		{400, 21704, twilio.KindConfig},
		{400, 21705, twilio.KindConfig},
		{400, 21408, twilio.KindConfig},
		{400, 21617, twilio.KindOther},
		{400, 12345, twilio.KindOther},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d_%d", tt.status, tt.code), func(t *testing.T) {
			fake, c := setup(t, nil)
			fake.FailNext(nil, tt.status, tt.code, 1)
			_, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"})
			te := asError(t, err)
			if te.Code != tt.code || te.HTTPStatus != tt.status || te.Kind != tt.want {
				t.Errorf("err = %+v, want code %d, HTTP %d, kind %s", te, tt.code, tt.status, tt.want)
			}
			if tt.code != 0 && te.Desc != twilio.Describe(tt.code) {
				t.Errorf("Desc = %q, want Describe's %q", te.Desc, twilio.Describe(tt.code))
			}
			if fake.Requests() != 1 || len(fake.Messages()) != 0 {
				t.Errorf("requests = %d, messages = %d; want 1 and 0 (no retry inside Send)", fake.Requests(), len(fake.Messages()))
			}
		})
	}
}

func TestFailNextMatchesAndCounts(t *testing.T) {
	fake, c := setup(t, nil)
	toA := func(f url.Values) bool { return f.Get("To") == "+50211111111" }
	fake.FailNext(toA, 429, 20429, 2)
	send := func(to string) error {
		_, err := c.Send(t.Context(), twilio.Message{To: to, Body: "x"})
		return err
	}
	if err := send("+50222222222"); err != nil {
		t.Fatalf("other number: %v", err)
	}
	for i := range 2 {
		if err := send("+50211111111"); err == nil {
			t.Fatalf("matching send %d succeeded, want 429", i)
		}
	}
	if err := send("+50211111111"); err != nil {
		t.Fatalf("third matching send: %v (script should be used up)", err)
	}
	if fake.Requests() != 4 || len(fake.Messages()) != 2 {
		t.Errorf("requests = %d, messages = %d; want 4 and 2", fake.Requests(), len(fake.Messages()))
	}
}

func TestPrivacyFallbackIsRemembered(t *testing.T) {
	fake, c := setup(t, nil)
	fake.RejectPrivacy(true)
	for i := range 3 {
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: fmt.Sprint("m", i)}); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if got := fake.Requests(); got != 4 {
		t.Errorf("requests = %d, want 4: one refused, then three without privacy parameters", got)
	}
	for _, m := range fake.Messages() {
		if m.Form.Has("ContentRetention") || m.Form.Has("AddressRetention") {
			t.Errorf("message %s was sent with retention parameters: %v", m.SID, m.Form)
		}
	}
	if !c.RedactionUnavailable() {
		t.Error("RedactionUnavailable = false after Twilio refused the privacy parameters")
	}
}

func TestPrivacyAcceptedKeepsAsking(t *testing.T) {
	fake, c := setup(t, nil)
	for range 2 {
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range fake.Messages() {
		if m.Form.Get("ContentRetention") != "discard" || m.Form.Get("AddressRetention") != "obfuscate" {
			t.Errorf("form %v lacks the retention parameters", m.Form)
		}
	}
	if c.RedactionUnavailable() {
		t.Error("RedactionUnavailable = true without a refusal")
	}
}

func TestSendLocalErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*twilio.Config)
		msg  twilio.Message
		want twilio.Kind
	}{
		{"no recipient", nil, twilio.Message{Body: "x"}, twilio.KindOther},
		{"no content", nil, twilio.Message{To: "+50212345678"}, twilio.KindOther},
		{"body and template", nil, twilio.Message{To: "+50212345678", Body: "x", ContentSID: "HX1"}, twilio.KindOther},
		{"no WhatsApp sender", func(c *twilio.Config) { c.WhatsAppFrom = "" }, twilio.Message{To: "whatsapp:+50212345678", Body: "x"}, twilio.KindConfig},
		{"no SMS sender", func(c *twilio.Config) { c.SMSFrom = "" }, twilio.Message{To: "+50212345678", Body: "x"}, twilio.KindConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c := setup(t, tt.edit)
			_, err := c.Send(t.Context(), tt.msg)
			if te := asError(t, err); te.Kind != tt.want || te.Code != 0 || te.HTTPStatus != 0 {
				t.Errorf("err = %+v, want kind %s without code or status", te, tt.want)
			}
			if fake.Requests() != 0 {
				t.Errorf("requests = %d, want 0", fake.Requests())
			}
		})
	}
}

func TestConnectionRefusedIsRetry(t *testing.T) {
	addr := closedAddr(t)
	_, c := setup(t, func(c *twilio.Config) { c.APIBase = "http://" + addr })
	_, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"})
	if te := asError(t, err); te.Kind != twilio.KindRetry || te.HTTPStatus != 0 {
		t.Errorf("err = %+v, want KindRetry with no status: nothing reached Twilio", te)
	}
}

func TestCanceledBeforeSendIsRetry(t *testing.T) {
	fake, c := setup(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.Send(ctx, twilio.Message{To: "+50212345678", Body: "x"})
	if te := asError(t, err); te.Kind != twilio.KindRetry {
		t.Errorf("err = %+v, want KindRetry", te)
	}
	if fake.Requests() != 0 {
		t.Errorf("requests = %d, want 0", fake.Requests())
	}
}

func TestTimeoutWaitingIsUnknownWithoutCallerDeadline(t *testing.T) {
	// The per-request timeout alone, with no deadline from the caller.
	fake, c := setup(t, func(c *twilio.Config) { c.Timeout = 200 * time.Millisecond })
	fake.SetLatency(2 * time.Second)
	start := time.Now()
	_, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"})
	if te := asError(t, err); te.Kind != twilio.KindUnknown {
		t.Errorf("err = %+v, want KindUnknown", te)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send took %v, want about the 200ms timeout", d)
	}
}

// TestHangThenReconcile is the lost answer: Twilio created the message, the
// client timed out, and SentSince finds it before anything is sent again.
func TestHangThenReconcile(t *testing.T) {
	for _, to := range []string{"+50212345678", "whatsapp:+50212345678"} {
		t.Run(to, func(t *testing.T) {
			fake, c := setup(t, nil)
			fake.Hang(nil, 1)
			since := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			_, err := c.Send(ctx, twilio.Message{To: to, Body: "Clínica abierta el martes"})
			cancel()
			te := asError(t, err)
			if te.Kind != twilio.KindUnknown || te.HTTPStatus != 0 || te.Code != 0 {
				t.Fatalf("err = %+v, want KindUnknown without status", te)
			}
			msgs := fake.Messages()
			if len(msgs) != 1 {
				t.Fatalf("fake stored %d messages, want 1", len(msgs))
			}
			at := msgs[0].At
			tests := []struct {
				name  string
				to    string
				since time.Time
				body  string
				want  bool
			}{
				{"same body", to, since, "Clínica abierta el martes", true},
				{"any body", to, since, "", true},
				{"since a minute earlier", to, since.Add(-time.Minute), "Clínica abierta el martes", true},
				{"another number", strings.Replace(to, "+50212345678", "+50287654321", 1), since, "", false},
				{"since after it", to, at.Add(2 * time.Second), "", false},
				{"a different body", to, since, "Clínica cerrada", false},
			}
			for _, tt := range tests {
				got, err := c.SentSince(t.Context(), tt.to, tt.since, tt.body)
				if err != nil || got != tt.want {
					t.Errorf("%s: SentSince = %v, %v; want %v", tt.name, got, err, tt.want)
				}
			}
		})
	}
}

func TestSentSinceSenderFilters(t *testing.T) {
	t.Run("messaging service", func(t *testing.T) {
		fake, c := setup(t, func(c *twilio.Config) { c.MessagingServiceSID = mgSID })
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		since := fake.Messages()[0].At.Add(-time.Second)
		if ok, err := c.SentSince(t.Context(), "+50212345678", since, "x"); err != nil || !ok {
			t.Errorf("SentSince = %v, %v; want true", ok, err)
		}
		// The same account seen through another messaging service.
		other := newClient(t, fake, func(c *twilio.Config) { c.MessagingServiceSID = "MG00000000000000000000000000000002" })
		if ok, err := other.SentSince(t.Context(), "+50212345678", since, "x"); err != nil || ok {
			t.Errorf("other service: SentSince = %v, %v; want false", ok, err)
		}
	})
	t.Run("From number", func(t *testing.T) {
		fake, c := setup(t, nil)
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: "x"}); err != nil {
			t.Fatal(err)
		}
		since := fake.Messages()[0].At.Add(-time.Second)
		other := newClient(t, fake, func(c *twilio.Config) { c.SMSFrom = "+15005550001" })
		if ok, err := other.SentSince(t.Context(), "+50212345678", since, "x"); err != nil || ok {
			t.Errorf("other sender: SentSince = %v, %v; want false", ok, err)
		}
	})
}

func TestSentSincePagesAtMostThree(t *testing.T) {
	_, c := setup(t, func(c *twilio.Config) { c.Privacy = false })
	since := time.Now().Add(-time.Second)
	send := func(body string) {
		t.Helper()
		if _, err := c.Send(t.Context(), twilio.Message{To: "+50212345678", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	send("first")
	for i := range 149 {
		send(fmt.Sprint("later ", i))
	}
	// Newest first, 50 a page: the first message is the last on page 3.
	if ok, err := c.SentSince(t.Context(), "+50212345678", since, "first"); err != nil || !ok {
		t.Errorf("150 messages: SentSince = %v, %v; want true from page 3", ok, err)
	}
	send("one more")
	if ok, err := c.SentSince(t.Context(), "+50212345678", since, "first"); err != nil || ok {
		t.Errorf("151 messages: SentSince = %v, %v; want false, beyond three pages", ok, err)
	}
}

func TestSentSinceErrors(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		_, c := setup(t, func(c *twilio.Config) { c.APIBase = "http://" + closedAddr(t) })
		_, err := c.SentSince(t.Context(), "+50212345678", time.Now(), "")
		if te := asError(t, err); te.Kind != twilio.KindRetry {
			t.Errorf("err = %+v, want KindRetry", te)
		}
	})
	t.Run("bad auth", func(t *testing.T) {
		_, c := setup(t, func(c *twilio.Config) { c.AuthToken = "wrongtoken" })
		_, err := c.SentSince(t.Context(), "+50212345678", time.Now(), "")
		if te := asError(t, err); te.Kind != twilio.KindConfig || te.Code != 20003 {
			t.Errorf("err = %+v, want 20003 config", te)
		}
	})
}

func TestConcurrentSends(t *testing.T) {
	fake, c := setup(t, nil)
	fake.FailNext(nil, 429, 20429, 10)
	const n = 64 // enough to race; more only times out on a loaded machine
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := c.Send(t.Context(), twilio.Message{To: fmt.Sprintf("+502%08d", i), Body: "x"})
			errs <- err
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			if te := asError(t, err); te.Kind != twilio.KindRetry {
				t.Errorf("err = %+v, want KindRetry", te)
			}
			failed++
		}
	}
	if failed != 10 || len(fake.Messages()) != n-10 || fake.Requests() != n {
		t.Errorf("failed = %d, stored = %d, requests = %d; want 10, %d, %d", failed, len(fake.Messages()), fake.Requests(), n-10, n)
	}
}
