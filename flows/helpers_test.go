package flows_test

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// The packs load once per test binary: loading renders every page, and the
// fuzz targets and benchmarks step millions of times.
var (
	testPackOnce    = sync.OnceValues(func() (*content.Pack, error) { return loadTestPack() })
	defaultPackOnce = sync.OnceValues(func() (*content.Pack, error) {
		p, _, err := content.Default()
		return p, err
	})
)

func loadTestPack() (*content.Pack, error) {
	p, rep, err := content.LoadDir("testdata/pack")
	if err != nil {
		return nil, err
	}
	// Kaqchikel is translated only in part on purpose; nothing else may warn.
	for _, w := range rep.Warnings() {
		if !strings.Contains(w.Msg, "no cak translation") && !strings.Contains(w.Msg, "language cak is not offered") {
			return nil, fmt.Errorf("unexpected warning: %s", w)
		}
	}
	return p, nil
}

// testPack is testdata/pack: es, en and a partial cak; inicio → salud
// (salud_centro, salud_hospital), largo (several SMS pages), avisos
// (avisos_alta, avisos_mios, avisos_baja); three topics.
func testPack(t testing.TB) *content.Pack {
	t.Helper()
	p, err := testPackOnce()
	if err != nil {
		t.Fatalf("testdata/pack: %v", err)
	}
	return p
}

func defaultPack(t testing.TB) *content.Pack {
	t.Helper()
	p, err := defaultPackOnce()
	if err != nil {
		t.Fatalf("default pack: %v", err)
	}
	return p
}

func nodeIndex(t testing.TB, p *content.Pack, id string) int {
	t.Helper()
	n, ok := p.NodeByID(id)
	if !ok {
		t.Fatalf("no node %q", id)
	}
	return n.Index
}

// statesEqual compares two states field by field; an empty back stack
// equals a nil one.
func statesEqual(a, b flows.State) bool {
	return a.Node == b.Node && a.Lang == b.Lang && a.Screen == b.Screen && a.Page == b.Page &&
		a.Misses == b.Misses && slices.Equal(a.Back, b.Back)
}

// conv plays a conversation the way the bot does: the state is stored
// encoded between messages, the first message (and the first after SALIR)
// arrives with New set, and EffectShowMyTopics is answered with mask.
type conv struct {
	t      testing.TB
	e      *flows.Engine
	ch     content.Channel
	lang   int    // the number's default language
	mask   uint16 // the topics the person receives
	stored []byte // nil: no conversation stored
	last   flows.Result
}

func newConv(t testing.TB, e *flows.Engine, ch content.Channel) *conv {
	return &conv{t: t, e: e, ch: ch}
}

// send steps one message and checks what every reply must be.
func (c *conv) send(text string) flows.Result {
	c.t.Helper()
	in := flows.Input{Text: text, Channel: c.ch, Lang: c.lang, New: c.stored == nil}
	var st flows.State
	if !in.New {
		var err error
		st, err = c.e.Decode(c.stored)
		if err != nil {
			c.t.Fatalf("before %q: stored state does not decode: %v", text, err)
		}
	}
	res := c.e.Step(st, in)
	c.last = res
	next := res.State
	switch res.Effect.Kind {
	case flows.EffectErase:
		c.stored = nil
		c.checkReply(text, next)
		return res
	case flows.EffectShowMyTopics:
		next = c.e.MyTopics(next, c.mask)
	case flows.EffectSubscribe:
		c.mask |= 1 << res.Effect.Topic
	case flows.EffectUnsubscribeTopic:
		c.mask &^= 1 << res.Effect.Topic
	case flows.EffectUnsubscribeAll:
		c.mask = 0
	}
	c.checkReply(text, next)
	c.stored = c.e.Encode(nil, next)
	back, err := c.e.Decode(c.stored)
	if err != nil {
		c.t.Fatalf("after %q: state %+v does not decode: %v", text, next, err)
	}
	if !statesEqual(back, next) {
		c.t.Fatalf("after %q: state %+v decodes as %+v", text, next, back)
	}
	return res
}

// state is the state the bot stored after the last message.
func (c *conv) state() flows.State {
	c.t.Helper()
	if c.stored == nil {
		return c.last.State
	}
	st, err := c.e.Decode(c.stored)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

func (c *conv) checkReply(text string, st flows.State) {
	c.t.Helper()
	page := c.e.Reply(st, c.ch)
	header := c.e.Pack().Text("header", int(st.Lang))
	if first, _, _ := strings.Cut(page.Text, "\n"); !strings.HasPrefix(first, header) {
		c.t.Fatalf("after %q: reply %q does not start with the header %q", text, page.Text, header)
	}
	if body := strings.TrimPrefix(page.Text, header); strings.TrimSpace(body) == "" || len(page.TwiML) == 0 {
		c.t.Fatalf("after %q: empty reply %q", text, page.Text)
	}
}

// run sends every message and returns the last result.
func (c *conv) run(msgs ...string) flows.Result {
	c.t.Helper()
	var res flows.Result
	for _, m := range msgs {
		res = c.send(m)
	}
	return res
}

// readTestPackFiles returns the files of testdata/pack by their path in the
// pack, to load changed copies.
func readTestPackFiles(t testing.TB) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := os.DirFS("testdata/pack")
	err := fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, name)
		files[name] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func mapFSOf(files map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, text := range files {
		m[name] = &fstest.MapFile{Data: []byte(text)}
	}
	return m
}

func replaceOnce(t testing.TB, s, old, new string) string {
	t.Helper()
	if strings.Count(s, old) != 1 {
		t.Fatalf("%q is not in the text exactly once", old)
	}
	return strings.Replace(s, old, new, 1)
}
