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

// capTaken is cap.lua's answer when the template may go; any other answer
// is the time (Unix ms) the cap has room again.
const capTaken = 1

// capWindow is Meta's messaging-limit window: the cap counts different
// people reached with templates in any rolling 24 hours.
const capWindow = 24 * time.Hour

// pace waits for this process's next slot of the shared send rate.
func (w *Worker) pace(ctx context.Context) error {
	if err := w.pacer.Wait(ctx); err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) { pace.Sleep(ctx, d) }

// takeCap lets one template reach recipient (a keyed subscriber id) if
// fewer than limit other people were reached with templates in the last
// capWindow; someone already reached in the window does not count again.
// When the cap is full it reports when the oldest reach leaves the window.
func (s *Store) takeCap(ctx context.Context, limit int, recipient string, now time.Time) (ok bool, retryAt time.Time, err error) {
	n, err := capScript.Run(ctx, s.rdb, []string{s.keys.TemplateReach()},
		limit, now.UnixMilli(), capWindow.Milliseconds(), recipient).Int64()
	if err != nil {
		return false, time.Time{}, fmt.Errorf("broadcast: WhatsApp cap: %w", err)
	}
	if n == capTaken {
		return true, time.Time{}, nil
	}
	return false, time.UnixMilli(n), nil
}
