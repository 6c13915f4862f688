package twilio

// This file sends broadcast messages through Twilio's REST API with
// twilio-go.
//
// Nothing the client returns holds a phone number or message text: errors
// carry only Twilio's error code, the HTTP status and a description from this
// package. twilio-go's own errors quote Twilio's message, which often quotes
// the number, and its transport errors quote the URL, which for a list holds
// the number; both are dropped here.
//
// twilio-go takes no context. Each call therefore runs on a copy of the
// client whose transport binds the caller's context (with the per-request
// timeout) and traces whether the request was written: a failure before that
// is safe to retry, one after it may have created the message.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// Message is one outbound message.
type Message struct {
	To               string            // "+502…" for SMS or "whatsapp:+502…"
	Body             string            // free text, or
	ContentSID       string            // a WhatsApp template (HX…) with
	ContentVariables map[string]string // its variables, sent as JSON in ContentVariables
	StatusCallback   string            // full URL Twilio posts status callbacks to
}

// Result is what Twilio answered for a created message.
type Result struct {
	SID    string
	Status string
}

// Client sends messages. It is safe for concurrent use.
type Client struct {
	cfg     Config
	handler *client.RequestHandler // built once; each call copies it
	base    *client.Client         // the handler's client; each call copies it with a bound transport
	// noRedaction is set once Twilio has refused the privacy parameters
	// (30029/30030): the account has no Message Redaction, and asking again
	// would fail every message once before it goes.
	noRedaction atomic.Bool
}

const (
	twilioHost = "api.twilio.com"
	// maxIdleConns keeps connections to Twilio open for concurrent
	// broadcast workers; net/http keeps only 2 idle per host by default,
	// so a burst would dial (and TLS-handshake) for almost every message.
	maxIdleConns = 64
	// maxErrorBody bounds how much of an error answer is read.
	maxErrorBody = 64 << 10
	// listPageSize and listMaxPages bound SentSince: one recipient gets few
	// messages from Senda in a day, so a page or two covers any reconcile
	// window; more would mean something else is sending to them.
	listPageSize = 50
	listMaxPages = 3
)

// New builds a client. Credentials come from cfg only: twilio-go falls back
// to TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN when it is given no client,
// and its request handler always reads TWILIO_EDGE and TWILIO_REGION, which
// would move requests to another host. Here it always gets a client with
// explicit credentials, and edge and region are cleared.
//
// It builds twilio-go's request handler and Messages API directly, as
// twilio.NewRestClientWithParams does for a given client, rather than
// through that function: the root twilio package also builds ~60 other
// services and imports github.com/golang-jwt/jwt/v5 for OAuth, a
// dependency Senda does not otherwise need.
func New(cfg Config) (*Client, error) { return newClient(cfg, true) }

// NewDeleter builds a client for deleting messages only (erasure at
// Twilio): it needs the account and credentials but no sender, and its
// Send fails with KindConfig when none is set.
func NewDeleter(cfg Config) (*Client, error) { return newClient(cfg, false) }

func newClient(cfg Config, sends bool) (*Client, error) {
	if cfg.APIBase == "" {
		cfg.APIBase = DefaultAPIBase
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := cfg.validate(sends); err != nil {
		return nil, err
	}
	base, err := parseBase(cfg.APIBase)
	if err != nil { // Validate checked it
		return nil, err
	}
	// net/http's default transport's settings, in a transport of our own.
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   maxIdleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	var rt http.RoundTripper = tr
	if base.Scheme != "https" || base.Host != twilioHost || base.Path != "" {
		rt = &rewriteTransport{base: base, next: tr}
	}
	user, pass := cfg.credentials()
	cc := &client.Client{
		Credentials: client.NewCredentials(user, pass),
		HTTPClient:  &http.Client{Transport: rt, Timeout: cfg.Timeout, CheckRedirect: noRedirect},
	}
	cc.SetAccountSid(cfg.AccountSID)
	h := client.NewRequestHandler(cc)
	h.Edge, h.Region = "", ""
	return &Client{cfg: cfg, handler: h, base: cc}, nil
}

// noRedirect is twilio-go's own policy: a redirect is an answer, not a hop.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// RedactionUnavailable reports whether Twilio refused the privacy parameters
// and messages now go without them, so Twilio keeps their text and numbers
// as the account's settings say. Worth one warning in the logs.
func (c *Client) RedactionUnavailable() bool { return c.noRedaction.Load() }

// Send creates one message. Errors are *Error. With Privacy it asks Twilio
// to discard the text and obfuscate the address; if the account cannot
// (30029/30030), it sends the message again without asking, and stops
// asking for the Client's lifetime.
func (c *Client) Send(ctx context.Context, m Message) (Result, error) {
	p, err := c.params(m)
	if err != nil {
		return Result{}, err
	}
	if c.cfg.Privacy && !c.noRedaction.Load() {
		p.SetContentRetention("discard").SetAddressRetention("obfuscate")
		res, err := c.create(ctx, p)
		var te *Error
		if !errors.As(err, &te) || (te.Code != 30029 && te.Code != 30030) {
			return res, err
		}
		// Twilio refused the message, so it was not created: send it as
		// the account allows.
		c.noRedaction.Store(true)
		p.ContentRetention, p.AddressRetention = nil, nil
	}
	return c.create(ctx, p)
}

func (c *Client) params(m Message) (*openapi.CreateMessageParams, error) {
	if m.To == "" {
		return nil, &Error{Kind: KindOther, Desc: descNoRecipient}
	}
	if (m.Body == "") == (m.ContentSID == "") {
		return nil, &Error{Kind: KindOther, Desc: descNoContent}
	}
	p := &openapi.CreateMessageParams{}
	p.SetTo(m.To)
	if c.cfg.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(c.cfg.MessagingServiceSID)
	} else if from := c.from(m.To); from != "" {
		p.SetFrom(from)
	} else {
		return nil, &Error{Kind: KindConfig, Desc: descNoSender}
	}
	if m.Body != "" {
		p.SetBody(m.Body)
	} else {
		p.SetContentSid(m.ContentSID)
		if len(m.ContentVariables) > 0 {
			// twilio-go sends ContentVariables as given: a JSON object
			// string. A map[string]string always marshals.
			b, _ := json.Marshal(m.ContentVariables)
			p.SetContentVariables(string(b))
		}
	}
	if m.StatusCallback != "" {
		p.SetStatusCallback(m.StatusCallback)
	}
	return p, nil
}

// from picks the sender number for an address's channel.
func (c *Client) from(to string) string {
	if strings.HasPrefix(to, "whatsapp:") {
		return c.cfg.WhatsAppFrom
	}
	return c.cfg.SMSFrom
}

func (c *Client) create(ctx context.Context, p *openapi.CreateMessageParams) (Result, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var cl call
	msg, err := c.api(ctx, &cl).CreateMessage(p)
	if err != nil {
		return Result{}, cl.fail(err)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return Result{}, &Error{HTTPStatus: cl.status, Kind: KindUnknown, Desc: descBadAnswer}
	}
	return Result{SID: *msg.Sid, Status: deref(msg.Status)}, nil
}

// Delete deletes one Message resource (and its media) from the account:
// DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{sid}.json. Errors are
// *Error: Twilio answers 20009 for a message that is not complete yet
// (retry after a minute or more) and 404 with 20404 for one that does not
// exist, or no longer does.
func (c *Client) Delete(ctx context.Context, sid string) error {
	if !validSID(sid) {
		return &Error{Kind: KindOther, Desc: descBadSID}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var cl call
	if err := c.api(ctx, &cl).DeleteMessage(sid, nil); err != nil {
		return cl.fail(err)
	}
	return nil
}

// validSID accepts what Twilio's message SIDs look like (two letters and
// 32 hex digits) loosely: letters and digits only, so a SID can never
// change the request's path.
func validSID(sid string) bool { return len(sid) >= 2 && len(sid) <= 64 && alnum(sid) }

// SentSince reports whether Twilio has an outbound-api message to `to` from
// this sender, created at or after `since` (to the second: Twilio's dates
// have no finer grain), and with body `body` unless body is empty. With
// Privacy, a message whose body Twilio has discarded matches any body.
// It reads at most a few pages. Errors are *Error.
//
// Twilio's clock decides date_created: callers should allow for skew by
// passing a `since` somewhat before the first attempt.
func (c *Client) SentSince(ctx context.Context, to string, since time.Time, body string) (bool, error) {
	if to == "" {
		return false, &Error{Kind: KindOther, Desc: descNoRecipient}
	}
	floor := since.Truncate(time.Second)
	p := &openapi.ListMessageParams{}
	// twilio-go sends this as DateSent> in RFC 3339, in the time's own
	// zone; Twilio documents GMT.
	p.SetTo(to).SetDateSentAfter(floor.UTC()).SetPageSize(listPageSize)
	if c.cfg.MessagingServiceSID == "" {
		if from := c.from(to); from != "" {
			p.SetFrom(from)
		}
	}
	token, page := "", ""
	for range listMaxPages {
		resp, err := c.page(ctx, p, token, page)
		if err != nil {
			return false, err
		}
		for _, m := range resp.Messages {
			if c.matches(m, floor, body) {
				return true, nil
			}
		}
		var ok bool
		if token, page, ok = nextPage(resp.NextPageUri); !ok {
			break
		}
	}
	return false, nil
}

func (c *Client) page(ctx context.Context, p *openapi.ListMessageParams, token, page string) (*openapi.ListMessageResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var cl call
	resp, err := c.api(ctx, &cl).PageMessage(p, token, page)
	if err != nil {
		return nil, cl.fail(err)
	}
	return resp, nil
}

func (c *Client) matches(m openapi.ApiV2010Message, floor time.Time, body string) bool {
	if deref(m.Direction) != "outbound-api" {
		return false
	}
	if c.cfg.MessagingServiceSID != "" && deref(m.MessagingServiceSid) != c.cfg.MessagingServiceSID {
		return false
	}
	// Twilio filtered by date already; this holds a fake or a coarser
	// filter to the same rule. An unreadable date is left to Twilio's filter.
	if t, err := time.Parse(time.RFC1123Z, deref(m.DateCreated)); err == nil && t.Before(floor) {
		return false
	}
	if body == "" {
		return true
	}
	got := deref(m.Body)
	return got == body || (got == "" && c.cfg.Privacy)
}

// nextPage reads the paging fields out of a next_page_uri.
func nextPage(uri *string) (token, page string, ok bool) {
	if uri == nil || *uri == "" {
		return "", "", false
	}
	u, err := url.Parse(*uri)
	if err != nil {
		return "", "", false
	}
	q := u.Query()
	token, page = q.Get("PageToken"), q.Get("Page")
	return token, page, token != "" || page != ""
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// api returns twilio-go's API service on a copy of the client whose requests
// run under ctx and report to cl.
func (c *Client) api(ctx context.Context, cl *call) *openapi.ApiService {
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			// A request that failed while being written never reached
			// Twilio whole, so Twilio could not act on it.
			if info.Err == nil {
				cl.wrote.Store(true)
			}
		},
	})
	cc := *c.base
	cc.HTTPClient = &http.Client{
		Transport:     &boundTransport{ctx: ctx, call: cl, next: c.base.HTTPClient.Transport},
		CheckRedirect: noRedirect,
		// No Timeout: ctx carries it, and a client timeout's own context
		// would be replaced by ctx in boundTransport.
	}
	h := *c.handler
	h.Client = &cc
	return openapi.NewApiService(&h)
}

// call records what one request did on the wire.
type call struct {
	wrote  atomic.Bool // set from the transport's writer goroutine
	status int         // HTTP status of the answer; 0 when none came
}

// fail turns whatever twilio-go returned into an *Error that holds no text
// from Twilio or from the URL.
func (cl *call) fail(err error) *Error {
	var te *client.TwilioRestError
	var v1 *client.RestErrorV1
	switch {
	case errors.As(err, &te):
		// Status is what came over the wire: twilio-go's local credential
		// check invents a 400 for a request it never sent.
		return newError(te.Code, cl.status)
	case errors.As(err, &v1):
		return newError(v1.Code, cl.status)
	case cl.status >= 200 && cl.status < 400:
		// Twilio said yes but the answer could not be read: the message
		// probably exists.
		return &Error{HTTPStatus: cl.status, Kind: KindUnknown, Desc: descBadAnswer}
	case cl.status != 0:
		// An error answer without Twilio's JSON, e.g. a proxy's page.
		return newError(0, cl.status)
	case cl.wrote.Load():
		// Timeout or lost connection after Twilio got the request.
		return &Error{Kind: KindUnknown, Desc: descNoAnswer}
	}
	// Dial, TLS or write failure, or ctx done before the request was written.
	return &Error{Kind: KindRetry, Desc: descNotSent}
}

// boundTransport runs one call's requests under its context and records the
// status.
type boundTransport struct {
	ctx  context.Context
	call *call
	next http.RoundTripper
}

func (t *boundTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req.WithContext(t.ctx))
	if err != nil {
		return nil, err
	}
	t.call.status = resp.StatusCode
	if resp.StatusCode >= 400 {
		// twilio-go decodes an error answer but never closes it, which
		// would keep the connection from going back to the pool. Read it
		// here and close it.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	return resp, nil
}

// rewriteTransport sends requests meant for api.twilio.com to another base
// URL (a Twilio-compatible mock), keeping the path under the base's path.
type rewriteTransport struct {
	base *url.URL
	next http.RoundTripper
}

var errHost = errors.New("twilio: request for a host other than " + twilioHost)

func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != twilioHost {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, errHost
	}
	r := req.WithContext(req.Context()) // a shallow copy: RoundTrip must not change req
	u := *req.URL
	u.Scheme, u.Host = t.base.Scheme, t.base.Host
	u.Path, u.RawPath = t.base.Path+req.URL.Path, ""
	r.URL, r.Host = &u, ""
	return t.next.RoundTrip(r)
}
