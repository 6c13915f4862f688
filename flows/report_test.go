package flows_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

func reportEngine(t testing.TB) *flows.Engine {
	t.Helper()
	ring, err := sealer.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return flows.New(defaultPack(t), flows.Options{Subscriptions: true, Reports: ring})
}

// messages returns the messages of a reply as Twilio sends them.
func messages(t testing.TB, p content.Page) []string {
	t.Helper()
	var r struct {
		Message []string `xml:"Message"`
	}
	if err := xml.Unmarshal(p.TwiML, &r); err != nil {
		t.Fatalf("reply TwiML %q: %v", p.TwiML, err)
	}
	return r.Message
}

// oneSegment fails unless an SMS fits one GSM-7 segment.
func oneSegment(t testing.TB, msg string) {
	t.Helper()
	gsm, bad := content.ToGSM7(msg)
	n := len([]rune(gsm)) + strings.Count(gsm, "{") + strings.Count(gsm, "}") + strings.Count(gsm, "[") +
		strings.Count(gsm, "]") + strings.Count(gsm, "~") + strings.Count(gsm, "|") + strings.Count(gsm, "^") + strings.Count(gsm, "€") + strings.Count(gsm, "\\")
	if len(bad) > 0 || n > 160 || gsm != msg {
		t.Fatalf("SMS of %d septets (unmapped %q) is more than one segment:\n%s", n, string(bad), msg)
	}
}

// From AVISAR to the receipt in six messages, on both channels, with
// every SMS one segment; the draft is never in the stored state in clear.
func TestReportInSixMessages(t *testing.T) {
	t.Parallel()
	for _, ch := range []content.Channel{content.SMS, content.WhatsApp} {
		t.Run(ch.String(), func(t *testing.T) {
			e := reportEngine(t)
			c := newConv(t, e, ch)
			c.send("hola")
			msgs := []string{"AVISAR", "4", "Mercado  municipal,\nesquina norte", "2",
				"Dos hombres en carro gris placa P-123ABC, dicen ser policías, piden dinero", "1"}
			var res flows.Result
			for i, m := range msgs {
				res = c.send(m)
				reply := e.Reply(res.State, ch)
				if ch == content.SMS {
					for _, msg := range messages(t, reply) {
						oneSegment(t, msg)
					}
				}
				if more := e.Pack().Text("more", 0); strings.Contains(reply.Text, more) || strings.Contains(reply.Text, "MAS") {
					t.Fatalf("after %q the reply asks for MAS, a message more:\n%s", m, reply.Text)
				}
				if i < len(msgs)-1 {
					if res.State.Report == nil {
						t.Fatalf("after %q the draft is gone", m)
					}
					for _, secret := range []string{"Mercado", "P-123ABC"} {
						if bytes.Contains(c.stored, []byte(secret)) {
							t.Fatalf("after %q the stored state holds %q in clear", m, secret)
						}
					}
				}
				if i == 4 {
					text := reply.Text
					for _, want := range []string{"Policía o extorsión", "Ayer: Mercado municipal, esquina norte", "P-123ABC", "¿Enviar a la organización? 1 Sí 2 No"} {
						if ch == content.SMS {
							want, _ = content.ToGSM7(want)
						}
						if !strings.Contains(text, want) {
							t.Fatalf("preview %q lacks %q", text, want)
						}
					}
				}
			}
			if res.Effect.Kind != flows.EffectReportSubmit || res.State.Screen.Kind != content.ScreenReportSent {
				t.Fatalf("last step: effect %d, screen %s", res.Effect.Kind, res.State.Screen)
			}
			want := flows.ReportDraft{Kind: 4, When: 2, Area: "Mercado municipal, esquina norte",
				Text: "Dos hombres en carro gris placa P-123ABC, dicen ser policías, piden dinero"}
			if res.Report == nil || *res.Report != want {
				t.Fatalf("filed %+v, want %+v", res.Report, want)
			}
			if c.state().Report != nil {
				t.Fatal("the state keeps the report after it was sent")
			}
			if got := e.Reply(res.State, ch).Text; !strings.Contains(got, "Nadie sabra que fuiste tu") && !strings.Contains(got, "Nadie sabrá que fuiste tú") {
				t.Fatalf("receipt %q", got)
			}
		})
	}
}

// 0, SALIR, NO or any other command leaves the report at any step, and the
// stored state keeps nothing of it.
func TestLeavingAReportKeepsNothing(t *testing.T) {
	t.Parallel()
	answers := []string{"AVISAR", "1", "parque", "1", "camisa roja"}
	for step := 1; step <= len(answers); step++ {
		for _, leave := range []string{"0", "SALIR", "MENU", "BAJA", "no"} {
			if leave == "no" && step < len(answers) {
				continue // "no" is an answer only to "send it?"; before, it is text
			}
			e := reportEngine(t)
			c := newConv(t, e, content.WhatsApp)
			c.run(answers[:step]...)
			res := c.send(leave)
			if res.Effect.Kind == flows.EffectReportSubmit || res.Report != nil {
				t.Fatalf("%q after %d answers filed a report", leave, step)
			}
			if c.stored != nil {
				if st := c.state(); st.Report != nil {
					t.Fatalf("%q after %d answers: the state keeps the draft", leave, step)
				}
				if st := c.state(); st.Screen.Kind == content.ScreenReport {
					t.Fatalf("%q after %d answers: still asking (%s)", leave, step, st.Screen)
				}
			}
		}
	}
}

// The safety menu offers the report; a wrong answer asks again; danger
// named instead of an answer shows the urgent page first.
func TestReportFromTheMenuAndMisses(t *testing.T) {
	t.Parallel()
	e := reportEngine(t)
	p := e.Pack()
	c := newConv(t, e, content.SMS)
	c.run("hola", "seguridad")
	n := len(p.Nodes[nodeIndex(t, p, "seguridad")].Options)
	res := c.send(string(rune('0' + n)))
	if res.State.Screen != (content.Screen{Kind: content.ScreenReport, Arg: content.ReportStepKind}) {
		t.Fatalf("option %d of seguridad shows %s, want the report's first question", n, res.State.Screen)
	}
	if res = c.send("9"); res.State.Screen.Note != content.NoteUnknown || res.State.Report == nil {
		t.Fatalf("9 is no kind: %s", res.State.Screen)
	}
	if res = c.send("dos"); res.State.Screen.Arg != content.ReportStepWhere || res.State.Report.Kind != 2 {
		t.Fatalf("a number word: %s %+v", res.State.Screen, res.State.Report)
	}
	c.send("por el parque")
	res = c.send("me esta siguiendo ahora")
	if res.Signal != flows.SignalDistress || res.State.Report != nil {
		t.Fatalf("danger at a numbered question: signal %s, draft %+v", res.Signal, res.State.Report)
	}
	if res = c.send("0"); res.State.Report != nil {
		t.Fatal("a draft came back")
	}
}

// Long answers are cut to what the report keeps.
func TestReportAnswersAreClipped(t *testing.T) {
	t.Parallel()
	e := reportEngine(t)
	c := newConv(t, e, content.WhatsApp)
	res := c.run("AVISAR", "6", strings.Repeat("lugar ", 40), "3", strings.Repeat("x", 1000), "SI")
	if res.Report == nil || len([]rune(res.Report.Area)) > flows.MaxReportArea || len([]rune(res.Report.Text)) != flows.MaxReportText {
		t.Fatalf("filed %+v", res.Report)
	}
}

// Without a sealer (no SENDA_SUBSCRIBER_KEY) the line takes no reports,
// and a state never stores a draft it cannot seal.
func TestNoReportsWithoutASealer(t *testing.T) {
	t.Parallel()
	e := flows.New(defaultPack(t), flows.Options{Subscriptions: true})
	c := newConv(t, e, content.SMS)
	if res := c.run("hola", "AVISAR"); res.State.Screen.Kind != content.ScreenReportOff || res.State.Report != nil {
		t.Fatalf("AVISAR without reports: %s", res.State.Screen)
	}
	st := e.Start(0)
	st.Report = &flows.ReportDraft{Kind: 1, Area: "secret place"}
	if b := e.Encode(nil, st); bytes.Contains(b, []byte("secret")) {
		t.Fatal("a draft was stored in clear")
	}
}

// A stored draft sealed with another key reads as stale, not as garbage.
func TestDraftUnderAnotherKeyIsStale(t *testing.T) {
	t.Parallel()
	e := reportEngine(t)
	c := newConv(t, e, content.SMS)
	c.run("AVISAR", "1")
	other, _ := sealer.New(bytes.Repeat([]byte{4}, 32))
	e2 := flows.New(e.Pack(), flows.Options{Reports: other})
	if _, err := e2.Decode(c.stored); err != flows.ErrStale {
		t.Fatalf("Decode under another key: %v, want ErrStale", err)
	}
}

// Every question of a report is one SMS page in every offered language, so
// no MAS is needed between AVISAR and the receipt. A question asked again
// after an answer not understood also carries the help numbers (never a
// dead end): it may take a second page, each page still one segment.
func TestReportQuestionsFitOnePage(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	screens := []content.Screen{{Kind: content.ScreenReportSent}, {Kind: content.ScreenReportDropped},
		{Kind: content.ScreenReportLimit}, {Kind: content.ScreenReportOff}}
	for step := uint16(1); step < content.ReportStepConfirm; step++ {
		screens = append(screens, content.Screen{Kind: content.ScreenReport, Arg: step})
		miss := content.Screen{Kind: content.ScreenReport, Arg: step, Note: content.NoteUnknown}
		for lang := range p.Languages {
			pages := p.Pages(miss, lang, content.SMS)
			if len(pages) > 2 || !strings.Contains(pages[0].Text, "1555") {
				t.Errorf("%s in %s: %d SMS pages, the first without the help numbers: %q", miss, p.Languages[lang].Code, len(pages), pages[0].Text)
			}
			for _, pg := range pages {
				oneSegment(t, pg.Text)
			}
		}
	}
	for lang, l := range p.Languages {
		if !l.Offered && lang != 0 {
			continue
		}
		for _, s := range screens {
			pages := p.Pages(s, lang, content.SMS)
			if len(pages) != 1 {
				t.Errorf("%s in %s is %d SMS pages, want 1", s, l.Code, len(pages))
				continue
			}
			oneSegment(t, pages[0].Text)
		}
	}
}
