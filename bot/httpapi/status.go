package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/broadcast"
)

// handleStatus reads a status callback and hands it to the erasure queue
// and the broadcast store (broadcast.Store.HandleStatus), which count it
// and act on errors that mean a person cannot or does not want to be
// reached. Nothing of the callback is kept but the counts and a keyed hash
// of the message id (so a repeated callback counts once).
func (s *Server) handleStatus(c echo.Context) error {
	params, err := s.readSigned(c)
	if err != nil {
		return err
	}
	if done, err := s.eraseOnStatus(c, params); done || err != nil {
		return err
	}
	if s.Broadcasts == nil {
		return c.NoContent(http.StatusNoContent)
	}
	id := c.QueryParam(broadcast.CallbackParamBroadcast)
	sid := params.Get("MessageSid")
	status := params.Get("MessageStatus")
	if id == "" || sid == "" || status == "" {
		return errStatusFields
	}
	code, _ := strconv.Atoi(params.Get("ErrorCode"))
	err = s.Broadcasts.HandleStatus(c.Request().Context(), s.Hasher, broadcast.StatusReport{
		Broadcast: id, Tag: c.QueryParam(broadcast.CallbackParamTag), MessageSID: sid, Status: status, ErrorCode: code,
		To: params.Get("To"),
	})
	if err != nil {
		return err
	}
	s.Metrics.Add("status_callbacks_total", "status", callbackStatus(status), 1)
	return c.NoContent(http.StatusNoContent)
}

// callbackStatus keeps metric labels to Twilio's known statuses.
func callbackStatus(s string) string {
	switch s {
	case "accepted", "scheduled", "canceled", "queued", "sending", "sent", "failed", "delivered", "undelivered", "read":
		return s
	}
	return "other"
}
