package faults

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/senda-org/senda/bot/redistest"
)

// hookTargets runs a test on the shared server (under a key prefix) and on
// a private one: the hook must work on both.
func hookTargets(t *testing.T, run func(t *testing.T, c redis.UniversalClient, prefix string)) {
	t.Run("shared", func(t *testing.T) {
		c, prefix := redistest.Client(t)
		run(t, c, prefix)
	})
	t.Run("private", func(t *testing.T) {
		s := StartServer(t, ServerOptions{})
		run(t, s.NewClient(), "p:")
	})
}

func TestFailNth(t *testing.T) {
	hookTargets(t, func(t *testing.T, c redis.UniversalClient, p string) {
		ctx := context.Background()
		boom := errors.New("boom")
		h := FailNth(3, boom)
		c.AddHook(h)
		for i, k := range []string{"a", "b", "c", "d"} {
			err := c.Set(ctx, p+k, "v", 0).Err()
			if want := i == 2; want != errors.Is(err, boom) {
				t.Fatalf("SET %s: err = %v, want boom only on the 3rd call", k, err)
			}
		}
		h.Set() // stop failing; counts go on
		if n := c.Exists(ctx, p+"a", p+"b", p+"c", p+"d").Val(); n != 3 {
			t.Fatalf("%d of 4 keys exist, want 3 (the failed SET must not reach Redis)", n)
		}
		if h.Commands() != 5 || h.Failed() != 1 || h.Pipelines() != 0 {
			t.Fatalf("commands %d failed %d pipelines %d, want 5 1 0 (names %v)", h.Commands(), h.Failed(), h.Pipelines(), h.Names())
		}
		if want := []string{"set", "set", "set", "set", "exists"}; !slices.Equal(h.Names(), want) {
			t.Fatalf("names %v, want %v", h.Names(), want)
		}
	})
}

func TestFailCommandBeforeAndAfter(t *testing.T) {
	hookTargets(t, func(t *testing.T, c redis.UniversalClient, p string) {
		ctx := context.Background()
		c.HSet(ctx, p+"h", "f1", "1", "f2", "2", "f3", "3")
		h := NewHook(Rule{Name: "HDEL", When: Before})
		c.AddHook(h)

		if err := c.HDel(ctx, p+"h", "f1").Err(); !errors.Is(err, ErrInjected) {
			t.Fatalf("HDEL = %v, want ErrInjected", err)
		}
		if !c.HExists(ctx, p+"h", "f1").Val() {
			t.Fatal("Before: the failed HDEL reached Redis")
		}

		h.Set(Rule{Name: "hdel", When: After})
		if err := c.HDel(ctx, p+"h", "f1").Err(); !errors.Is(err, ErrInjected) {
			t.Fatalf("HDEL = %v, want ErrInjected", err)
		}
		if c.HExists(ctx, p+"h", "f1").Val() {
			t.Fatal("After: the HDEL did not reach Redis")
		}

		h.Set(Rule{Name: "hdel", Nth: 2})
		if err := c.HDel(ctx, p+"h", "f2").Err(); err != nil {
			t.Fatalf("1st HDEL with Nth 2 = %v", err)
		}
		if err := c.HDel(ctx, p+"h", "f3").Err(); !errors.Is(err, ErrInjected) {
			t.Fatalf("2nd HDEL with Nth 2 = %v, want ErrInjected", err)
		}
		if err := c.Get(ctx, p+"x").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("GET (no rule) = %v, want redis.Nil", err)
		}
	})
}

func TestFailPipelines(t *testing.T) {
	hookTargets(t, func(t *testing.T, c redis.UniversalClient, p string) {
		ctx := context.Background()
		h := NewHook(Rule{Name: "incr", When: Before})
		c.AddHook(h)
		_, err := c.Pipelined(ctx, func(pl redis.Pipeliner) error {
			pl.Set(ctx, p+"s", "1", 0)
			pl.Incr(ctx, p+"n")
			return nil
		})
		if !errors.Is(err, ErrInjected) {
			t.Fatalf("pipeline = %v, want ErrInjected", err)
		}
		if n := c.Exists(ctx, p+"s", p+"n").Val(); n != 0 {
			t.Fatalf("Before: %d commands of a failed pipeline reached Redis", n)
		}

		h.Set(Rule{Name: "incr", When: After})
		var set *redis.StatusCmd
		var incr *redis.IntCmd
		_, err = c.TxPipelined(ctx, func(pl redis.Pipeliner) error {
			set = pl.Set(ctx, p+"s", "1", 0)
			incr = pl.Incr(ctx, p+"n")
			return nil
		})
		if !errors.Is(err, ErrInjected) || set.Err() != nil || !errors.Is(incr.Err(), ErrInjected) {
			t.Fatalf("transaction = %v, SET %v, INCR %v; want INCR alone failed", err, set.Err(), incr.Err())
		}
		if n := c.Exists(ctx, p+"s", p+"n").Val(); n != 2 {
			t.Fatalf("After: %d of 2 keys exist, want the whole transaction applied", n)
		}
		if h.Pipelines() != 2 || h.Failed() != 2 {
			t.Fatalf("pipelines %d failed %d, want 2 2 (names %v)", h.Pipelines(), h.Failed(), h.Names())
		}
	})
}

// The connection handshake (HELLO, CLIENT SETNAME, SELECT) is neither
// counted nor failed, so FailNth(1) fails the first command the test sends.
func TestHookIgnoresHandshake(t *testing.T) {
	s := StartServer(t, ServerOptions{Password: "pw"})
	o := s.Options()
	o.DB, o.ClientName = 2, "faults-test"
	c := redis.NewClient(o)
	defer c.Close()
	h := FailNth(1, nil)
	c.AddHook(h)
	ctx := context.Background()
	if err := c.Ping(ctx).Err(); !errors.Is(err, ErrInjected) {
		t.Fatalf("first PING = %v, want ErrInjected", err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("second PING = %v", err)
	}
	if h.Commands() != 2 {
		t.Fatalf("commands = %d (%v), want 2", h.Commands(), h.Names())
	}
}
