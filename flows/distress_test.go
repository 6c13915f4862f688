package flows_test

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// corpusLine is one message of a corpus file, with the distress kind it
// must reveal ("" for the ordinary corpus).
type corpusLine struct {
	kind, msg string
	line      int
}

func readCorpus(t *testing.T, name string, kinds bool) []corpusLine {
	t.Helper()
	f, err := os.Open("testdata/distress/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		cl := corpusLine{msg: s, line: n}
		if kinds {
			k, m, ok := strings.Cut(s, "\t")
			if !ok {
				t.Fatalf("%s:%d: want kind<TAB>message", name, n)
			}
			cl.kind, cl.msg = k, m
		}
		out = append(out, cl)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Thresholds the issue sets for the default pack's distress phrases.
const (
	minCaught      = 0.98 // of the distress corpus, at least this share opens an urgent page
	minRightKind   = 0.95 // and at least this share opens the right one
	maxFalseAlarms = 0.02 // of the ordinary corpus, at most this share does
)

// TestDistressCorpus measures the default pack's distress phrases against
// testdata/distress: run it with -v to see the rates.
func TestDistressCorpus(t *testing.T) {
	t.Parallel()
	e := flows.New(defaultPack(t), flows.Options{Subscriptions: true})
	distress := readCorpus(t, "distress.txt", true)
	ordinary := readCorpus(t, "ordinary.txt", false)
	if len(distress) < 150 {
		t.Fatalf("the distress corpus has %d messages; keep at least 150", len(distress))
	}
	caught, right := 0, 0
	for _, c := range distress {
		got, ok := e.Distress(c.msg)
		switch {
		case !ok:
			t.Logf("distress.txt:%d: missed %q (want %s)", c.line, c.msg, c.kind)
		case got != c.kind:
			caught++
			t.Logf("distress.txt:%d: %q opened %s, want %s", c.line, c.msg, got, c.kind)
		default:
			caught++
			right++
		}
	}
	alarms := 0
	for _, c := range ordinary {
		if got, ok := e.Distress(c.msg); ok {
			alarms++
			t.Logf("ordinary.txt:%d: false alarm %q opened %s", c.line, c.msg, got)
		}
	}
	caughtRate := float64(caught) / float64(len(distress))
	rightRate := float64(right) / float64(len(distress))
	alarmRate := float64(alarms) / float64(len(ordinary))
	t.Logf("distress caught: %d/%d = %.1f %% (right kind %d = %.1f %%); false alarms: %d/%d = %.1f %%",
		caught, len(distress), 100*caughtRate, right, 100*rightRate, alarms, len(ordinary), 100*alarmRate)
	if caughtRate < minCaught {
		t.Errorf("caught %.1f %% of distress messages, want at least %.0f %%", 100*caughtRate, 100*minCaught)
	}
	if rightRate < minRightKind {
		t.Errorf("%.1f %% of distress messages opened the right page, want at least %.0f %%", 100*rightRate, 100*minRightKind)
	}
	if alarmRate > maxFalseAlarms {
		t.Errorf("%.1f %% of ordinary messages raised a false alarm, want at most %.0f %%", 100*alarmRate, 100*maxFalseAlarms)
	}
}

// Distress is answered in any state, on every channel, from the first
// message on: the urgent page at once, never "not understood".
func TestDistressInAnyState(t *testing.T) {
	t.Parallel()
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	states := map[string]flows.State{"start": e.Start(0), "english": e.Start(1)}
	walk := func(name string, msgs ...string) {
		st := e.Start(0)
		for _, m := range msgs {
			st = e.Step(st, flows.Input{Text: m, Channel: content.SMS}).State
		}
		states[name] = st
	}
	walk("deep node", "2", "1")
	walk("after a miss", "2", "xyz")
	walk("help", "ayuda")
	walk("misses help", "x", "y", "z")
	walk("topic question", "alta", "1")
	walk("later page", "privacidad", "1", "mas")
	for _, c := range readCorpus(t, "distress.txt", true) {
		if _, ok := e.Distress(c.msg); !ok {
			continue // a miss; TestDistressCorpus counts it
		}
		for name, st := range states {
			for _, ch := range content.Channels {
				for _, isNew := range []bool{false, true} {
					res := e.Step(st, flows.Input{Text: c.msg, Channel: ch, New: isNew})
					if res.Signal != flows.SignalDistress || res.Distress == "" {
						t.Errorf("%q in state %s on %s (new=%v): signal %s, want distress", c.msg, name, ch, isNew, res.Signal)
						continue
					}
					n := p.Nodes[res.State.Node]
					if !n.Urgent || res.State.Screen != (content.Screen{Kind: content.ScreenNode, Arg: uint16(n.Index)}) {
						t.Errorf("%q in state %s: shows %s, want an urgent page", c.msg, name, res.State.Screen)
					}
				}
			}
		}
	}
}

// The matcher itself: whole words, a typo in long words, a word between
// the words of a phrase, prefixes, exact words before typos.
func TestDistressMatching(t *testing.T) {
	t.Parallel()
	e := flows.New(defaultPack(t), flows.Options{})
	tests := []struct {
		msg, want string // want "" means no distress
	}{
		{"ME PEGÓ!!", "violencia"},
		{"me pago", ""},                         // four-letter words forgive no typo: paid is not hit
		{"se me rompio el condon", "violacion"}, // one word between two of a phrase
		{"se rompio el telefono", ""},
		{"me quiere matar", "violencia"}, // a threat, not "me quiero matar"
		{"me quiero matar", "crisis"},
		{"suicidarme", "crisis"}, // prefix suicid*
		{"me estan extorsionando", "violencia"},
		{"socorrooo", "violencia"}, // repeated letters fold
		{"violasion", "violacion"}, // one typo in a long word
		{"", ""},
		{"   ", ""},
		{"1", ""},
	}
	for _, tt := range tests {
		got, ok := e.Distress(tt.msg)
		if ok != (tt.want != "") || got != tt.want {
			t.Errorf("Distress(%q) = %q, %v; want %q", tt.msg, got, ok, tt.want)
		}
	}
}
