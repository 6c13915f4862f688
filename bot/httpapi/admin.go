package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
)

// Admin API limits.
const (
	maxAdminBody = 64 << 10
	// MaxAuthFailures is how many failed logins a client address gets per
	// window before it must wait.
	MaxAuthFailures   = 10
	authFailureWindow = 15 * time.Minute
	auditLength       = 10000 // audit entries kept
)

// adminToken is a configured token, kept as a digest so comparing it takes
// the same time whatever its length.
type adminToken struct {
	name   string
	digest [sha256.Size]byte
}

// adminRoutes mounts the admin API under /admin.
func (s *Server) adminRoutes(e *echo.Echo) {
	// A group, so that unknown paths under /admin ask for a token too.
	g := e.Group(adminapi.PathPrefix, s.consoleSessionOr(s.requireAdmin))
	rel := func(path string) string { return strings.TrimPrefix(path, adminapi.PathPrefix) }
	g.POST(rel(adminapi.PathBroadcasts), s.handleCreateBroadcast)
	g.GET(rel(adminapi.PathBroadcasts), s.handleListBroadcasts)
	g.GET(rel(adminapi.BroadcastPath(":id")), s.handleGetBroadcast)
	g.POST(rel(adminapi.CancelPath(":id")), s.handleCancelBroadcast)
	g.GET(rel(adminapi.PathTopics), s.handleTopics)
	g.GET(rel(adminapi.PathAudit), s.handleAudit)
	g.GET(rel(adminapi.PathStats), s.handleStats)
	g.GET(rel(adminapi.PathReports), s.handleListReports)
	g.POST(rel(adminapi.ReportPublishPath(":id")), s.handlePublishReport)
	g.POST(rel(adminapi.ReportDiscardPath(":id")), s.handleDiscardReport)
}

const adminNameKey = "admin"

// requireAdmin checks the bearer token in constant time against every
// configured token, and limits failed attempts per client address. A valid
// token is never refused, so someone sharing the NGO's address (or a proxy
// without SENDA_TRUST_PROXY) cannot lock the NGO out by guessing; only
// failed authentications on real admin routes count, not unknown paths.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if len(s.admins) == 0 {
			return errAdminOff
		}
		if name := s.tokenName(c.Request().Header.Get(echo.HeaderAuthorization)); name != "" {
			c.Set(adminNameKey, name)
			return next(c)
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="senda"`)
		if strings.HasSuffix(c.Path(), "/*") {
			return errAdminToken // an unknown path: nothing to guess at, not counted
		}
		return s.countAuthFailure(c)
	}
}

// tokenName returns the name of the token an Authorization header carries,
// or "" when it carries none of the configured ones. Every token is
// compared, with no early exit.
func (s *Server) tokenName(header string) string {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return ""
	}
	name := ""
	digest := sha256.Sum256([]byte(strings.TrimSpace(token)))
	for _, t := range s.admins {
		if subtle.ConstantTimeCompare(digest[:], t.digest[:]) == 1 {
			name = t.name
		}
	}
	return name
}

// countAuthFailure counts a failed authentication from the client's
// address and answers 401, or 429 once the address has used up its
// attempts for the window.
func (s *Server) countAuthFailure(c echo.Context) error {
	ctx := c.Request().Context()
	client := s.Keys.AuthFailures(s.clientHash(c.RealIP()))
	s.Metrics.Count("admin_auth_failures_total")
	pipe := s.Redis.TxPipeline()
	incr := pipe.Incr(ctx, client)
	pipe.Expire(ctx, client, authFailureWindow)
	ttl := pipe.TTL(ctx, client)
	if _, err := pipe.Exec(ctx); err != nil {
		s.Log.Warn("count failed admin login", "err", err)
		return errAdminToken
	}
	if incr.Val() > MaxAuthFailures {
		wait := max(ttl.Val(), time.Second)
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())))
		return errAdminLockedOut.with(int(max(wait, time.Minute).Minutes()))
	}
	return errAdminToken
}

// clientHash names a client address in Redis without keeping the address.
func (s *Server) clientHash(addr string) string {
	sum := s.Hasher.Label("admin-client", addr)
	return hex.EncodeToString(sum[:12])
}

func adminName(c echo.Context) string {
	n, _ := c.Get(adminNameKey).(string)
	return n
}

func (s *Server) broadcastsOn() error {
	if s.Broadcasts == nil {
		return errBroadcastsOff
	}
	return nil
}

// bindJSON decodes a JSON body strictly: unknown fields are errors, so a
// typo is reported instead of silently ignored.
func bindJSON(c echo.Context, v any) error {
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, maxAdminBody))
	if err != nil {
		return errAdminTooLarge
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errAdminJSON.with(err)
	}
	return nil
}

func (s *Server) handleCreateBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	var req adminapi.BroadcastRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	name := adminName(c)
	st, created, err := s.Broadcasts.Create(ctx, req, name, c.Request().Header.Get(adminapi.HeaderIdempotencyKey))
	var ve *broadcast.ValidationError
	switch {
	case errors.As(err, &ve):
		return errBroadcastInvalid.with(ve)
	case errors.Is(err, broadcast.ErrIdempotencyMismatch):
		return errIdempotency.with(err)
	case err != nil:
		return err
	}
	if !created {
		c.Response().Header().Set(adminapi.HeaderReplayed, "true")
		return c.JSON(http.StatusOK, s.created(st))
	}
	st = s.startNow(ctx, st)
	s.audit(ctx, name, "create", st.ID, map[string]any{"topic": st.Topic, "recipients": st.Recipients, "send_at": st.SendAt.Format(time.RFC3339), "urgent": st.Urgent})
	return c.JSON(http.StatusCreated, s.created(st))
}

// startNow fans a broadcast for now out at once rather than at the next
// tick, and returns it as it stands then.
func (s *Server) startNow(ctx context.Context, st broadcast.Status) broadcast.Status {
	if st.SendAt.After(s.Now()) {
		return st
	}
	if err := s.Broadcasts.FanOutDue(ctx); err != nil {
		s.Log.Warn("fan out now; a worker will retry", "broadcast", st.ID, "err", err)
	} else if now, err := s.Broadcasts.Get(ctx, st.ID); err == nil {
		st = now
	}
	return st
}

// created is the answer to a create: the status, and a warning when this
// process cannot deliver it (no Twilio settings here), since then only a
// `senda worker` elsewhere will.
func (s *Server) created(st broadcast.Status) adminapi.Created {
	out := adminapi.Created{Broadcast: st}
	if !s.Deps.Delivers {
		out.Warning = "this Senda has no Twilio REST settings (TWILIO_ACCOUNT_SID and a sender), so it delivers nothing; the broadcast waits for a `senda worker` that has them"
	}
	return out
}

func (s *Server) handleListBroadcasts(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	limit := adminapi.DefaultListLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > adminapi.MaxListLimit {
			return errListLimit
		}
		limit = n
	}
	list, err := s.Broadcasts.List(c.Request().Context(), limit)
	if err != nil {
		return err
	}
	if list == nil {
		list = []adminapi.Broadcast{} // an empty list, not null, on the wire
	}
	return c.JSON(http.StatusOK, adminapi.BroadcastList{Broadcasts: list})
}

func (s *Server) handleGetBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	st, err := s.Broadcasts.Get(c.Request().Context(), c.Param("id"))
	if errors.Is(err, broadcast.ErrNotFound) {
		return errNoBroadcast.with(c.Param("id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (s *Server) handleCancelBroadcast(c echo.Context) error {
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	ctx := c.Request().Context()
	st, err := s.Broadcasts.Cancel(ctx, c.Param("id"))
	switch {
	case errors.Is(err, broadcast.ErrNotFound):
		return errNoBroadcast.with(c.Param("id"))
	case errors.Is(err, broadcast.ErrSettled):
		return errSettled.with(st.ID, st.State)
	case err != nil:
		return err
	}
	s.audit(ctx, adminName(c), "cancel", st.ID, map[string]any{"topic": st.Topic, "sent": st.Sent, "recipients": st.Recipients})
	return c.JSON(http.StatusOK, st)
}

func (s *Server) handleTopics(c echo.Context) error {
	p := s.Conversation.Pack()
	out := make([]adminapi.Topic, 0, len(p.Topics))
	for _, t := range p.Topics {
		n, err := s.Subscribers.Count(c.Request().Context(), t.ID)
		if err != nil {
			return err
		}
		out = append(out, adminapi.Topic{ID: t.ID, Name: t.Name[0], Subscribers: n})
	}
	langs := p.LanguageCodes()
	return c.JSON(http.StatusOK, adminapi.Topics{Topics: out, Languages: langs, DefaultLanguage: langs[0], Delivering: s.Deps.Delivers})
}

// audit records who did what to which broadcast, with counts, in Redis and
// in the log. It holds token names and figures only, never an address.
func (s *Server) audit(ctx context.Context, token, action, id string, details map[string]any) {
	d, _ := json.Marshal(details)
	err := s.Redis.XAdd(ctx, &redis.XAddArgs{
		Stream: s.Keys.Audit(), MaxLen: auditLength, Approx: true,
		Values: []any{"at", time.Now().UTC().Format(time.RFC3339), "token", token, "action", action, "broadcast", id, "details", string(d)},
	}).Err()
	if err != nil {
		s.Log.Error("write audit entry", "err", err)
	}
	args := []any{"token", token, "action", action, "broadcast", id}
	for k, v := range details {
		args = append(args, k, v)
	}
	s.Log.Info("admin action", args...)
}

func (s *Server) handleAudit(c echo.Context) error {
	msgs, err := s.Redis.XRevRangeN(c.Request().Context(), s.Keys.Audit(), "+", "-", 100).Result()
	if err != nil {
		return err
	}
	out := make([]adminapi.AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		e := adminapi.AuditEntry{At: str("at"), Token: str("token"), Action: str("action"), Broadcast: str("broadcast")}
		json.Unmarshal([]byte(str("details")), &e.Details)
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, adminapi.Audit{Audit: out})
}
