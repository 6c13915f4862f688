package metrics

import (
	"context"
	"errors"
	"slices"

	"github.com/redis/go-redis/v9"
)

// Component names the part of Senda that ran a Redis command, for
// senda_redis_errors_total.
type Component string

// The components Redis errors are counted by.
const (
	ComponentConversation Component = "conversation" // the webhook
	ComponentBroadcast    Component = "broadcast"    // workers and delivery reports
	ComponentAdmin        Component = "admin"        // the admin API and console
	ComponentOther        Component = "other"        // health checks, reloads, tools
)

type componentKey struct{}

// WithComponent marks ctx as c's: Redis errors of commands run with it are
// counted under c.
func WithComponent(ctx context.Context, c Component) context.Context {
	return context.WithValue(ctx, componentKey{}, c)
}

// probe marks commands whose refusal the caller expects and tolerates.
const probe Component = ""

// Probing marks ctx for a check whose refusal is an answer, not a failure
// (CONFIG GET on a managed server, an ACL or the embedded store, which
// has no CONFIG): its errors are not counted.
func Probing(ctx context.Context) context.Context { return WithComponent(ctx, probe) }

func componentOf(ctx context.Context) Component {
	if c, ok := ctx.Value(componentKey{}).(Component); ok {
		return c
	}
	return ComponentOther
}

// RedisHook returns a go-redis hook that counts failed commands and
// pipelines (once per pipeline) in senda_redis_errors_total by the component in their context.
// Answers that are not failures are not counted: a missing key (redis.Nil),
// a transaction another client raced (TxFailedErr), a script not yet loaded (NOSCRIPT: go-redis loads it and runs it again), a
// consumer group that exists (BUSYGROUP) and a cancelled request.
func (m *Set) RedisHook() redis.Hook { return redisHook{m} }

type redisHook struct{ m *Set }

// DialHook counts nothing: a failed dial fails the command, counted there.
func (h redisHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h redisHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if !handshake(cmd) {
			h.count(ctx, err)
		}
		return err
	}
}

func (h redisHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if !slices.ContainsFunc(cmds, func(c redis.Cmder) bool { return !handshake(c) }) {
			return err // a new connection's handshake
		}
		// next may report the first command's error, a redis.Nil among
		// them; a failure of any command counts the pipeline once.
		failure := err
		for _, c := range cmds {
			if IsRedisFailure(failure) {
				break
			}
			if !handshake(c) {
				failure = c.Err()
			}
		}
		h.count(ctx, failure)
		return err
	}
}

// handshake reports whether cmd is one go-redis sends on a new connection
// and whose refusal it tolerates (HELLO and CLIENT SETINFO on an older
// Redis). A handshake that really fails fails the command that needed the
// connection, which is counted.
func handshake(cmd redis.Cmder) bool {
	n := cmd.Name()
	return n == "hello" || n == "client"
}

func (h redisHook) count(ctx context.Context, err error) {
	if !IsRedisFailure(err) || componentOf(ctx) == probe {
		return
	}
	h.m.Add("redis_errors_total", "component", string(componentOf(ctx)), 1)
}

// IsRedisFailure reports whether err from a Redis command is a failure
// rather than an answer (see RedisHook).
func IsRedisFailure(err error) bool {
	switch {
	case err == nil, errors.Is(err, redis.Nil), errors.Is(err, redis.TxFailedErr), errors.Is(err, context.Canceled):
		return false
	case redis.HasErrorPrefix(err, "NOSCRIPT"), redis.HasErrorPrefix(err, "BUSYGROUP"):
		return false
	}
	return true
}
