// Package access is who may use the admin API and the web console, and
// what they did there: the admin tokens (SENDA_ADMIN_TOKENS), the limit on
// wrong guesses per client address, and the audit trail. The admin API
// (bot/httpapi) and the console (bot/console) go through one Access, so a
// guesser gets one allowance whichever door she knocks on, and staff read
// one trail.
//
// # The rule
//
// A valid token is never refused, however many wrong ones came from the
// same address first: that address may be the NGO's own office, or a proxy
// every client shares, and a guesser must not be able to lock the staff
// out. Wrong tokens are counted per client address, which is kept only as
// a keyed hash, until Window after the last one. Once an address has used
// up MaxFailures, each further wrong token is answered only after a pause
// (Options.Penalty) and with a ThrottledError saying how long to wait. A
// token from SENDA_ADMIN_TOKENS is long and random, so the pause is not
// what protects it; it keeps a guesser slow and visible in the metrics.
package access

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/rkey"
)

// Limits on wrong guesses and on the trail.
const (
	// MaxFailures is how many wrong tokens one client address may send in
	// Window before each further one is slowed down.
	MaxFailures = 10
	// Window is how long wrong tokens are remembered after the last one.
	Window = 15 * time.Minute
	// DefaultPenalty is how long a wrong token waits for its answer once
	// its address has used up MaxFailures.
	DefaultPenalty = 2 * time.Second
	// TrailLength is how many audit entries the trail keeps.
	TrailLength = 10000
)

// ErrWrongToken is a missing or unknown admin token.
var ErrWrongToken = errors.New("access: missing or unknown admin token")

// ThrottledError is a wrong token from an address that has used up its
// tries: it should wait Wait before the next guess.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("access: too many wrong admin tokens from this address; wait %s", e.Wait.Round(time.Second))
}

// Minutes is the wait in whole minutes, at least 1, for a sentence.
func (e *ThrottledError) Minutes() int {
	return int(max(e.Wait, time.Minute).Round(time.Minute).Minutes())
}

// Options configure an Access. Redis, Keys and Hasher are required when
// Tokens is not empty.
type Options struct {
	Tokens  map[string]string // name → token, from SENDA_ADMIN_TOKENS
	Redis   redis.UniversalClient
	Keys    rkey.Space
	Hasher  *ident.Hasher // names client addresses without keeping them
	Metrics *metrics.Set  // counts admin_auth_failures_total; may be nil
	Log     *slog.Logger
	Now     func() time.Time
	// Penalty is the pause before answering a wrong token over the limit;
	// zero means DefaultPenalty.
	Penalty time.Duration
}

// Access checks admin tokens and keeps the audit trail.
type Access struct {
	opts   Options
	tokens []token
}

// token is a configured token, kept as a digest so comparing it takes the
// same time whatever its length.
type token struct {
	name   string
	digest [sha256.Size]byte
}

// New keeps digests of the tokens, not the tokens.
func New(opts Options) *Access {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Penalty <= 0 {
		opts.Penalty = DefaultPenalty
	}
	a := &Access{opts: opts}
	for name, t := range opts.Tokens {
		a.tokens = append(a.tokens, token{name: name, digest: sha256.Sum256([]byte(t))})
	}
	return a
}

// On reports whether any admin token is configured: without one the admin
// API and the console are off.
func (a *Access) On() bool { return a != nil && len(a.tokens) > 0 }

// Verify returns the name of the admin token t (spaces around it ignored),
// and false when it is none. Every token is compared, with no early exit.
func (a *Access) Verify(t string) (string, bool) {
	t = strings.TrimSpace(t)
	if t == "" || !a.On() {
		return "", false
	}
	digest := sha256.Sum256([]byte(t))
	name := ""
	for _, k := range a.tokens {
		if subtle.ConstantTimeCompare(digest[:], k.digest[:]) == 1 {
			name = k.name
		}
	}
	return name, name != ""
}

// Check is a sign-in from the client address addr: the token's name when
// t is valid, whatever came before; else ErrWrongToken, or a
// *ThrottledError (after the pause) once addr has used up MaxFailures.
func (a *Access) Check(ctx context.Context, t, addr string) (string, error) {
	if name, ok := a.Verify(t); ok {
		return name, nil
	}
	a.opts.Metrics.Count("admin_auth_failures_total")
	key := a.opts.Keys.AuthFailures(a.clientHash(addr))
	pipe := a.opts.Redis.TxPipeline()
	incr := pipe.Incr(ctx, key)
	pipe.Expire(ctx, key, Window)
	ttl := pipe.TTL(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		a.opts.Log.Warn("access: count a wrong admin token", "err", err)
		return "", ErrWrongToken
	}
	n := incr.Val()
	if n <= MaxFailures {
		return "", ErrWrongToken
	}
	if n == MaxFailures+1 {
		a.opts.Log.Warn("access: an address used up its admin sign-in tries; its wrong tokens are slowed down", "tries", MaxFailures, "window", Window.String())
	}
	select {
	case <-ctx.Done():
	case <-time.After(a.opts.Penalty):
	}
	return "", &ThrottledError{Wait: max(ttl.Val(), time.Second)}
}

// clientHash names a client address in Redis without keeping the address.
func (a *Access) clientHash(addr string) string {
	sum := a.opts.Hasher.Label("admin-client", addr)
	return hex.EncodeToString(sum[:12])
}

// Entry is one admin action: token names and figures, never a token, a
// phone number or a message text.
type Entry struct {
	At        time.Time
	Token     string // the admin token's name
	Action    string // e.g. "create", "cancel", "test", "signin", "signout"
	Broadcast string // the broadcast's id, when the action is about one
	Details   map[string]any
}

// Record adds e to the trail (At is now when zero) and logs it. A failure
// to write is logged and costs the entry, never the action.
func (a *Access) Record(ctx context.Context, e Entry) {
	if e.At.IsZero() {
		e.At = a.opts.Now()
	}
	d, err := json.Marshal(e.Details)
	if err != nil {
		a.opts.Log.Error("access: audit details", "err", err)
		d = []byte("{}")
	}
	err = a.opts.Redis.XAdd(ctx, &redis.XAddArgs{
		Stream: a.opts.Keys.Audit(), MaxLen: TrailLength, Approx: true,
		Values: []any{"at", e.At.UTC().Format(time.RFC3339), "token", e.Token, "action", e.Action, "broadcast", e.Broadcast, "details", string(d)},
	}).Err()
	if err != nil {
		a.opts.Log.Error("access: write audit entry", "err", err)
	}
	args := []any{"token", e.Token, "action", e.Action, "broadcast", e.Broadcast}
	for k, v := range e.Details {
		args = append(args, k, v)
	}
	a.opts.Log.Info("admin action", args...)
}

// Trail returns the latest limit entries, newest first.
func (a *Access) Trail(ctx context.Context, limit int) ([]Entry, error) {
	msgs, err := a.opts.Redis.XRevRangeN(ctx, a.opts.Keys.Audit(), "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("access: read audit trail: %w", err)
	}
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		e := Entry{Token: str("token"), Action: str("action"), Broadcast: str("broadcast")}
		e.At, _ = time.Parse(time.RFC3339, str("at"))
		json.Unmarshal([]byte(str("details")), &e.Details)
		out = append(out, e)
	}
	return out, nil
}
