package bot

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// MaxWebhookBody is the largest webhook body accepted. Twilio's inbound
// messages are a few kilobytes even with a 1,600-character body.
const MaxWebhookBody = 64 << 10

// MessagesPath is where Twilio posts inbound messages.
const MessagesPath = "/twilio/messages"

// inbound is what Senda reads of a Twilio webhook; every other field
// (ProfileName, WaId, FromCity, …) is dropped unread.
type inbound struct {
	from, to, body, sid string
}

// readSigned reads a form body of at most MaxWebhookBody bytes, checks its
// Twilio signature, and returns its fields sorted by key.
func (s *Service) readSigned(c echo.Context) ([]twilio.Param, error) {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != echo.MIMEApplicationForm {
			return nil, echo.NewHTTPError(http.StatusUnsupportedMediaType, "webhook bodies must be application/x-www-form-urlencoded, as Twilio sends them")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "webhook body over 64 KiB")
		}
		return nil, echo.NewHTTPError(http.StatusBadRequest, "could not read the request body")
	}
	params, err := twilio.ParseForm(body)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "malformed form body")
	}
	if s.validator != nil && !s.validator.Valid(req.URL.RequestURI(), params, req.Header.Get(twilio.Header)) {
		s.metrics.count("webhook_forbidden_total")
		return nil, echo.NewHTTPError(http.StatusForbidden, "missing or invalid X-Twilio-Signature; check TWILIO_AUTH_TOKEN and that SENDA_PUBLIC_URL is the URL configured in Twilio")
	}
	return params, nil
}

// handleMessage answers one inbound message: verify, read, step the
// conversation, reply with TwiML.
func (s *Service) handleMessage(c echo.Context) error {
	params, err := s.readSigned(c)
	if err != nil {
		return err
	}
	msg := inbound{
		from: twilio.Get(params, "From"),
		to:   twilio.Get(params, "To"),
		body: twilio.Get(params, "Body"),
		sid:  twilio.Get(params, "MessageSid"),
	}
	if msg.from == "" || msg.sid == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "From and MessageSid are required")
	}
	return twimlReply(c, s.process(c.Request().Context(), msg))
}

// process steps a conversation by one message and returns the page to
// answer with. It always has an answer: when Redis fails the person is told
// to try again later, and the log says what failed but never who.
func (s *Service) process(ctx context.Context, msg inbound) content.Page {
	ch := ident.ChannelOf(msg.from)
	id := s.hasher.Sender(ch, msg.from)
	eng := s.engine()
	in := flows.Input{Text: msg.body, Channel: ch, Lang: s.langFor(eng.Pack(), msg.to)}
	unavailable := func(lang int) content.Page {
		return eng.Pack().Page(content.Screen{Kind: content.ScreenUnavailable}, lang, ch, 0)
	}
	out, err := s.sessions.Step(ctx, eng, id, s.hasher.Message(msg.sid), in, s.resolve)
	if err != nil && ctx.Err() != nil {
		// The caller hung up (Twilio gives up after 15 s): nobody is
		// waiting for the reply, and Redis is not at fault.
		s.log.Info("request abandoned by the caller", "channel", ch.String())
		s.metrics.count("webhook_abandoned_total")
		return unavailable(in.Lang)
	}
	if err != nil {
		s.log.Error("step conversation", "channel", ch.String(), "err", err)
		s.metrics.count("webhook_errors_total")
		return unavailable(in.Lang)
	}
	if out.Duplicate {
		s.metrics.count("webhook_duplicates_total")
		return eng.Reply(out.State, ch)
	}
	s.metrics.step(ch, eng.Pack(), out.State)
	if err := s.apply(ctx, id, msg, ch, out); err != nil {
		s.log.Error("apply effect", "channel", ch.String(), "effect", int(out.Effect.Kind), "err", err)
		s.metrics.count("effect_errors_total")
		return unavailable(int(out.State.Lang))
	}
	return eng.Reply(out.State, ch)
}

func twimlReply(c echo.Context, page content.Page) error {
	return c.Blob(http.StatusOK, "text/xml; charset=utf-8", page.TwiML)
}

// langFor returns the language new conversations on a number start in.
func (s *Service) langFor(p *content.Pack, to string) int {
	if code, ok := s.cfg.LangByNumber[to]; ok {
		if i := p.LanguageIndex(code); i >= 0 {
			return i
		}
	}
	if i := p.LanguageIndex(s.cfg.DefaultLang); i >= 0 {
		return i
	}
	return 0
}
