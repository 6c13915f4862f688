package console

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/content"
)

// measurement is what a broadcast text costs and looks like on each
// channel, and the lines the compose form shows under it, in the page's
// language (the live count's script only copies them).
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
	SMSLine    string `json:"sms_line"`    // "SMS: 88 / 160 · GSM-7 · 1 parte de SMS"
	WALine     string `json:"wa_line"`     // "WhatsApp: 88 caracteres"
	// Warning says what stops the text going by SMS (characters SMS
	// cannot carry, too long), or is empty.
	Warning string `json:"warning"`
}

// measure renders a text as the broadcast worker sends it, with content's
// own GSM-7 and segment functions. SMS is always GSM-7: letters it lacks
// become the closest ones («Día» → «Dia»), and characters with no
// counterpart (emoji) are named in the warning, since the broadcast is
// refused with them rather than sent with "?".
func measure(p *content.Pack, v view, lang, text string) measurement {
	text = strings.TrimSpace(text)
	if text == "" {
		return measurement{Budget: p.SMS.Budget(), Encoding: string(content.GSM7)}.describe(v)
	}
	header := p.Text("header", langIndex(p, lang))
	wa := header + "\n" + text
	sms, unmapped := content.ToGSM7(wa)
	size := content.MeasureSMS(sms)
	return measurement{Header: header, SMS: sms, WhatsApp: wa, Encoding: string(size.Encoding), Units: size.Units,
		Segments: size.Segments, Budget: p.SMS.Budget(), Unmapped: string(unmapped), WAChars: len([]rune(wa)),
		LockScreen: lockScreen(wa)}.describe(v)
}

// describe fills in the lines shown under the text.
func (m measurement) describe(v view) measurement {
	parts := "sms_parts"
	if m.Segments == 1 {
		parts = "sms_part"
	}
	m.SMSLine = v.Tf("count_sms_line", m.Units, m.Budget, m.Encoding, m.Segments, v.T(parts))
	m.WALine = v.Tf("count_wa_line", m.WAChars)
	switch {
	case m.Unmapped != "":
		m.Warning = v.Tf("sms_unmapped", strings.Join(strings.Split(m.Unmapped, ""), " "))
	case m.Units > m.Budget:
		m.Warning = v.Tf("sms_too_long", m.Units-m.Budget)
	}
	return m
}

func (c *Console) measure(ec echo.Context) error {
	text := ec.FormValue("text")
	if len(text) > 8000 {
		text = text[:8000]
	}
	return ec.JSON(http.StatusOK, measure(c.opts.Pack(), c.view(ec, "broadcasts"), ec.FormValue("lang"), text))
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
