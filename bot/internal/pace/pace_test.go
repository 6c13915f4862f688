package pace

import (
	"context"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/internal/luatest"
	"github.com/senda-org/senda/bot/redistest"
)

func TestScriptsMatchGoConstants(t *testing.T) {
	t.Parallel()
	luatest.Check(t, "scripts", map[string]luatest.Script{
		"pace.lua": {Syntax: []string{"0", "%.0f"}},
	})
}

// TestSharedRate holds two pacers on one key to one rate together: 20
// slots at 100 a second span at least 190 ms, whoever takes them.
func TestSharedRate(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, b := New(rdb, prefix+"rate", 100), New(rdb, prefix+"rate", 100)
	ctx := context.Background()
	start := time.Now()
	for i := range 20 {
		p := a
		if i%2 == 1 {
			p = b
		}
		if err := p.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("20 slots at 100/s took %v, want at least 190ms", d)
	}
	if err := New(rdb, prefix+"none", 0).Wait(ctx); err != nil {
		t.Errorf("unlimited pacer: %v", err)
	}
}
