package bot

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/broadcast"
)

// Admin API limits.
const (
	maxAdminBody = 64 << 10
	// A client address gets this many failed logins per window, then waits.
	maxAuthFailures   = 10
	authFailureWindow = 15 * time.Minute
	auditLength       = 10000 // audit entries kept
)

// adminToken is a configured token, kept as a digest so comparing it takes
// the same time whatever its length.
type adminToken struct {
	name   string
	digest [sha256.Size]byte
}

func adminTokens(m map[string]string) []adminToken {
	out := make([]adminToken, 0, len(m))
	for name, token := range m {
		out = append(out, adminToken{name: name, digest: sha256.Sum256([]byte(token))})
	}
	return out
}

// adminRoutes mounts the admin API under /admin.
func (s *Service) adminRoutes(e *echo.Echo) {
	g := e.Group("/admin", s.requireAdmin)
	g.POST("/broadcasts", s.handleCreateBroadcast)
	g.GET("/broadcasts", s.handleListBroadcasts)
	g.GET("/broadcasts/:id", s.handleGetBroadcast)
	g.POST("/broadcasts/:id/cancel", s.handleCancelBroadcast)
	g.GET("/topics", s.handleTopics)
	g.GET("/audit", s.handleAudit)
}

const adminNameKey = "admin"

// requireAdmin checks the bearer token in constant time against every
// configured token, and limits failed attempts per client address.
func (s *Service) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if len(s.admins) == 0 {
			return echo.NewHTTPError(http.StatusNotFound, "the admin API is off: set SENDA_ADMIN_TOKENS to turn it on")
		}
		ctx := c.Request().Context()
		client := s.keys.AuthFailures(s.clientHash(c.RealIP()))
		failures, err := s.rdb.Get(ctx, client).Int()
		if err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("admin: read failed logins: %w", err)
		}
		if failures >= maxAuthFailures {
			ttl, _ := s.rdb.TTL(ctx, client).Result()
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(max(ttl, time.Second).Seconds())))
			return echo.NewHTTPError(http.StatusTooManyRequests, fmt.Sprintf("too many failed logins from this address; try again in %d minutes", int(max(ttl, time.Minute).Minutes())))
		}
		token, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		name := ""
		if ok {
			digest := sha256.Sum256([]byte(strings.TrimSpace(token)))
			for _, t := range s.admins { // no early exit: every token is compared
				if subtle.ConstantTimeCompare(digest[:], t.digest[:]) == 1 {
					name = t.name
				}
			}
		}
		if name == "" {
			pipe := s.rdb.TxPipeline()
			pipe.Incr(ctx, client)
			pipe.Expire(ctx, client, authFailureWindow)
			if _, err := pipe.Exec(ctx); err != nil {
				s.log.Warn("count failed admin login", "err", err)
			}
			s.metrics.count("admin_auth_failures_total")
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="senda"`)
			return echo.NewHTTPError(http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer TOKEN with a token from SENDA_ADMIN_TOKENS")
		}
		c.Set(adminNameKey, name)
		return next(c)
	}
}

// clientHash names a client address in Redis without keeping the address.
func (s *Service) clientHash(addr string) string {
	sum := s.hasher.Label("admin-client", addr)
	return hex.EncodeToString(sum[:12])
}

func adminName(c echo.Context) string {
	n, _ := c.Get(adminNameKey).(string)
	return n
}

func (s *Service) broadcastsOn() error {
	if s.broadcasts == nil {
		return echo.NewHTTPError(http.StatusConflict, "broadcasts are off: set SENDA_SUBSCRIBER_KEY (and the Twilio settings) to turn them on")
	}
	return nil
}

// bindJSON decodes a JSON body strictly: unknown fields are errors, so a
// typo is reported instead of silently ignored.
func bindJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxAdminBody))
	if err != nil {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "request body over 64 KiB")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "request body is not the expected JSON: "+err.Error())
	}
	return nil
}

func (s *Service) handleCreateBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	var req broadcast.Request
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := adminName(c)
	st, created, err := s.broadcasts.Create(ctx, req, name, c.Request().Header.Get("Idempotency-Key"))
	var ve *broadcast.ValidationError
	switch {
	case errors.As(err, &ve):
		return echo.NewHTTPError(http.StatusUnprocessableEntity, ve.Error())
	case errors.Is(err, broadcast.ErrIdempotencyMismatch):
		return echo.NewHTTPError(http.StatusConflict, err.Error())
	case err != nil:
		return err
	}
	if !created {
		c.Response().Header().Set("Idempotent-Replayed", "true")
		return c.JSON(http.StatusOK, s.created(st))
	}
	// A broadcast for now starts at once rather than at the next tick.
	if !st.SendAt.After(s.now()) {
		if err := s.broadcasts.FanOutDue(ctx); err != nil {
			s.log.Warn("fan out now; a worker will retry", "broadcast", st.ID, "err", err)
		} else if now, err := s.broadcasts.Get(ctx, st.ID); err == nil {
			st = now
		}
	}
	s.audit(ctx, name, "create", st.ID, map[string]any{"topic": st.Topic, "recipients": st.Recipients, "send_at": st.SendAt.Format(time.RFC3339), "urgent": st.Urgent})
	return c.JSON(http.StatusCreated, s.created(st))
}

// createdBroadcast is the answer to a create: the status, and a warning
// when this process cannot deliver it (no Twilio settings here), since then
// only a `senda worker` elsewhere will.
type createdBroadcast struct {
	broadcast.Status
	Warning string `json:"warning,omitempty"`
}

func (s *Service) created(st broadcast.Status) createdBroadcast {
	out := createdBroadcast{Status: st}
	if !s.Delivers() {
		out.Warning = "this Senda has no Twilio REST settings (TWILIO_ACCOUNT_SID and a sender), so it delivers nothing; the broadcast waits for a `senda worker` that has them"
	}
	return out
}

func (s *Service) handleListBroadcasts(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	limit := 20
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return echo.NewHTTPError(http.StatusBadRequest, "limit must be a number from 1 to 100")
		}
		limit = n
	}
	list, err := s.broadcasts.List(c.Request().Context(), limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"broadcasts": list})
}

func (s *Service) handleGetBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	st, err := s.broadcasts.Get(c.Request().Context(), c.Param("id"))
	if errors.Is(err, broadcast.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no broadcast with id %q; GET /admin/broadcasts lists them", c.Param("id")))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Service) handleCancelBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := s.broadcasts.Cancel(ctx, c.Param("id"))
	switch {
	case errors.Is(err, broadcast.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("no broadcast with id %q; GET /admin/broadcasts lists them", c.Param("id")))
	case errors.Is(err, broadcast.ErrSettled):
		return echo.NewHTTPError(http.StatusConflict, fmt.Sprintf("broadcast %s is already %s; there is nothing left to cancel", st.ID, st.State))
	case err != nil:
		return err
	}
	s.audit(ctx, adminName(c), "cancel", st.ID, map[string]any{"topic": st.Topic, "sent": st.Sent, "recipients": st.Recipients})
	return c.JSON(http.StatusOK, st)
}

// topicStatus is a topic as the admin API shows it.
type topicStatus struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Subscribers int64  `json:"subscribers"`
}

func (s *Service) handleTopics(c echo.Context) error {
	p := s.engine().Pack()
	out := make([]topicStatus, 0, len(p.Topics))
	for _, t := range p.Topics {
		n, err := s.subs.Count(c.Request().Context(), t.ID)
		if err != nil {
			return err
		}
		out = append(out, topicStatus{ID: t.ID, Name: t.Name[0], Subscribers: n})
	}
	langs := p.LanguageCodes()
	return c.JSON(http.StatusOK, map[string]any{"topics": out, "languages": langs, "default_language": langs[0], "delivering": s.Delivers()})
}

// auditEntry is one admin action as GET /admin/audit shows it.
type auditEntry struct {
	At        string         `json:"at"`
	Token     string         `json:"token"`
	Action    string         `json:"action"`
	Broadcast string         `json:"broadcast"`
	Details   map[string]any `json:"details"`
}

// audit records who did what to which broadcast, with counts, in Redis and
// in the log. It holds token names and figures only, never an address.
func (s *Service) audit(ctx context.Context, token, action, id string, details map[string]any) {
	d, _ := json.Marshal(details)
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.keys.Audit(), MaxLen: auditLength, Approx: true,
		Values: []any{"at", time.Now().UTC().Format(time.RFC3339), "token", token, "action", action, "broadcast", id, "details", string(d)},
	}).Err()
	if err != nil {
		s.log.Error("write audit entry", "err", err)
	}
	args := []any{"token", token, "action", action, "broadcast", id}
	for k, v := range details {
		args = append(args, k, v)
	}
	s.log.Info("admin action", args...)
}

func (s *Service) handleAudit(c echo.Context) error {
	msgs, err := s.rdb.XRevRangeN(c.Request().Context(), s.keys.Audit(), "+", "-", 100).Result()
	if err != nil {
		return err
	}
	out := make([]auditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		e := auditEntry{At: str("at"), Token: str("token"), Action: str("action"), Broadcast: str("broadcast")}
		json.Unmarshal([]byte(str("details")), &e.Details)
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, map[string]any{"audit": out})
}
