package console

import (
	"cmp"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/content"
)

type homeData struct {
	Checks  []Check
	Today   stats.Figures
	Date    string
	Unread  bool // the figures could not be read
	Channel template.HTML
	// Uncalled counts the numbers people can be shown that nobody at the
	// NGO rang in the last 180 days: the launch gate (docs/GUIA.md).
	Uncalled int
}

func (c *Console) home(ec echo.Context) error {
	ctx := ec.Request().Context()
	v := c.view(ec, "home")
	d := homeData{Date: formatDate(c.now(), c.opts.Location, v.Lang), Uncalled: len(c.opts.Pack().Uncalled(c.now(), content.LaunchAge))}
	if c.opts.Health != nil {
		d.Checks = c.opts.Health.Check(ctx)
	}
	today := c.now().In(c.opts.Location).Format(time.DateOnly)
	rep, err := c.opts.Stats.Read(ctx, today, today)
	if err != nil {
		c.log.Error("console: read today's figures", "err", err)
		d.Unread = true
	} else {
		d.Today = rep.Total
		d.Channel = barChart(v.T("channels"), sortedBars(rep.Total.Channels, 0))
	}
	v.Data = d
	return c.render(ec, http.StatusOK, "home", v)
}

// sortedBars lists figures largest first (hidden ones last), at most n (0: all).
func sortedBars(m map[string]stats.Count, n int) []bar {
	out := make([]bar, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, bar{Label: k, Value: m[k]})
	}
	slices.SortStableFunc(out, func(a, b bar) int {
		an, _ := a.Value.Shown()
		bn, _ := b.Value.Shown()
		return cmp.Compare(bn, an)
	})
	if n > 0 && len(out) > n {
		out = out[:n]
	}
	return out
}

type statsData struct {
	Report   stats.Report
	From, To string
	People   template.HTML
	Channels template.HTML
	Langs    template.HTML
	Topics   template.HTML
	Keywords template.HTML
	OptIns   template.HTML
	OptOuts  template.HTML
	Outcomes template.HTML
	CSV      string
}

func (c *Console) readStats(ec echo.Context, v *view) (stats.Report, error) {
	ctx := ec.Request().Context()
	rep, err := c.opts.Stats.Read(ctx, ec.QueryParam("desde"), ec.QueryParam("hasta"))
	var re *stats.RangeError
	if errors.As(err, &re) {
		v.Errors = []string{re.Error()}
		rep, err = c.opts.Stats.Read(ctx, "", "")
	}
	return rep, err
}

func (c *Console) statsPage(ec echo.Context) error {
	v := c.view(ec, "stats")
	rep, err := c.readStats(ec, &v)
	if err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	d := statsData{Report: rep, From: rep.From, To: rep.To,
		CSV: c.path(ec, "/estadisticas.csv?desde="+rep.From+"&hasta="+rep.To)}
	days := make([]bar, len(rep.Days))
	for i, day := range rep.Days {
		days[i] = bar{Label: day.Date, Value: day.People}
	}
	d.People = columnChart(v.T("people_per_day"), days)
	d.Channels = barChart(v.T("channels"), sortedBars(rep.Total.Channels, 0))
	d.Langs = barChart(v.T("languages"), sortedBars(rep.Total.Languages, 0))
	d.Topics = barChart(v.T("top_topics"), sortedBars(rep.Total.Nodes, 12))
	d.Keywords = barChart(v.T("keywords"), sortedBars(rep.Total.Keywords, 12))
	d.OptIns = barChart(v.T("opt_ins"), sortedBars(rep.Total.OptIns, 0))
	d.OptOuts = barChart(v.T("opt_outs"), sortedBars(rep.Total.OptOuts, 0))
	d.Outcomes = barChart(v.T("broadcasts"), []bar{{v.T("sent"), rep.Total.Broadcast.Sent}, {v.T("failed"), rep.Total.Broadcast.Failed}})
	v.Data = d
	return c.render(ec, http.StatusOK, "stats", v)
}

func (c *Console) statsCSV(ec echo.Context) error {
	v := c.view(ec, "stats")
	rep, err := c.readStats(ec, &v)
	if err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	h := ec.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="senda-%s-%s.csv"`, rep.From, rep.To))
	ec.Response().WriteHeader(http.StatusOK)
	return stats.WriteCSV(ec.Response(), rep)
}

// StatsJSON answers GET /admin/stats?from=&to= with the Report as JSON, or
// CSV with ?format=csv. The integrator mounts it behind its bearer-token
// check or a console session (SignedIn).
func StatsJSON(s Stats) echo.HandlerFunc {
	return func(ec echo.Context) error {
		rep, err := s.Read(ec.Request().Context(), ec.QueryParam("from"), ec.QueryParam("to"))
		var re *stats.RangeError
		switch {
		case errors.As(err, &re):
			return echo.NewHTTPError(http.StatusBadRequest, re.Error())
		case err != nil:
			return fmt.Errorf("read stats: %w", err)
		}
		if ec.QueryParam("format") == "csv" {
			ec.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
			ec.Response().WriteHeader(http.StatusOK)
			return stats.WriteCSV(ec.Response(), rep)
		}
		return ec.JSON(http.StatusOK, rep)
	}
}

type auditRow struct {
	At     string
	Token  string
	Action string
	ID     string
	Detail string
}

func (c *Console) auditPage(ec echo.Context) error {
	v := c.view(ec, "audit")
	var rows []auditRow
	list, err := c.opts.Access.Trail(ec.Request().Context(), 100)
	if err != nil {
		return c.fail(ec, http.StatusServiceUnavailable, "err_unavailable", err)
	}
	for _, e := range list {
		rows = append(rows, auditRow{At: e.At.In(c.opts.Location).Format("02/01/2006 15:04"), Token: e.Token,
			Action: v.T("action_" + e.Action), ID: e.Broadcast, Detail: c.auditDetail(v, e.Details)})
	}
	v.Data = rows
	return c.render(ec, http.StatusOK, "audit", v)
}

// auditDetail says an entry's details in the page's language: "tema: Salud
// · destinatarios: 12 · envío: sábado 28 de noviembre de 2026, 09:00".
func (c *Console) auditDetail(v view, details map[string]any) string {
	p := c.opts.Pack()
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(details)) {
		val := fmt.Sprint(details[k])
		switch x := details[k].(type) {
		case bool:
			val = v.T(map[bool]string{true: "yes", false: "no"}[x])
		case string:
			if t, err := time.Parse(time.RFC3339, x); err == nil && k == "send_at" {
				val = formatTime(t, c.opts.Location, v.Lang)
			} else if topic, ok := p.TopicByID(x); ok && k == "topic" {
				val = topic.Name[langIndex(p, v.Lang)]
			}
		}
		label := k
		if _, ok := messages["detail_"+k]; ok {
			label = v.T("detail_" + k)
		}
		parts = append(parts, label+": "+val)
	}
	return strings.Join(parts, " · ")
}

type nodeRow struct {
	content.NodeStats
	Reviewed string
	Stale    bool
}

type contentData struct {
	Sim      simView
	Phrase   *phraseView // the phrase tester's answer, when one was asked
	Errors   []string
	Warnings []string
	Checked  bool
	Nodes    []nodeRow
	Graph    template.HTML
	Langs    []content.Language
}

// staleAfter is how old a node's review may be, when it cites outside
// facts, before the content page asks to check them again.
const staleAfter = 180 * 24 * time.Hour

func (c *Console) contentPage(ec echo.Context) error {
	return c.renderContent(ec, http.StatusOK, simView{Channel: "whatsapp"}, nil)
}

func (c *Console) renderContent(ec echo.Context, status int, sim simView, phrase *phraseView) error {
	v := c.view(ec, "content")
	p := c.opts.Pack()
	d := contentData{Sim: sim, Phrase: phrase, Graph: menuGraph(p, langIndex(p, v.Lang)), Langs: p.Languages}
	if c.opts.Check != nil {
		if r := c.opts.Check(); r != nil {
			d.Checked = true
			for _, i := range r.Errors() {
				d.Errors = append(d.Errors, i.String())
			}
			for _, i := range r.Warnings() {
				d.Warnings = append(d.Warnings, i.String())
			}
		}
	}
	for i, s := range p.Stats() {
		n := p.Nodes[i]
		row := nodeRow{NodeStats: s, Reviewed: n.Reviewed}
		if t, err := time.Parse(time.DateOnly, n.Reviewed); err == nil && len(n.Facts) > 0 && c.now().Sub(t) > staleAfter {
			row.Stale = true
		}
		d.Nodes = append(d.Nodes, row)
	}
	v.Data = d
	return c.render(ec, status, "content", v)
}
