package app

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/content"
)

const durabilityWarning = "Redis may lose subscribers"

// TestStartupWarnsWhenRedisCanLoseSubscribers starts Senda with
// subscriptions on against servers that keep or may lose subscribers, and
// one that denies CONFIG.
func TestStartupWarnsWhenRedisCanLoseSubscribers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		opts  faults.ServerOptions
		deny  bool
		wants []string // in the one warning line; none: no warning
	}{
		{"no AOF, allkeys eviction", faults.ServerOptions{Config: []string{"maxmemory-policy allkeys-lru"}}, false,
			[]string{"appendonly yes", "maxmemory-policy noeviction or volatile-lru instead of allkeys-lru"}},
		{"no AOF", faults.ServerOptions{}, false, []string{"appendonly yes"}},
		{"AOF, noeviction", faults.ServerOptions{AOF: true, Config: []string{"maxmemory-policy noeviction"}}, false, nil},
		{"AOF, volatile eviction", faults.ServerOptions{AOF: true, Config: []string{"maxmemory-policy volatile-lru"}}, false, nil},
		{"CONFIG denied", faults.ServerOptions{}, true, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := faults.StartServer(t, c.opts)
			u := srv.URL()
			if c.deny {
				d, err := srv.Deny("config")
				if err != nil {
					t.Fatal(err)
				}
				o := d.Options()
				u = "redis://" + o.Username + ":" + o.Password + "@" + srv.Addr() + "/0"
			}
			ts := privateService(t, u, broadcastConfig(), Deps{}, "senda-durability:")
			var lines []string
			for _, l := range strings.Split(ts.logs.String(), "\n") {
				if strings.Contains(l, durabilityWarning) {
					lines = append(lines, l)
				}
			}
			if c.wants == nil {
				if len(lines) != 0 {
					t.Fatalf("warned: %v", lines)
				}
				if strings.Contains(ts.logs.String(), "level=ERROR") || strings.Contains(ts.logs.String(), "NOPERM") && !strings.Contains(ts.logs.String(), "level=DEBUG") {
					t.Fatalf("a denied CONFIG must be quiet:\n%s", ts.logs.String())
				}
				return
			}
			if len(lines) != 1 || !strings.Contains(lines[0], "level=WARN") {
				t.Fatalf("want one WARN line, got %v", lines)
			}
			for _, w := range c.wants {
				if !strings.Contains(lines[0], w) {
					t.Errorf("warning %q lacks %q", lines[0], w)
				}
			}
		})
	}
}

// TestRestoreFromBackupNeverResubscribesSomeoneWhoLeft subscribes two
// people, takes a backup of Redis (DUMP of every key), lets one send BAJA,
// restores the backup and starts Senda again: the journal, kept outside
// Redis, takes the person who left out again; the other stays.
func TestRestoreFromBackupNeverResubscribesSomeoneWhoLeft(t *testing.T) {
	t.Parallel()
	if redistest.Embedded() {
		t.Skip("needs a real Redis server: the embedded store's DUMP reads only string keys, so its backup would not hold the subscriber's hash and sets")
	}
	ctx := context.Background()
	rdb, prefix := redistest.Client(t)
	cfg := broadcastConfig()
	cfg.Broadcast.OptOutDir = t.TempDir()
	cfg.Broadcast.OptOutRetention = config.DefaultOptOutDays * 24 * time.Hour
	first := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix})
	leaver, stayer := first.whatsapp("+50263330001"), first.sms("+50263330002")
	leaver.optIn(t, "1")
	stayer.optIn(t, "1")
	backup := map[string]string{}
	for _, k := range redistest.Keys(t, rdb, prefix) {
		backup[k] = rdb.Dump(ctx, k).Val()
	}
	if got := leaver.say(t, "BAJA"); !strings.Contains(got, "borramos tu n") {
		t.Fatalf("BAJA: %s", got)
	}
	first.Close()
	// Restore: the data set as it was at the backup.
	for _, k := range redistest.Keys(t, rdb, prefix) {
		rdb.Del(ctx, k)
	}
	for k, v := range backup {
		if err := rdb.RestoreReplace(ctx, k, 0, v).Err(); err != nil {
			t.Fatal(err)
		}
	}
	leaverID := first.hasher.Sender(content.WhatsApp, "whatsapp:+50263330001")
	stayerID := first.hasher.Sender(content.SMS, "+50263330002")
	if _, ok, _ := first.subs.Get(ctx, leaverID); !ok {
		t.Fatal("the restored backup does not hold the person who left: the test proves nothing")
	}
	second := newTestService(t, cfg, Deps{Redis: rdb, Prefix: prefix})
	if _, ok, err := second.subs.Get(ctx, leaverID); ok || err != nil {
		t.Fatalf("someone who sent BAJA after the backup is subscribed again after the restore (err %v)", err)
	}
	members, err := second.subs.Members(ctx, "salud")
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 1 || members[0] != stayerID {
		t.Fatalf("topic members after the restore: %v", members)
	}
	if !strings.Contains(second.logs.String(), "deleted them again") {
		t.Fatalf("no warning that the restore brought someone back:\n%s", second.logs.String())
	}
	// The journal holds keyed ids only: no number, whole or in part.
	files, _ := filepath.Glob(filepath.Join(cfg.Broadcast.OptOutDir, "*"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, digits := range []string{"63330001", "63330002", "whatsapp"} {
			if strings.Contains(string(b), digits) {
				t.Fatalf("journal %s holds %q:\n%s", filepath.Base(f), digits, b)
			}
		}
	}
}
