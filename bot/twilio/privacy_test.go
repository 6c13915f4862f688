package twilio_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/twilio"
)

// The number and text the privacy test sends: distinctive, so that any of
// their pieces in an error stands out.
const (
	secretNumber = "+50299887766"
	secretBody   = "Prueba de VIH gratis el jueves"
)

// leaks reports the first piece of the number (any run of 4 of its digits)
// or of the text found in s.
func leaks(s string) (string, bool) {
	digits := strings.TrimPrefix(secretNumber, "+")
	for i := 0; i+4 <= len(digits); i++ {
		if strings.Contains(s, digits[i:i+4]) {
			return digits[i : i+4], true
		}
	}
	for _, w := range strings.Fields(secretBody) {
		if len(w) > 3 && strings.Contains(s, w) {
			return w, true
		}
	}
	return "", false
}

func checkNoLeak(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
		if piece, ok := leaks(s); ok {
			t.Errorf("%s: error %q holds %q from the number or text", what, s, piece)
		}
	}
}

// TestErrorsNeverHoldNumberOrText is privacy promise 1 for this package:
// whatever Twilio or the network answers, the error returned holds no
// piece of the recipient's number or of the message text.
func TestErrorsNeverHoldNumberOrText(t *testing.T) {
	codes := append(twilio.TableCodes(), 0, 12345, 21612, 30007, 99999)
	statuses := []int{400, 401, 403, 404, 429, 500, 502, 503, 504}
	addrs := []string{secretNumber, "whatsapp:" + secretNumber}

	// Privacy off, so that 30029 and 30030 come back as errors rather than
	// being retried; the retry is checked below.
	fake, c := setup(t, func(c *twilio.Config) { c.Privacy = false })
	assertFakeQuotesNumber(t, fake.URL, fake.AccountSID, fake.AuthToken, fake.FailNext)

	n := 1 // the request above
	for _, to := range addrs {
		for _, code := range codes {
			for _, status := range statuses {
				fake.FailNext(nil, status, code, 1)
				_, err := c.Send(t.Context(), twilio.Message{To: to, Body: secretBody})
				checkNoLeak(t, fmt.Sprintf("Send to %s, %d/%d", to[:3], status, code), err)
				n++
			}
		}
		// A template send failing too.
		fake.FailNext(nil, 400, 63016, 1)
		_, err := c.Send(t.Context(), twilio.Message{To: to, ContentSID: "HX0123456789abcdef0123456789abcdef",
			ContentVariables: map[string]string{"1": secretBody}})
		checkNoLeak(t, "template send", err)
	}
	if fake.Requests() != n+len(addrs) {
		t.Fatalf("fake saw %d requests, want %d", fake.Requests(), n+len(addrs))
	}

	// Privacy refused, then the plain send fails as well.
	private := newClient(t, fake, nil)
	fake.RejectPrivacy(true)
	fake.FailNext(func(f url.Values) bool { return !f.Has("ContentRetention") }, 400, 21211, 1)
	_, err := private.Send(t.Context(), twilio.Message{To: secretNumber, Body: secretBody})
	checkNoLeak(t, "privacy refused then 21211", err)

	// Lost answer: the request reached the fake, which never answers.
	fake.Hang(nil, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	_, err = c.Send(ctx, twilio.Message{To: secretNumber, Body: secretBody})
	cancel()
	checkNoLeak(t, "hung send", err)

	// Transport errors quote the URL, and a list URL holds the number.
	down := newClient(t, fake, func(c *twilio.Config) { c.APIBase = "http://" + closedAddr(t) })
	_, err = down.Send(t.Context(), twilio.Message{To: secretNumber, Body: secretBody})
	checkNoLeak(t, "send, connection refused", err)
	_, err = down.SentSince(t.Context(), "whatsapp:"+secretNumber, time.Now(), secretBody)
	checkNoLeak(t, "SentSince, connection refused", err)

	slow := newClient(t, fake, func(c *twilio.Config) { c.Timeout = 50 * time.Millisecond })
	fake.SetLatency(time.Second)
	_, err = slow.Send(t.Context(), twilio.Message{To: secretNumber, Body: secretBody})
	checkNoLeak(t, "send, timeout", err)
	fake.SetLatency(0)

	wrong := newClient(t, fake, func(c *twilio.Config) { c.AuthToken = "wrongtoken" })
	_, err = wrong.SentSince(t.Context(), secretNumber, time.Now(), secretBody)
	checkNoLeak(t, "SentSince, 401", err)
}

// assertFakeQuotesNumber proves the test above can fail: the fake's error
// message quotes the number, as Twilio's do.
func assertFakeQuotesNumber(t *testing.T, base, sid, token string, failNext func(func(url.Values) bool, int, int, int)) {
	t.Helper()
	failNext(nil, 400, 21211, 1)
	form := url.Values{"To": {secretNumber}, "From": {smsFrom}, "Body": {secretBody}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/2010-04-01/Accounts/"+sid+"/Messages.json", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sid, token)
	hc := &http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if _, ok := leaks(string(b)); !ok {
		t.Fatalf("the fake's error %s does not quote the number: the privacy test would prove nothing", b)
	}
}
