package conversation

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

// effectEnv is a conversation with subscriptions on a private Redis, seen
// through a client that faults can be injected into, and an admin client
// that sees the truth.
type effectEnv struct {
	c      *Conversation
	admin  *redis.Client
	keys   rkey.Space
	hasher *ident.Hasher
	subs   *subscribers.Store
	pack   *content.Pack
}

const effectPrefix = "fx:"

func newEffectEnv(t *testing.T, rdb redis.UniversalClient, admin *redis.Client, opts ...Option) *effectEnv {
	t.Helper()
	pack, _, err := content.Default()
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	ring, err := sealer.New(key)
	if err != nil {
		t.Fatal(err)
	}
	subs := subscribers.New(rdb, rkey.Space(effectPrefix), ring, time.Now)
	hasher := ident.NewHasher([]byte("effects-test-key-0123456789abcdefghij"))
	var logs bytes.Buffer
	c, err := New(rdb, hasher, subs, metrics.New(), slog.New(slog.NewTextHandler(&logs, nil)), pack,
		Settings{Prefix: effectPrefix, SessionTTL: 30 * time.Minute, Subscriptions: true}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &effectEnv{c: c, admin: admin, keys: rkey.Space(effectPrefix), hasher: hasher, subs: subs, pack: pack}
}

// effectCase is one effect a reply confirms: the messages that lead to it,
// the message that asks for it, what its confirmation says, the commands
// it needs (to deny them) and how to see it was done.
type effectCase struct {
	name    string
	setup   []string
	send    string
	confirm string
	deny    []string
	done    func(t *testing.T, e *effectEnv, from string) bool
}

func (e *effectEnv) id(from string) ident.SenderID {
	return e.hasher.Sender(ident.ChannelOf(from), from)
}

func (e *effectEnv) member(t *testing.T, topic int, from string) bool {
	t.Helper()
	ok, err := e.admin.SIsMember(context.Background(), e.keys.Topic(e.pack.Topics[topic].ID), e.id(from).String()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (e *effectEnv) exists(t *testing.T, key string) bool {
	t.Helper()
	n, err := e.admin.Exists(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func (e *effectEnv) recordHas(t *testing.T, topic int, from string) bool {
	t.Helper()
	v, err := e.admin.HGet(context.Background(), e.keys.Subscriber(e.id(from)), "t").Result()
	if err == redis.Nil {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(","+v+",", ","+e.pack.Topics[topic].ID+",")
}

var effectCases = []effectCase{
	{
		name: "opt-in SI", setup: []string{"ALTA", "1"}, send: "SI", confirm: "BAJA",
		deny: []string{"sadd", "hset", "evalsha"},
		done: func(t *testing.T, e *effectEnv, from string) bool {
			return e.recordHas(t, 0, from) && e.member(t, 0, from)
		},
	},
	{
		name: "unsubscribe from one topic", setup: []string{"ALTA", "1", "SI", "ALTA", "3", "SI", "MENU", "9", "2"}, send: "1", confirm: "1 Salud: NO",
		deny: []string{"srem", "hset", "evalsha"},
		done: func(t *testing.T, e *effectEnv, from string) bool {
			return !e.recordHas(t, 0, from) && !e.member(t, 0, from) && e.recordHas(t, 2, from) && e.member(t, 2, from)
		},
	},
	{
		name: "opt-out BAJA", setup: []string{"ALTA", "1", "SI", "ALTA", "3", "SI"}, send: "BAJA", confirm: "borramos tu n",
		deny: []string{"srem", "del", "evalsha"},
		done: func(t *testing.T, e *effectEnv, from string) bool {
			return !e.exists(t, e.keys.Subscriber(e.id(from))) && !e.member(t, 0, from) && !e.member(t, 2, from)
		},
	},
	{
		name: "erase SALIR", setup: []string{"HOLA", "2"}, send: "SALIR", confirm: "borramos esta conversación",
		deny: []string{"del", "evalsha"},
		done: func(t *testing.T, e *effectEnv, from string) bool {
			return !e.exists(t, e.keys.Session(e.id(from)))
		},
	},
}

const tryLater = "Hay un problema técnico"

// say sends one message and returns the reply's text.
func (e *effectEnv) say(from, body, sid string) string {
	return e.c.Handle(context.Background(), Inbound{From: from, To: "whatsapp:+14155238886", Body: body, SID: sid}).Text
}

// walk sends the setup messages, each of which must be answered normally.
func (e *effectEnv) walk(t *testing.T, from string, msgs []string) {
	t.Helper()
	for i, m := range msgs {
		if got := e.say(from, m, fmt.Sprintf("SMsetup%d", i)); strings.Contains(got, tryLater) {
			t.Fatalf("setup message %q answered\n%s", m, got)
		}
	}
}

// checkFaulted holds the promise for a message sent under a fault: a
// confirmation only when the effect is done; then the same message (same
// MessageSid) sent again without the fault is confirmed and done.
func checkFaulted(t *testing.T, e *effectEnv, tc effectCase, from, first string) {
	t.Helper()
	if strings.Contains(first, tc.confirm) && !tc.done(t, e, from) {
		t.Fatalf("confirmed under the fault but the effect is not done:\n%s", first)
	}
	if !strings.Contains(first, tc.confirm) && !strings.Contains(first, tryLater) {
		t.Fatalf("under the fault the reply is neither the confirmation nor \"try later\":\n%s", first)
	}
	again := e.say(from, tc.send, "SMeffect")
	if !strings.Contains(again, tc.confirm) {
		t.Fatalf("the retried message (fault lifted) was answered\n%s\nwant the confirmation %q", again, tc.confirm)
	}
	if !tc.done(t, e, from) {
		t.Fatalf("the retried message was confirmed but the effect is not done")
	}
}

// TestEffectConfirmedOnlyWhenDoneUnderDeniedCommands denies, one at a time,
// each command an effect needs (an ACL on a private server), sends the
// message, lifts the denial and sends the identical message again.
func TestEffectConfirmedOnlyWhenDoneUnderDeniedCommands(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{Password: "admin"})
	admin := srv.NewClient()
	for _, tc := range effectCases {
		for _, cmd := range tc.deny {
			t.Run(tc.name+"/deny "+cmd, func(t *testing.T) {
				d, err := srv.Deny(cmd)
				if err != nil {
					t.Fatal(err)
				}
				if err := d.Lift(); err != nil {
					t.Fatal(err)
				}
				e := newEffectEnv(t, d.NewClient(), admin)
				from := fmt.Sprintf("whatsapp:+5024%07d", len(tc.name)*100+len(cmd))
				e.walk(t, from, tc.setup)
				if err := d.Apply(); err != nil {
					t.Fatal(err)
				}
				first := e.say(from, tc.send, "SMeffect")
				if err := d.Lift(); err != nil {
					t.Fatal(err)
				}
				checkFaulted(t, e, tc, from, first)
			})
		}
	}
}

// TestEffectConfirmedOnlyWhenDoneWhenTheNthCallFails fails each command the
// message costs in turn, before it reaches Redis and after (done, but the
// reply lost), then sends the identical message again.
func TestEffectConfirmedOnlyWhenDoneWhenTheNthCallFails(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	admin := srv.NewClient()
	for ci, tc := range effectCases {
		// How many commands the message costs, scripts already loaded.
		hook := faults.NewHook()
		rdb := srv.NewClient()
		rdb.AddHook(hook)
		e := newEffectEnv(t, rdb, admin)
		for i := range 2 {
			from := fmt.Sprintf("whatsapp:+5025%03d%04d", ci, i)
			e.walk(t, from, tc.setup)
			before := hook.Commands()
			if got := e.say(from, tc.send, "SMeffect"); !strings.Contains(got, tc.confirm) || !tc.done(t, e, from) {
				t.Fatalf("%s without a fault: %s", tc.name, got)
			}
			if i == 1 {
				n := hook.Commands() - before
				for nth := 1; nth <= n; nth++ {
					for _, when := range []faults.When{faults.Before, faults.After} {
						t.Run(fmt.Sprintf("%s/fail call %d of %d/when %d", tc.name, nth, n, when), func(t *testing.T) {
							from := fmt.Sprintf("whatsapp:+5026%03d%02d%01d", ci, nth, when)
							e.walk(t, from, tc.setup)
							hook.Set(faults.Rule{Nth: nth, When: when})
							first := e.say(from, tc.send, "SMeffect")
							hook.Set()
							checkFaulted(t, e, tc, from, first)
						})
					}
				}
			}
		}
	}
}

// TestBajaDuringAHashKeyRotationDeletesUnderBothKeys: while subscribers
// are moved to a new SENDA_HASH_KEY, a BAJA deletes the record still filed
// under the old one.
func TestBajaDuringAHashKeyRotationDeletesUnderBothKeys(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	admin := srv.NewClient()
	old := ident.NewHasher([]byte("the-previous-hash-key-0123456789abcdef"))
	e := newEffectEnv(t, admin, admin, WithFormerHasher(old))
	from := "whatsapp:+50270000001"
	oldID := old.Sender(content.WhatsApp, from)
	if err := e.subs.Subscribe(context.Background(), oldID, from, content.WhatsApp, "es", e.pack.Topics[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := e.say(from, "BAJA", "SM1"); !strings.Contains(got, "borramos tu n") {
		t.Fatalf("BAJA answered\n%s", got)
	}
	if e.exists(t, e.keys.Subscriber(oldID)) {
		t.Fatal("BAJA left the record filed under the previous hash key")
	}
	if ok, _ := admin.SIsMember(context.Background(), e.keys.Topic(e.pack.Topics[0].ID), oldID.String()).Result(); ok {
		t.Fatal("BAJA left the old id in its topic")
	}
}
