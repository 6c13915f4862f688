package console

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/localtime"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

// composeForm is the broadcast form as typed, shown again when it has
// problems, and its measurements.
type composeForm struct {
	Topic    string
	Texts    []langText
	When     string // datetime-local value, "2026-11-30T09:00"
	WhenText string // "lunes 9:00"
	Urgent   bool
	Template string
	Vars     map[string]string // the chosen template's variables as typed, by number
	Preview  bool
}

type langText struct {
	Code, Name, Text string
	Measure          measurement
}

type topicOption struct{ ID, Name string }

type broadcastRow struct {
	broadcast.Status
	TopicName   string
	SendAtLocal string
	StateKey    string
	Reasons     []reasonRow
	Waiting     []reasonRow
	Percent     int
}

type reasonRow struct {
	Text  string
	Count int64
}

type broadcastsData struct {
	Form        composeForm
	Topics      []topicOption
	Templates   []templateRow
	TemplatesOn bool
	TestOn      bool
	List        []broadcastRow
	Now         string // datetime-local minimum
}

func (c *Console) broadcasts(ec echo.Context) error {
	v := c.view(ec, "broadcasts")
	switch ec.QueryParam("hecho") {
	case "creado":
		v.Notice = "bc_created"
		if t, err := time.Parse(time.RFC3339, ec.QueryParam("envio")); err == nil {
			v.Note = localtime.Sentence(t, c.opts.Location)
		}
	case "cancelado":
		v.Notice = "bc_cancelled"
	case "prueba":
		v.Notice = "test_sent"
	}
	return c.renderBroadcasts(ec, http.StatusOK, v, c.emptyForm())
}

func (c *Console) emptyForm() composeForm {
	p := c.opts.Pack()
	f := composeForm{}
	for _, l := range p.Languages {
		f.Texts = append(f.Texts, langText{Code: l.Code, Name: l.Name, Measure: measurement{Budget: p.SMS.Budget(), Encoding: string(content.GSM7)}})
	}
	return f
}

func (c *Console) renderBroadcasts(ec echo.Context, status int, v view, f composeForm) error {
	ctx := ec.Request().Context()
	p := c.opts.Pack()
	d := broadcastsData{Form: f, TestOn: c.opts.TestSender != nil,
		Now: c.now().In(c.opts.Location).Format("2006-01-02T15:04")}
	for _, t := range p.Topics {
		d.Topics = append(d.Topics, topicOption{ID: t.ID, Name: t.Name[langIndex(p, v.Lang)]})
	}
	if c.opts.Templates != nil {
		if ts, err := c.opts.Templates.List(ctx); err == nil {
			d.Templates, d.TemplatesOn = templateRows(ts, f), len(ts) > 0
		} else {
			c.log.Error("console: list WhatsApp templates", "err", err)
		}
	}
	list, err := c.opts.Broadcasts.List(ctx, 20)
	if err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	for _, st := range list {
		d.List = append(d.List, c.row(v, st))
	}
	v.Data = d
	return c.render(ec, status, "broadcasts", v)
}

func langIndex(p *content.Pack, lang string) int {
	if i := p.LanguageIndex(lang); i >= 0 {
		return i
	}
	return 0
}

func (c *Console) row(v view, st broadcast.Status) broadcastRow {
	r := broadcastRow{Status: st, TopicName: st.Topic, SendAtLocal: localtime.Format(st.SendAt, c.opts.Location), StateKey: "state_" + string(st.State)}
	p := c.opts.Pack()
	if t, ok := p.TopicByID(st.Topic); ok {
		r.TopicName = t.Name[langIndex(p, v.Lang)]
	}
	if st.Recipients > 0 {
		r.Percent = int(st.Finished * 100 / st.Recipients)
	} else if st.Settled() {
		r.Percent = 100
	}
	for k, n := range st.Reasons {
		r.Reasons = append(r.Reasons, reasonRow{Text: reasonText(v, k), Count: n})
	}
	for k, n := range st.Waiting {
		r.Waiting = append(r.Waiting, reasonRow{Text: v.T("wait_" + k), Count: n})
	}
	byCount := func(a, b reasonRow) int { return int(b.Count - a.Count) }
	slices.SortFunc(r.Reasons, byCount)
	slices.SortFunc(r.Waiting, byCount)
	return r
}

// reasonText says in the page's language why deliveries were skipped or
// failed: Senda's own reasons by name, Twilio's by code with a link.
func reasonText(v view, k string) string {
	if _, ok := messages["reason_"+k]; ok {
		return v.T("reason_" + k)
	}
	if status, ok := strings.CutPrefix(k, "http_"); ok {
		return v.Tf("reason_twilio", "HTTP "+status)
	}
	if code, err := strconv.Atoi(k); err == nil {
		return v.Tf("reason_twilio", k) + " (" + twilio.ErrorDocs(code) + ")"
	}
	return k
}

// readForm reads the compose form.
func (c *Console) readForm(ec echo.Context) composeForm {
	f := c.emptyForm()
	f.Topic = ec.FormValue("topic")
	for i := range f.Texts {
		f.Texts[i].Text = ec.FormValue("text_" + f.Texts[i].Code)
	}
	f.When = strings.TrimSpace(ec.FormValue("when"))
	f.WhenText = strings.TrimSpace(ec.FormValue("when_text"))
	f.Urgent = ec.FormValue("urgent") == "1"
	f.Template = ec.FormValue("template")
	f.Vars = postedVars(ec, f.Template)
	p := c.opts.Pack()
	for i := range f.Texts {
		f.Texts[i].Measure = measure(p, f.Texts[i].Code, f.Texts[i].Text)
	}
	return f
}

// sendAt resolves the form's time: the typed words first, then the picker,
// else now (empty).
func (c *Console) sendAt(f composeForm) (time.Time, bool, error) {
	switch {
	case f.WhenText != "":
		t, _, err := localtime.Parse(f.WhenText, c.now(), c.opts.Location)
		return t, true, err
	case f.When != "":
		t, err := time.ParseInLocation("2006-01-02T15:04", f.When, c.opts.Location)
		if err != nil {
			return time.Time{}, false, &localtime.Error{Input: f.When}
		}
		return t, true, nil
	}
	return time.Time{}, false, nil
}

func (c *Console) createBroadcast(ec echo.Context) error {
	v := c.view(ec, "broadcasts")
	f := c.readForm(ec)
	at, scheduled, err := c.sendAt(f)
	if err != nil {
		v.Errors = []string{err.Error()}
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
	}
	if ec.FormValue("action") == "preview" {
		f.Preview = true
		if scheduled {
			v.Note = localtime.Sentence(at, c.opts.Location)
		}
		return c.renderBroadcasts(ec, http.StatusOK, v, f)
	}
	req := broadcast.Request{Topic: f.Topic, Text: map[string]string{}, Urgent: f.Urgent}
	for _, t := range f.Texts {
		if strings.TrimSpace(t.Text) != "" {
			req.Text[t.Code] = t.Text
		}
	}
	if scheduled {
		req.SendAt = at.Format(time.RFC3339)
	}
	if f.Template != "" {
		vars, problems := c.templateVars(ec.Request().Context(), v, f)
		if len(problems) > 0 {
			v.Error = "bc_problems"
			v.Errors = problems
			return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
		}
		req.Template = &broadcast.Template{ContentSID: f.Template, Variables: vars}
	}
	name := sessionOf(ec).Name
	st, err := c.opts.Broadcasts.Create(ec.Request().Context(), req, name)
	var ve *broadcast.ValidationError
	switch {
	case errors.As(err, &ve):
		v.Error = "bc_problems"
		v.Errors = ve.Problems
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
	case err != nil:
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	c.audit(ec.Request().Context(), AuditEntry{Token: name, Action: "create", Broadcast: st.ID, Details: map[string]any{
		"topic": st.Topic, "recipients": st.Recipients, "send_at": st.SendAt.Format(time.RFC3339), "urgent": st.Urgent}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos?hecho=creado&envio="+st.SendAt.UTC().Format("2006-01-02T15:04:05Z")))
}

func (c *Console) cancelBroadcast(ec echo.Context) error {
	name := sessionOf(ec).Name
	st, err := c.opts.Broadcasts.Cancel(ec.Request().Context(), ec.Param("id"))
	switch {
	case errors.Is(err, broadcast.ErrSettled):
		return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos"))
	case errors.Is(err, broadcast.ErrNotFound):
		return c.fail(ec, http.StatusNotFound, "err_not_found", nil)
	case err != nil:
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	c.audit(ec.Request().Context(), AuditEntry{Token: name, Action: "cancel", Broadcast: st.ID,
		Details: map[string]any{"topic": st.Topic, "sent": st.Sent, "recipients": st.Recipients}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos?hecho=cancelado"))
}

// measurement is what a broadcast text costs and looks like on each channel.
type measurement struct {
	Header     string `json:"header"`
	SMS        string `json:"sms"`      // as sent by SMS: header, text, transliterated
	WhatsApp   string `json:"whatsapp"` // as sent on WhatsApp
	Encoding   string `json:"encoding"`
	Units      int    `json:"units"`
	Segments   int    `json:"segments"`
	Budget     int    `json:"budget"` // SMS characters the pack allows
	Unmapped   string `json:"unmapped"`
	WAChars    int    `json:"wa_chars"`
	LockScreen string `json:"lock_screen"` // what a lock screen shows: the first line or so
}

// measure renders a text as the broadcast worker sends it, with content's
// own GSM-7 and segment functions.
func measure(p *content.Pack, lang, text string) measurement {
	li := langIndex(p, lang)
	header := p.Text("header", li)
	text = strings.TrimSpace(text)
	wa := header + "\n" + text
	sms, unmapped := content.ToGSM7(wa)
	size := content.MeasureSMS(sms)
	return measurement{Header: header, SMS: sms, WhatsApp: wa, Encoding: string(size.Encoding), Units: size.Units,
		Segments: size.Segments, Budget: p.SMS.Budget(), Unmapped: string(unmapped), WAChars: len([]rune(wa)), LockScreen: lockScreen(wa)}
}

func (c *Console) measure(ec echo.Context) error {
	text := ec.FormValue("text")
	if len(text) > 8000 {
		text = text[:8000]
	}
	return ec.JSON(http.StatusOK, measure(c.opts.Pack(), ec.FormValue("lang"), text))
}

var numberPattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func (c *Console) sendTest(ec echo.Context) error {
	v := c.view(ec, "broadcasts")
	if c.opts.TestSender == nil {
		v.Error = "test_off"
		return c.renderBroadcasts(ec, http.StatusConflict, v, c.readForm(ec))
	}
	number := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(ec.FormValue("number"))
	ch := content.SMS
	if ec.FormValue("channel") == "whatsapp" {
		ch = content.WhatsApp
	}
	f := c.readForm(ec)
	if !numberPattern.MatchString(number) {
		v.Error = "test_bad_number"
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
	}
	var chosen *langText
	for i, t := range f.Texts {
		if strings.TrimSpace(t.Text) != "" && (chosen == nil || t.Code == ec.FormValue("test_lang")) {
			chosen = &f.Texts[i]
		}
	}
	if chosen == nil {
		v.Error = "bc_problems"
		v.Errors = []string{v.T("test_no_text")}
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
	}
	body := chosen.Measure.WhatsApp
	if ch == content.SMS {
		body = chosen.Measure.SMS
	}
	ctx, cancel := context.WithTimeout(ec.Request().Context(), 20*time.Second)
	defer cancel()
	if err := c.opts.TestSender.SendTest(ctx, number, ch, body); err != nil {
		// The error may name the number: log only that it failed.
		c.log.Warn("console: test message failed", "channel", ch.String())
		v.Error = "test_failed"
		return c.renderBroadcasts(ec, http.StatusBadGateway, v, f)
	}
	c.audit(ec.Request().Context(), AuditEntry{Token: sessionOf(ec).Name, Action: "test", Details: map[string]any{"channel": ch.String()}})
	v.Notice = "test_sent"
	return c.renderBroadcasts(ec, http.StatusOK, v, f)
}

// lockScreen is what a phone's lock screen shows of a message: its first
// line or so.
func lockScreen(s string) string {
	lock := []rune(strings.ReplaceAll(s, "\n", " "))
	if len(lock) > 90 {
		lock = append(lock[:89], '…')
	}
	return string(lock)
}
