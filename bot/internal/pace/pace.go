// Package pace is a send rate shared by every process through Redis: each
// caller reserves the next slot of one virtual clock and waits for it, so
// any number of workers on any number of machines together stay at or
// below the rate. Broadcast deliveries and erasures at Twilio each use one,
// under keys of their own.
package pace

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

var (
	//go:embed scripts/pace.lua
	paceLua    string
	paceScript = redis.NewScript(paceLua)
)

// Pacer holds callers to a rate. The zero rate means unlimited.
type Pacer struct {
	rdb      redis.UniversalClient
	key      string
	interval time.Duration
}

// New returns a pacer of perSecond calls a second for everyone sharing key;
// perSecond <= 0 means no limit.
func New(rdb redis.UniversalClient, key string, perSecond float64) *Pacer {
	p := &Pacer{rdb: rdb, key: key}
	if perSecond > 0 {
		p.interval = time.Duration(float64(time.Second) / perSecond)
	}
	return p
}

// Wait reserves the next slot and sleeps until it comes (or ctx ends).
func (p *Pacer) Wait(ctx context.Context) error {
	if p.interval <= 0 {
		return nil
	}
	wait, err := paceScript.Run(ctx, p.rdb, []string{p.key}, p.interval.Microseconds()).Int64()
	if err != nil {
		return fmt.Errorf("pace %s: %w", p.key, err)
	}
	Sleep(ctx, time.Duration(wait)*time.Microsecond)
	return nil
}

// Sleep waits for d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
