// Package client calls the admin API of a running `senda serve`: it sends
// the requests of bot/adminapi and decodes its answers. `senda broadcast`
// is built on it; it prints nothing itself.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
)

const (
	// DefaultURL is where a local senda serve listens.
	DefaultURL = "http://localhost:8080"
	// RequestTimeout bounds one request to the admin API. Creating a
	// broadcast fans it out before answering, which for many thousands of
	// subscribers takes a few seconds.
	RequestTimeout = 30 * time.Second
	// maxAnswer bounds what is read of an answer (a list of 100 broadcasts
	// is about 50 KiB).
	maxAnswer = 4 << 20
)

// Client calls the admin API.
type Client struct {
	base  string // scheme://host[:port][/prefix], without a trailing slash
	token string
	http  *http.Client
	// Insecure is set when the token would cross the network over plain
	// http to a host that is not this machine.
	Insecure bool
}

// New checks the base URL (source names where it came from, for messages)
// and the token. It fails, before any request, when either is wrong.
func New(base, source, token string) (*Client, error) {
	raw := strings.TrimSpace(base)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q is not a base URL like https://senda.example.org or http://localhost:8080", source, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not hold a user or password; the token goes in SENDA_ADMIN_TOKEN", source)
	}
	switch {
	case token == "":
		return nil, errors.New("no admin token: set SENDA_ADMIN_TOKEN (or SENDA_ADMIN_TOKEN_FILE) to one of the tokens in the server's SENDA_ADMIN_TOKENS; the operator gives it to you")
	case strings.ContainsAny(token, " \t\r\n"):
		return nil, errors.New("the admin token has spaces or line breaks in it; check SENDA_ADMIN_TOKEN")
	}
	return &Client{
		base:     strings.TrimSuffix(u.String(), "/"),
		token:    token,
		Insecure: u.Scheme == "http" && !loopback(u.Hostname()),
		http: &http.Client{
			Timeout: RequestTimeout,
			// A redirect would turn a POST into a GET, or take the token to
			// another host: say where it points instead of following it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// Base is the admin API's base URL, without a password.
func (c *Client) Base() string { return c.base }

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// APIError is an error answer of the admin API, with its message.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string { return e.Msg }

// ConnError means the admin API could not be reached, or did not answer.
type ConnError struct {
	base string
	err  error
}

func (e *ConnError) Error() string {
	var ne net.Error
	if errors.As(e.err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer from the admin API at %s within %s. Is senda serve running there and healthy? Is SENDA_ADMIN_URL (or --admin-url) right?", e.base, RequestTimeout)
	}
	return fmt.Sprintf("cannot reach the admin API at %s (%v). Is senda serve running there? Is SENDA_ADMIN_URL (or --admin-url) right?", e.base, e.err)
}

func (e *ConnError) Unwrap() error { return e.err }

// Temporary reports whether a failed request is worth making again.
func Temporary(err error) bool {
	var ce *ConnError
	var ae *APIError
	switch {
	case errors.As(err, &ce):
		return true
	case errors.As(err, &ae):
		return ae.Status == http.StatusBadGateway || ae.Status == http.StatusServiceUnavailable || ae.Status == http.StatusGatewayTimeout
	}
	return false
}

// answer is a successful answer.
type answer struct {
	header http.Header
	body   []byte
}

// call makes one request. Errors are *APIError, *ConnError, or the
// context's error when ctx ended first.
func (c *Client) call(ctx context.Context, method, path string, body []byte, header http.Header) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	maps.Copy(req.Header, header)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "senda-cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// url.Error repeats the method and URL; keep what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &ConnError{base: c.base, err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ConnError{base: c.base, err: fmt.Errorf("reading the answer: %w", err)}
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf(
			"the admin API at %s redirects to %s; set SENDA_ADMIN_URL to the address it should be reached at",
			c.base, resp.Header.Get("Location"))}
	case resp.StatusCode >= 400:
		return nil, c.errorAnswer(resp, data)
	}
	if req.Header.Get("Accept") == "application/json" && resp.StatusCode != http.StatusNoContent && !json.Valid(data) {
		return nil, &APIError{Status: resp.StatusCode, Msg: fmt.Sprintf(
			"%s answered %s with something other than JSON; is SENDA_ADMIN_URL the address of senda serve?", c.base, path)}
	}
	return &answer{header: resp.Header, body: data}, nil
}

// errorAnswer turns an error answer into an APIError with the API's own
// message, and a hint where the user's side needs fixing.
func (c *Client) errorAnswer(resp *http.Response, data []byte) *APIError {
	var body adminapi.Error
	msg := ""
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		msg = body.Error
	} else {
		// Not Senda's JSON: a proxy, or something else at that address.
		msg = fmt.Sprintf("%s answered %s; is SENDA_ADMIN_URL the address of senda serve?", c.base, resp.Status)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		msg += " (check SENDA_ADMIN_TOKEN: it must be one of the tokens in the server's SENDA_ADMIN_TOKENS)"
	case http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" && !strings.Contains(msg, "minutes") {
			msg += " (try again in " + ra + " seconds)"
		}
	}
	return &APIError{Status: resp.StatusCode, Msg: msg}
}

// decode reads an answer into v; what names the answer for the message.
func decode[T any](a *answer, what string) (T, []byte, error) {
	var v T
	if err := json.Unmarshal(a.body, &v); err != nil {
		return v, a.body, fmt.Errorf("the admin API's answer is not %s: %w", what, err)
	}
	return v, a.body, nil
}

// Create asks for a broadcast. key is the idempotency key: the same key
// within 24 hours returns the broadcast created the first time, and
// replayed says so. raw is the answer as sent, for --json.
func (c *Client) Create(ctx context.Context, req adminapi.BroadcastRequest, key string) (b adminapi.Created, raw []byte, replayed bool, err error) {
	body, err := json.Marshal(req)
	if err != nil {
		return b, nil, false, err
	}
	a, err := c.call(ctx, http.MethodPost, adminapi.PathBroadcasts, body, http.Header{adminapi.HeaderIdempotencyKey: {key}})
	if err != nil {
		return b, nil, false, err
	}
	b, raw, err = decode[adminapi.Created](a, "a broadcast")
	return b, raw, a.header.Get(adminapi.HeaderReplayed) == "true", err
}

// List returns the latest broadcasts, newest first.
func (c *Client) List(ctx context.Context, limit int) (adminapi.BroadcastList, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, adminapi.PathBroadcasts+"?limit="+strconv.Itoa(limit), nil, nil)
	if err != nil {
		return adminapi.BroadcastList{}, nil, err
	}
	return decode[adminapi.BroadcastList](a, "a list of broadcasts")
}

// Get returns one broadcast.
func (c *Client) Get(ctx context.Context, id string) (adminapi.Broadcast, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, adminapi.BroadcastPath(url.PathEscape(id)), nil, nil)
	if err != nil {
		return adminapi.Broadcast{}, nil, err
	}
	return decode[adminapi.Broadcast](a, "a broadcast")
}

// Cancel stops a broadcast and returns it as it stands.
func (c *Client) Cancel(ctx context.Context, id string) (adminapi.Broadcast, []byte, error) {
	a, err := c.call(ctx, http.MethodPost, adminapi.CancelPath(url.PathEscape(id)), nil, nil)
	if err != nil {
		return adminapi.Broadcast{}, nil, err
	}
	return decode[adminapi.Broadcast](a, "a broadcast")
}

// Topics returns the topics with their subscriber counts.
func (c *Client) Topics(ctx context.Context) (adminapi.Topics, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, adminapi.PathTopics, nil, nil)
	if err != nil {
		return adminapi.Topics{}, nil, err
	}
	return decode[adminapi.Topics](a, "a list of topics")
}

// Stats returns the anonymous daily figures from one day to another
// ("YYYY-MM-DD", both included; empty for the server's default range).
func (c *Client) Stats(ctx context.Context, from, to string) (adminapi.Stats, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, statsPath(from, to, ""), nil, nil)
	if err != nil {
		return adminapi.Stats{}, nil, err
	}
	return decode[adminapi.Stats](a, "the daily figures")
}

// StatsCSV returns the same figures as CSV, as the server writes it.
func (c *Client) StatsCSV(ctx context.Context, from, to string) ([]byte, error) {
	a, err := c.call(ctx, http.MethodGet, statsPath(from, to, adminapi.StatsFormatCSV), nil, http.Header{"Accept": {"text/csv"}})
	if err != nil {
		return nil, err
	}
	return a.body, nil
}

func statsPath(from, to, format string) string {
	q := url.Values{}
	for k, v := range map[string]string{"from": from, "to": to, "format": format} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return adminapi.PathStats
	}
	return adminapi.PathStats + "?" + q.Encode()
}
