package conversation

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// newTestConversation is a conversation over the embedded pack on the test
// Redis, without HTTP: what `senda chat` talks to.
func newTestConversation(t *testing.T, set Settings, opts ...Option) (*Conversation, *bytes.Buffer) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	pack, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	set.Prefix, set.SessionTTL = prefix, 30*time.Minute
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	subs := subscribers.New(rdb, rkey.Space(prefix), nil, time.Now)
	c, err := New(rdb, ident.NewHasher([]byte("conversation-test-key-0123456789abcdef")), subs, metrics.New(), log, pack, set, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, &logs
}

func TestHandleAnswersAndRepeatsForARepeatedSid(t *testing.T) {
	t.Parallel()
	for _, cache := range []int{DefaultCacheSize, 0} {
		c, _ := newTestConversation(t, Settings{}, WithCacheSize(cache))
		ctx := context.Background()
		home := c.Handle(ctx, Inbound{From: "+50255500001", To: "+50220000000", Body: "HOLA", SID: "SM1"})
		if !strings.Contains(home.Text, "nadie lee esto") {
			t.Fatalf("cache %d: HOLA answered\n%s\nwant the welcome", cache, home.Text)
		}
		health := c.Handle(ctx, Inbound{From: "+50255500001", Body: "1", SID: "SM2"})
		again := c.Handle(ctx, Inbound{From: "+50255500001", Body: "1", SID: "SM2"})
		if health.Text == home.Text || again.Text != health.Text {
			t.Fatalf("cache %d: a repeated MessageSid must get the same answer and change nothing:\n%s\n---\n%s", cache, health.Text, again.Text)
		}
	}
}

func TestSettingsPickTheStartingLanguage(t *testing.T) {
	t.Parallel()
	c, _ := newTestConversation(t, Settings{LangByNumber: map[string]string{"whatsapp:+14155238886": "en"}})
	got := c.Handle(context.Background(), Inbound{From: "whatsapp:+50255500002", To: "whatsapp:+14155238886", Body: "HI", SID: "SM1"})
	if !strings.Contains(got.Text, "Senda does not charge you") {
		t.Fatalf("a number set to English answered\n%s", got.Text)
	}
	if _, err := New(nil, nil, nil, nil, nil, c.Pack(), Settings{DefaultLang: "fr"}); err == nil || !strings.Contains(err.Error(), `"fr" is not a language`) {
		t.Fatalf("a language the pack lacks: %v", err)
	}
}

func TestReloadNeedsAContentDir(t *testing.T) {
	t.Parallel()
	c, _ := newTestConversation(t, Settings{})
	before := c.Engine()
	if err := c.Reload(); err == nil || !strings.Contains(err.Error(), "SENDA_CONTENT_DIR") {
		t.Fatalf("reload of the embedded pack: %v", err)
	}
	if c.Engine() != before {
		t.Fatal("a refused reload changed the engine")
	}
}

// TestRetriesOfRecentMessagesChangeNothing: a conversation remembers its
// last 8 messages; a retry of any of them is answered from where the
// conversation is, without moving it.
func TestRetriesOfRecentMessagesChangeNothing(t *testing.T) {
	t.Parallel()
	for _, cache := range []int{DefaultCacheSize, 0} {
		c, _ := newTestConversation(t, Settings{}, WithCacheSize(cache))
		ctx := context.Background()
		from := "+50255500003"
		key := rkey.Space(c.set.Prefix).Session(c.hasher.Sender(content.SMS, from))
		var last string
		for i, in := range []string{"HOLA", "2", "4", "MAS", "0", "0", "2", "4", "MAS", "0", "1", "0"} {
			last = c.Handle(ctx, Inbound{From: from, Body: in, SID: fmt.Sprintf("SM%d", i)}).Text
		}
		before, err := c.sessions.rdb.Get(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 4; i < 12; i++ { // the last 8 messages, each answering "2" again
			got := c.Handle(ctx, Inbound{From: from, Body: "2", SID: fmt.Sprintf("SM%d", i)}).Text
			if got != last {
				t.Fatalf("cache %d: a retry of message %d answered\n%s\nwant where the conversation is:\n%s", cache, i, got, last)
			}
		}
		after, _ := c.sessions.rdb.Get(ctx, key).Result()
		if after != before {
			t.Fatalf("cache %d: retries of recent messages changed the stored conversation", cache)
		}
		if n := len(after); n > 200 {
			t.Fatalf("cache %d: the session value is %d bytes, want at most 200", cache, n)
		}
		// The 9th message back is forgotten: it is a new message.
		if got := c.Handle(ctx, Inbound{From: from, Body: "2", SID: "SM3"}).Text; got == last {
			t.Fatalf("cache %d: a message older than the last 8 was treated as a retry", cache)
		}
	}
}

// TestSessionValueStaysWithin200Bytes measures the largest value a session
// can hold: 8 message hashes, an effect and the deepest back stack.
func TestSessionValueStaysWithin200Bytes(t *testing.T) {
	t.Parallel()
	c, _ := newTestConversation(t, Settings{})
	eng := c.Engine()
	st := flows.State{Back: make([]uint16, 16)}
	prev := ""
	for i := range 20 {
		var p storedSession // the synthetic state need not decode: carry the hashes
		if prev != "" {
			p.hashes = prev[sessionHeader : sessionHeader+8*int(prev[1])]
		}
		prev = encodeSession(eng, uint64(i), p, flows.Result{State: st, Effect: flows.Effect{Kind: flows.EffectSubscribe, Topic: 2}})
	}
	if prev[1] != recentMessages {
		t.Fatalf("the value holds %d message hashes, want %d", prev[1], recentMessages)
	}
	t.Logf("largest session value: %d bytes", len(prev))
	if len(prev) > 200 {
		t.Fatalf("the largest session value is %d bytes, want at most 200", len(prev))
	}
	// On a real server, measure what a long conversation costs.
	if redistest.Embedded() {
		return
	}
	ctx := context.Background()
	from := "+50255500004"
	for i, in := range []string{"HOLA", "2", "4", "MAS", "0", "0", "2", "4", "MAS", "MAS"} {
		c.Handle(ctx, Inbound{From: from, Body: in, SID: fmt.Sprintf("SM%d", i)})
	}
	key := rkey.Space(c.set.Prefix).Session(c.hasher.Sender(content.SMS, from))
	n, err := c.sessions.rdb.StrLen(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	used, _ := c.sessions.rdb.MemoryUsage(ctx, key).Result()
	t.Logf("a session after 10 messages: STRLEN %d bytes, MEMORY USAGE %d bytes (key and overhead included)", n, used)
	if n > 200 {
		t.Fatalf("STRLEN of a session is %d, want at most 200", n)
	}
}

// TestSessionOfThePreviousLayoutContinues: a value written before the last
// 8 message hashes were kept (one hash, then the state) is read, so an
// upgrade neither restarts conversations nor re-answers the latest message.
func TestSessionOfThePreviousLayoutContinues(t *testing.T) {
	t.Parallel()
	c, _ := newTestConversation(t, Settings{}, WithCacheSize(0))
	ctx := context.Background()
	from := "+50255500005"
	c.Handle(ctx, Inbound{From: from, Body: "HOLA", SID: "SM1"})
	health := c.Handle(ctx, Inbound{From: from, Body: "2", SID: "SM2"}).Text
	key := rkey.Space(c.set.Prefix).Session(c.hasher.Sender(content.SMS, from))
	v, err := c.sessions.rdb.Get(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := decodeCurrent(c.Engine(), v)
	if !ok {
		t.Fatal("cannot read the current layout")
	}
	old := p.hashes[:8] + string(c.Engine().Encode(nil, p.state)) // the previous layout
	if err := c.sessions.rdb.Set(ctx, key, old, time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Handle(ctx, Inbound{From: from, Body: "2", SID: "SM2"}).Text; got != health {
		t.Fatalf("a retry over a value of the previous layout answered\n%s\nwant\n%s", got, health)
	}
	if got := c.Handle(ctx, Inbound{From: from, Body: "0", SID: "SM3"}).Text; strings.Contains(got, "nadie lee esto") {
		t.Fatalf("a conversation of the previous layout restarted:\n%s", got)
	}
}

// stepLog is a Counter that keeps what it heard.
type stepLog struct{ rides []Ride }

func (l *stepLog) Count(m Ride) { l.rides = append(l.rides, m) }

// TestCountersHearEachStoredStepOnce: a counter hears a stored step with
// its result, and never a repeated MessageSid or a step that was not stored.
func TestCountersHearEachStoredStepOnce(t *testing.T) {
	t.Parallel()
	heard := &stepLog{}
	c, _ := newTestConversation(t, Settings{}, WithCounters(heard))
	ctx := context.Background()
	c.Handle(ctx, Inbound{From: "+50255500003", Body: "HOLA", SID: "SM1"})
	c.Handle(ctx, Inbound{From: "+50255500003", Body: "HOLA", SID: "SM1"}) // Twilio's retry
	gone, cancel := context.WithCancel(ctx)
	cancel()
	c.Handle(gone, Inbound{From: "+50255500003", Body: "SALUD", SID: "SM2"}) // not stored
	c.Handle(ctx, Inbound{From: "+50255500003", Body: "SALUD", SID: "SM3"})
	if len(heard.rides) != 2 {
		t.Fatalf("counters heard %d steps, want 2 (HOLA once, then SALUD)", len(heard.rides))
	}
	salud := heard.rides[1]
	p := c.Pack()
	if salud.Result.State.Screen.Kind != content.ScreenNode || p.Nodes[salud.Result.State.Screen.Arg].ID != "salud" {
		t.Errorf("the counter heard the screen %v, want the node salud", salud.Result.State.Screen)
	}
	if salud.Sender == (ident.SenderID{}) || salud.Input.Text != "SALUD" || salud.Now.IsZero() {
		t.Errorf("the counter heard %+v", salud)
	}
}
