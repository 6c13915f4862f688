package bot

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/twilio"
)

// StatusPath is where Twilio posts the status of broadcast messages; the
// broadcast id rides in the query (?b=…), which the signature covers.
const StatusPath = "/twilio/status"

// handleStatus turns a status callback into delivered or failed counts, and
// acts on errors that mean a person cannot or does not want to be reached.
// Nothing of the callback is kept but the counts and a keyed hash of the
// message id (so a repeated callback counts once).
func (s *Service) handleStatus(c echo.Context) error {
	params, err := s.readSigned(c)
	if err != nil {
		return err
	}
	if s.broadcasts == nil {
		return c.NoContent(http.StatusNoContent)
	}
	id := c.QueryParam("b")
	sid := twilio.Get(params, "MessageSid")
	status := twilio.Get(params, "MessageStatus")
	if id == "" || sid == "" || status == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "a status callback needs ?b=BROADCAST in its URL and MessageSid and MessageStatus in its body")
	}
	code, _ := strconv.Atoi(twilio.Get(params, "ErrorCode"))
	ctx := c.Request().Context()
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], s.hasher.Message(sid))
	err = s.broadcasts.CountCallback(ctx, id, hex.EncodeToString(h[:]), status, code)
	if err != nil && !errors.Is(err, broadcast.ErrNotFound) {
		return err
	}
	if code != 0 {
		to := twilio.Get(params, "To")
		sub := s.hasher.Sender(ident.ChannelOf(to), to)
		switch twilio.Classify(code, 0) {
		case twilio.KindOptedOut, twilio.KindBlocked, twilio.KindInvalidAddress:
			if err := s.subs.Delete(ctx, sub, s.engine().Pack().TopicIDs()); err != nil {
				return err
			}
		case twilio.KindMarketingDeclined:
			if err := s.subs.SuspendTemplates(ctx, sub, s.now().Add(7*24*time.Hour)); err != nil {
				return err
			}
		}
	}
	s.metrics.add(metricKey{"status_callbacks_total", "status", callbackStatus(status)}, 1)
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
