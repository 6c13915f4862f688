package broadcast

import (
	"context"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
)

// TestTemplateCapCountsPeopleOverRolling24Hours drives the WhatsApp cap on
// real Redis with an injected clock: it admits N different people, someone
// already reached in the window does not count again (and stays in it from
// their latest template), and room returns as the oldest reach leaves the
// 24-hour window, exactly when takeCap said it would.
func TestTemplateCapCountsPeopleOverRolling24Hours(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	s := NewStore(rdb, rkey.Space(prefix), nil, nil, nil)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	const limit = 3
	steps := []struct {
		name  string
		at    time.Duration // after t0
		who   string
		ok    bool
		retry time.Duration // after t0, when refused
	}{
		{"first person", 0, "a", true, 0},
		{"second person", time.Hour, "b", true, 0},
		{"third person", 2 * time.Hour, "c", true, 0},
		{"a fourth is refused until a leaves the window", 3 * time.Hour, "d", false, 24 * time.Hour},
		{"someone already reached does not count again", 3 * time.Hour, "a", true, 0},
		{"now b is the oldest reach", 4 * time.Hour, "d", false, 25 * time.Hour},
		{"a second before b leaves", 25*time.Hour - time.Second, "d", false, 25 * time.Hour},
		{"b has left the window", 25 * time.Hour, "d", true, 0},
		{"the window is full again: c is the oldest", 25 * time.Hour, "e", false, 26 * time.Hour},
		{"c has left", 26 * time.Hour, "e", true, 0},
		{"a was reached again at 3h, so it is still in", 26 * time.Hour, "f", false, 27 * time.Hour},
		{"a day after the last template everyone has left", 50 * time.Hour, "f", true, 0},
		{"and two more fit", 50 * time.Hour, "g", true, 0},
		{"and a third", 50 * time.Hour, "h", true, 0},
		{"but not a fourth", 50 * time.Hour, "i", false, 74 * time.Hour},
	}
	for _, st := range steps {
		ok, retryAt, err := s.takeCap(ctx, limit, "sub-"+st.who, t0.Add(st.at))
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if ok != st.ok {
			t.Fatalf("%s: took = %v, want %v", st.name, ok, st.ok)
		}
		if !ok && !retryAt.Equal(t0.Add(st.retry)) {
			t.Errorf("%s: room again at +%s, want +%s", st.name, retryAt.Sub(t0), st.retry)
		}
	}
	key := s.keys.TemplateReach()
	members, err := rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != limit {
		t.Errorf("reach set holds %q, want %d people", members, limit)
	}
	if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 || ttl > capWindow {
		t.Errorf("reach set expires in %s, want within %s", ttl, capWindow)
	}
}

// TestTemplateCapSharedByWorkers takes the cap from many goroutines at once
// (the script is atomic): exactly the cap's number of people get through.
func TestTemplateCapSharedByWorkers(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	s := NewStore(rdb, rkey.Space(prefix), nil, nil, nil)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	const limit, people = 5, 40
	results := make(chan bool, people)
	for i := range people {
		go func() {
			ok, _, err := s.takeCap(context.Background(), limit, "sub-"+string(rune('A'+i)), now)
			if err != nil {
				t.Error(err)
			}
			results <- ok
		}()
	}
	taken := 0
	for range people {
		if <-results {
			taken++
		}
	}
	if taken != limit {
		t.Errorf("%d people got through a cap of %d", taken, limit)
	}
}
