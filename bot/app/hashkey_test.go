package app

import (
	"context"
	"crypto/rand"
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
