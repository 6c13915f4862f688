package broadcast

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/internal/pace"
)

var (
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
	if err := w.pacer.Wait(ctx); err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) { pace.Sleep(ctx, d) }

// takeCap takes one template send from today's WhatsApp cap.
func (s *Store) takeCap(ctx context.Context, limit int, now time.Time, loc *time.Location) (bool, error) {
	day := now.In(loc).Format(time.DateOnly)
	n, err := capScript.Run(ctx, s.rdb, []string{s.keys.DailyCap(day)}, limit, int((48 * time.Hour).Seconds())).Int()
	if err != nil {
		return false, fmt.Errorf("broadcast: daily cap: %w", err)
	}
	return n == capTaken, nil
}
