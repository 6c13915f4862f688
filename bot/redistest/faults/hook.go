package faults

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrInjected is a convenient error for Hook rules.
var ErrInjected = errors.New("faults: injected failure")

// When says whether a failed command reaches Redis.
type When int

const (
	// Before fails the call without sending it: Redis never sees it, as
	// when a connection drops before the write.
	Before When = iota
	// After sends the call and then reports the error instead of the
	// reply: the effect is done but the caller cannot know it, as when a
	// connection drops before the reply.
	After
)

// Rule chooses calls to fail. A rule with Name matches only commands of
// that name (case-insensitive, e.g. "hdel", "evalsha"); with Nth > 0 it
// fails only the Nth matching command (1-based) and every matching command
// otherwise.
type Rule struct {
	Name string
	Nth  int
	When When
	Err  error // ErrInjected when nil

	seen int // matching commands so far
}

// Hook is a redis.Hook that counts commands and pipelines and fails the
// ones its rules choose. Add it with client.AddHook (on a Client, or on
// every node of a ClusterClient with OnNewNode). The handshake go-redis
// sends on each new connection (HELLO, AUTH, SELECT, READONLY,
// CLIENT SETNAME/SETINFO/TRACKING) is neither counted nor failed, so counts
// do not depend on the pool. A pipeline (or MULTI/EXEC transaction) counts
// once in Pipelines and each of its commands in Commands; when a rule
// matches one of them, Before fails the whole pipeline unsent and After
// sends it and fails the matching commands.
type Hook struct {
	mu        sync.Mutex
	rules     []*Rule
	commands  int
	pipelines int
	failed    int
	names     []string
}

// NewHook returns a hook with the given rules; with none it only counts.
func NewHook(rules ...Rule) *Hook {
	h := &Hook{}
	h.Set(rules...)
	return h
}

// FailNth returns a hook that fails the nth command (1-based, any name)
// with err, unsent.
func FailNth(n int, err error) *Hook { return NewHook(Rule{Nth: n, Err: err}) }

// FailCommand returns a hook that fails every command named name with err,
// unsent.
func FailCommand(name string, err error) *Hook { return NewHook(Rule{Name: name, Err: err}) }

// Set replaces the rules (none: stop failing) and keeps the counts.
func (h *Hook) Set(rules ...Rule) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.rules = h.rules[:0]
	for _, r := range rules {
		r.Name = strings.ToLower(r.Name)
		if r.Err == nil {
			r.Err = ErrInjected
		}
		r.seen = 0
		h.rules = append(h.rules, &r)
	}
}

// Commands returns how many commands were seen, inside pipelines or not.
func (h *Hook) Commands() int { h.mu.Lock(); defer h.mu.Unlock(); return h.commands }

// Pipelines returns how many pipelines (and transactions) were seen.
func (h *Hook) Pipelines() int { h.mu.Lock(); defer h.mu.Unlock(); return h.pipelines }

// Failed returns how many commands the hook failed.
func (h *Hook) Failed() int { h.mu.Lock(); defer h.mu.Unlock(); return h.failed }

// Names returns the names of the commands seen, in order.
func (h *Hook) Names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.names...)
}

// DialHook implements redis.Hook.
func (h *Hook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

// ProcessHook implements redis.Hook.
func (h *Hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if handshake(cmd) {
			return next(ctx, cmd)
		}
		h.mu.Lock()
		r := h.match(cmd)
		h.mu.Unlock()
		if r == nil {
			return next(ctx, cmd)
		}
		if r.When == After {
			next(ctx, cmd)
		}
		cmd.SetErr(r.Err)
		return r.Err
	}
}

// ProcessPipelineHook implements redis.Hook.
func (h *Hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		all := true
		for _, c := range cmds {
			all = all && handshake(c)
		}
		if all {
			return next(ctx, cmds)
		}
		h.mu.Lock()
		h.pipelines++
		hit := map[int]*Rule{}
		var first *Rule
		for i, c := range cmds {
			if r := h.match(c); r != nil {
				hit[i] = r
				if first == nil {
					first = r
				}
			}
		}
		h.mu.Unlock()
		if first == nil {
			return next(ctx, cmds)
		}
		if first.When == Before {
			for _, c := range cmds {
				c.SetErr(first.Err)
			}
			return first.Err
		}
		next(ctx, cmds)
		var err error
		for i, c := range cmds {
			if r := hit[i]; r != nil && r.When == After {
				c.SetErr(r.Err)
				if err == nil {
					err = r.Err
				}
			}
		}
		return err
	}
}

// match counts cmd and returns the first rule that fails it; h.mu is held.
func (h *Hook) match(cmd redis.Cmder) *Rule {
	h.commands++
	name := cmd.Name()
	h.names = append(h.names, name)
	var hit *Rule
	for _, r := range h.rules {
		if r.Name != "" && r.Name != name {
			continue
		}
		r.seen++
		if hit == nil && (r.Nth == 0 || r.seen == r.Nth) {
			hit = r
		}
	}
	if hit != nil {
		h.failed++
	}
	return hit
}

// handshake reports whether cmd is one go-redis sends to set up a
// connection.
func handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "readonly":
		return true
	case "client":
		args := cmd.Args()
		if len(args) > 1 {
			if sub, ok := args[1].(string); ok {
				switch strings.ToLower(sub) {
				case "setname", "setinfo", "tracking", "maint_notifications":
					return true
				}
			}
		}
	}
	return false
}
