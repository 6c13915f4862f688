package flows

import (
	"fmt"

	"github.com/senda-org/senda/content"
)

// PhraseResult is what one of the pack's phrase tests (tests.yaml) got.
type PhraseResult struct {
	Test content.PhraseTest
	Got  string // the page reached, "none", or "choice a|b"
	Pass bool
}

// String says what failed, for `senda content check`.
func (r PhraseResult) String() string {
	return fmt.Sprintf("%s:%d: %q reached %s, want %s", r.Test.File, r.Test.Line, r.Test.Phrase, r.Got, r.Test.Want)
}

// RunPhraseTests sends each phrase of the pack's tests.yaml as the first
// message of a WhatsApp conversation and says where it led. A test of a
// page passes when that page is shown; a test of "none" passes when no
// page is shown and no question asked.
func (e *Engine) RunPhraseTests() []PhraseResult {
	out := make([]PhraseResult, len(e.pack.Tests))
	for i, t := range e.pack.Tests {
		res := e.Step(State{}, Input{Text: t.Phrase, Channel: content.WhatsApp, New: true})
		got := e.reached(res.State.Screen)
		out[i] = PhraseResult{Test: t, Got: got, Pass: got == t.Want}
	}
	return out
}

// reached names the page a screen shows, "none", or the question asked.
func (e *Engine) reached(s content.Screen) string {
	switch {
	case s.Kind == content.ScreenNode && (s.Note == content.NoteNone || s.Note == content.NoteHelpLine):
		return e.pack.Nodes[s.Arg].ID
	case s.Kind == content.ScreenChoice:
		a, b := content.ChoiceNodes(s)
		return "choice " + e.pack.Nodes[a].ID + "|" + e.pack.Nodes[b].ID
	}
	return "none"
}
