package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
)

// maxAdminBody is the largest admin API request body.
const maxAdminBody = 64 << 10

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

// requireAdmin checks the bearer token with bot/access, the rule the
// console's sign-in follows too: a valid token is never refused, and wrong
// ones from one address are slowed once it has used up its tries. Only
// wrong tokens on real admin routes count, not unknown paths.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !s.Access.On() {
			return errAdminOff
		}
		token, _ := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
		if strings.HasSuffix(c.Path(), "/*") {
			// An unknown path: nothing to guess at, not counted.
			if name, ok := s.Access.Verify(token); ok {
				c.Set(adminNameKey, name)
				return next(c)
			}
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="senda"`)
			return errAdminToken
		}
		name, err := s.Access.Check(c.Request().Context(), token, c.RealIP())
		var th *access.ThrottledError
		switch {
		case err == nil:
			c.Set(adminNameKey, name)
			return next(c)
		case errors.As(err, &th):
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="senda"`)
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(th.Wait.Seconds())))
			return errAdminLockedOut.with(th.Minutes())
		}
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="senda"`)
		return errAdminToken
	}
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

// audit records who did what to which broadcast, with counts, in the
// trail the console shows too.
func (s *Server) audit(ctx context.Context, token, action, id string, details map[string]any) {
	s.Access.Record(ctx, access.Entry{Token: token, Action: action, Broadcast: id, Details: details})
}

func (s *Server) handleAudit(c echo.Context) error {
	trail, err := s.Access.Trail(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	out := make([]adminapi.AuditEntry, 0, len(trail))
	for _, e := range trail {
		out = append(out, adminapi.AuditEntry{At: e.At.UTC().Format(time.RFC3339), Token: e.Token, Action: e.Action, Broadcast: e.Broadcast, Details: e.Details})
	}
	return c.JSON(http.StatusOK, adminapi.Audit{Audit: out})
}
