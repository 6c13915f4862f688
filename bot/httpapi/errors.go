package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/adminapi"
)

// apiError is an error the API answers with: a status and a message written
// for the person who must act on it (the operator reading Twilio's debugger,
// an NGO using `senda broadcast`). Every expected error is one of the table
// below, perhaps with details added by with; handleError maps them once.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// with returns a copy whose message is the table's, formatted with args.
func (e *apiError) with(args ...any) *apiError {
	return &apiError{status: e.status, msg: fmt.Sprintf(e.msg, args...)}
}

// The error table. Messages with verbs are completed by with.
var (
	errWebhookMediaType  = &apiError{http.StatusUnsupportedMediaType, "webhook bodies must be application/x-www-form-urlencoded, as Twilio sends them"}
	errWebhookTooLarge   = &apiError{http.StatusRequestEntityTooLarge, "webhook body over 64 KiB"}
	errWebhookUnreadable = &apiError{http.StatusBadRequest, "could not read the request body"}
	errWebhookMalformed  = &apiError{http.StatusBadRequest, "malformed form body"}
	errWebhookSignature  = &apiError{http.StatusForbidden, "missing or invalid X-Twilio-Signature; check TWILIO_AUTH_TOKEN and that SENDA_PUBLIC_URL is the URL configured in Twilio"}
	errMessageFields     = &apiError{http.StatusBadRequest, "From and MessageSid are required"}
	errStatusFields      = &apiError{http.StatusBadRequest, "a status callback needs ?b=BROADCAST in its URL and MessageSid and MessageStatus in its body"}
	errReplyStatus       = &apiError{http.StatusBadRequest, "a reply's status callback needs MessageSid and MessageStatus in its body"}

	errAdminOff         = &apiError{http.StatusNotFound, "the admin API is off: set SENDA_ADMIN_TOKENS to turn it on"}
	errAdminLockedOut   = &apiError{http.StatusTooManyRequests, "too many wrong tokens from this address; try another in %d minutes; a valid token still works"}
	errAdminToken       = &apiError{http.StatusUnauthorized, "missing or invalid bearer token: send Authorization: Bearer TOKEN with a token from SENDA_ADMIN_TOKENS"}
	errBroadcastsOff    = &apiError{http.StatusConflict, "broadcasts are off: set SENDA_SUBSCRIBER_KEY (and the Twilio settings) to turn them on"}
	errAdminTooLarge    = &apiError{http.StatusRequestEntityTooLarge, "request body over 64 KiB"}
	errAdminJSON        = &apiError{http.StatusBadRequest, "request body is not the expected JSON: %v"}
	errBroadcastInvalid = &apiError{http.StatusUnprocessableEntity, "%v"}
	errIdempotency      = &apiError{http.StatusConflict, "%v"}
	errListLimit        = &apiError{http.StatusBadRequest, fmt.Sprintf("limit must be a number from 1 to %d", adminapi.MaxListLimit)}
	errNoBroadcast      = &apiError{http.StatusNotFound, "no broadcast with id %q; GET /admin/broadcasts lists them"}
	errSettled          = &apiError{http.StatusConflict, "broadcast %s is already %s; there is nothing left to cancel"}
	errStatsOff         = &apiError{http.StatusNotFound, "the daily figures are not kept by this server"}
	errStatsRange       = &apiError{http.StatusBadRequest, "%s"}
	errStatsFormat      = &apiError{http.StatusBadRequest, "format must be json or csv"}

	errReportsOff    = &apiError{http.StatusNotFound, "reports are off: set SENDA_SUBSCRIBER_KEY to take reports (AVISAR)"}
	errNoReport      = &apiError{http.StatusNotFound, "no open report with id %q; GET /admin/reports lists them"}
	errReportReason  = &apiError{http.StatusUnprocessableEntity, "reason must be one of: %s"}
	errReportNoTopic = &apiError{http.StatusConflict, "the content pack has no topic %q to publish reports to"}
)

// handleError turns a handler's error into a status and a JSON body, and
// logs unexpected errors once: table errors and echo's own (no route,
// wrong method) are expected; anything else is a 500 that says nothing of
// its cause to the caller.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, "internal error"
	var ae *apiError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ae):
		code, msg = ae.status, ae.msg
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(code)
		}
	default:
		s.Log.Error("request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.JSON(code, adminapi.Error{Error: msg})
	}
	if err != nil {
		s.Log.Warn("write error response", "err", err)
	}
}
