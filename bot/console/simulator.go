package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// The simulator runs the pure flows engine on the live pack. Nothing is
// stored on the server: the conversation's state and the last exchanges
// travel in a hidden form field, signed so a changed field is refused
// (and the conversation starts again) rather than decoded.

// maxTranscript is how many lines the simulator keeps on the page.
const maxTranscript = 16

type simLine struct {
	Me   bool   `json:"me"`
	Text string `json:"text"`
}

type simCarry struct {
	State []byte    `json:"s,omitempty"`
	Lines []simLine `json:"l,omitempty"`
}

type simView struct {
	Channel string
	Lang    string
	Lines   []simLine
	Carry   string
}

func (c *Console) sign(b []byte) string {
	m := hmac.New(sha256.New, c.simKey)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(b) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (c *Console) unsign(s string) ([]byte, bool) {
	body, mac, ok := strings.Cut(s, ".")
	if !ok {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, false
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil {
		return nil, false
	}
	m := hmac.New(sha256.New, c.simKey)
	m.Write(b)
	return b, hmac.Equal(got, m.Sum(nil))
}

func (c *Console) simulate(ec echo.Context) error {
	v := c.view(ec, "content")
	p := c.opts.Pack()
	eng := flows.New(p, flows.Options{Subscriptions: true})
	ch := content.WhatsApp
	if ec.FormValue("channel") == "sms" {
		ch = content.SMS
	}
	sim := simView{Channel: ch.String(), Lang: ec.FormValue("lang")}
	if ec.FormValue("action") == "restart" {
		return c.renderContent(ec, http.StatusOK, sim, nil)
	}
	var carry simCarry
	st, isNew := flows.State{}, true
	if b, ok := c.unsign(ec.FormValue("carry")); ok && json.Unmarshal(b, &carry) == nil && len(carry.State) > 0 {
		if decoded, err := eng.Decode(carry.State); err == nil {
			st, isNew = decoded, false
		}
	}
	text := ec.FormValue("text")
	if len(text) > 1600 {
		text = text[:1600]
	}
	res := eng.Step(st, flows.Input{Text: text, Channel: ch, New: isNew, Lang: max(p.LanguageIndex(sim.Lang), 0)})
	note := ""
	topicName := func(i int) string {
		if i >= 0 && i < len(p.Topics) {
			return p.Topics[i].Name[res.State.Lang]
		}
		return ""
	}
	switch res.Effect.Kind {
	case flows.EffectShowMyTopics:
		res.State = eng.MyTopics(res.State, 0)
	case flows.EffectSubscribe:
		note = v.Tf("sim_effect_sub", topicName(res.Effect.Topic))
	case flows.EffectUnsubscribeTopic:
		note = v.Tf("sim_effect_unsub", topicName(res.Effect.Topic))
	case flows.EffectUnsubscribeAll:
		note = v.T("sim_effect_all")
	case flows.EffectErase:
		note = v.T("sim_effect_erase")
	}
	reply := eng.Reply(res.State, ch).Text
	if note != "" {
		reply += "\n\n" + note
	}
	carry.Lines = append(carry.Lines, simLine{Me: true, Text: text}, simLine{Text: reply})
	if len(carry.Lines) > maxTranscript {
		carry.Lines = carry.Lines[len(carry.Lines)-maxTranscript:]
	}
	carry.State = nil
	if res.Effect.Kind != flows.EffectErase {
		carry.State = eng.Encode(nil, res.State)
	}
	b, _ := json.Marshal(carry)
	sim.Lines, sim.Carry = carry.Lines, c.sign(b)
	return c.renderContent(ec, http.StatusOK, sim, nil)
}
