package httpapi

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/reports"
)

// Reports people send in are read, published and discarded here. Audit
// entries name the action, the staff token and, for a publish, the
// broadcast: never the report's id or anything it says, so the audit's
// times cannot be put next to a report.

func (s *Server) reportsOn() error {
	if s.Reports == nil {
		return errReportsOff
	}
	return nil
}

func (s *Server) handleListReports(c echo.Context) error {
	if err := s.reportsOn(); err != nil {
		return err
	}
	list, err := s.Reports.List(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, adminapi.ReportList{Reports: list})
}

func (s *Server) handlePublishReport(c echo.Context) error {
	if err := s.reportsOn(); err != nil {
		return err
	}
	if err := s.broadcastsOn(); err != nil {
		return err
	}
	var req adminapi.ReportPublish
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	id := c.Param("id")
	if !slices.Contains(s.Conversation.Pack().TopicIDs(), adminapi.ReportTopic) {
		return errReportNoTopic.with(adminapi.ReportTopic)
	}
	name := adminName(c)
	st, err := s.Reports.Publish(ctx, s.Broadcasts, id, req, name)
	var ve *broadcast.ValidationError
	switch {
	case errors.Is(err, reports.ErrNotFound):
		return errNoReport.with(id)
	case errors.As(err, &ve):
		return errBroadcastInvalid.with(ve)
	case err != nil:
		return err
	}
	st = s.startNow(ctx, st)
	s.audit(ctx, name, "report_publish", st.ID, map[string]any{"topic": st.Topic, "recipients": st.Recipients, "urgent": st.Urgent})
	return c.JSON(http.StatusAccepted, adminapi.ReportPublished{BroadcastID: st.ID})
}

func (s *Server) handleDiscardReport(c echo.Context) error {
	if err := s.reportsOn(); err != nil {
		return err
	}
	var req adminapi.ReportDiscard
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	if !adminapi.ValidDiscardReason(req.Reason) {
		ids := make([]string, len(adminapi.DiscardReasons))
		for i, d := range adminapi.DiscardReasons {
			ids[i] = d.ID
		}
		return errReportReason.with(strings.Join(ids, ", "))
	}
	ctx := c.Request().Context()
	id := c.Param("id")
	err := s.Reports.Close(ctx, id, reports.Discarded)
	if errors.Is(err, reports.ErrNotFound) {
		return errNoReport.with(id)
	}
	if err != nil {
		return err
	}
	s.audit(ctx, adminName(c), "report_discard", "", map[string]any{"reason": req.Reason})
	return c.NoContent(http.StatusNoContent)
}
