package bot

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// routes builds the echo router. There is no request logger: an access log
// line would hold nothing useful that the metrics do not, and every line
// written is one more place a mistake could leak something.
func (s *Service) routes() {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if s.cfg.Broadcast.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.POST(MessagesPath, s.handleMessage)
	e.POST(StatusPath, s.handleStatus)
	s.adminRoutes(e)
	e.GET("/healthz", s.handleHealth)
	e.GET("/readyz", s.handleReady)
	e.GET("/metrics", s.handleMetrics)
	s.echo = e
}

// errorBody is the JSON every error response carries.
type errorBody struct {
	Error string `json:"error"`
}

// handleError turns a handler's error into a status and a JSON body, and
// logs unexpected errors once. Messages of expected errors are written for
// the operator reading Twilio's debugger: they say what to fix.
func (s *Service) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	} else {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.JSON(code, errorBody{Error: msg})
	}
	if err != nil {
		s.log.Warn("write error response", "err", err)
	}
}

func (s *Service) handleHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers 200 when Redis answers a PING within a second and a
// content pack is loaded, so a load balancer only sends webhooks to
// replicas that can answer them.
func (s *Service) handleReady(c echo.Context) error {
	if s.engine() == nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "content not loaded"})
	}
	if err := ping(c.Request().Context(), s.rdb, readyPingTimeout); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "redis not answering"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Service) handleMetrics(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/plain; version=0.0.4")
	c.Response().WriteHeader(http.StatusOK)
	return s.metrics.write(c.Response())
}
