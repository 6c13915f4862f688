package faults

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestServerKillRestartStop(t *testing.T) {
	tests := []struct {
		name     string
		aof      bool
		stop     func(*Server) error
		survives bool
	}{
		{"kill without AOF loses data", false, (*Server).Kill, false},
		{"kill with AOF keeps data", true, (*Server).Kill, true},
		{"stop without AOF loses data", false, (*Server).Stop, false},
		{"stop with AOF keeps data", true, (*Server).Stop, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := StartServer(t, ServerOptions{AOF: tt.aof})
			c := s.NewClient()
			if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatal(err)
			}
			port, pid := s.Port(), s.PID()
			if err := tt.stop(s); err != nil {
				t.Fatal(err)
			}
			if s.PID() != 0 {
				t.Fatalf("PID after stop = %d, want 0", s.PID())
			}
			if err := c.Ping(ctx).Err(); err == nil {
				t.Fatal("PING answered while the server is down")
			}
			if err := s.Stop(); err == nil {
				t.Fatal("Stop of a stopped server did not fail")
			}
			if err := s.Restart(); err != nil {
				t.Fatal(err)
			}
			if s.Port() != port || s.PID() == pid || s.PID() == 0 {
				t.Fatalf("after restart port %d pid %d, want port %d and a new pid (was %d)", s.Port(), s.PID(), port, pid)
			}
			got, err := c.Get(ctx, "k").Result()
			switch {
			case tt.survives && (err != nil || got != "v"):
				t.Fatalf("GET k after restart = %q, %v; want v", got, err)
			case !tt.survives && !errors.Is(err, redis.Nil):
				t.Fatalf("GET k after restart = %q, %v; want nil (no persistence)", got, err)
			}
		})
	}
}

func TestServerRestartWhileRunning(t *testing.T) {
	s := StartServer(t, ServerOptions{})
	pid := s.PID()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.PID() == pid {
		t.Fatal("Restart of a running server kept its process")
	}
	if err := s.NewClient().Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestServerPasswordAndConfig(t *testing.T) {
	ctx := context.Background()
	s := StartServer(t, ServerOptions{Password: "s3cret", Config: []string{"maxmemory-policy allkeys-lru"}})

	anon := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without password = %v, want NOAUTH", err)
	}

	opts, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	byURL := redis.NewClient(opts)
	defer byURL.Close()
	if err := byURL.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING with URL() %s: %v", s.URL(), err)
	}

	got, err := s.NewClient().ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		t.Fatal(err)
	}
	if got["maxmemory-policy"] != "allkeys-lru" {
		t.Fatalf("maxmemory-policy = %q, want the extra config line's allkeys-lru", got["maxmemory-policy"])
	}
}

func TestServerKillDropsConnections(t *testing.T) {
	ctx := context.Background()
	s := StartServer(t, ServerOptions{})
	o := s.Options()
	o.MaxRetries = -1
	c := redis.NewClient(o)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("PING on a pooled connection answered after SIGKILL")
	}
}
