// Package console is Senda's web console for NGO staff at /admin/: sign in
// with an admin token, see whether everything works, compose and schedule
// broadcasts, read the anonymous figures, try the content in a simulator,
// and read the audit trail. Pages are rendered on the server with
// html/template, in Spanish first with an English switch; every asset is
// embedded, so the console works offline and under a strict
// Content-Security-Policy (no inline script or style).
//
// # Sessions
//
// Signing in with an admin token creates a session: a random 32-byte id in
// an HttpOnly, SameSite=Strict cookie (Secure when the public URL is https),
// stored in Redis only as the SHA-256 of that id, with the token's name and
// the session's CSRF token, for Options.SessionTTL (absolute, not renewed).
// Signing out deletes it. The token itself is never stored, logged, put in
// a URL or echoed back. Every form carries the session's CSRF token; the
// sign-in form carries a token bound to a short-lived cookie instead.
//
// # Wiring
//
// The console declares the interfaces it needs (Broadcasts, TestSender,
// Stats, Health, Templates) and the integrator passes implementations over
// the running services; adapters.go has ones built on the real pieces
// (broadcast.Store, stats.Recorder). Tokens, the limit on wrong guesses and
// the audit trail are the admin API's own (bot/access): one Access serves
// both, so the console follows the API's rule: a valid token is never
// refused, and wrong ones are slowed per address.
// Register adds the routes to a group, normally e.Group("/admin") without
// the bearer-token middleware of the admin API: the console checks its own
// sessions.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Broadcasts creates, lists and cancels broadcasts.
type Broadcasts interface {
	Create(ctx context.Context, req broadcast.Request, by string) (broadcast.Status, error)
	List(ctx context.Context, limit int) ([]broadcast.Status, error)
	Cancel(ctx context.Context, id string) (broadcast.Status, error)
}

// TestSender sends one test message to a number staff typed. The number is
// used once and must not be stored or logged.
type TestSender interface {
	SendTest(ctx context.Context, to string, ch content.Channel, body string) error
}

// Stats reads the anonymous figures ("YYYY-MM-DD"; empty means the default
// range).
type Stats interface {
	Read(ctx context.Context, from, to string) (stats.Report, error)
}

// Check is one line of "is everything working".
type Check struct {
	Name   string // in Spanish, e.g. "Redis"
	OK     bool
	Detail string // what is wrong or what is set, without secrets
}

// Health says whether the parts Senda depends on work.
type Health interface {
	Check(ctx context.Context) []Check
}

// Template is an approved WhatsApp template (Content API), as bot/twilio
// lists it.
type Template = twilio.Template

// TemplateVariable is one placeholder of a template.
type TemplateVariable = twilio.TemplateVariable

// Templates lists the account's approved WhatsApp templates.
type Templates interface {
	List(ctx context.Context) ([]Template, error)
}

// Options configure the console. Redis, Access, Broadcasts, Stats and
// Pack are required.
type Options struct {
	Redis      redis.UniversalClient // console sessions
	Prefix     string                // key prefix, e.g. "senda:"
	Access     *access.Access        // admin tokens, wrong-guess limit, audit trail
	Broadcasts Broadcasts
	TestSender TestSender // nil hides "send a test"
	Stats      Stats
	Health     Health // nil shows no checks
	Templates  Templates
	Reports    Reports                // nil: reports are off (reports.go)
	Pack       func() *content.Pack   // the live content pack
	Check      func() *content.Report // the live pack's content check, or nil
	Location   *time.Location         // SENDA_TIMEZONE
	Secure     bool                   // SENDA_PUBLIC_URL is https: cookies are Secure
	SessionTTL time.Duration          // default 8 hours
	// SimulatorKey signs the simulator's conversation state kept in the
	// page; random when nil (states then do not survive a restart).
	SimulatorKey []byte
	Log          *slog.Logger
	Now          func() time.Time
}

// Console serves the web console.
type Console struct {
	opts   Options
	pages  map[string]*pageTemplate
	log    *slog.Logger
	now    func() time.Time
	simKey []byte
	base   string // the group's prefix, e.g. "/admin"
}

// New checks the options and parses the templates.
func New(opts Options) (*Console, error) {
	switch {
	case opts.Redis == nil:
		return nil, errors.New("console: Options.Redis is required")
	case !opts.Access.On():
		return nil, errors.New("console: Options.Access with admin tokens is required")
	case opts.Broadcasts == nil:
		return nil, errors.New("console: Options.Broadcasts is required")
	case opts.Stats == nil:
		return nil, errors.New("console: Options.Stats is required")
	case opts.Pack == nil:
		return nil, errors.New("console: Options.Pack is required")
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 8 * time.Hour
	}
	c := &Console{opts: opts, log: opts.Log, now: opts.Now, simKey: opts.SimulatorKey}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if len(c.simKey) == 0 {
		c.simKey = make([]byte, 32)
		rand.Read(c.simKey)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	return c, nil
}

// Register adds the console's routes to g, normally e.Group("/admin")
// without other middleware: the console checks its own sessions and sets
// its own security headers.
func (c *Console) Register(g *echo.Group) {
	home := g.GET("/", c.home, c.headers, c.session, c.csrf)
	c.base = strings.TrimSuffix(home.Path, "/")
	static, _ := fs.Sub(staticFS, "static")
	assets := http.StripPrefix(c.base+"/static/", http.FileServer(http.FS(static)))
	g.GET("/static/*", func(ec echo.Context) error {
		ec.Response().Header().Set("Cache-Control", "public, max-age=3600")
		assets.ServeHTTP(ec.Response(), ec.Request())
		return nil
	}, c.headers)
	g.GET("", func(ec echo.Context) error { return ec.Redirect(http.StatusSeeOther, c.path(ec, "/")) })
	g.GET("/entrar", c.signInPage, c.headers)
	g.POST("/entrar", c.signIn, c.headers)
	g.GET("/idioma", c.switchLanguage, c.headers)
	signed := []echo.MiddlewareFunc{c.headers, c.session, c.csrf}
	g.POST("/salir", c.signOut, signed...)
	g.GET("/avisos", c.broadcasts, signed...)
	g.POST("/avisos", c.createBroadcast, signed...)
	g.POST("/avisos/medir", c.measure, signed...)
	g.POST("/avisos/prueba", c.sendTest, signed...)
	g.POST("/avisos/:id/cancelar", c.cancelBroadcast, signed...)
	g.GET("/estadisticas", c.statsPage, signed...)
	g.GET("/estadisticas.csv", c.statsCSV, signed...)
	g.GET("/contenido", c.contentPage, signed...)
	g.POST("/contenido", c.simulate, signed...)
	g.POST("/contenido/frase", c.readPhrase, signed...)
	g.GET("/registro", c.auditPage, signed...)
	g.GET("/reportes", c.reportsPage, signed...)
	g.GET("/reportes/:id", c.reportPage, signed...)
	g.POST("/reportes/:id", c.reportAction, signed...)
	g.POST("/reportes/:id/descartar", c.reportDiscard, signed...)
}

// path is a console path under the group's prefix, e.g. "/admin/avisos".
func (c *Console) path(_ echo.Context, p string) string { return c.base + p }

// contentSecurityPolicy allows only the console's own files: no inline
// script or style, no frames, forms posting only here.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (c *Console) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		h := ec.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if r := ec.Request(); r.Method != http.MethodGet && r.Method != http.MethodHead {
			r.Body = http.MaxBytesReader(ec.Response(), r.Body, maxFormBytes)
		}
		return next(ec)
	}
}

// maxFormBytes bounds what one console form may post; the largest, the
// simulator's with its transcript, stays well under it.
const maxFormBytes = 256 << 10

// Cookie names.
const (
	sessionCookie = "senda_console"
	loginCookie   = "senda_console_login"
	langCookie    = "senda_lang"
)

type sessionInfo struct {
	Name string
	CSRF string
	key  string
}

const ctxSession = "console.session"

func (c *Console) sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return rkey.Space(c.opts.Prefix).ConsoleSession(hex.EncodeToString(sum[:]))
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Console) cookie(name, value string, ttl time.Duration, path string) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, Secure: c.opts.Secure, SameSite: http.SameSiteStrictMode}
	if ttl > 0 {
		ck.MaxAge = int(ttl.Seconds())
		ck.Expires = c.now().Add(ttl)
	} else {
		ck.MaxAge = -1
	}
	return ck
}

// SignedIn returns the admin token name of the request's console session,
// for an admin API endpoint that also accepts a session (GET /admin/stats).
func (c *Console) SignedIn(ec echo.Context) (string, bool) {
	s, err := c.lookup(ec)
	if err != nil || s == nil {
		return "", false
	}
	return s.Name, true
}

func (c *Console) lookup(ec echo.Context) (*sessionInfo, error) {
	ck, err := ec.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, nil
	}
	key := c.sessionKey(ck.Value)
	vals, err := c.opts.Redis.HGetAll(ec.Request().Context(), key).Result()
	if err != nil {
		return nil, fmt.Errorf("console: read session: %w", err)
	}
	if vals["name"] == "" {
		return nil, nil
	}
	return &sessionInfo{Name: vals["name"], CSRF: vals["csrf"], key: key}, nil
}

func (c *Console) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		s, err := c.lookup(ec)
		if err != nil {
			return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
		}
		if s == nil {
			if ec.Request().Method == http.MethodGet {
				return ec.Redirect(http.StatusSeeOther, c.path(ec, "/entrar"))
			}
			return c.fail(ec, http.StatusUnauthorized, "err_signin_first", nil)
		}
		ec.Set(ctxSession, s)
		return next(ec)
	}
}

func sessionOf(ec echo.Context) *sessionInfo {
	s, _ := ec.Get(ctxSession).(*sessionInfo)
	return s
}

func (c *Console) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ec echo.Context) error {
		if ec.Request().Method == http.MethodGet || ec.Request().Method == http.MethodHead {
			return next(ec)
		}
		got := ec.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = ec.FormValue("csrf")
		}
		s := sessionOf(ec)
		if s == nil || s.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			return c.fail(ec, http.StatusForbidden, "err_csrf", nil)
		}
		return next(ec)
	}
}

func (c *Console) signInPage(ec echo.Context) error {
	if s, _ := c.lookup(ec); s != nil {
		return ec.Redirect(http.StatusSeeOther, c.path(ec, "/"))
	}
	return c.renderSignIn(ec, http.StatusOK, "")
}

func (c *Console) renderSignIn(ec echo.Context, status int, problem string, args ...any) error {
	token := randomToken()
	ec.SetCookie(c.cookie(loginCookie, token, 30*time.Minute, c.path(ec, "/")))
	v := c.view(ec, "signin")
	v.CSRF = token
	v.Error, v.ErrorArgs = problem, args
	return c.render(ec, status, "signin", v)
}

func (c *Console) signIn(ec echo.Context) error {
	ctx := ec.Request().Context()
	ck, err := ec.Cookie(loginCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(ec.FormValue("csrf"))) != 1 {
		return c.fail(ec, http.StatusForbidden, "err_csrf", nil)
	}
	name, err := c.opts.Access.Check(ctx, ec.FormValue("token"), ec.RealIP())
	var th *access.ThrottledError
	switch {
	case errors.As(err, &th):
		ec.Response().Header().Set("Retry-After", strconv.Itoa(int(th.Wait.Seconds())))
		return c.renderSignIn(ec, http.StatusTooManyRequests, "err_too_many", th.Minutes())
	case err != nil:
		return c.renderSignIn(ec, http.StatusUnauthorized, "err_bad_token")
	}
	id := randomToken()
	key := c.sessionKey(id)
	pipe := c.opts.Redis.TxPipeline()
	pipe.HSet(ctx, key, "name", name, "csrf", randomToken())
	pipe.Expire(ctx, key, c.opts.SessionTTL)
	if _, err := pipe.Exec(ctx); err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	ec.SetCookie(c.cookie(sessionCookie, id, c.opts.SessionTTL, c.path(ec, "/")))
	ec.SetCookie(c.cookie(loginCookie, "", 0, c.path(ec, "/")))
	c.audit(ctx, access.Entry{Token: name, Action: "signin"})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/"))
}

func (c *Console) signOut(ec echo.Context) error {
	s := sessionOf(ec)
	if err := c.opts.Redis.Del(ec.Request().Context(), s.key).Err(); err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	ec.SetCookie(c.cookie(sessionCookie, "", 0, c.path(ec, "/")))
	c.audit(ec.Request().Context(), access.Entry{Token: s.Name, Action: "signout"})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/entrar"))
}

func (c *Console) switchLanguage(ec echo.Context) error {
	lang := "es"
	if ec.QueryParam("l") == "en" {
		lang = "en"
	}
	ec.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: c.path(ec, "/"), MaxAge: 365 * 24 * 3600,
		Secure: c.opts.Secure, SameSite: http.SameSiteStrictMode, HttpOnly: true})
	back := ec.QueryParam("volver")
	if !strings.HasPrefix(back, c.path(ec, "/")) || strings.Contains(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = c.path(ec, "/")
	}
	return ec.Redirect(http.StatusSeeOther, back)
}

func (c *Console) audit(ctx context.Context, e access.Entry) {
	e.At = c.now()
	c.opts.Access.Record(ctx, e)
}

// fail answers an error page (or a short text to a script) and logs the
// cause, which never holds a token, a number or a text.
func (c *Console) fail(ec echo.Context, status int, key string, cause error) error {
	if cause != nil {
		c.log.Error("console", "path", ec.Path(), "status", status, "err", cause)
	}
	v := c.view(ec, "error")
	v.Error = key
	if strings.Contains(ec.Request().Header.Get("Accept"), "application/json") {
		return ec.JSON(status, map[string]string{"error": v.T(key)})
	}
	return c.render(ec, status, "error", v)
}
