package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/bot/adminapi"
)

func TestErrorTableIsMappedOnce(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logs, nil))}}
	e := echo.New()
	for _, c := range []struct {
		name   string
		err    error
		status int
		msg    string
		logged bool
	}{
		{"table entry", errAdminToken, http.StatusUnauthorized, errAdminToken.msg, false},
		{"with details", errNoBroadcast.with("b9"), http.StatusNotFound, `no broadcast with id "b9"`, false},
		{"wrapped", fmt.Errorf("admin: %w", errBroadcastsOff), http.StatusConflict, "broadcasts are off", false},
		{"echo's own", echo.ErrMethodNotAllowed, http.StatusMethodNotAllowed, "Method Not Allowed", false},
		{"unexpected", errors.New("redis: connection pool timeout"), http.StatusInternalServerError, "internal error", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs.Reset()
			rec := httptest.NewRecorder()
			s.handleError(c.err, e.NewContext(httptest.NewRequest(http.MethodGet, "/x", nil), rec))
			var body adminapi.Error
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body.String(), err)
			}
			if rec.Code != c.status || !strings.Contains(body.Error, c.msg) {
				t.Fatalf("got %d %q, want %d with %q", rec.Code, body.Error, c.status, c.msg)
			}
			if strings.Contains(body.Error, "pool") {
				t.Fatal("an unexpected error's cause reached the caller")
			}
			if got := logs.Len() > 0; got != c.logged {
				t.Fatalf("logged = %v, want %v: %s", got, c.logged, logs.String())
			}
		})
	}
}
