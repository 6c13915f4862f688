package httpapi

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/twilio"
)

// eraseOnStatus queues the erasure at Twilio of a reply (?r=1) or a
// broadcast message once its status callback says it is final (see
// erase.Final). A reply's callback is then answered (done): nothing else is
// kept of it. A broadcast's callback goes on to be counted even when
// queueing failed (Twilio does not send it again).
func (s *Server) eraseOnStatus(c echo.Context, params twilio.Form) (done bool, err error) {
	reply := c.QueryParam("r") != ""
	sid, status := params.Get("MessageSid"), params.Get("MessageStatus")
	if reply && (sid == "" || status == "") {
		return true, errReplyStatus
	}
	if s.Erase != nil && sid != "" {
		if err := s.Erase.Callback(c.Request().Context(), sid, status); err != nil {
			if reply {
				return true, err
			}
			s.Metrics.Count("erase_queue_errors_total")
			s.Log.Error("queue the erasure of a broadcast message", "err", err)
		}
	}
	if reply {
		s.Metrics.Add("reply_status_callbacks_total", "status", callbackStatus(status), 1)
		return true, c.NoContent(http.StatusNoContent)
	}
	return false, nil
}
