package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/stats"
)

// StatsReader reads the anonymous daily figures (stats.Recorder).
type StatsReader interface {
	Read(ctx context.Context, from, to string) (stats.Report, error)
}

// Console is the web console (bot/console): its pages, and its sessions,
// which the admin API accepts for reading.
type Console interface {
	Register(g *echo.Group)
	SignedIn(c echo.Context) (name string, ok bool)
}

// consoleRoutes mounts the web console at /admin/ when the admin API is
// on. It is registered after the admin API, on a group without the bearer
// check (the console checks its own sessions); its paths do not collide
// with the API's.
func (s *Server) consoleRoutes(e *echo.Echo) {
	if s.Console == nil || !s.Access.On() {
		return
	}
	s.Console.Register(e.Group(adminapi.PathPrefix))
}

// consoleSessionOr lets a signed-in console session read the admin API
// (GET only, without an Authorization header); everything else goes
// through bearer, the token check. A session never creates or cancels
// through the API: the console's own forms, with their CSRF tokens, do.
func (s *Server) consoleSessionOr(bearer echo.MiddlewareFunc) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		checked := bearer(next)
		return func(c echo.Context) error {
			r := c.Request()
			if s.Console != nil && s.Access.On() && r.Method == http.MethodGet && r.Header.Get(echo.HeaderAuthorization) == "" {
				if name, ok := s.Console.SignedIn(c); ok {
					c.Set(adminNameKey, name)
					return next(c)
				}
			}
			return checked(c)
		}
	}
}

// handleStats answers GET /admin/stats with the figures of a range of
// days, small counts hidden, as JSON or (format=csv) CSV.
func (s *Server) handleStats(c echo.Context) error {
	if s.Stats == nil {
		return errStatsOff
	}
	rep, err := s.Stats.Read(c.Request().Context(), c.QueryParam("from"), c.QueryParam("to"))
	var re *stats.RangeError
	switch {
	case errors.As(err, &re):
		return errStatsRange.with(re.Problem)
	case err != nil:
		return err
	}
	switch c.QueryParam("format") {
	case "", "json":
		return c.JSON(http.StatusOK, statsToAPI(rep))
	case adminapi.StatsFormatCSV:
		c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
		c.Response().WriteHeader(http.StatusOK)
		return stats.WriteCSV(c.Response(), rep)
	}
	return errStatsFormat
}

// statsToAPI turns a report into the wire form: hidden figures become nil.
func statsToAPI(rep stats.Report) adminapi.Stats {
	out := adminapi.Stats{From: rep.From, To: rep.To, Timezone: rep.Timezone, MinCount: rep.MinCount,
		Days: make([]adminapi.StatsDay, len(rep.Days)), Total: figuresToAPI(rep.Total)}
	for i, d := range rep.Days {
		out.Days[i] = adminapi.StatsDay{Date: d.Date, Figures: figuresToAPI(d.Figures)}
	}
	return out
}

func figuresToAPI(f stats.Figures) adminapi.Figures {
	return adminapi.Figures{
		People: figure(f.People), Messages: figure(f.Messages), Distress: figure(f.Distress),
		Channels: figureMap(f.Channels), Languages: figureMap(f.Languages), Nodes: figureMap(f.Nodes),
		Keywords: figureMap(f.Keywords), OptIns: figureMap(f.OptIns), OptOuts: figureMap(f.OptOuts),
		Broadcasts: adminapi.StatsBroadcasts{Sent: figure(f.Broadcast.Sent), Failed: figure(f.Broadcast.Failed)},
	}
}

func figure(c stats.Count) *int64 {
	n, ok := c.Shown()
	if !ok {
		return nil
	}
	return &n
}

func figureMap(m map[string]stats.Count) map[string]*int64 {
	out := make(map[string]*int64, len(m))
	for k, c := range m {
		out[k] = figure(c)
	}
	return out
}
