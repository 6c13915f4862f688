package httpapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/twilio"
)

// readSigned reads a form body of at most MaxWebhookBody bytes, checks its
// Twilio signature, and returns its fields.
func (s *Server) readSigned(c echo.Context) (twilio.Form, error) {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationForm {
			return twilio.Form{}, errWebhookMediaType
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return twilio.Form{}, errWebhookTooLarge
		}
		return twilio.Form{}, errWebhookUnreadable
	}
	form, err := twilio.ParseForm(body)
	if err != nil {
		return twilio.Form{}, errWebhookMalformed
	}
	if s.Validator == nil {
		return form, nil
	}
	tok := s.Validator.Match(req.URL.RequestURI(), form, req.Header.Get(twilio.Header))
	if tok == twilio.TokenNone {
		s.Metrics.Count("webhook_forbidden_total")
		return twilio.Form{}, errWebhookSignature
	}
	s.Metrics.Add("webhook_signatures_total", "token", tok.String(), 1)
	return form, nil
}

// handleMessage answers one inbound message: verify, read, hand it to the
// conversation, reply with TwiML.
func (s *Server) handleMessage(c echo.Context) error {
	start := time.Now()
	defer func() { s.Metrics.Observe("webhook_duration_seconds", time.Since(start)) }()
	form, err := s.readSigned(c)
	if err != nil {
		return err
	}
	msg := conversation.Inbound{
		From: form.Get("From"),
		To:   form.Get("To"),
		Body: form.Get("Body"),
		SID:  form.Get("MessageSid"),
		// Only the count of attachments is read; their URLs are never
		// followed or kept. A malformed count is taken as none.
		Media: numMedia(form.Get("NumMedia")),
	}
	if msg.From == "" || msg.SID == "" {
		return errMessageFields
	}
	page := s.Conversation.Handle(c.Request().Context(), msg)
	return s.writeTwiML(c, page.TwiML)
}

// messageTag is how every pre-rendered reply opens its message.
var messageTag = []byte("<Message")

// replyAttr renders the attribute that asks Twilio for a reply's status
// callbacks: action, which twilio-go's TwiML names the status callback URL
// of the created message (statusCallback is its deprecated name).
func replyAttr(callback string) []byte {
	if callback == "" {
		return nil
	}
	var b bytes.Buffer
	b.WriteString(` action="`)
	_ = xml.EscapeText(&b, []byte(callback)) // writing to a bytes.Buffer cannot fail
	b.WriteString(`"`)
	return b.Bytes()
}

// writeTwiML answers with a pre-rendered reply, with the status callback
// spliced into its <Message> as it is written: no copy of the page, no
// rendering per request.
func (s *Server) writeTwiML(c echo.Context, twiml []byte) error {
	i := bytes.Index(twiml, messageTag)
	if len(s.replyAttr) == 0 || i < 0 {
		return c.Blob(http.StatusOK, twimlType, twiml)
	}
	cut := i + len(messageTag)
	r := c.Response()
	r.Header().Set(echo.HeaderContentType, twimlType)
	r.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(twiml)+len(s.replyAttr)))
	r.WriteHeader(http.StatusOK)
	for _, part := range [][]byte{twiml[:cut], s.replyAttr, twiml[cut:]} {
		if _, err := r.Write(part); err != nil {
			return err
		}
	}
	return nil
}

const twimlType = "text/xml; charset=utf-8"

// numMedia reads Twilio's NumMedia field: a small non-negative count, or 0
// when absent or malformed.
func numMedia(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
