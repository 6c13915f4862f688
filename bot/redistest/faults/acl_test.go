package faults

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func isNoPerm(err error) bool { return err != nil && strings.Contains(err.Error(), "NOPERM") }

// deniedErr reports whether err is how Redis 7 refuses a denied command:
// NOPERM, or (inside a script) "ERR The user executing the script can't
// run this command", or (in MULTI/EXEC) EXECABORT after the queued
// command was refused.
func deniedErr(err error) bool {
	return isNoPerm(err) || err != nil && (strings.Contains(err.Error(), "can't run this command") || strings.HasPrefix(err.Error(), "EXECABORT"))
}

func TestDenyLiftApply(t *testing.T) {
	ctx := context.Background()
	s := StartServer(t, ServerOptions{Password: "admin"})
	d, err := s.Deny("hdel", "srem", "evalsha")
	if err != nil {
		t.Fatal(err)
	}
	c := d.NewClient()
	if who, err := c.Do(ctx, "ACL", "WHOAMI").Text(); err != nil || who != d.User {
		t.Fatalf("ACL WHOAMI = %q, %v; want %q", who, err, d.User)
	}
	if err := c.HSet(ctx, "h", "f", "v").Err(); err != nil {
		t.Fatalf("HSET (allowed) = %v", err)
	}
	if err := c.SAdd(ctx, "s", "m").Err(); err != nil {
		t.Fatalf("SADD (allowed) = %v", err)
	}
	hdelScript := redis.NewScript(`return redis.call('HDEL', KEYS[1], ARGV[1])`)
	denied := []struct {
		name string
		run  func() error
	}{
		{"hdel", func() error { return c.HDel(ctx, "h", "f").Err() }},
		{"srem", func() error { return c.SRem(ctx, "s", "m").Err() }},
		{"evalsha", func() error { return c.EvalSha(ctx, hdelScript.Hash(), []string{"h"}, "f").Err() }},
		{"hdel inside eval", func() error {
			return c.Eval(ctx, `return redis.call('HDEL', KEYS[1], ARGV[1])`, []string{"h"}, "f").Err()
		}},
		{"hdel in a transaction", func() error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.HDel(ctx, "h", "f"); return nil })
			return err
		}},
	}
	for _, tt := range denied {
		t.Run("denied "+tt.name, func(t *testing.T) {
			if err := tt.run(); !deniedErr(err) {
				t.Fatalf("err = %v, want a denial", err)
			}
		})
	}
	if n := s.NewClient().Exists(ctx, "h", "s").Val(); n != 2 {
		t.Fatalf("a denied command changed data: %d of 2 keys left", n)
	}

	if err := d.Lift(); err != nil {
		t.Fatal(err)
	}
	// The same client (and pooled connection) may now delete.
	if err := c.HDel(ctx, "h", "f").Err(); err != nil {
		t.Fatalf("HDEL after Lift = %v", err)
	}
	if err := c.EvalSha(ctx, hdelScript.Hash(), []string{"h"}, "f").Err(); err != nil && !strings.Contains(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA after Lift = %v, want NOSCRIPT or success", err)
	}

	if err := d.Apply(); err != nil {
		t.Fatal(err)
	}
	if err := c.SRem(ctx, "s", "m").Err(); !isNoPerm(err) {
		t.Fatalf("SREM after Apply = %v, want NOPERM", err)
	}
}

func TestDenyRefusesBadInput(t *testing.T) {
	s := StartServer(t, ServerOptions{})
	for _, cmds := range [][]string{nil, {"hello"}, {"AUTH"}, {"hdel srem"}, {""}} {
		if _, err := s.Deny(cmds...); err == nil {
			t.Errorf("Deny(%q) did not fail", cmds)
		}
	}
}
