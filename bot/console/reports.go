package console

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/bot/stats"
)

// Reports is the desk of reports people send in (AVISAR): read them, turn
// one into an alert to the seguridad topic, or discard it.
type Reports interface {
	List(ctx context.Context) ([]adminapi.Report, error)
	Get(ctx context.Context, id string) (adminapi.Report, error)
	Dropped(ctx context.Context) (int64, error)
	Figures(ctx context.Context, days int) ([]reports.DayFigures, error)
	Publish(ctx context.Context, id string, req adminapi.ReportPublish, by string) (broadcast.Status, error)
	Discard(ctx context.Context, id string) error
}

// ReportDesk is Reports over the report store and the broadcast store.
type ReportDesk struct {
	*reports.Store
	Broadcasts reports.Creator
}

// Publish implements Reports.
func (d ReportDesk) Publish(ctx context.Context, id string, req adminapi.ReportPublish, by string) (broadcast.Status, error) {
	return d.Store.Publish(ctx, d.Broadcasts, id, req, by)
}

// Discard implements Reports.
func (d ReportDesk) Discard(ctx context.Context, id string) error {
	return d.Store.Close(ctx, id, reports.Discarded)
}

// reportFigureDays is how many days of report figures the queue shows.
const reportFigureDays = 14

type reportRow struct {
	adminapi.Report
	Age  int    // days since it came in
	Kind string // in the page's language
	When string
}

type reportFigureRow struct {
	Day                            string
	Received, Published, Discarded stats.Count
}

type reportsData struct {
	Off     bool
	List    []reportRow
	Dropped int64
	Figures []reportFigureRow
}

type reportData struct {
	Report  reportRow
	Texts   []langText
	Urgent  bool
	Preview bool
	Reasons []topicOption
}

func (c *Console) reportRow(v view, r adminapi.Report) reportRow {
	row := reportRow{Report: r, Kind: v.T("rk_" + r.Kind), When: v.T("rw_" + r.When)}
	if day, err := time.ParseInLocation(time.DateOnly, r.Day, c.opts.Location); err == nil {
		row.Age = int(c.now().In(c.opts.Location).Sub(day).Hours() / 24)
	}
	return row
}

func (c *Console) reportsPage(ec echo.Context) error {
	v := c.view(ec, "reports")
	switch ec.QueryParam("hecho") {
	case "publicado":
		v.Notice = "rep_published"
	case "descartado":
		v.Notice = "rep_discarded"
	}
	d := reportsData{Off: c.opts.Reports == nil}
	if !d.Off {
		ctx := ec.Request().Context()
		list, err := c.opts.Reports.List(ctx)
		if err != nil {
			return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
		}
		for _, r := range list {
			d.List = append(d.List, c.reportRow(v, r))
		}
		if d.Dropped, err = c.opts.Reports.Dropped(ctx); err != nil {
			return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
		}
		figs, err := c.opts.Reports.Figures(ctx, reportFigureDays)
		if err != nil {
			return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
		}
		for i := len(figs) - 1; i >= 0; i-- { // newest first
			f := figs[i]
			d.Figures = append(d.Figures, reportFigureRow{Day: f.Day, Received: stats.Count(f.Received),
				Published: stats.Count(f.Published), Discarded: stats.Count(f.Discarded)})
		}
	}
	v.Data = d
	return c.render(ec, http.StatusOK, "reports", v)
}

// draftAlert is the alert a report suggests, for staff to edit: the kind,
// the area and the description, in the language of lang.
func draftAlert(lang string, r reportRow) string {
	head := translate(lang, "rep_alert_head")
	return strings.TrimSpace(head + " " + translate(lang, "rk_"+r.Report.Kind) + ". " + r.Area + ". " + r.Text)
}

func (c *Console) reportPage(ec echo.Context) error {
	return c.renderReport(ec, "", nil, false)
}

// renderReport shows one report with the alert form: as suggested, or as
// typed (texts by language) with its preview.
func (c *Console) renderReport(ec echo.Context, problem string, texts map[string]string, urgent bool) error {
	if c.opts.Reports == nil {
		return c.fail(ec, http.StatusNotFound, "rep_off", nil)
	}
	v := c.view(ec, "report")
	r, err := c.opts.Reports.Get(ec.Request().Context(), ec.Param("id"))
	switch {
	case errors.Is(err, reports.ErrNotFound):
		return c.fail(ec, http.StatusNotFound, "rep_not_found", nil)
	case err != nil:
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	row := c.reportRow(v, r)
	d := reportData{Report: row, Urgent: urgent, Preview: texts != nil}
	p := c.opts.Pack()
	for _, l := range p.Languages {
		if l.Code != "es" && l.Code != "en" {
			continue
		}
		text, ok := texts[l.Code]
		if !ok && texts == nil {
			text = draftAlert(l.Code, row)
		}
		d.Texts = append(d.Texts, langText{Code: l.Code, Name: l.Name, Text: text, Measure: measure(p, v, l.Code, text)})
	}
	for _, reason := range adminapi.DiscardReasons {
		d.Reasons = append(d.Reasons, topicOption{ID: reason.ID, Name: reason.Label})
	}
	v.Error = problem
	v.Data = d
	return c.render(ec, http.StatusOK, "report", v)
}

// reportAction previews or publishes the alert typed for a report.
func (c *Console) reportAction(ec echo.Context) error {
	if c.opts.Reports == nil {
		return c.fail(ec, http.StatusNotFound, "rep_off", nil)
	}
	texts := map[string]string{}
	for _, code := range []string{"es", "en"} {
		if t := strings.TrimSpace(ec.FormValue("text_" + code)); t != "" {
			texts[code] = t
		}
	}
	urgent := ec.FormValue("urgent") == "1"
	if ec.FormValue("action") != "publish" {
		return c.renderReport(ec, "", texts, urgent)
	}
	if texts["es"] == "" {
		return c.renderReport(ec, "rep_need_text", texts, urgent)
	}
	ctx := ec.Request().Context()
	name := sessionOf(ec).Name
	st, err := c.opts.Reports.Publish(ctx, ec.Param("id"), adminapi.ReportPublish{Text: texts, Urgent: urgent}, name)
	var ve *broadcast.ValidationError
	switch {
	case errors.Is(err, reports.ErrNotFound):
		return c.fail(ec, http.StatusNotFound, "rep_not_found", nil)
	case errors.As(err, &ve):
		return c.renderReport(ec, "rep_invalid", texts, urgent)
	case err != nil:
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	// The audit names the broadcast, never the report's id or words.
	c.audit(ctx, access.Entry{Token: name, Action: "report_publish", Broadcast: st.ID,
		Details: map[string]any{"topic": st.Topic, "recipients": st.Recipients, "urgent": st.Urgent}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/reportes?hecho=publicado"))
}

// reportDiscard deletes a report unpublished, for a reason from the list.
func (c *Console) reportDiscard(ec echo.Context) error {
	if c.opts.Reports == nil {
		return c.fail(ec, http.StatusNotFound, "rep_off", nil)
	}
	reason := ec.FormValue("reason")
	if !adminapi.ValidDiscardReason(reason) {
		return c.renderReport(ec, "rep_need_reason", nil, false)
	}
	ctx := ec.Request().Context()
	err := c.opts.Reports.Discard(ctx, ec.Param("id"))
	switch {
	case errors.Is(err, reports.ErrNotFound):
		return c.fail(ec, http.StatusNotFound, "rep_not_found", nil)
	case err != nil:
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	c.audit(ctx, access.Entry{Token: sessionOf(ec).Name, Action: "report_discard", Details: map[string]any{"reason": reason}})
	return ec.Redirect(http.StatusSeeOther, c.path(ec, "/reportes?hecho=descartado"))
}

// reportMessages are the words of the report pages: Spanish, then English.
var reportMessages = map[string][2]string{
	"nav_reports":           {"Reportes", "Reports"},
	"rep_title":             {"Reportes", "Reports"},
	"rep_help":              {"Avisos que mandaron las personas con AVISAR. Nadie sabe quién los mandó. Nada sale hasta que lo publiquen.", "Warnings people sent with AVISAR. Nobody knows who sent them. Nothing goes out until you publish it."},
	"rep_off":               {"Los reportes están apagados: hace falta SENDA_SUBSCRIBER_KEY.", "Reports are off: SENDA_SUBSCRIBER_KEY is needed."},
	"rep_none":              {"No hay reportes abiertos.", "No open reports."},
	"rep_dropped":           {"Llegaron tantos reportes que se descartaron solos los más viejos: %d.", "So many reports came in that the oldest were dropped: %d."},
	"rep_age":               {"Días", "Days"},
	"rep_kind":              {"Qué pasó", "What happened"},
	"rep_area":              {"Dónde", "Where"},
	"rep_when":              {"Cuándo", "When"},
	"rep_text":              {"Cómo es la persona o el vehículo", "What the person or vehicle looks like"},
	"rep_day":               {"Llegó el", "Came in on"},
	"rep_open":              {"Abrir", "Open"},
	"rep_figures":           {"Cifras por día", "Figures by day"},
	"rep_received":          {"Recibidos", "Received"},
	"rep_published_n":       {"Publicados", "Published"},
	"rep_discarded_n":       {"Descartados", "Discarded"},
	"rep_edit":              {"Conviértelo en alerta", "Turn it into an alert"},
	"rep_edit_help":         {"Quita todo lo que pueda decir quién lo mandó (nombre, dirección, detalles que solo ella sabría). Deja cómo es la persona o el vehículo. Se envía al tema seguridad.", "Remove anything that could tell who sent it (name, address, details only she would know). Keep what the person or vehicle looks like. It goes to the seguridad topic."},
	"rep_publish":           {"Publicar", "Publish"},
	"rep_discard":           {"Descartar", "Discard"},
	"rep_reason":            {"Razón", "Reason"},
	"rep_published":         {"Publicado: la alerta va a las personas del tema seguridad, y el reporte se borró.", "Published: the alert goes to the seguridad topic, and the report was deleted."},
	"rep_discarded":         {"Descartado: el reporte se borró.", "Discarded: the report was deleted."},
	"rep_not_found":         {"Ese reporte ya no existe (se publicó, se descartó o venció).", "That report no longer exists (published, discarded or expired)."},
	"rep_need_text":         {"Escribe la alerta en español antes de publicar.", "Write the alert in Spanish before publishing."},
	"rep_need_reason":       {"Elige una razón para descartarlo.", "Choose a reason to discard it."},
	"rep_invalid":           {"La alerta no se puede enviar así (demasiado larga, o el tema llegó a su máximo del mes). Revísala.", "The alert cannot go like this (too long, or the topic reached its monthly maximum). Check it."},
	"rep_alert_head":        {"Alerta:", "Alert:"},
	"action_report_publish": {"publicó un reporte como alerta", "published a report as an alert"},
	"action_report_discard": {"descartó un reporte", "discarded a report"},
	"rk_violent":            {"Cliente violento", "Violent client"},
	"rk_robbery":            {"Robo o no pagó", "Robbery or did not pay"},
	"rk_condom":             {"Forzada sin condón", "Forced without a condom"},
	"rk_police":             {"Policía o extorsión", "Police or extortion"},
	"rk_following":          {"Alguien la sigue", "Someone following"},
	"rk_other":              {"Otro", "Other"},
	"rw_today":              {"El mismo día", "The same day"},
	"rw_yesterday":          {"El día antes", "The day before"},
	"rw_week":               {"Esa semana", "That week"},
}
