package httpapi

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/content"
)

// TestWriteTwiMLSplicesStatusCallback: the reply's <Message> gets the
// status callback as an escaped attribute, the XML stays well formed and
// Content-Length counts it.
func TestWriteTwiMLSplicesStatusCallback(t *testing.T) {
	t.Parallel()
	page := content.TwiML("Hola & <adiós>")
	for _, tt := range []struct {
		name, callback, wantAction string
	}{
		{"no callback", "", ""},
		{"callback", "https://senda.example.org/twilio/status?r=1", "https://senda.example.org/twilio/status?r=1"},
		{"escaped", `https://x.example.org/a&b"c/twilio/status?r=1`, `https://x.example.org/a&b"c/twilio/status?r=1`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Server{replyAttr: replyAttr(tt.callback)}
			rec := httptest.NewRecorder()
			c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, MessagesPath, nil), rec)
			if err := s.writeTwiML(c, page); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != twimlType {
				t.Errorf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
			}
			if cl := rec.Header().Get("Content-Length"); cl != "" && cl != strconv.Itoa(rec.Body.Len()) {
				t.Errorf("Content-Length %s for %d bytes", cl, rec.Body.Len())
			}
			var r struct {
				Message struct {
					Action string `xml:"action,attr"`
					Body   string `xml:",chardata"`
				}
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &r); err != nil {
				t.Fatalf("not XML: %v: %s", err, rec.Body.String())
			}
			if r.Message.Action != tt.wantAction || r.Message.Body != "Hola & <adiós>" {
				t.Errorf("parsed %+v from %s", r.Message, rec.Body.String())
			}
		})
	}
}
