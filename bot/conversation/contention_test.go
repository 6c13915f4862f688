package conversation

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/internal/testlog"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

// replica is one Senda replica's conversation over a shared Redis.
func replica(t *testing.T, rdb redis.UniversalClient, prefix string, m *metrics.Set, logs io.Writer, opts ...Option) *Conversation {
	t.Helper()
	pack, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	subs := subscribers.New(rdb, rkey.Space(prefix), nil, time.Now)
	c, err := New(rdb, ident.NewHasher([]byte("conversation-test-key-0123456789abcdef")), subs, m, slog.New(slog.NewTextHandler(logs, nil)), pack,
		Settings{Prefix: prefix, SessionTTL: 30 * time.Minute, LangByNumber: map[string]string{"+14155550100": "en"}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBurstFromOneSenderIsAnsweredWithoutErrors sends 50 messages of one
// person at once, spread over two replicas: every one is answered normally,
// and the conflicts are counted as contention, not as Redis failures.
func TestBurstFromOneSenderIsAnsweredWithoutErrors(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	m := metrics.New()
	var logs bytes.Buffer
	replicas := []*Conversation{replica(t, rdb, prefix, m, &logs), replica(t, rdb, prefix, m, &logs)}
	ctx := context.Background()
	const n = 50
	replies := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			replies[i] = replicas[i%2].Handle(ctx, Inbound{From: "+50255500050", Body: []string{"HOLA", "2", "0", "1", "MENU"}[i%5], SID: fmt.Sprintf("SM%d", i)}).Text
		})
	}
	close(start)
	wg.Wait()
	errorReplies := 0
	for _, r := range replies {
		if strings.Contains(r, tryLater) {
			errorReplies++
		}
	}
	var out bytes.Buffer
	m.Write(&out)
	t.Logf("50 concurrent messages from one sender over 2 replicas: %d error replies; counters:\n%s", errorReplies, grepLines(out.String(), "contention", "errors"))
	if errorReplies != 0 {
		t.Fatalf("%d of %d messages of one sender were answered %q", errorReplies, n, tryLater)
	}
	if !strings.Contains(out.String(), "\nsenda_webhook_errors_total 0\n") {
		t.Fatalf("contention was counted as a Redis failure:\n%s", out.String())
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("contention was logged as an error:\n%s", logs.String())
	}
}

func grepLines(s string, words ...string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestTryLaterSpeaksTheConversationsLanguage: when Redis fails, a person
// whose conversation is in English is told so in English, even on a
// number whose new conversations start in Spanish.
func TestTryLaterSpeaksTheConversationsLanguage(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	hook := faults.NewHook()
	rdb := srv.NewClient()
	rdb.AddHook(hook)
	var logs bytes.Buffer
	c := replica(t, rdb, "lang:", metrics.New(), &logs)
	ctx := context.Background()
	if got := c.Handle(ctx, Inbound{From: "+50255500051", To: "+14155550100", Body: "HI", SID: "SM1"}).Text; !strings.Contains(got, "nobody reads this") {
		t.Fatalf("the English number answered\n%s", got)
	}
	hook.Set(faults.Rule{}) // every call fails
	got := c.Handle(ctx, Inbound{From: "+50255500051", To: "+50220000000", Body: "1", SID: "SM2"}).Text
	if !strings.Contains(got, "technical problem") {
		t.Fatalf("with Redis failing, an English conversation was answered\n%s\nwant the English try-later page", got)
	}
}

// TestOutageIsLoggedOnceThenSummarized: 200 messages during an outage
// write one ERROR line, then one summary per interval with the count.
func TestOutageIsLoggedOnceThenSummarized(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	hook := faults.NewHook(faults.Rule{})
	rdb := srv.NewClient()
	rdb.AddHook(hook)
	var logs testlog.Buffer
	c := replica(t, rdb, "outage:", metrics.New(), &logs, WithErrorLogInterval(300*time.Millisecond))
	for i := range 200 {
		c.Handle(context.Background(), Inbound{From: fmt.Sprintf("+5025550%04d", i), Body: "HOLA", SID: fmt.Sprintf("SM%d", i)})
	}
	if n := strings.Count(logs.String(), "level=ERROR"); n != 1 {
		t.Fatalf("200 failed messages wrote %d ERROR lines, want 1:\n%s", n, logs.String())
	}
	time.Sleep(500 * time.Millisecond)
	if s := logs.String(); strings.Count(s, "level=ERROR") != 2 || !strings.Contains(s, "repeated=199") {
		t.Fatalf("after the interval the log holds\n%s\nwant one summary with repeated=199", s)
	}
}
