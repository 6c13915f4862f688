package console

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/access"
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
	Focus       string // the broadcast just created or cancelled: its card shows the notice
	FocusNotice string
	Topics      []topicOption
	Templates   []templateRow
	TemplatesOn bool
	TestOn      bool
	List        []broadcastRow
	Now         string // datetime-local minimum
}

// broadcasts shows the Avisos page; after a POST it is where the console
// redirects (POST/redirect/GET), so a reload repeats nothing: ?hecho= says
// what was done, ?id= which broadcast, and after a test the form comes back
// from the session's draft.
func (c *Console) broadcasts(ec echo.Context) error {
	v := c.view(ec, "broadcasts")
	f := c.emptyForm(v)
	switch ec.QueryParam("hecho") {
	case "creado":
		v.Notice = "bc_created"
		if t, err := time.Parse(time.RFC3339, ec.QueryParam("envio")); err == nil {
			v.Note = sentence(t, c.opts.Location, v.Lang)
		}
	case "cancelado":
		v.Notice = "bc_cancelled"
	case "prueba":
		v.Notice = "test_sent"
		f = c.loadDraft(ec, v)
	}
	return c.renderBroadcasts(ec, http.StatusOK, v, f)
}

func (c *Console) emptyForm(v view) composeForm {
	p := c.opts.Pack()
	f := composeForm{}
	for _, l := range p.Languages {
		f.Texts = append(f.Texts, langText{Code: l.Code, Name: l.Name, Measure: measure(p, v, l.Code, "")})
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
	// The notice goes on the card it is about, which the redirect's
	// fragment scrolls to: on a phone the list is far below the form.
	if id := ec.QueryParam("id"); id != "" && v.Notice != "" && slices.ContainsFunc(list, func(st broadcast.Status) bool { return st.ID == id }) {
		d.Focus, d.FocusNotice = id, strings.TrimSpace(v.T(v.Notice)+" "+v.Note)
		v.Notice, v.Note = "", ""
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
	r := broadcastRow{Status: st, TopicName: st.Topic, SendAtLocal: formatTime(st.SendAt, c.opts.Location, v.Lang), StateKey: "state_" + string(st.State)}
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
func (c *Console) readForm(ec echo.Context, v view) composeForm {
	f := c.emptyForm(v)
	f.Topic = ec.FormValue("topic")
	for i := range f.Texts {
		f.Texts[i].Text = ec.FormValue("text_" + f.Texts[i].Code)
	}
	f.When = strings.TrimSpace(ec.FormValue("when"))
	f.WhenText = strings.TrimSpace(ec.FormValue("when_text"))
	f.Urgent = ec.FormValue("urgent") == "1"
	f.Template = ec.FormValue("template")
	f.Vars = postedVars(ec, f.Template)
	c.measureTexts(&f, v)
	return f
}

func (c *Console) measureTexts(f *composeForm, v view) {
	p := c.opts.Pack()
	for i := range f.Texts {
		f.Texts[i].Measure = measure(p, v, f.Texts[i].Code, f.Texts[i].Text)
	}
}

// smsProblems are the texts' SMS warnings, each named by its language.
func smsProblems(v view, f composeForm) []string {
	var out []string
	for _, t := range f.Texts {
		if w := t.Measure.Warning; w != "" && strings.TrimSpace(t.Text) != "" {
			out = append(out, v.T("text_in")+" "+t.Name+": "+w)
		}
	}
	return out
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
	f := c.readForm(ec, v)
	at, scheduled, err := c.sendAt(f)
	if err != nil {
		v.Errors = []string{err.Error()}
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
	}
	if ec.FormValue("action") == "preview" {
		f.Preview = true
		if scheduled {
			v.Note = sentence(at, c.opts.Location, v.Lang)
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
	// What the count already warns of (an emoji, too long for the SMS),
	// said in the page's language; the broadcast store refuses it too.
	if problems := smsProblems(v, f); len(problems) > 0 {
		v.Error = "bc_problems"
		v.Errors = problems
		return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
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
	if err := c.opts.Redis.HDel(ec.Request().Context(), sessionOf(ec).key, draftField).Err(); err != nil {
		c.log.Warn("console: drop the draft", "err", err)
	}
	c.audit(ec.Request().Context(), access.Entry{Token: name, Action: "create", Broadcast: st.ID, Details: map[string]any{
		"topic": st.Topic, "recipients": st.Recipients, "send_at": st.SendAt.Format(time.RFC3339), "urgent": st.Urgent}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos?hecho=creado&id="+url.QueryEscape(st.ID)+
		"&envio="+st.SendAt.UTC().Format("2006-01-02T15:04:05Z")+"#bc-"+url.PathEscape(st.ID)))
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
	c.audit(ec.Request().Context(), access.Entry{Token: name, Action: "cancel", Broadcast: st.ID,
		Details: map[string]any{"topic": st.Topic, "sent": st.Sent, "recipients": st.Recipients}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos?hecho=cancelado&id="+url.QueryEscape(st.ID)+"#bc-"+url.PathEscape(st.ID)))
}

var numberPattern = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

func (c *Console) sendTest(ec echo.Context) error {
	v := c.view(ec, "broadcasts")
	if c.opts.TestSender == nil {
		v.Error = "test_off"
		return c.renderBroadcasts(ec, http.StatusConflict, v, c.readForm(ec, v))
	}
	number := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(ec.FormValue("number"))
	ch := content.SMS
	if ec.FormValue("channel") == "whatsapp" {
		ch = content.WhatsApp
	}
	f := c.readForm(ec, v)
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
		// Never an SMS with "?" for what it cannot carry, nor one the
		// broadcast itself would refuse.
		if w := chosen.Measure.Warning; w != "" {
			v.Error = "bc_problems"
			v.Errors = []string{w}
			return c.renderBroadcasts(ec, http.StatusUnprocessableEntity, v, f)
		}
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
	c.audit(ec.Request().Context(), access.Entry{Token: sessionOf(ec).Name, Action: "test", Details: map[string]any{"channel": ch.String()}})
	// Redirect, so a reload does not send it again; the form comes back
	// from the session (never the number).
	c.saveDraft(ec, f)
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/avisos?hecho=prueba"))
}

// draft is the compose form kept in the console session across the
// redirect after a test: what staff wrote, never the test number.
type draft struct {
	Topic    string            `json:"topic"`
	Texts    map[string]string `json:"texts"`
	When     string            `json:"when"`
	WhenText string            `json:"when_text"`
	Urgent   bool              `json:"urgent"`
	Template string            `json:"template"`
	Vars     map[string]string `json:"vars"`
}

// draftField is the session hash's field holding the draft; it expires
// with the session.
const draftField = "draft"

func (c *Console) saveDraft(ec echo.Context, f composeForm) {
	d := draft{Topic: f.Topic, Texts: map[string]string{}, When: f.When, WhenText: f.WhenText, Urgent: f.Urgent, Template: f.Template, Vars: f.Vars}
	for _, t := range f.Texts {
		d.Texts[t.Code] = t.Text
	}
	b, _ := json.Marshal(d)
	if err := c.opts.Redis.HSet(ec.Request().Context(), sessionOf(ec).key, draftField, b).Err(); err != nil {
		c.log.Warn("console: keep the draft across the redirect", "err", err)
	}
}

func (c *Console) loadDraft(ec echo.Context, v view) composeForm {
	f := c.emptyForm(v)
	raw, err := c.opts.Redis.HGet(ec.Request().Context(), sessionOf(ec).key, draftField).Bytes()
	var d draft
	if err != nil || json.Unmarshal(raw, &d) != nil {
		return f
	}
	f.Topic, f.When, f.WhenText, f.Urgent, f.Template, f.Vars = d.Topic, d.When, d.WhenText, d.Urgent, d.Template, d.Vars
	for i := range f.Texts {
		f.Texts[i].Text = d.Texts[f.Texts[i].Code]
	}
	c.measureTexts(&f, v)
	return f
}
