package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

// TestProductionRefusesAnotherHashKeyWhileSubscribersExist: a changed
// SENDA_HASH_KEY would cut every subscriber off from BAJA, so production
// refuses to start with it and says how to get out.
func TestProductionRefusesAnotherHashKeyWhileSubscribersExist(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	cfg := testConfig()
	cfg.Env, cfg.RedisURL = config.EnvProduction, "redis://127.0.0.1:6379/0"
	start := func(cfg config.Config) error {
		a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), Deps{Redis: rdb, Prefix: prefix})
		if err == nil {
			a.Close()
		}
		return err
	}
	if err := start(cfg); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	ring, err := sealer.New(key)
	if err != nil {
		t.Fatal(err)
	}
	addr := "whatsapp:+50230000009"
	id := ident.NewHasher([]byte(testHashKey)).Sender(content.WhatsApp, addr)
	if err := subscribers.New(rdb, rkey.Space(prefix), ring, time.Now).Subscribe(context.Background(), id, addr, content.WhatsApp, "es", "salud"); err != nil {
		t.Fatal(err)
	}
	changed := cfg
	changed.HashKey = []byte(strings.Repeat("n", 32))
	err = start(changed)
	if err == nil || !strings.Contains(err.Error(), "SENDA_HASH_KEY") || !strings.Contains(err.Error(), "rotate-hash-key") || !strings.HasSuffix(err.Error(), ".") {
		t.Fatalf("a new hash key with subscribers in production: %v; want a refusal in sentences naming the setting and the way out", err)
	}
	rotating := changed
	rotating.HashKeyOld = []byte(testHashKey)
	if err := start(rotating); err != nil {
		t.Fatalf("with the previous key in SENDA_HASH_KEY_OLD Senda must start (to rotate): %v", err)
	}
	if err := start(cfg); err != nil {
		t.Fatalf("the original key: %v", err)
	}
}

// TestProductionRefusesAnotherHashKeyWhenTheFingerprintIsLost: Redis lost
// the stored fingerprint (or was restored from before it) while five people
// are subscribed. A new SENDA_HASH_KEY is refused, since each record says
// which key it is filed under; the right key starts, and BAJA deletes.
func TestProductionRefusesAnotherHashKeyWhenTheFingerprintIsLost(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	cfg := broadcastConfig()
	ts := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix})
	const n = 5
	for i := range n {
		ts.sms(fmt.Sprintf("+5025556%04d", i)).optIn(t, "1")
	}
	ctx := context.Background()
	if err := rdb.Del(ctx, ts.keys.HashKeyFingerprint()).Err(); err != nil {
		t.Fatal(err)
	}
	prod := cfg
	prod.Env, prod.RedisURL = config.EnvProduction, "redis://127.0.0.1:6379/0"
	prod.Twilio.AccountSID, prod.Twilio.SMSFrom = "AC"+strings.Repeat("0", 32), testSMSFrom
	_, client := fakeSender(t)
	changed := prod
	changed.HashKey = []byte(strings.Repeat("n", 32))
	_, err := New(ctx, changed, slog.New(slog.NewTextHandler(io.Discard, nil)), Deps{Redis: rdb, Prefix: prefix, Sender: client})
	if err == nil || !strings.Contains(err.Error(), "SENDA_HASH_KEY") || !strings.Contains(err.Error(), "rotate-hash-key") {
		t.Fatalf("a new hash key, subscribers and no stored fingerprint in production: %v; want a refusal in sentences", err)
	}
	again := newTestService(t, prod, Deps{Redis: rdb, Prefix: prefix, Sender: client})
	if fp, _ := rdb.Get(ctx, again.keys.HashKeyFingerprint()).Result(); fp != ident.NewHasher(cfg.HashKey).Fingerprint() {
		t.Fatalf("the right key did not record its fingerprint again: %q", fp)
	}
	again.sms("+50255560000").say(t, "BAJA")
	if got, err := again.subs.Count(ctx, "salud"); err != nil || got != n-1 {
		t.Fatalf("after one BAJA: %d subscribers (%v), want %d", got, err, n-1)
	}
}
