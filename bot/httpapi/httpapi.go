// Package httpapi is Senda's HTTP surface: the Twilio webhook and status
// callbacks, the admin API (its wire types are in bot/adminapi), health
// checks and metrics, with one error table mapped in one error handler.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/erase"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
)

// Paths Twilio posts to.
const (
	// MessagesPath is where Twilio posts inbound messages.
	MessagesPath = "/twilio/messages"
	// StatusPath is where Twilio posts the status of broadcast messages;
	// the broadcast id rides in the query (?b=…), which the signature covers.
	StatusPath = "/twilio/status"
)

// MaxWebhookBody is the largest webhook body accepted. Twilio's inbound
// messages are a few kilobytes even with a 1,600-character body.
const MaxWebhookBody = 64 << 10

// HTTP server timeouts. Twilio gives up after 15 s, so nothing a webhook
// does may take longer; slow clients are cut off well before.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	readyPingTimeout  = time.Second
)

// Deps are what the HTTP surface serves from. Broadcasts is nil when
// subscriptions are off; Validator is nil when signatures are not checked
// (development without TWILIO_AUTH_TOKEN).
type Deps struct {
	Log          *slog.Logger
	Redis        redis.UniversalClient
	Keys         rkey.Space
	Hasher       *ident.Hasher
	Validator    *twilio.Validator
	Metrics      *metrics.Set
	Conversation *conversation.Conversation
	Subscribers  *subscribers.Store
	Broadcasts   *broadcast.Store
	// Reports are the reports people send in (AVISAR); nil when
	// subscriptions are off.
	Reports *reports.Store
	// Erase queues messages' erasure at Twilio; nil when SENDA_TWILIO_ERASE
	// is off.
	Erase *erase.Queue
	// ReplyCallback is the URL Twilio reports replies' status to (the
	// status path with ?r=1), added to every reply's TwiML so the reply can
	// be erased once final; empty adds nothing.
	ReplyCallback string
	// Access checks admin tokens and keeps the audit trail, for the admin
	// API and the console alike; without tokens the admin API is off.
	Access *access.Access
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// Delivers reports whether this process delivers broadcasts.
	Delivers bool
	// Stats answers GET /admin/stats (bearer token or console session).
	Stats StatsReader
	// Console is the web console, mounted at /admin/ when the admin API is
	// on; its sessions are accepted by the admin API for GET requests.
	Console Console
	// Queue reports whether this process's broadcast workers can read
	// their queue; nil when it runs none.
	Queue *broadcast.QueueHealth
	Now   func() time.Time
}

// Server answers HTTP requests.
type Server struct {
	Deps
	replyAttr []byte // ` action="…"`, spliced into each reply's <Message>
	echo      *echo.Echo
}

// New builds the routes. There is no request logger: an access log line
// would hold nothing useful that the metrics do not, and every line written
// is one more place a mistake could leak something.
func New(d Deps) *Server {
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{Deps: d, replyAttr: replyAttr(d.ReplyCallback)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if d.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Use(redisComponent)
	e.POST(MessagesPath, s.handleMessage)
	e.POST(StatusPath, s.handleStatus)
	s.adminRoutes(e)
	s.consoleRoutes(e)
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", s.handleMetrics)
	s.echo = e
	return s
}

// redisComponent marks each request's context with the part of Senda it
// belongs to, so /metrics counts its Redis errors under that component.
func redisComponent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		comp := metrics.ComponentOther
		switch p := c.Request().URL.Path; {
		case p == MessagesPath:
			comp = metrics.ComponentConversation
		case p == StatusPath:
			comp = metrics.ComponentBroadcast
		case p == "/admin" || strings.HasPrefix(p, "/admin/"):
			comp = metrics.ComponentAdmin
		}
		req := c.Request()
		c.SetRequest(req.WithContext(metrics.WithComponent(req.Context(), comp)))
		return next(c)
	}
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// NewHTTPServer returns an http.Server for h with Senda's timeouts, logging
// its own errors (bad TLS, broken connections) as warnings.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers 200 when Redis answers a PING within a second, a
// content pack is loaded and this process's broadcast workers (if any) can
// read their queue, so a load balancer only sends webhooks to replicas that
// can answer them and a stalled worker shows.
func (s *Server) handleReady(c echo.Context) error {
	if s.Conversation == nil || s.Conversation.Engine() == nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "content not loaded"})
	}
	if err := Ping(c.Request().Context(), s.Redis, readyPingTimeout); err != nil {
		s.Log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "redis not answering"})
	}
	if err := s.Queue.Err(); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "broadcast queue not readable", "reason": err.Error()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleMetrics(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/plain; version=0.0.4")
	c.Response().WriteHeader(http.StatusOK)
	return s.Metrics.Write(c.Response())
}

// Ping checks that Redis answers within timeout.
func Ping(ctx context.Context, rdb redis.UniversalClient, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}
