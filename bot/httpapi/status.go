package httpapi

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/twilio"
)

// handleStatus turns a status callback into delivered or failed counts, and
// acts on errors that mean a person cannot or does not want to be reached.
// Nothing of the callback is kept but the counts and a keyed hash of the
// message id (so a repeated callback counts once).
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
	sid := twilio.Get(params, "MessageSid")
	status := twilio.Get(params, "MessageStatus")
	if id == "" || sid == "" || status == "" {
		return errStatusFields
	}
	code, _ := strconv.Atoi(twilio.Get(params, "ErrorCode"))
	ctx := c.Request().Context()
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], s.Hasher.Message(sid))
	err = s.Broadcasts.RecordCallback(ctx, broadcast.Callback{
		Broadcast: id, Tag: c.QueryParam(broadcast.CallbackParamTag), MsgHash: hex.EncodeToString(h[:]), Status: status, ErrorCode: code,
	})
	if err != nil && !errors.Is(err, broadcast.ErrNotFound) {
		return err
	}
	if code != 0 {
		to := twilio.Get(params, "To")
		sub := s.Hasher.Sender(ident.ChannelOf(to), to)
		if err := s.Broadcasts.ApplyErrorPolicy(ctx, sub, twilio.Classify(code, 0)); err != nil {
			return err
		}
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
