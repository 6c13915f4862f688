package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/subscribers"
)

// checkDurability asks Redis whether it keeps what subscriptions need:
// an append-only file (without one a restart loses every subscriber, and
// with them every opt-out's effect is moot but every opt-in too), and a
// maxmemory-policy that never evicts keys without an expiry (allkeys-*
// policies may evict a subscriber's record, silently cutting them off).
// It warns in one line what to set and why. A server that denies CONFIG
// (managed Redis, ACL) is not an error: it is logged at debug level.
func (a *App) checkDurability(ctx context.Context) {
	ctx, cancel := context.WithTimeout(metrics.Probing(ctx), 2*time.Second)
	defer cancel()
	got := map[string]string{}
	for _, name := range []string{"appendonly", "maxmemory-policy"} {
		v, err := a.rdb.ConfigGet(ctx, name).Result()
		if err != nil {
			a.log.Debug("could not read the Redis configuration to check durability; check appendonly and maxmemory-policy yourself (docs/OPERATIONS.md)", "err", err)
			return
		}
		got[name] = v[name]
	}
	var fix []string
	if got["appendonly"] != "yes" {
		fix = append(fix, "appendonly yes (without it a Redis restart loses every subscriber)")
	}
	if p := got["maxmemory-policy"]; strings.HasPrefix(p, "allkeys-") {
		fix = append(fix, fmt.Sprintf("maxmemory-policy noeviction or volatile-lru instead of %s (it may evict subscribers' records when memory is full)", p))
	}
	if len(fix) > 0 {
		a.log.Warn("Redis may lose subscribers: set " + strings.Join(fix, " and ") + "; see docs/OPERATIONS.md")
	}
}

// openJournal opens the opt-out journal when SENDA_OPTOUT_DIR is set and
// replays it over Redis, so a restored backup cannot reach someone who
// left after it was taken.
func (a *App) openJournal(ctx context.Context) error {
	b := a.cfg.Broadcast
	if b.OptOutDir == "" {
		if a.cfg.Production() && b.Subscriptions() {
			a.log.Warn("SENDA_OPTOUT_DIR is not set: after a restore from a Redis backup, people who sent BAJA since the backup would get broadcasts again; set it to a directory kept outside Redis's backups")
		}
		return nil
	}
	host, _ := os.Hostname()
	j, err := subscribers.OpenJournal(b.OptOutDir, host, b.OptOutRetention, a.now)
	if err != nil {
		return fmt.Errorf("SENDA_OPTOUT_DIR: %w", err)
	}
	a.journal = j
	a.subs.UseJournal(j)
	res, err := a.subs.ReplayJournal(ctx, a.conversation.Pack().TopicIDs())
	if err != nil {
		return fmt.Errorf("replay the opt-out journal: %w", err)
	}
	if res.Erased > 0 {
		a.log.Warn("opt-out journal: Redis held people who had left since (a restore from a backup?); deleted them again", "people", res.Erased)
	}
	a.log.Info("opt-out journal replayed", "lines", res.Events, "erased_again", res.Erased)
	return nil
}
