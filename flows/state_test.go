package flows_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// statesToStore are states a conversation of the test pack reaches.
func statesToStore(t testing.TB, e *flows.Engine) map[string]flows.State {
	t.Helper()
	p := e.Pack()
	out := map[string]flows.State{
		"start":         e.Start(es),
		"start english": e.Start(en),
	}
	add := func(name string, msgs ...string) {
		c := newConv(t, e, content.SMS)
		c.mask = 0b010
		c.run(msgs...)
		out[name] = c.state()
	}
	add("deep", "hola", "1", "2")
	add("keyword", "hospital")
	add("later page", "cursos", "mas", "mas")
	add("unknown note", "hola", "1", "x")
	add("two misses", "hola", "x", "y")
	add("no more note", "hola", "mas")
	add("help", "hola", "ayuda")
	add("topic list", "hola", "alta")
	add("topic question", "hola", "alta", "3")
	add("subscribed", "hola", "alta", "3", "si")
	add("my topics", "hola", "3", "2")
	add("kaqchikel", "hola", "kaqchikel", "1")
	out["all topics"] = e.MyTopics(e.Start(0), 1<<len(p.Topics)-1)
	return out
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	e := flows.New(testPack(t), flows.Options{Subscriptions: true})
	for name, st := range statesToStore(t, e) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := e.Encode(nil, st)
			got, err := e.Decode(b)
			if err != nil {
				t.Fatalf("Decode(Encode(%+v)): %v", st, err)
			}
			if !statesEqual(got, st) {
				t.Fatalf("Decode(Encode(%+v)) = %+v", st, got)
			}
			// Encode appends to what the buffer holds.
			prefix := []byte("key:")
			if b2 := e.Encode(append([]byte{}, prefix...), st); !bytes.Equal(b2, append(prefix, b...)) {
				t.Errorf("Encode with a prefix = %x, want %x then %x", b2, prefix, b)
			}
			// A compact form: it is stored for every conversation.
			if len(b) > 16+2*len(st.Back) {
				t.Errorf("encoded state is %d bytes, want at most %d", len(b), 16+2*len(st.Back))
			}
		})
	}
}

// A state from another pack (or another layout) is stale: the conversation
// starts over instead of misreading node numbers.
func TestDecodeStale(t *testing.T) {
	t.Parallel()
	test := flows.New(testPack(t), flows.Options{})
	def := flows.New(defaultPack(t), flows.Options{})
	if test.Pack().Fingerprint == def.Pack().Fingerprint {
		t.Fatal("two different packs share a fingerprint")
	}
	good := test.Encode(nil, test.Start(0))
	tests := []struct {
		name string
		b    []byte
	}{
		{"other pack", def.Encode(nil, def.Start(0))},
		{"other version", append([]byte{good[0] + 1}, good[1:]...)},
		{"version zero", append([]byte{0}, good[1:]...)},
		{"empty", nil},
		{"one byte", good[:1]},
		{"truncated fixed part", good[:len(good)-1]},
	}
	for _, tt := range tests {
		if _, err := test.Decode(tt.b); !errors.Is(err, flows.ErrStale) {
			t.Errorf("%s: Decode(%x) error %v, want ErrStale", tt.name, tt.b, err)
		}
	}
}

// Decode checks every field against the pack, so a corrupt value can never
// index out of range.
func TestDecodeRejectsCorruptStates(t *testing.T) {
	t.Parallel()
	p := testPack(t)
	e := flows.New(p, flows.Options{Subscriptions: true})
	c := newConv(t, e, content.SMS)
	c.run("hola", "1", "2")
	base := e.Encode(nil, c.state()) // two back entries
	// Offsets in the layout Encode documents: version, fingerprint (4), lang,
	// node (2), screen kind, screen arg (2), note, page, misses, back count,
	// back nodes (2 each).
	const (
		offLang   = 5
		offNode   = 6
		offKind   = 8
		offArg    = 9
		offNote   = 11
		offMisses = 13
		offCount  = 14
		offBack   = 15
	)
	set := func(off int, v ...byte) []byte {
		b := append([]byte{}, base...)
		copy(b[off:], v)
		return b
	}
	n := byte(len(p.Nodes))
	tests := []struct {
		name string
		b    []byte
	}{
		{"language out of range", set(offLang, byte(len(p.Languages)))},
		{"node out of range", set(offNode, 0, n)},
		{"node far out of range", set(offNode, 0xff, 0xff)},
		{"unknown screen kind", set(offKind, 0xee)},
		{"screen none", set(offKind, byte(content.ScreenNone))},
		{"node screen out of range", set(offArg, 0, n)},
		{"topic question out of range", set(offKind, byte(content.ScreenTopicConfirm), 0, byte(len(p.Topics)))},
		{"my topics mask out of range", set(offKind, byte(content.ScreenMyTopics), 0, 1<<len(p.Topics))},
		{"unknown note", set(offNote, 9)},
		{"note on a screen without notes", set(offKind, byte(content.ScreenHelp), 0, 0, byte(content.NoteUnknown))},
		{"misses at the limit", set(offMisses, flows.MaxMisses)},
		{"back entry out of range", set(offBack, 0, n)},
		{"more back entries than bytes", set(offCount, 3)},
		{"fewer back entries than bytes", set(offCount, 1)},
		{"a byte too many", append(append([]byte{}, base...), 0)},
		{"back stack too deep", append(set(offCount, 17), make([]byte, 2*15)...)},
	}
	for _, tt := range tests {
		st, err := e.Decode(tt.b)
		if err == nil {
			t.Errorf("%s: Decode(%x) = %+v, want an error", tt.name, tt.b, st)
		}
		if errors.Is(err, flows.ErrStale) {
			t.Errorf("%s: error %v is ErrStale; it is corrupt, not from another pack", tt.name, err)
		}
	}
	if _, err := e.Decode(base); err != nil {
		t.Fatalf("the unchanged state does not decode: %v", err)
	}
}

// The fingerprint ties stored states to the node, topic and language
// numbering, not to the words: editing a text keeps conversations.
func TestFingerprint(t *testing.T) {
	t.Parallel()
	p := testPack(t)
	load := func(edit func(files map[string]string)) *content.Pack {
		t.Helper()
		files := readTestPackFiles(t)
		edit(files)
		q, _, err := content.Load(mapFSOf(files), "edited")
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	tests := []struct {
		name string
		edit func(files map[string]string)
		same bool
	}{
		{"unchanged", func(map[string]string) {}, true},
		{"a text changes", func(f map[string]string) {
			f["nodes/salud.yaml"] = replaceOnce(t, f["nodes/salud.yaml"], "Servicios de salud:", "Salud cerca:")
		}, true},
		{"a node is renamed", func(f map[string]string) {
			f["nodes/salud.yaml"] = replaceOnce(t, f["nodes/salud.yaml"], "id: salud_hospital", "id: salud_hosp")
			f["nodes/salud.yaml"] = replaceOnce(t, f["nodes/salud.yaml"], "options: [salud_centro, salud_hospital]", "options: [salud_centro, salud_hosp]")
			f["understanding/examples.yaml"] = replaceOnce(t, f["understanding/examples.yaml"], "salud_hospital:", "salud_hosp:")
		}, false},
		{"a topic is added", func(f map[string]string) {
			f["topics.yaml"] += "  - id: nuevo\n    name: {es: Nuevo, en: New}\n    description: {es: Nuevo, en: New}\n    max_per_month: 1\n"
		}, false},
		{"files are read in another order", func(f map[string]string) {
			f["nodes/0.yaml"] = f["nodes/salud.yaml"]
			delete(f, "nodes/salud.yaml")
		}, false},
	}
	for _, tt := range tests {
		if same := load(tt.edit).Fingerprint == p.Fingerprint; same != tt.same {
			t.Errorf("%s: same fingerprint = %v, want %v", tt.name, same, tt.same)
		}
	}
}
