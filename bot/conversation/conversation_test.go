package conversation

import (
	"bytes"
	"context"
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
		if !strings.Contains(home.Text, "nadie lee tus mensajes") {
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
	if !strings.Contains(got.Text, "Choose a number") {
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
