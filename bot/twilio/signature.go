package twilio

// This file checks Twilio's X-Twilio-Signature on form-encoded webhooks
// against a configured public URL, in one pass over the body.
//
// The validator accepts exactly what twilio-go's client.RequestValidator accepts (a test
// holds the two to the same answers on a corpus of valid and tampered
// requests) but parses the form once, builds no URL strings, and reuses its
// HMAC state: twilio-go parses the URL four times and always computes two
// HMACs, which made signature checking the largest cost of a webhook.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Header is the request header Twilio puts the signature in.
const Header = "X-Twilio-Signature"

// Form is a form body parsed for reading and signature checking: its
// fields sorted by key, the first of each key kept. Keys are decoded; a
// value is decoded only when it is read (Get) and, while the signature is
// checked, straight into the signed string, so the fields Senda never reads
// (ChannelMetadata's escaped JSON, ProfileName, the Twilio ids…) cost no
// copy. The zero Form has no fields.
type Form struct {
	fields []field
}

// field is one form field: its key decoded, its value as sent.
type field struct {
	key string
	raw string // the value as in the body: still escaped when esc
	esc bool   // raw holds a '%' or '+' escape
}

// ErrMalformed means a body is not a valid form; twilio-go's validator would
// reject it too.
var ErrMalformed = errors.New("twilio: malformed form body")

// maxFields is net/url's default limit on &-separated pairs in a query
// (defaultMaxParams): url.ParseQuery, and so twilio-go, rejects a body with
// more, empty pairs included. GODEBUG=urlmaxqueryparams moves net/url's
// limit but not this one.
const maxFields = 10000

// ParseForm reads an application/x-www-form-urlencoded body. Like
// url.ParseQuery it rejects semicolons, bad percent escapes (in keys and
// values alike, read or not) and more than 10000 pairs, and it keeps the
// first value of a repeated key, as twilio-go does.
func ParseForm(body []byte) (Form, error) {
	s := string(body) // one copy; every key and value below shares it
	// url.ParseQuery counts pairs as strings.Count(query, "&")+1 and fails
	// above its limit before looking at them.
	if strings.Count(s, "&") >= maxFields {
		return Form{}, fmt.Errorf("%w: more than %d fields", ErrMalformed, maxFields)
	}
	// The fields in body order, on the stack for a form of Twilio's size
	// (about 20 fields); sorting indices into them, not the fields,
	// moves 4 bytes a step rather than two strings.
	var inBody [32]field
	fields := inBody[:0]
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			return Form{}, fmt.Errorf("%w: semicolon separator", ErrMalformed)
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := unescape(k)
		if err != nil {
			return Form{}, err
		}
		esc, err := escaped(v)
		if err != nil {
			return Form{}, err
		}
		fields = append(fields, field{key, v, esc})
	}
	var orderBuf [32]int32
	order := orderBuf[:0]
	for i := range fields {
		order = append(order, int32(i))
	}
	slices.SortStableFunc(order, func(a, b int32) int { return strings.Compare(fields[a].key, fields[b].key) })
	sorted := make([]field, 0, len(fields))
	for _, i := range order {
		// Keep the first of each key, in body order (the sort is stable).
		if n := len(sorted); n > 0 && sorted[n-1].key == fields[i].key {
			continue
		}
		sorted = append(sorted, fields[i])
	}
	return Form{fields: sorted}, nil
}

// unescape decodes a form component, copying nothing when nothing is escaped.
func unescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	out, err := url.QueryUnescape(s)
	if err != nil {
		return "", fmt.Errorf("%w: bad escape", ErrMalformed)
	}
	return out, nil
}

// escaped reports whether a form component has escapes ('%' or '+'), and
// fails as url.QueryUnescape does when a '%' is not followed by two hex
// digits, so that appendUnescaped can decode it later without failing.
func escaped(s string) (bool, error) {
	esc := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '+':
			esc = true
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false, fmt.Errorf("%w: bad escape", ErrMalformed)
			}
			esc = true
			i += 2
		}
	}
	return esc, nil
}

// appendUnescaped appends the decoding of s, a component whose escapes
// escaped accepted, as url.QueryUnescape decodes it: %XX a byte, '+' a space.
func appendUnescaped(buf []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			buf = append(buf, ' ')
		case '%':
			buf = append(buf, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Get returns the decoded value of key, or "" when the form has none.
func (f Form) Get(key string) string {
	i, ok := slices.BinarySearchFunc(f.fields, key, func(p field, k string) int { return strings.Compare(p.key, k) })
	if !ok {
		return ""
	}
	p := f.fields[i]
	if !p.esc {
		return p.raw
	}
	v, err := url.QueryUnescape(p.raw)
	if err != nil { // ParseForm checked the escapes: not reached
		return ""
	}
	return v
}

// Token says which auth token a request's signature was made with.
type Token int

// The tokens a signature can match.
const (
	TokenNone     Token = iota // neither: the request is refused
	TokenCurrent               // TWILIO_AUTH_TOKEN
	TokenPrevious              // TWILIO_AUTH_TOKEN_PREVIOUS, during a rotation
)

// String is the token's metric label: none, current or previous.
func (t Token) String() string {
	switch t {
	case TokenCurrent:
		return "current"
	case TokenPrevious:
		return "previous"
	}
	return "none"
}

// Validator checks signatures for one public base URL and one auth token,
// or two while the token is being rotated.
type Validator struct {
	// primary is the base as configured; alternate is the same base with the
	// default port added or the port removed. Twilio signs whichever form
	// the webhook URL was written in, and twilio-go accepts both.
	primary, alternate string
	// plain is set when primary is a URL that url.URL.String reproduces
	// byte for byte (see plainBase); only then are twilio-go's two URLs
	// primary+requestURI and alternate+requestURI for a plainURI.
	plain bool
	// pools hold *signer: pools[0] keyed with the current token, pools[1]
	// (when set) with the previous one.
	pools []*sync.Pool
}

// signer is reusable HMAC state and the buffer the signed string is built in.
type signer struct {
	mac hash.Hash
	buf []byte
}

// NewValidator returns a validator for an auth token and the public base URL Twilio
// calls (scheme, host, optional port and path prefix). Request paths are
// appended to it, so a proxy in front cannot change what is validated.
func NewValidator(authToken, publicURL string) (*Validator, error) {
	return NewRotatingValidator(authToken, "", publicURL)
}

// NewRotatingValidator is NewValidator that also accepts signatures made
// with previous, the token being replaced; Match tells which one matched.
// An empty previous accepts the current token only.
func NewRotatingValidator(current, previous, publicURL string) (*Validator, error) {
	if current == "" {
		return nil, errors.New("twilio: empty auth token")
	}
	if previous == current {
		return nil, errors.New("twilio: the previous auth token is the current one")
	}
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("twilio: public URL %q is not an absolute http(s) URL", publicURL)
	}
	base := strings.TrimSuffix(publicURL, "/")
	v := &Validator{primary: base, plain: plainBase(base)}
	if v.plain {
		hostPart := u.Scheme + "://" + u.Host
		rest := strings.TrimPrefix(base, hostPart)
		if u.Port() == "" {
			port := "80"
			if u.Scheme == "https" {
				port = "443"
			}
			v.alternate = hostPart + ":" + port + rest
		} else {
			v.alternate = u.Scheme + "://" + u.Hostname() + rest
		}
	}
	v.pools = append(v.pools, signerPool(current))
	if previous != "" {
		v.pools = append(v.pools, signerPool(previous))
	}
	return v, nil
}

func signerPool(token string) *sync.Pool {
	key := []byte(token)
	return &sync.Pool{New: func() any { return &signer{mac: hmac.New(sha1.New, key), buf: make([]byte, 0, 1024)} }}
}

// Valid reports whether signature is Twilio's signature of the public base
// URL followed by requestURI (path and query as received) and the form's
// fields. The configured form of the URL is tried first, so a genuine
// request costs one HMAC.
func (v *Validator) Valid(requestURI string, form Form, signature string) bool {
	return v.Match(requestURI, form, signature) != TokenNone
}

// Match is Valid that also says which token made the signature: the
// current token is tried first, so a genuine request costs one HMAC until
// Twilio switches to the new token.
func (v *Validator) Match(requestURI string, form Form, signature string) Token {
	if len(signature) != base64.StdEncoding.EncodedLen(sha1.Size) {
		return TokenNone
	}
	for i, pool := range v.pools {
		if v.validWith(pool, requestURI, form, signature) {
			return TokenCurrent + Token(i)
		}
	}
	return TokenNone
}

func (v *Validator) validWith(pool *sync.Pool, requestURI string, form Form, signature string) bool {
	s := pool.Get().(*signer)
	defer pool.Put(s)
	if !v.plain || !plainURI(requestURI) {
		return s.checkLikeTwilioGo(v.primary+requestURI, form, signature)
	}
	return s.check(v.primary, requestURI, form, signature) ||
		s.check(v.alternate, requestURI, form, signature)
}

// checkLikeTwilioGo is twilio-go's own procedure, for the rare URL the fast
// path cannot vouch for (a request URI with spaces, non-ASCII, '#', control
// bytes or bad escapes, or an unusual public URL). twilio-go rejects a URL
// url.Parse rejects, and builds its port-added or port-removed spelling with
// url.URL.String, which re-escapes the path and drops the fragment; it
// checks the URL itself verbatim. Appending the port to the raw string
// instead, as the fast path does, would accept signatures twilio-go rejects
// and reject ones it accepts.
func (s *signer) checkLikeTwilioGo(full string, form Form, signature string) bool {
	u, err := url.Parse(full)
	if err != nil {
		return false
	}
	if u.Port() == "" { // twilio-go's addPort
		if u.Scheme == "https" {
			u.Host += ":443"
		} else {
			u.Host += ":80"
		}
	} else { // twilio-go's removePort: strings.Split(host, ":")[0]
		u.Host, _, _ = strings.Cut(u.Host, ":")
	}
	return s.check(full, "", form, signature) ||
		s.check(u.String(), "", form, signature)
}

// plainBase reports whether base is an http(s) URL with nothing but a
// scheme, a host name with an optional port, and a plainURI path, spelled
// as url.URL.String spells it. Then for any plainURI the URL twilio-go
// parses from base+uri has base's host and prints back as base+uri.
// IPv6 literals and hosts with escapes or several colons are not plain.
func plainBase(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		u.Hostname() == "" || strings.ContainsAny(u.Host, "[]%") || strings.Count(u.Host, ":") > 1 ||
		u.String() != base {
		return false
	}
	path, ok := strings.CutPrefix(base, u.Scheme+"://"+u.Host)
	return ok && (path == "" || path[0] == '/') && plainURI(path)
}

// plainURI reports whether a request URI appended to a plain base survives
// url.Parse and url.URL.String unchanged, so the fast path's URLs are the
// ones twilio-go checks: it starts with '/' or '?' (or is empty), its path
// has only characters the path encoder leaves alone and well-formed escapes,
// and its query has no '#' and no control bytes (url.Parse keeps the query
// raw).
func plainURI(uri string) bool {
	if uri != "" && uri[0] != '/' && uri[0] != '?' {
		return false
	}
	i := 0
	for ; i < len(uri) && uri[i] != '?'; i++ {
		switch c := uri[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("/-._~!$&'()*+,;=:@[]", c) >= 0:
		case c == '%':
			if i+2 >= len(uri) || !isHex(uri[i+1]) || !isHex(uri[i+2]) {
				return false
			}
		default:
			return false
		}
	}
	for ; i < len(uri); i++ {
		if c := uri[i]; c < 0x20 || c == 0x7f || c == '#' {
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *signer) check(base, requestURI string, form Form, signature string) bool {
	s.buf = appendSigned(s.buf[:0], base, requestURI, form)
	s.mac.Reset()
	s.mac.Write(s.buf)
	var sum [sha1.Size]byte
	var enc [28]byte // base64 of 20 bytes
	base64.StdEncoding.Encode(enc[:], s.mac.Sum(sum[:0]))
	return subtle.ConstantTimeCompare(enc[:], []byte(signature)) == 1
}

// appendSigned appends the string Twilio signs: the URL, then each
// field's key and decoded value, sorted by key.
func appendSigned(buf []byte, base, requestURI string, form Form) []byte {
	buf = append(buf, base...)
	buf = append(buf, requestURI...)
	for _, p := range form.fields {
		buf = append(buf, p.key...)
		if p.esc {
			buf = appendUnescaped(buf, p.raw)
		} else {
			buf = append(buf, p.raw...)
		}
	}
	return buf
}

// Sign computes the signature Twilio sends for a request to fullURL with the
// given form fields, as Twilio documents it: HMAC-SHA1 keyed with the auth
// token over the URL followed by every key and value sorted by key, base64.
// Tests and the load generator use it to build genuine requests.
func Sign(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range keys {
		mac.Write([]byte(k))
		mac.Write([]byte(form.Get(k)))
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
