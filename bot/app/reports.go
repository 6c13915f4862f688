package app

import (
	"crypto/rand"

	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/reports"
)

// newReports builds the store of reports people send in (AVISAR) and the
// keyring that seals their drafts, when subscriptions are on: a report
// becomes a broadcast to the `seguridad` topic, and it is sealed under a
// key derived from SENDA_SUBSCRIBER_KEY. Without it AVISAR says the line
// takes no reports.
func (a *App) newReports(prefix string, b config.BroadcastConfig) error {
	if !b.Subscriptions() {
		return nil
	}
	ring, err := reports.Keyring(b.SubscriberKey, b.SubscriberKeysOld...)
	if err != nil {
		return err
	}
	hashKey := a.cfg.HashKey
	if len(hashKey) == 0 {
		// Development without SENDA_HASH_KEY: sessions are forgotten on
		// restart anyway, and so are the day's counts.
		hashKey = make([]byte, 32)
		rand.Read(hashKey)
	}
	loc, err := b.Location()
	if err != nil {
		return err
	}
	a.reports, err = reports.New(a.rdb, ring, reports.Options{
		Prefix: prefix, Days: b.ReportDays, Loc: loc, Now: a.now, RateKey: reports.RateKey(hashKey),
	})
	if err != nil {
		return err
	}
	a.reportSeal = ring
	return nil
}

// Reports returns the store of reports, or nil when subscriptions are off.
func (a *App) Reports() *reports.Store { return a.reports }
