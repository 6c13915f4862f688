package twilio

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/twilio/twilio-go/client"
)

// twilio-go's own vector, from client/request_validator_test.go.
const (
	vectorToken = "12345"
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorSig   = "vOEb5UThFn24KEfnOFLQY2AE5FY="
)

var vectorParams = map[string]string{
	"Digits":                "1234",
	"CallSid":               "CA1234567890ABCDE",
	"To":                    "+18005551212",
	"Caller":                "+14158675309",
	"From":                  "+14158675309",
	"ReasonConferenceEnded": "test",
	"Reason":                "Participant",
}

func vectorForm() url.Values {
	form := url.Values{}
	for k, v := range vectorParams {
		form.Set(k, v)
	}
	return form
}

func TestKnownVector(t *testing.T) {
	form := vectorForm()
	if got := Sign(vectorToken, vectorURL, form); got != vectorSig {
		t.Fatalf("Sign = %q, want %q", got, vectorSig)
	}
	body := []byte(form.Encode())
	tv := client.NewRequestValidator(vectorToken)
	if !tv.ValidateBody(vectorURL, body, vectorSig) {
		t.Fatal("twilio-go rejects its own vector")
	}
	v, err := NewValidator(vectorToken, "https://mycompany.com")
	if err != nil {
		t.Fatal(err)
	}
	params, err := ParseForm(body)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid("/myapp.php?foo=1&bar=2", params, vectorSig) {
		t.Fatal("Valid rejects twilio-go's vector")
	}
	// The same signature is valid with the default port configured.
	v443, err := NewValidator(vectorToken, "https://mycompany.com:443")
	if err != nil {
		t.Fatal(err)
	}
	if !v443.Valid("/myapp.php?foo=1&bar=2", params, vectorSig) {
		t.Fatal("Valid rejects twilio-go's vector with :443 configured")
	}
	for _, bad := range []string{"", "WRONG SIGNATURE", vectorSig[:27] + "A", vectorSig + "="} {
		if v.Valid("/myapp.php?foo=1&bar=2", params, bad) {
			t.Errorf("Valid accepts signature %q", bad)
		}
	}
	if v.Valid("/myapp.php?foo=1&bar=3", params, vectorSig) {
		t.Error("Valid accepts a changed query string")
	}
}

// twilioValid is the reference: twilio-go's validator on the full URL.
func twilioValid(token, publicURL, requestURI string, body []byte, sig string) bool {
	rv := client.NewRequestValidator(token)
	return rv.ValidateBody(publicURL+requestURI, body, sig)
}

// ourValid is the package under test, as the webhook handler uses it. The
// error is non-nil when ParseForm rejects the body.
func ourValid(token, publicURL, requestURI string, body []byte, sig string) (bool, error) {
	v, err := NewValidator(token, publicURL)
	if err != nil {
		return false, fmt.Errorf("New: %w", err)
	}
	params, err := ParseForm(body)
	if err != nil {
		return false, err
	}
	return v.Valid(requestURI, params, sig), nil
}

// hasBodySHA256 reports whether twilio-go would treat the request as a JSON
// webhook (bodySHA256 in the query), which this package does not handle.
func hasBodySHA256(fullURL string) bool {
	u, err := url.Parse(fullURL)
	return err == nil && u.Query().Get("bodySHA256") != ""
}

// checkAgreement fails t if the package and twilio-go answer differently,
// and returns twilio-go's answer.
func checkAgreement(t testing.TB, name, token, publicURL, uri string, body []byte, sig string) bool {
	t.Helper()
	want := twilioValid(token, publicURL, uri, body, sig)
	got, err := ourValid(token, publicURL, uri, body, sig)
	if err != nil {
		if strings.HasPrefix(err.Error(), "New:") {
			t.Fatalf("%s: %v", name, err)
		}
		if want {
			t.Errorf("%s: ParseForm(%.80q) = %v but twilio-go accepts\n  public=%q uri=%q sig=%q",
				name, body, err, publicURL, uri, sig)
		}
		return want
	}
	if got != want {
		t.Errorf("%s: Valid = %v, twilio-go = %v\n  public=%q uri=%q\n  body=%.80q sig=%q",
			name, got, want, publicURL, uri, body, sig)
	}
	return want
}

// signForm is the form a signer would sign for body: what url.ParseQuery
// makes of it, partial results included when the body is malformed.
func signForm(body string) url.Values {
	form, _ := url.ParseQuery(body)
	return form
}

// portVariants returns the other spellings of publicURL's authority Twilio
// might have signed: default port added or removed, other port removed.
func portVariants(publicURL string) []string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil
	}
	var out []string
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		out = append(out, strings.Replace(publicURL, u.Host, u.Host+":"+port, 1))
	} else {
		out = append(out, strings.Replace(publicURL, u.Host, u.Hostname(), 1))
	}
	return out
}

// otherPort gives publicURL a non-default port it does not have.
func otherPort(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return publicURL
	}
	port := "8443"
	if u.Port() == port {
		port = "9443"
	}
	return strings.Replace(publicURL, u.Host, u.Hostname()+":"+port, 1)
}

// otherScheme swaps http and https, keeping everything else.
func otherScheme(publicURL string) string {
	if s, ok := strings.CutPrefix(publicURL, "https://"); ok {
		return "http://" + s
	}
	return "https://" + strings.TrimPrefix(publicURL, "http://")
}

// Realistic inbound bodies, as Twilio posts them.
const (
	smsBody = "ToCountry=US&ToState=CA&SmsMessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&NumMedia=0" +
		"&ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0&FromState=GT" +
		"&SmsStatus=received&FromCity=GUATEMALA&Body=Hola%2C+%C2%BFd%C3%B3nde+est%C3%A1+la+cl%C3%ADnica%3F" +
		"&FromCountry=GT&To=%2B14155550100&ToZip=94105&NumSegments=1&MessageSid=SM1f0e2d3c4b5a69788796a5b4c3d2e1f0" +
		"&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B50212345678&ApiVersion=2010-04-01"
	waBody = "SmsMessageSid=SMa1b2c3d4e5f60718293a4b5c6d7e8f90&NumMedia=0&ProfileName=Mar%C3%ADa+Jos%C3%A9" +
		"&MessageType=text&SmsSid=SMa1b2c3d4e5f60718293a4b5c6d7e8f90&WaId=50212345678&SmsStatus=received" +
		"&Body=Necesito+informaci%C3%B3n+sobre+vacunas+%F0%9F%92%89+para+mi+beb%C3%A9&To=whatsapp%3A%2B14155238886" +
		"&NumSegments=1&ReferralNumMedia=0&MessageSid=SMa1b2c3d4e5f60718293a4b5c6d7e8f90" +
		"&AccountSid=AC0123456789abcdef0123456789abcdef&From=whatsapp%3A%2B50212345678&ApiVersion=2010-04-01" +
		"&ChannelMetadata=%7B%22type%22%3A%22whatsapp%22%2C%22data%22%3A%7B%22context%22%3A%7B%7D%7D%7D" +
		"&FromCity=Quetzaltenango&FromCountry=GT&FromState=&FromZip=&ToCity=&ToCountry=US"
	waMediaBody = "MediaContentType0=image%2Fjpeg&SmsMessageSid=MMabcdefabcdefabcdefabcdefabcdefab&NumMedia=1" +
		"&ProfileName=%F0%9F%8C%BB+Ana&MessageType=image&WaId=50287654321&Body=&To=whatsapp%3A%2B14155238886" +
		"&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC0123%2FMessages%2FMM1%2FMedia%2FME1" +
		"&MessageSid=MMabcdefabcdefabcdefabcdefabcdefab&AccountSid=AC0123456789abcdef0123456789abcdef" +
		"&From=whatsapp%3A%2B50287654321&ApiVersion=2010-04-01"
)

// corpusBodies are the request bodies every configuration is tried with.
var corpusBodies = []string{
	smsBody,
	waBody,
	waMediaBody,
	"",                                 // empty body
	"Body=hola",                        // one field
	"Body=a+b&From=%2B502",             // + and %2B
	"Body=a%20b&From=+502",             // %20 and a literal + (a space)
	"Body=%C3%A1%F0%9F%98%80&To=á😀",    // escaped and raw unicode
	"Body=&From=&To=x",                 // empty values
	"=x&Body=y",                        // empty key
	"Body=first&From=f&Body=second",    // repeated key: first wins
	"Body&From=f",                      // key without =
	"a=1&&b=2&",                        // empty pairs
	"Body=a;b&From=f",                  // semicolon: both reject
	"Body=x&From=f;",                   // trailing semicolon
	"Body=%zz&From=f",                  // bad escape
	"Body=ok&From=%2",                  // truncated escape
	"%zz=1",                            // bad escape in key
	"Body=ok&%E2%82%AC=%E2%82%AC&Zz=1", // escaped key
	"b=2&a=1&B=3&A=4&_=5&~=6&0=7",      // sort order is bytewise
	"ReasonConferenceEnded=test&Reason=Participant", // prefix keys
	"Body=%00%FF%C3",                    // invalid UTF-8 and NUL
	"Body=" + strings.Repeat("x", 2000), // large value
}

// corpusConfigs are public URL / request URI pairs.
var corpusConfigs = []struct{ public, uri string }{
	{"https://mycompany.com", "/myapp.php?foo=1&bar=2"},
	{"https://mycompany.com:443", "/myapp.php?foo=1&bar=2"},
	{"http://mycompany.com", "/twilio/messages"},
	{"http://mycompany.com:80", "/twilio/messages"},
	{"https://senda.example.org:8443", "/twilio/messages"},
	{"http://senda.example.org:8080", "/twilio/whatsapp?lang=es"},
	{"https://x.org/senda", "/twilio/messages"},
	{"https://x.org:443/senda", "/twilio/messages?a=1&a=2"},
	{"https://x.org", "/twilio/messages?q=%20a+b&empty=&flag"},
	{"https://x.org", "/"},
	{"https://x.org/senda", ""},
	{"https://x.org", "?only=query"},
	{"http://127.0.0.1:8080", "/twilio/messages"},
}

// mutation is one way to derive a (possibly invalid) signed request from a
// genuine one.
type mutation struct {
	name  string
	valid bool // twilio-go must accept it (Sign is right)
	// apply returns the token, signed URL and body to send, and the
	// signature; tok, signURL and body are the genuine ones.
	apply func(tok, public, uri, body string) (sigTok, signURL, sendBody string, sigMut func(string) string)
}

func identity(s string) string { return s }

var mutations = []mutation{
	{"valid", true, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, identity
	}},
	{"changed value", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, changeValue(body), identity
	}},
	{"added param", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body + "&Injected=1", identity
	}},
	{"removed param", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, removeParam(body), identity
	}},
	{"key case", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, changeKeyCase(body), identity
	}},
	{"wrong token", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok + "x", public + uri, body, identity
	}},
	{"other scheme", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, otherScheme(public) + uri, body, identity
	}},
	{"other port form", true, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, portVariants(public)[0] + uri, body, identity
	}},
	{"other port", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, otherPort(public) + uri, body, identity
	}},
	{"other uri", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri + "x", body, identity
	}},
	{"sig last char", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(s string) string {
			c := byte('A')
			if s[len(s)-2] == 'A' {
				c = 'B'
			}
			return s[:len(s)-2] + string(c) + s[len(s)-1:]
		}
	}},
	{"sig padding", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(s string) string { return s[:len(s)-1] + "A" }
	}},
	{"sig empty", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(string) string { return "" }
	}},
	{"sig short", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(s string) string { return s[:len(s)-1] }
	}},
	{"sig long", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(s string) string { return s + "=" }
	}},
	{"sig raw base64", false, func(tok, public, uri, body string) (string, string, string, func(string) string) {
		return tok, public + uri, body, func(s string) string { return strings.TrimRight(s, "=") }
	}},
}

// changeValue alters the first non-empty value in body.
func changeValue(body string) string {
	pairs := strings.Split(body, "&")
	for i, p := range pairs {
		if k, v, ok := strings.Cut(p, "="); ok && v != "" {
			pairs[i] = k + "=" + v + "X"
			return strings.Join(pairs, "&")
		}
	}
	return body + "=X"
}

// removeParam drops the last non-empty pair of body.
func removeParam(body string) string {
	pairs := strings.Split(body, "&")
	for i := len(pairs) - 1; i >= 0; i-- {
		if pairs[i] != "" {
			return strings.Join(slices.Delete(pairs, i, i+1), "&")
		}
	}
	return "Removed=1"
}

// changeKeyCase flips the case of the first letter of the first key.
func changeKeyCase(body string) string {
	for i := 0; i < len(body) && body[i] != '='; i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z':
			return body[:i] + string(c-'a'+'A') + body[i+1:]
		case 'A' <= c && c <= 'Z':
			return body[:i] + string(c-'A'+'a') + body[i+1:]
		}
	}
	return "k" + body
}

// sameForm reports whether two bodies parse to the same signed fields.
func sameForm(a, b string) bool {
	fa, errA := url.ParseQuery(a)
	fb, errB := url.ParseQuery(b)
	if errA != nil || errB != nil || len(fa) != len(fb) {
		return false
	}
	for k := range fa {
		if _, ok := fb[k]; !ok || fa.Get(k) != fb.Get(k) {
			return false
		}
	}
	return true
}

func TestAgreement(t *testing.T) {
	tokens := []string{"12345", "0123456789abcdef0123456789abcdef"}
	var n, accepted int
	for _, tok := range tokens {
		for _, cfg := range corpusConfigs {
			for bi, body := range corpusBodies {
				_, parseErr := url.ParseQuery(body)
				for _, m := range mutations {
					sigTok, signURL, send, sigMut := m.apply(tok, cfg.public, cfg.uri, body)
					sig := sigMut(Sign(sigTok, signURL, signForm(body)))
					name := fmt.Sprintf("%s %s body#%d %s", cfg.public, cfg.uri, bi, m.name)
					want := checkAgreement(t, name, tok, cfg.public, cfg.uri, []byte(send), sig)
					n++
					if want {
						accepted++
					}
					// Sign must make signatures twilio-go accepts.
					if m.valid && parseErr == nil && !want {
						t.Errorf("%s: twilio-go rejects a signature made by Sign over %q", name, signURL)
					}
					if !m.valid && want && parseErr == nil && (send == body || !sameForm(send, body)) {
						t.Errorf("%s: twilio-go accepts a tampered request", name)
					}
				}
			}
		}
	}
	t.Logf("%d cases, %d accepted", n, accepted)
	if n < 300 || accepted < 100 || n-accepted < 100 {
		t.Fatalf("weak corpus: %d cases, %d accepted", n, accepted)
	}
}

// TestAgreementURIs covers request URIs that net/http can deliver but that
// url.URL.String does not reproduce byte for byte, signed over every
// spelling twilio-go might check.
func TestAgreementURIs(t *testing.T) {
	const tok = "12345"
	publics := []string{"https://x.org", "https://x.org:443", "http://x.org", "https://x.org:8443", "https://x.org/senda",
		"http://[::1]:8080", "https://x.org:", "HTTPS://X.org", "https://user@x.org", "https://x.org/sen%20da"}
	uris := []string{
		"/a b", "/á", "/%C3%A1", "/%c3%a1", "/a%2Fb", "/a%2fb", "/a#frag", "/a?b#c", "/a?b c",
		"/a?á", "/%zz", "/a?%zz", "/a\x00", "/a?\x7f", "/a\\b", "/a\"b", "/{x}", "/a|b", "/a^b", "/a`b",
		"/[x]", "/!$&'()*+,;=:@", "/~-._", "/a?", "/a??", "/?", "//evil.com/x", "/a/../b", "/a#", "#x",
		"?q", "", "http://evil/x", ":8443/x", "x", "/a?bodySHA256=", "/a%", "/a%2", "/a?#",
	}
	body := []byte(waBody)
	form := signForm(waBody)
	var n, accepted int
	for _, public := range publics {
		for _, uri := range uris {
			full := public + uri
			if hasBodySHA256(full) {
				continue
			}
			signURLs := []string{full}
			for _, pv := range portVariants(public) {
				signURLs = append(signURLs, pv+uri)
			}
			if u, err := url.Parse(full); err == nil {
				signURLs = append(signURLs, u.String())
				if u.Port() == "" {
					port := ":80"
					if u.Scheme == "https" {
						port = ":443"
					}
					u.Host += port
				} else {
					u.Host = u.Hostname()
				}
				signURLs = append(signURLs, u.String())
			}
			for _, su := range signURLs {
				sig := Sign(tok, su, form)
				if checkAgreement(t, fmt.Sprintf("uri %q signed over %q", uri, su), tok, public, uri, body, sig) {
					accepted++
				}
				n++
			}
		}
	}
	t.Logf("%d cases, %d accepted", n, accepted)
}

// TestTooManyParams: url.ParseQuery, and so twilio-go, rejects bodies with
// more than 10000 &-separated pairs (empty ones included).
func TestTooManyParams(t *testing.T) {
	const tok, public, uri = "12345", "https://x.org", "/twilio"
	for _, n := range []int{9999, 10000, 10001} {
		body := strings.Repeat("a=1&", n-1) + "a=1"
		sig := Sign(tok, public+uri, signForm(body))
		checkAgreement(t, fmt.Sprintf("%d pairs", n), tok, public, uri, []byte(body), sig)
		body = "a=1" + strings.Repeat("&", n-1)
		sig = Sign(tok, public+uri, signForm(body))
		checkAgreement(t, fmt.Sprintf("%d pairs, mostly empty", n), tok, public, uri, []byte(body), sig)
	}
}

// Param is one field of a form, decoded, for comparing forms in tests.
type Param struct{ Key, Value string }

// decoded lists a form's fields in key order, each value as Get reads it.
func decoded(f Form) []Param {
	out := make([]Param, 0, len(f.fields))
	for _, p := range f.fields {
		out = append(out, Param{p.key, f.Get(p.key)})
	}
	return out
}

// checkDecoding fails t unless ParseForm reads body as url.ParseQuery
// does: the same keys, each with its first value, decoded the same, both
// by Get and into the signed string, and the same bodies rejected.
func checkDecoding(t *testing.T, body string) {
	t.Helper()
	want, werr := url.ParseQuery(body)
	form, err := ParseForm([]byte(body))
	if (err != nil) != (werr != nil) {
		t.Fatalf("ParseForm(%.80q) error %v, url.ParseQuery error %v", body, err, werr)
	}
	if err != nil {
		return
	}
	if len(form.fields) != len(want) {
		t.Fatalf("ParseForm(%.80q) has %d keys, url.ParseQuery %d", body, len(form.fields), len(want))
	}
	var signed []byte
	for _, p := range form.fields {
		w, ok := want[p.key]
		if !ok || form.Get(p.key) != w[0] {
			t.Fatalf("ParseForm(%.80q): %q = %q, url.ParseQuery %q", body, p.key, form.Get(p.key), w)
		}
		signed = append(append(signed, p.key...), w[0]...)
	}
	if got := appendSigned(nil, "", "", form); string(got) != string(signed) {
		t.Fatalf("ParseForm(%.80q) signs %q, want %q", body, got, signed)
	}
}

func TestDecodingLikeURLParseQuery(t *testing.T) {
	for _, body := range append(corpusBodies, "a=%41%2b%2B+%7e&b=%e2%82%ac&%41=x&c=%", "a=%4", "a=%4g", "a=%%41", "a=+++&b=%20%20") {
		checkDecoding(t, body)
	}
}

func TestParseForm(t *testing.T) {
	tests := []struct {
		body    string
		want    []Param
		wantErr bool
	}{
		{"", []Param{}, false},
		{"&&", []Param{}, false},
		{"b=2&a=1&c=3", []Param{{"a", "1"}, {"b", "2"}, {"c", "3"}}, false},
		{"b=1&B=2&a=3&_=4&0=5", []Param{{"0", "5"}, {"B", "2"}, {"_", "4"}, {"a", "3"}, {"b", "1"}}, false},
		{"a=first&b=x&a=second&a=third", []Param{{"a", "first"}, {"b", "x"}}, false},
		{"a=&a=2", []Param{{"a", ""}}, false},
		{"a=x+y&b=x%20y&c=x%2By&d=%2b", []Param{{"a", "x y"}, {"b", "x y"}, {"c", "x+y"}, {"d", "+"}}, false},
		{"Body=%C3%A1%F0%9F%98%80&Raw=á😀", []Param{{"Body", "á😀"}, {"Raw", "á😀"}}, false},
		{"=x&k", []Param{{"", "x"}, {"k", ""}}, false},
		{"a=b=c", []Param{{"a", "b=c"}}, false},
		{"%41%42=%43", []Param{{"AB", "C"}}, false},
		{"From=whatsapp%3A%2B50212345678", []Param{{"From", "whatsapp:+50212345678"}}, false},
		{"a=1;b=2", nil, true},
		{";", nil, true},
		{"a=%zz", nil, true},
		{"%zz=a", nil, true},
		{"a=%2", nil, true},
		{"a=%", nil, true},
		{"a=1&b=%g0", nil, true},
		{strings.Repeat("&", 10000), nil, true},
	}
	for _, tt := range tests {
		form, err := ParseForm([]byte(tt.body))
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseForm(%.40q) = %v, want error", tt.body, decoded(form))
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseForm(%.40q): %v", tt.body, err)
			continue
		}
		if got := decoded(form); !slices.Equal(got, tt.want) {
			t.Errorf("ParseForm(%.40q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	params, err := ParseForm([]byte(waBody + "&Body=second&=emptykey"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want string }{
		{"From", "whatsapp:+50212345678"},
		{"To", "whatsapp:+14155238886"},
		{"ProfileName", "María José"},
		{"WaId", "50212345678"},
		{"Body", "Necesito información sobre vacunas 💉 para mi bebé"},
		{"MessageSid", "SMa1b2c3d4e5f60718293a4b5c6d7e8f90"},
		{"NumMedia", "0"},
		{"FromCity", "Quetzaltenango"},
		{"FromState", ""},
		{"", "emptykey"},
		{"from", ""},
		{"Missing", ""},
		{"AAA", ""},
		{"zzz", ""},
	}
	for _, tt := range tests {
		if got := params.Get(tt.key); got != tt.want {
			t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if got := (Form{}).Get("From"); got != "" {
		t.Errorf("Form{}.Get = %q", got)
	}
}

func TestNewRejects(t *testing.T) {
	for _, tt := range []struct{ token, public string }{
		{"", "https://x.org"},
		{"t", ""},
		{"t", "x.org"},
		{"t", "/twilio"},
		{"t", "ftp://x.org"},
		{"t", "https://"},
		{"t", "https://x.org:port"},
	} {
		if _, err := NewValidator(tt.token, tt.public); err == nil {
			t.Errorf("NewValidator(%q, %q) succeeded", tt.token, tt.public)
		}
	}
}

// TestTrailingSlash: a public URL ending in / is the same base as without.
func TestTrailingSlash(t *testing.T) {
	params, _ := ParseForm([]byte("Body=hola"))
	sig := Sign("t", "https://x.org/twilio", url.Values{"Body": {"hola"}})
	for _, public := range []string{"https://x.org", "https://x.org/"} {
		v, err := NewValidator("t", public)
		if err != nil {
			t.Fatal(err)
		}
		if !v.Valid("/twilio", params, sig) {
			t.Errorf("public %q: rejected", public)
		}
	}
}

// fuzzPublics are the configurations FuzzAgreement picks from.
var fuzzPublics = []string{
	"https://x.org",
	"https://x.org:443",
	"http://x.org",
	"http://x.org:80",
	"https://x.org:8443",
	"https://x.org/senda",
	"http://[::1]:8080",
	"https://[fe80::1%25en0]",
	"https://x.org:",
	"HTTPS://X.org",
	"https://user@x.org",
	"https://x.org/sen%20da",
	"https://x.org/a b",
	"http://localhost:8080/senda",
}

// FuzzAgreement: mode picks the public URL (bits 0-2 and 7), which spelling
// of the URL to sign (bits 3-4), whether to corrupt the signature (bit 5)
// and the token (bit 6).
func FuzzAgreement(f *testing.F) {
	for _, body := range corpusBodies {
		f.Add(body, "/twilio/messages", byte(0))
	}
	for i, cfg := range corpusConfigs {
		f.Add(waBody, cfg.uri, byte(i))
	}
	for i := range 256 {
		f.Add(smsBody, "/twilio/messages?x=1", byte(i))
	}
	for _, uri := range []string{"/a b", "/á", "/a#f", "/%zz", "/a\\b", "?q", "", "/[x]", "//h/x", "/a?b c"} {
		for _, m := range []byte{0, 8, 16, 24} {
			f.Add("Body=hola", uri, m)
		}
	}
	f.Fuzz(func(t *testing.T, body, uri string, mode byte) {
		public := fuzzPublics[(int(mode&7)+8*int(mode>>7))%len(fuzzPublics)]
		tok := "12345"
		if mode&64 != 0 {
			tok = "AC-secret"
		}
		full := public + uri
		if hasBodySHA256(full) {
			t.Skip("bodySHA256: JSON webhooks are out of scope")
		}
		signURL := full
		switch (mode >> 3) & 3 {
		case 1:
			signURL = portVariants(public)[0] + uri
		case 2, 3:
			if u, err := url.Parse(full); err == nil {
				if mode&16 != 0 {
					if u.Port() == "" {
						u.Host += ":443"
					} else {
						u.Host, _, _ = strings.Cut(u.Host, ":")
					}
				}
				signURL = u.String()
			}
		}
		sig := Sign("12345", signURL, signForm(body))
		if mode&32 != 0 {
			sig = sig[:len(sig)-2] + "x" + sig[len(sig)-1:]
		}
		checkAgreement(t, "fuzz", tok, public, uri, []byte(body), sig)
		checkDecoding(t, body)
		// The fast path's premise: a plain URI after a plain base is what
		// url.Parse and url.URL.String make of it, host included.
		if base := strings.TrimSuffix(public, "/"); plainBase(base) && plainURI(uri) {
			u, err := url.Parse(base + uri)
			b, _ := url.Parse(base)
			if err != nil || u.String() != base+uri || u.Host != b.Host {
				t.Errorf("plain %q + %q: url.Parse = %v, %v", base, uri, u, err)
			}
		}
	})
}

// benchBody is a realistic WhatsApp inbound webhook of about 20 fields.
const benchBody = waBody

const (
	benchToken  = "0123456789abcdef0123456789abcdef"
	benchPublic = "https://senda.example.org"
	benchURI    = "/twilio/whatsapp"
)

func BenchmarkValidate(b *testing.B) {
	sig := Sign(benchToken, benchPublic+benchURI, signForm(benchBody))
	body := []byte(benchBody)
	v, err := NewValidator(benchToken, benchPublic)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		params, err := ParseForm(body)
		if err != nil || !v.Valid(benchURI, params, sig) {
			b.Fatal("rejected")
		}
	}
}

// BenchmarkWebhookForm is what the webhook does with a body: parse it,
// check its signature and read the five fields Senda uses (From, To, Body,
// MessageSid, NumMedia) out of about twenty.
func BenchmarkWebhookForm(b *testing.B) {
	sig := Sign(benchToken, benchPublic+benchURI, signForm(benchBody))
	body := []byte(benchBody)
	v, err := NewValidator(benchToken, benchPublic)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		form, err := ParseForm(body)
		if err != nil || !v.Valid(benchURI, form, sig) {
			b.Fatal("rejected")
		}
		for _, k := range []string{"From", "To", "Body", "MessageSid", "NumMedia"} {
			if form.Get(k) == "" {
				b.Fatal("missing ", k)
			}
		}
	}
}

func BenchmarkTwilioGo(b *testing.B) {
	sig := Sign(benchToken, benchPublic+benchURI, signForm(benchBody))
	body := []byte(benchBody)
	rv := client.NewRequestValidator(benchToken)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !rv.ValidateBody(benchPublic+benchURI, body, sig) {
			b.Fatal("rejected")
		}
	}
}

func TestPlain(t *testing.T) {
	for _, tt := range []struct {
		uri  string
		want bool
	}{
		{"", true}, {"/", true}, {"/twilio/messages", true}, {"?q=1", true},
		{"/a%2Fb?x=%zz y&á", true}, {"/!$&'()*+,;=:@[]~-._", true}, {"//h/x", true},
		{"/a b", false}, {"/á", false}, {"/a#f", false}, {"/a?b#c", false}, {"/%zz", false},
		{"/a%2", false}, {"/a\\b", false}, {"/a?\x7f", false}, {"x", false}, {"http://h/x", false},
	} {
		if got := plainURI(tt.uri); got != tt.want {
			t.Errorf("plainURI(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
	for _, tt := range []struct {
		base string
		want bool
	}{
		{"https://x.org", true}, {"https://x.org:443", true}, {"http://x.org:8080/senda", true},
		{"https://x.org:", true}, {"https://x.org/a%2Fb", true},
		{"HTTPS://x.org", false}, {"https://user@x.org", false}, {"https://[::1]:8443", false},
		{"https://x.org/a b", false}, {"https://x.org?q", false}, {"https://x.org#f", false},
		{"https://:8443", false}, {"https://%C3%A1.org", false},
	} {
		if got := plainBase(tt.base); got != tt.want {
			t.Errorf("plainBase(%q) = %v, want %v", tt.base, got, tt.want)
		}
	}
}

// TestRotatingValidator signs one request with the current token, the
// previous one and a third: Match names the first two and refuses the third,
// on the plain fast path and on twilio-go's slow path alike.
func TestRotatingValidator(t *testing.T) {
	t.Parallel()
	const public = "https://senda.example.org"
	v, err := NewRotatingValidator("currenttoken", "previoustoken", public)
	if err != nil {
		t.Fatal(err)
	}
	only, err := NewValidator("currenttoken", public)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"From": {"+50212345678"}, "Body": {"hola"}, "MessageSid": {"SM1"}}
	params, err := ParseForm([]byte(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"/twilio/messages", "/twilio/status?b=a b"} {
		for _, c := range []struct {
			token      string
			want, only Token
		}{
			{"currenttoken", TokenCurrent, TokenCurrent},
			{"previoustoken", TokenPrevious, TokenNone},
			{"othertoken", TokenNone, TokenNone},
		} {
			sig := Sign(c.token, public+uri, form)
			if got := v.Match(uri, params, sig); got != c.want {
				t.Errorf("%s signed by %s: Match = %s, want %s", uri, c.token, got, c.want)
			}
			if got := only.Match(uri, params, sig); got != c.only {
				t.Errorf("%s signed by %s without a previous token: Match = %s, want %s", uri, c.token, got, c.only)
			}
		}
	}
	if _, err := NewRotatingValidator("same", "same", public); err == nil {
		t.Error("a previous token equal to the current one is accepted")
	}
}
