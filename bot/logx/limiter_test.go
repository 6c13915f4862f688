package logx

import (
	"testing"
	"time"
)

func TestLimiterFirstThenOneSummaryPerInterval(t *testing.T) {
	t.Parallel()
	at := time.Unix(1_000_000, 0)
	l := NewLimiter(10 * time.Second)
	l.now = func() time.Time { return at }
	type step struct {
		after      time.Duration
		kind       string
		ok         bool
		suppressed int
	}
	steps := []step{
		{0, "deliver", true, 0},
		{time.Second, "deliver", false, 0},
		{time.Second, "deliver", false, 0},
		{0, "read queue", true, 0}, // kinds are limited apart
		{9 * time.Second, "deliver", true, 2},
		{time.Second, "deliver", false, 0},
		{time.Minute, "deliver", true, 1},
		{time.Minute, "deliver", true, 0},
	}
	for i, s := range steps {
		at = at.Add(s.after)
		ok, n := l.Allow(s.kind)
		if ok != s.ok || n != s.suppressed {
			t.Errorf("step %d (%s): Allow = %v, %d; want %v, %d", i, s.kind, ok, n, s.ok, s.suppressed)
		}
	}
}
