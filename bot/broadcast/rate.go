package broadcast

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
	//go:embed scripts/cap.lua
	capLua    string
	capScript = redis.NewScript(capLua)
)

// cap.lua's answers.
const (
	capFull  = 0 // the cap is reached: nothing taken
	capTaken = 1 // one send taken from the cap
)

// pace waits for this process's next slot of the shared send rate.
func (w *Worker) pace(ctx context.Context) error {
	if w.cfg.MPS <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / w.cfg.MPS)
	wait, err := paceScript.Run(ctx, w.store.rdb, []string{w.store.keys.Rate()}, interval.Microseconds()).Int64()
	if err != nil {
		return fmt.Errorf("broadcast: pace: %w", err)
	}
	sleep(ctx, time.Duration(wait)*time.Microsecond)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
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

// takeCap takes one template send from today's WhatsApp cap.
func (s *Store) takeCap(ctx context.Context, limit int, now time.Time, loc *time.Location) (bool, error) {
	day := now.In(loc).Format(time.DateOnly)
	n, err := capScript.Run(ctx, s.rdb, []string{s.keys.DailyCap(day)}, limit, int((48 * time.Hour).Seconds())).Int()
	if err != nil {
		return false, fmt.Errorf("broadcast: daily cap: %w", err)
	}
	return n == capTaken, nil
}
