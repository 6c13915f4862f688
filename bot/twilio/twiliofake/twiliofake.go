// Package twiliofake is a local fake of Twilio's Messages REST API, for tests
// and load scripts: it creates and lists messages the way Twilio answers
// them, checks basic auth, and can be scripted to fail, hang or refuse the
// privacy parameters.
//
// It is a library on purpose: tests start it with New, commands can wrap it.
package twiliofake

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Created is one message the fake knows: created through the API, or
// added by a test as an inbound message or a TwiML reply.
type Created struct {
	SID  string
	Form url.Values // the request's form, as sent
	At   time.Time
	User string // the basic auth username: the account SID or an API key SID
	// Direction is "outbound-api" for creates, or what Add was given
	// ("inbound", "outbound-reply").
	Direction string
}

// Deleted is one DELETE of a message the fake answered.
type Deleted struct {
	SID    string
	Status int // 204 deleted, 404 unknown (or already deleted), or the scripted error's
	Code   int // Twilio error code; 0 for 204
	At     time.Time
}

// Server is a running fake. Point a client's API base at URL and give it
// AccountSID and AuthToken.
type Server struct {
	URL        string
	AccountSID string
	AuthToken  string

	srv     *httptest.Server
	done    chan struct{} // closed by Close: hung requests return
	closeMu sync.Once

	sidPrefix uint64        // random per server, so SIDs differ between runs
	sidSeq    atomic.Uint64 // counts SIDs
	requests  atomic.Int64
	latency   atomic.Int64 // time.Duration
	noPrivacy atomic.Bool
	obfuscate atomic.Bool

	mu      sync.Mutex
	msgs    []Created
	deletes []Deleted
	tries   map[string]int // DELETE attempts per SID
	// A message is incomplete (DELETE answers 20009) while younger than
	// incompleteFor, and for its first incompleteCalls DELETEs.
	incompleteFor   time.Duration
	incompleteCalls int
	deleteFailures  []*script
	keys            map[string]string // API key SID → secret
	failures        []*script
	hangs           []*script
}

// script is a queued behaviour consumed by matching creates.
type script struct {
	match        func(url.Values) bool
	status, code int
	n            int
}

// Fixed credentials: the fake is local, and tests read them from the Server.
const (
	defaultAccountSID = "AC00000000000000000000000000fa4e"
	defaultAuthToken  = "faketoken0000000000000000000000a"
)

// New starts a fake on a loopback port. Close it when done.
func New() *Server {
	var b [8]byte
	_, _ = rand.Read(b[:])
	s := &Server{
		AccountSID: defaultAccountSID,
		AuthToken:  defaultAuthToken,
		done:       make(chan struct{}),
		sidPrefix:  binary.BigEndian.Uint64(b[:]),
		keys:       map[string]string{},
		tries:      map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close releases hung requests and stops the server.
func (s *Server) Close() {
	s.closeMu.Do(func() { close(s.done) })
	s.srv.Close()
}

// AllowAPIKey accepts basic auth with an API key SID (SK…) and its secret.
func (s *Server) AllowAPIKey(key, secret string) {
	s.mu.Lock()
	s.keys[key] = secret
	s.mu.Unlock()
}

// Messages returns every accepted create, in order.
func (s *Server) Messages() []Created {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Created, len(s.msgs))
	copy(out, s.msgs)
	return out
}

// Requests counts every create request, failed ones included.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// FailNext makes the next n creates for which match is true (nil matches
// all) answer with status and a Twilio error JSON for code. Scripts are
// consumed in the order they were added.
func (s *Server) FailNext(match func(form url.Values) bool, status, code int, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.failures = append(s.failures, &script{match: match, status: status, code: code, n: n})
	s.mu.Unlock()
}

// SetLatency delays every create by d before it is handled.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// Hang makes the next n matching creates store the message and then never
// answer, until the request's context ends or the server closes: Twilio
// created the message but the answer was lost.
func (s *Server) Hang(match func(url.Values) bool, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.hangs = append(s.hangs, &script{match: match, n: n})
	s.mu.Unlock()
}

// RejectPrivacy makes creates that carry ContentRetention answer 30029 (and
// AddressRetention 30030), as an account without Message Redaction does.
func (s *Server) RejectPrivacy(on bool) { s.noPrivacy.Store(on) }

// ObfuscateAddresses makes the fake answer as an account with Message
// Redaction's AddressRetention=obfuscate does: listed messages show the
// recipient with its last four digits replaced by XXXX, and a list filtered
// by the real To finds nothing.
func (s *Server) ObfuscateAddresses(on bool) { s.obfuscate.Store(on) }

// obfuscated is an address as redaction shows it: the last four digits
// replaced by XXXX ("whatsapp:+5025555XXXX").
func obfuscated(addr string) string {
	if len(addr) < 4 {
		return addr
	}
	return addr[:len(addr)-4] + "XXXX"
}

// listedTo is the To a list shows for c.
func (s *Server) listedTo(c Created) string {
	if s.obfuscate.Load() {
		return obfuscated(c.Form.Get("To"))
	}
	return c.Form.Get("To")
}

const messagesPath = "/2010-04-01/Accounts/"

// route splits a path into the account and, for one message's resource,
// its SID; ok is false for paths the fake does not serve.
func route(path string) (account, sid string, ok bool) {
	rest, ok := strings.CutPrefix(path, messagesPath)
	if !ok {
		return "", "", false
	}
	account, rest, ok = strings.Cut(rest, "/")
	if !ok || account == "" {
		return "", "", false
	}
	if rest == "Messages.json" {
		return account, "", true
	}
	sid, ok = strings.CutPrefix(rest, "Messages/")
	if ok {
		sid, ok = strings.CutSuffix(sid, ".json")
	}
	return account, sid, ok && sid != "" && !strings.Contains(sid, "/")
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	account, sid, ok := route(r.URL.Path)
	if !ok {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if account != s.AccountSID {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if sid != "" {
		if r.Method != http.MethodDelete {
			w.Header().Set("Allow", "DELETE")
			writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
			return
		}
		s.delete(w, sid)
		return
	}
	switch r.Method {
	case http.MethodPost:
		s.create(w, r)
	case http.MethodGet:
		s.list(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
	}
}

func (s *Server) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	switch {
	case !ok:
		return false
	case user == s.AccountSID:
		return pass == s.AuthToken
	case strings.HasPrefix(user, "SK"):
		s.mu.Lock()
		secret, known := s.keys[user]
		s.mu.Unlock()
		return known && pass == secret
	}
	return false
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if !s.wait(r) {
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Could not parse the request body")
		return
	}
	form := r.PostForm
	if f := s.take(&s.failures, form); f != nil {
		// Twilio's messages often quote the number: so does the fake, so
		// tests can prove the client drops them.
		writeError(w, f.status, f.code, fmt.Sprintf("Error %d for the 'To' number %s", f.code, form.Get("To")))
		return
	}
	if code, msg := s.refuse(form); code != 0 {
		writeError(w, http.StatusBadRequest, code, msg)
		return
	}
	c := Created{SID: s.newSID(), Form: form, At: time.Now(), Direction: "outbound-api"}
	c.User, _, _ = r.BasicAuth()
	s.mu.Lock()
	s.msgs = append(s.msgs, c)
	s.mu.Unlock()
	if s.take(&s.hangs, form) != nil {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	writeJSON(w, http.StatusCreated, s.resource(c))
}

func (s *Server) newSID() string { return fmt.Sprintf("SM%016x%016x", s.sidPrefix, s.sidSeq.Add(1)) }

// Add makes the fake know a message Twilio created without a REST create:
// an inbound message (direction "inbound") or a TwiML reply
// ("outbound-reply"). It returns the message's new SID, which a test posts
// to the webhook as MessageSid or in a status callback.
func (s *Server) Add(direction string, form url.Values) string {
	c := Created{SID: s.newSID(), Form: form, At: time.Now(), Direction: direction}
	s.mu.Lock()
	s.msgs = append(s.msgs, c)
	s.mu.Unlock()
	return c.SID
}

// SetIncomplete makes DELETE answer 20009 ("cannot delete this resource
// before it is complete") for a message younger than d, and for the first
// calls DELETEs of each message, as Twilio does while it finishes a record.
func (s *Server) SetIncomplete(d time.Duration, calls int) {
	s.mu.Lock()
	s.incompleteFor, s.incompleteCalls = d, calls
	s.mu.Unlock()
}

// FailNextDeletes makes the next n DELETEs answer status and code (429 and
// 20429, 503…), whatever the message.
func (s *Server) FailNextDeletes(status, code, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	s.deleteFailures = append(s.deleteFailures, &script{status: status, code: code, n: n})
	s.mu.Unlock()
}

// Deletes returns every DELETE answered, in order.
func (s *Server) Deletes() []Deleted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Deleted(nil), s.deletes...)
}

// delete answers DELETE of one message: 204 and gone, 20009 while it is
// incomplete, 404 when the fake does not know it (or it was deleted).
func (s *Server) delete(w http.ResponseWriter, sid string) {
	now := time.Now()
	s.mu.Lock()
	d := Deleted{SID: sid, At: now, Status: http.StatusNoContent}
	i := slices.IndexFunc(s.msgs, func(c Created) bool { return c.SID == sid })
	s.tries[sid]++
	switch {
	case len(s.deleteFailures) > 0:
		f := s.deleteFailures[0]
		if f.n--; f.n <= 0 {
			s.deleteFailures = s.deleteFailures[1:]
		}
		d.Status, d.Code = f.status, f.code
	case i < 0:
		d.Status, d.Code = http.StatusNotFound, 20404
	case now.Sub(s.msgs[i].At) < s.incompleteFor || s.tries[sid] <= s.incompleteCalls:
		d.Status, d.Code = http.StatusConflict, 20009
	default:
		s.msgs = slices.Delete(s.msgs, i, i+1)
	}
	s.deletes = append(s.deletes, d)
	s.mu.Unlock()
	switch d.Code {
	case 0:
		w.WriteHeader(http.StatusNoContent)
	case 20009:
		writeError(w, d.Status, d.Code, "Cannot delete this resource before it is complete")
	case 20404:
		writeError(w, d.Status, d.Code, "The requested resource "+messagesPath+s.AccountSID+"/Messages/"+sid+".json was not found")
	default:
		writeError(w, d.Status, d.Code, fmt.Sprintf("Error %d", d.Code))
	}
}

// wait holds a request for the configured latency. It reports false when
// the request or the server ended first.
func (s *Server) wait(r *http.Request) bool {
	d := time.Duration(s.latency.Load())
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// refuse returns the Twilio error code and message for a create request
// Twilio would refuse (code 0 when it would not): privacy parameters on an
// account without redaction, a missing To, From or body, or content
// variables that are not JSON.
func (s *Server) refuse(form url.Values) (int, string) {
	if s.noPrivacy.Load() {
		switch {
		case form.Has("ContentRetention"):
			return 30029, "ContentRetention value used in the request is invalid"
		case form.Has("AddressRetention"):
			return 30030, "AddressRetention value used in the request is invalid"
		}
	}
	switch {
	case form.Get("To") == "":
		return 21604, "A 'To' phone number is required."
	case form.Get("From") == "" && form.Get("MessagingServiceSid") == "":
		return 21603, "A 'From' phone number is required."
	case form.Get("Body") == "" && form.Get("ContentSid") == "" && !form.Has("MediaUrl"):
		return 21602, "Message body is required."
	}
	if v := form.Get("ContentVariables"); v != "" && !json.Valid([]byte(v)) {
		return 21656, "The ContentVariables Parameter is invalid."
	}
	return 0, ""
}

// take consumes one use of the first script in *q that matches form.
func (s *Server) take(q *[]*script, form url.Values) *script {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sc := range *q {
		if sc.match != nil && !sc.match(form) {
			continue
		}
		sc.n--
		if sc.n <= 0 {
			*q = append((*q)[:i:i], (*q)[i+1:]...)
		}
		return sc
	}
	return nil
}

// message is a Message resource, shaped like Twilio's JSON.
type message struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func (s *Server) resource(c Created) message {
	date := c.At.UTC().Format(time.RFC1123Z) // Twilio's "Thu, 30 Jul 2015 20:12:31 +0000"
	uri := messagesPath + s.AccountSID + "/Messages/" + c.SID
	return message{
		AccountSID:          s.AccountSID,
		APIVersion:          "2010-04-01",
		Body:                c.Form.Get("Body"),
		DateCreated:         date,
		DateUpdated:         date,
		Direction:           c.Direction,
		From:                optional(c.Form.Get("From")),
		MessagingServiceSID: optional(c.Form.Get("MessagingServiceSid")),
		NumMedia:            "0",
		NumSegments:         "1",
		PriceUnit:           "USD",
		SID:                 c.SID,
		Status:              "queued",
		SubresourceURIs:     map[string]string{"media": uri + "/Media.json"},
		To:                  s.listedTo(c),
		URI:                 uri + ".json",
	}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Paging limits, as Twilio's.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// list answers a Messages list: filters To, From, DateSent, DateSent> and
// DateSent< (twilio-go sends RFC 3339 times; Twilio documents YYYY-MM-DD
// dates, taken as whole UTC days), newest first, paged with PageSize, Page
// and PageToken. Messages stand in for date_sent with their creation time.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f filter
	var ok bool
	if f.from, f.to, ok = dateFilters(q); !ok {
		writeError(w, http.StatusBadRequest, 20001, "Invalid DateSent filter")
		return
	}
	f.toAddr, f.fromAddr = q.Get("To"), q.Get("From")
	size := defaultPageSize
	if v := q.Get("PageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, 20001, "Invalid PageSize")
			return
		}
		size = min(n, maxPageSize)
	}
	page := 0
	if v := q.Get("Page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, 20001, "Invalid Page")
			return
		}
		page = n
	}

	var matched []Created
	s.mu.Lock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if f.match(s.msgs[i], s.listedTo(s.msgs[i])) {
			matched = append(matched, s.msgs[i])
		}
	}
	s.mu.Unlock()

	start := min(page*size, len(matched))
	end := min(start+size, len(matched))
	out := make([]message, 0, end-start)
	for _, c := range matched[start:end] {
		out = append(out, s.resource(c))
	}

	token := q.Get("PageToken")
	pageURI := func(n int, token string) string {
		v := make(url.Values, len(q))
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("PageSize", strconv.Itoa(size))
		v.Set("Page", strconv.Itoa(n))
		v.Del("PageToken")
		if token != "" {
			v.Set("PageToken", token)
		}
		return r.URL.Path + "?" + v.Encode()
	}
	resp := listResponse{
		Messages:     out,
		Start:        start,
		End:          max(end-1, start),
		Page:         page,
		PageSize:     size,
		URI:          pageURI(page, token),
		FirstPageURI: pageURI(0, ""),
	}
	if end < len(matched) {
		next := pageURI(page+1, "PA"+matched[end-1].SID)
		resp.NextPageURI = &next
	}
	if page > 0 {
		prev := pageURI(page-1, "PB"+matched[start].SID)
		resp.PreviousPageURI = &prev
	}
	writeJSON(w, http.StatusOK, resp)
}

type listResponse struct {
	Messages        []message `json:"messages"`
	End             int       `json:"end"`
	FirstPageURI    string    `json:"first_page_uri"`
	NextPageURI     *string   `json:"next_page_uri"`
	Page            int       `json:"page"`
	PageSize        int       `json:"page_size"`
	PreviousPageURI *string   `json:"previous_page_uri"`
	Start           int       `json:"start"`
	URI             string    `json:"uri"`
}

type filter struct {
	toAddr, fromAddr string
	from, to         time.Time // inclusive from, exclusive to; zero means open
}

// match reports whether c passes the filter; to is its To as listed.
func (f filter) match(c Created, to string) bool {
	switch {
	case f.toAddr != "" && to != f.toAddr,
		f.fromAddr != "" && c.Form.Get("From") != f.fromAddr,
		!f.from.IsZero() && c.At.Before(f.from),
		!f.to.IsZero() && !c.At.Before(f.to):
		return false
	}
	return true
}

// dateFilters turns DateSent, DateSent> and DateSent< into a half-open
// interval. Twilio reads DateSent> as "on or after" and DateSent< as "on or
// before"; a date covers its whole UTC day, a time is taken to the second.
func dateFilters(q url.Values) (from, to time.Time, ok bool) {
	if v := q.Get("DateSent"); v != "" {
		t, day, ok := parseDate(v)
		if !ok {
			return from, to, false
		}
		from, to = t, t.Add(day)
	}
	if v := q.Get("DateSent>"); v != "" {
		t, _, ok := parseDate(v)
		if !ok {
			return from, to, false
		}
		if from.IsZero() || t.After(from) {
			from = t
		}
	}
	if v := q.Get("DateSent<"); v != "" {
		t, span, ok := parseDate(v)
		if !ok {
			return from, to, false
		}
		if t = t.Add(span); to.IsZero() || t.Before(to) {
			to = t
		}
	}
	return from, to, true
}

// parseDate reads an RFC 3339 time or a YYYY-MM-DD date, and returns the span
// it covers: a second, or a day.
func parseDate(v string) (time.Time, time.Duration, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, time.Second, true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, 24 * time.Hour, true
	}
	return time.Time{}, 0, false
}

// twilioError is Twilio's error JSON.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, twilioError{
		Code: code, Message: msg, Status: status,
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
