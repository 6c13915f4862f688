package flows_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// The evaluation of issue 15: every corpus under testdata/understanding/*/
// goes through the engine (WhatsApp and SMS, as a first message and
// mid-menu) and the test prints, per page, recall and precision, and four
// headline figures, the worst of the four ways:
//
//   - help: distress messages whose reply carries a help number;
//   - right: distress messages that reach the right page;
//   - alarms: ordinary messages that open an urgent page they were not about;
//   - topics: ordinary questions that reach their page, or a one-tap
//     question offering it.
//
// Files named distress*.tsv hold distress, the others ordinary messages;
// each line is label<TAB>message, the label a page id, "a|b" when either
// page is right, or "none"; # starts a comment.
//
// Floors are per directory, in corpusFloors. A directory not in the table
// is held to defaultFloors, the figures the issue asks for. Floors catch a
// regression; they are never the exact figures.
//
// A held-out set: put distress.tsv and ordinary.tsv (same format) in a new
// directory, e.g. testdata/understanding/heldout/, written by someone who
// has not seen the examples, synonyms, reader or tune set. It is run and
// held to defaultFloors at once; to set its own floors, add a line to
// corpusFloors ("heldout": {help: …, right: …, alarms: …, topics: …}).

// floors are the least each headline figure may be (alarms: the most).
type floors struct {
	help, right, alarms, topics float64
}

// defaultFloors are issue 15's "done when" figures.
var defaultFloors = floors{help: 0.98, right: 0.80, alarms: 0.03, topics: 0.75}

// corpusFloors are the floors per corpus directory. To hold a new
// directory to other floors, add a line.
var corpusFloors = map[string]floors{
	"tune": {help: 0.98, right: 0.84, alarms: 0.03, topics: 0.78},
	// Round 1 (2026-12-07): written by a helper that never saw the reader,
	// examples, synonyms or tune set, from a one-line description of each
	// page and of who writes; measured once, after tuning ended, worst of the
	// four ways: help 96.7 %, right 69.6 %, alarms 9.0 %, topics 66.9 %.
	// Below the figures: these floors only stop a regression. The
	// reader is never changed for a miss here; a new round needs a new set
	// (this one stays as a regression set).
	// After round 2 (logistic regression): help 100 %, right 84.1 %,
	// alarms 4.9 %, topics 75.3 %.
	"heldout": {help: 0.98, right: 0.80, alarms: 0.07, topics: 0.72},
	// Round 2: written by another helper the same way, measured once after
	// round 2's tuning ended: help 100 %, right 77.5 %, alarms 2.9 %, topics
	// 79.4 %. The right-page figure is below the 80 %.
	"heldout2": {help: 0.98, right: 0.75, alarms: 0.045, topics: 0.76},
	// Round 3: another helper, the same way, measured once after round 3's
	// tuning ended: help 100 %, right 87.0 %, alarms 0.8 %, topics 82.4 %.
	"heldout3": {help: 0.98, right: 0.84, alarms: 0.02, topics: 0.79},
}

type labelled struct {
	labels   []string // node ids; empty for none
	msg      string
	distress bool
	file     string
	line     int
}

func readLabelled(t *testing.T, path string, distress bool) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		s := sc.Text()
		if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
			continue
		}
		label, msg, ok := strings.Cut(s, "\t")
		if !ok {
			t.Fatalf("%s:%d: want label<TAB>message", path, n)
		}
		l := labelled{msg: msg, distress: distress, file: filepath.Base(path), line: n}
		if label != "none" {
			l.labels = strings.Split(label, "|")
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// way is one of the four ways a message is sent.
type way struct {
	ch    content.Channel
	first bool
}

func (w way) String() string {
	if w.first {
		return w.ch.String() + "/first"
	}
	return w.ch.String() + "/mid-menu"
}

var ways = []way{{content.WhatsApp, true}, {content.WhatsApp, false}, {content.SMS, true}, {content.SMS, false}}

// outcome is what one message got.
type outcome struct {
	shown   string   // the page shown, or ""
	offered []string // the pages a choice offered
	help    bool     // the reply carries a help number
}

var helpNumber = regexp.MustCompile(`\b(110|122|123|1555|1574)\b`)

func send(e *flows.Engine, mid flows.State, w way, msg string) outcome {
	st := mid
	if w.first {
		st = flows.State{}
	}
	res := e.Step(st, flows.Input{Text: msg, Channel: w.ch, New: w.first})
	p := e.Pack()
	var o outcome
	switch s := res.State.Screen; {
	case s.Kind == content.ScreenNode && (s.Note == content.NoteNone || s.Note == content.NoteHelpLine):
		o.shown = p.Nodes[s.Arg].ID
	case s.Kind == content.ScreenChoice:
		a, b := content.ChoiceNodes(s)
		o.offered = []string{p.Nodes[a].ID, p.Nodes[b].ID}
	}
	o.help = helpNumber.MatchString(e.Reply(res.State, w.ch).Text)
	return o
}

// tally counts one way's figures.
type tally struct {
	distress, help, right, ordinary, alarms, topical, topics int
	// per page: messages labelled with it, those that reached it (or were
	// offered it), messages shown it, and those of them labelled with it
	want, hit, got, gotRight map[string]int
}

func (t *tally) rate(n, d int) float64 {
	if d == 0 {
		return 1
	}
	return float64(n) / float64(d)
}

func (t *tally) figures() floors {
	return floors{help: t.rate(t.help, t.distress), right: t.rate(t.right, t.distress),
		alarms: t.rate(t.alarms, t.ordinary), topics: t.rate(t.topics, t.topical)}
}

func isUrgent(p *content.Pack, id string) bool {
	n, ok := p.NodeByID(id)
	if !ok {
		return false
	}
	return n.Urgent || slices.ContainsFunc(p.Distress, func(d content.Distress) bool { return d.Node == n.Index })
}

func evaluate(t *testing.T, e *flows.Engine, mid flows.State, w way, msgs []labelled, logMisses bool) *tally {
	p := e.Pack()
	tl := &tally{want: map[string]int{}, hit: map[string]int{}, got: map[string]int{}, gotRight: map[string]int{}}
	for _, m := range msgs {
		o := send(e, mid, w, m.msg)
		right := o.shown != "" && slices.Contains(m.labels, o.shown)
		offered := slices.ContainsFunc(o.offered, func(id string) bool { return slices.Contains(m.labels, id) })
		for _, l := range m.labels[:min(1, len(m.labels))] {
			tl.want[l]++
			if right || offered {
				tl.hit[l]++
			}
		}
		if o.shown != "" {
			tl.got[o.shown]++
			if right {
				tl.gotRight[o.shown]++
			}
		}
		miss := ""
		if m.distress {
			tl.distress++
			if o.help {
				tl.help++
			} else if logMisses {
				t.Logf("nohelp %s:%d %q got %q offered %v", m.file, m.line, m.msg, o.shown, o.offered)
			}
			if right {
				tl.right++
			} else {
				miss = "distress"
			}
		} else {
			tl.ordinary++
			if o.shown != "" && !right && isUrgent(p, o.shown) {
				tl.alarms++
				miss = "alarm"
			}
			if len(m.labels) > 0 {
				tl.topical++
				if right || offered {
					tl.topics++
				} else {
					miss = "topic"
				}
			}
		}
		if miss != "" && logMisses {
			t.Logf("%s %s:%d %q want %v, got %q offered %v", miss, m.file, m.line, m.msg, m.labels, o.shown, o.offered)
		}
	}
	return tl
}

// TestUnderstandingCorpora runs every corpus directory through the engine.
// Run it with -v to see the figures, and -run 'Corpora/tune' for one.
func TestUnderstandingCorpora(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("testdata/understanding/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no corpora under testdata/understanding: %v", err)
	}
	p := defaultPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	// Mid-menu: the person has chosen an option of the main menu.
	mid := e.Step(e.Start(0), flows.Input{Text: "1", Channel: content.SMS}).State
	for _, dir := range dirs {
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			continue
		}
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			msgs := readCorpusDir(t, p, dir)
			worst := floors{help: 1, right: 1, topics: 1}
			for i, w := range ways {
				tl := evaluate(t, e, mid, w, msgs, w.ch == content.SMS && w.first && os.Getenv("SENDA_EVAL_MISSES") != "")
				f := tl.figures()
				t.Logf("%s %-18s help %5.1f %% (%d/%d)  right %5.1f %% (%d/%d)  alarms %4.1f %% (%d/%d)  topics %5.1f %% (%d/%d)",
					name, w, 100*f.help, tl.help, tl.distress, 100*f.right, tl.right, tl.distress,
					100*f.alarms, tl.alarms, tl.ordinary, 100*f.topics, tl.topics, tl.topical)
				worst = floors{help: min(worst.help, f.help), right: min(worst.right, f.right),
					alarms: max(worst.alarms, f.alarms), topics: min(worst.topics, f.topics)}
				if i == 0 {
					logPerPage(t, tl)
				}
			}
			t.Logf("%s worst of the four ways: help %.1f %%, right %.1f %%, alarms %.1f %%, topics %.1f %%",
				name, 100*worst.help, 100*worst.right, 100*worst.alarms, 100*worst.topics)
			checkFloors(t, name, worst)
		})
	}
}

func readCorpusDir(t *testing.T, p *content.Pack, dir string) []labelled {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.tsv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("%s: no .tsv files: %v", dir, err)
	}
	var msgs []labelled
	for _, f := range files {
		msgs = append(msgs, readLabelled(t, f, strings.HasPrefix(filepath.Base(f), "distress"))...)
	}
	for _, m := range msgs {
		for _, l := range m.labels {
			if _, ok := p.NodeByID(l); !ok {
				t.Fatalf("%s:%d: label %q is not a page of the default pack", m.file, m.line, l)
			}
		}
	}
	return msgs
}

func logPerPage(t *testing.T, tl *tally) {
	ids := slices.Collect(func(yield func(string) bool) {
		for id := range tl.want {
			if !yield(id) {
				return
			}
		}
	})
	sort.Strings(ids)
	var b strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&b, "\n  %-20s recall %5.1f %% (%d/%d)  precision %5.1f %% (of %d shown)", id,
			100*tl.rate(tl.hit[id], tl.want[id]), tl.hit[id], tl.want[id], 100*tl.rate(tl.gotRight[id], tl.got[id]), tl.got[id])
	}
	t.Logf("per page (whatsapp/first; recall counts a one-tap question offering it):%s", b.String())
}

func checkFloors(t *testing.T, name string, got floors) {
	t.Helper()
	want, ok := corpusFloors[name]
	if !ok {
		want = defaultFloors
	}
	if got.help < want.help {
		t.Errorf("%s: %.1f %% of distress messages got a help number, want at least %.0f %%", name, 100*got.help, 100*want.help)
	}
	if got.right < want.right {
		t.Errorf("%s: %.1f %% of distress messages reached the right page, want at least %.0f %%", name, 100*got.right, 100*want.right)
	}
	if got.alarms > want.alarms {
		t.Errorf("%s: %.1f %% of ordinary messages opened an urgent page, want at most %.0f %%", name, 100*got.alarms, 100*want.alarms)
	}
	if got.topics < want.topics {
		t.Errorf("%s: %.1f %% of ordinary questions reached their page, want at least %.0f %%", name, 100*got.topics, 100*want.topics)
	}
}
