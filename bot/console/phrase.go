package console

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// The phrase tester reads one phrase as a first message would be read and
// shows the page it reaches, its score and the runner-up, so staff can see
// how a sentence people write is understood before adding it to
// tests.yaml or to the examples. Nothing is kept.

// phraseView is what the tester shows.
type phraseView struct {
	Text     string
	Reaches  string // the page shown, the question asked, or "—"
	Best     string // the likeliest page and its probability
	RunnerUp string // the next page and its probability
}

// maxPhrase bounds the phrase read, as the simulator bounds a message.
const maxPhrase = 1600

func (c *Console) readPhrase(ec echo.Context) error {
	p := c.opts.Pack()
	text := strings.TrimSpace(ec.FormValue("phrase"))
	if len(text) > maxPhrase {
		text = text[:maxPhrase]
	}
	if text == "" {
		return c.renderContent(ec, http.StatusOK, simView{Channel: "whatsapp"}, nil)
	}
	eng := flows.New(p, flows.Options{Subscriptions: true})
	rd := eng.Understand(text)
	res := eng.Step(flows.State{}, flows.Input{Text: text, Channel: content.WhatsApp, New: true})
	pv := &phraseView{Text: text, Reaches: reaches(p, res.State.Screen), Best: scored(p, rd.Node, rd.Score), RunnerUp: scored(p, rd.RunnerUp, rd.RunnerUpScore)}
	return c.renderContent(ec, http.StatusOK, simView{Channel: "whatsapp"}, pv)
}

// reaches names what a first message's screen shows.
func reaches(p *content.Pack, s content.Screen) string {
	switch {
	case s.Kind == content.ScreenNode && (s.Note == content.NoteNone || s.Note == content.NoteHelpLine):
		return p.Nodes[s.Arg].ID
	case s.Kind == content.ScreenChoice:
		a, b := content.ChoiceNodes(s)
		return "1 " + p.Nodes[a].ID + " / 2 " + p.Nodes[b].ID
	}
	return "—"
}

func scored(p *content.Pack, node int, score float64) string {
	if node < 0 || node >= len(p.Nodes) {
		return "—"
	}
	return fmt.Sprintf("%s (%.0f %%)", p.Nodes[node].ID, 100*score)
}
