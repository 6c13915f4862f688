package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/twilio"
)

// readSigned reads a form body of at most MaxWebhookBody bytes, checks its
// Twilio signature, and returns its fields sorted by key.
func (s *Server) readSigned(c echo.Context) ([]twilio.Param, error) {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationForm {
			return nil, errWebhookMediaType
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errWebhookTooLarge
		}
		return nil, errWebhookUnreadable
	}
	params, err := twilio.ParseForm(body)
	if err != nil {
		return nil, errWebhookMalformed
	}
	if s.Validator != nil && !s.Validator.Valid(req.URL.RequestURI(), params, req.Header.Get(twilio.Header)) {
		s.Metrics.Count("webhook_forbidden_total")
		return nil, errWebhookSignature
	}
	return params, nil
}

// handleMessage answers one inbound message: verify, read, hand it to the
// conversation, reply with TwiML.
func (s *Server) handleMessage(c echo.Context) error {
	params, err := s.readSigned(c)
	if err != nil {
		return err
	}
	msg := conversation.Inbound{
		From: twilio.Get(params, "From"),
		To:   twilio.Get(params, "To"),
		Body: twilio.Get(params, "Body"),
		SID:  twilio.Get(params, "MessageSid"),
		// Only the count of attachments is read; their URLs are never
		// followed or kept. A malformed count is taken as none.
		Media: numMedia(twilio.Get(params, "NumMedia")),
	}
	if msg.From == "" || msg.SID == "" {
		return errMessageFields
	}
	page := s.Conversation.Handle(c.Request().Context(), msg)
	if s.AfterMessage != nil { // TEMPORARY: see Deps.AfterMessage
		s.AfterMessage(c.Request().Context(), msg)
	}
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", page.TwiML)
}

// numMedia reads Twilio's NumMedia field: a small non-negative count, or 0
// when absent or malformed.
func numMedia(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
