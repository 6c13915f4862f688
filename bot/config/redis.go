package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis client timeouts. Twilio waits 15 s for a reply in all; a Redis that
// has not answered in a second will not answer in time to matter, and the
// person is better served by the "try again" reply.
const (
	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = time.Second
	redisWriteTimeout = time.Second
	// clusterStateReload is how often a Cluster client refreshes its map
	// of which master serves which slot. go-redis's default is 60 s, and
	// a dead master's connection errors do not refresh it: senders on its
	// slots would wait a minute after the cluster healed. A refresh is one
	// CLUSTER SLOTS (or SHARDS) call to one node.
	clusterStateReload = time.Second
	// clusterReloadParam sets clusterStateReload in the URL; go-redis's
	// parser does not know it.
	clusterReloadParam = "cluster_state_reload_interval"
)

// RedisOptions is a parsed SENDA_REDIS_URL: exactly one of the three is set.
type RedisOptions struct {
	Single   *redis.Options
	Failover *redis.FailoverOptions
	Cluster  *redis.ClusterOptions
}

// ParseRedisURL parses the three forms SENDA_REDIS_URL takes:
//
//	redis://[user:password@]host:6379/0             one server (rediss:// for TLS)
//	redis://[:password@]sentinel1:26379/0?master_name=mymaster&addr=sentinel2:26379
//	                                                Sentinel: the host and every addr are sentinels
//	redis://[user:password@]node1:7000?addr=node2:7000&addr=node3:7000
//	                                                Cluster: the host and every addr are seed nodes
//	redis+cluster://node1:7000                      Cluster with one seed node
//
// Query parameters are go-redis's (dial_timeout, read_timeout, pool_size, …),
// plus cluster_state_reload_interval (e.g. 1s, the default) for Cluster.
// Unset timeouts get Senda's bounded defaults. A Cluster client refreshes
// its slot map every second and at once after a network error, so a
// master's failover is noticed within about a second of the cluster
// healing; a Sentinel client follows the sentinels' +switch-master.
func ParseRedisURL(raw string) (RedisOptions, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return RedisOptions{}, fmt.Errorf("SENDA_REDIS_URL is not a URL (%v); write it like redis://localhost:6379/0.", redactURLError(err))
	}
	forceCluster := false
	switch u.Scheme {
	case "redis", "rediss":
	case "redis+cluster", "rediss+cluster":
		forceCluster = true
		u.Scheme = strings.TrimSuffix(u.Scheme, "+cluster")
	default:
		return RedisOptions{}, fmt.Errorf("SENDA_REDIS_URL has scheme %q; use redis://, rediss:// or redis+cluster://.", u.Scheme)
	}
	q := u.Query()
	var reload time.Duration
	if v := q.Get(clusterReloadParam); v != "" {
		if reload, err = time.ParseDuration(v); err != nil || reload <= 0 {
			return RedisOptions{}, fmt.Errorf("SENDA_REDIS_URL: %s=%q is not a positive duration such as 1s.", clusterReloadParam, v)
		}
		q.Del(clusterReloadParam)
		u.RawQuery = q.Encode()
	}
	var o RedisOptions
	switch {
	case q.Get("master_name") != "":
		o.Failover, err = redis.ParseFailoverURL(u.String())
	case forceCluster || q.Has("addr"):
		o.Cluster, err = redis.ParseClusterURL(u.String())
	default:
		o.Single, err = redis.ParseURL(u.String())
	}
	if err != nil {
		return RedisOptions{}, fmt.Errorf("SENDA_REDIS_URL: %v.", strings.TrimPrefix(err.Error(), "redis: "))
	}
	o.applyDefaults()
	if o.Cluster != nil {
		o.Cluster.ClusterStateReloadInterval = cmpDuration(reload, clusterStateReload)
	} else if reload != 0 {
		return RedisOptions{}, fmt.Errorf("SENDA_REDIS_URL: %s applies to Redis Cluster only.", clusterReloadParam)
	}
	return o, nil
}

// redactURLError keeps a password in a malformed URL out of the message.
func redactURLError(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return "parse error"
}

func (o RedisOptions) applyDefaults() {
	set := func(dial, read, write *time.Duration, ctxTimeout *bool, name *string) {
		if *dial == 0 {
			*dial = redisDialTimeout
		}
		if *read == 0 {
			*read = redisReadTimeout
		}
		if *write == 0 {
			*write = redisWriteTimeout
		}
		*ctxTimeout = true // a request's deadline bounds its Redis calls too
		if *name == "" {
			*name = "senda"
		}
	}
	switch {
	case o.Single != nil:
		set(&o.Single.DialTimeout, &o.Single.ReadTimeout, &o.Single.WriteTimeout, &o.Single.ContextTimeoutEnabled, &o.Single.ClientName)
	case o.Failover != nil:
		set(&o.Failover.DialTimeout, &o.Failover.ReadTimeout, &o.Failover.WriteTimeout, &o.Failover.ContextTimeoutEnabled, &o.Failover.ClientName)
	case o.Cluster != nil:
		set(&o.Cluster.DialTimeout, &o.Cluster.ReadTimeout, &o.Cluster.WriteTimeout, &o.Cluster.ContextTimeoutEnabled, &o.Cluster.ClientName)
	}
}

// Client returns a new client for the options. Every form is a
// redis.UniversalClient, so the rest of Senda does not care which.
func (o RedisOptions) Client() redis.UniversalClient {
	switch {
	case o.Failover != nil:
		return redis.NewFailoverClient(o.Failover)
	case o.Cluster != nil:
		c := redis.NewClusterClient(o.Cluster)
		c.AddHook(reloadOnNetworkError{c})
		return c
	default:
		return redis.NewClient(o.Single)
	}
}

// WithPoolSize returns a copy whose clients keep at most n connections; the
// broadcast workers' blocking reads use such a separate, small pool.
func (o RedisOptions) WithPoolSize(n int) RedisOptions {
	switch {
	case o.Single != nil:
		c := *o.Single
		c.PoolSize = n
		o.Single = &c
	case o.Failover != nil:
		c := *o.Failover
		c.PoolSize = n
		o.Failover = &c
	case o.Cluster != nil:
		c := *o.Cluster
		c.PoolSize = n
		o.Cluster = &c
	}
	return o
}

func cmpDuration(d, fallback time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return fallback
}

// reloadOnNetworkError asks a Cluster client to refresh its slot map when a
// command fails on the network: the node may be a master that died, and the
// replica that takes over is found by the next refresh, not by retrying.
// The refresh runs in the background, at most once per 200 ms.
type reloadOnNetworkError struct{ c *redis.ClusterClient }

func (h reloadOnNetworkError) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h reloadOnNetworkError) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		if networkError(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

func (h reloadOnNetworkError) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		if networkError(err) {
			h.c.ReloadState(ctx)
		}
		return err
	}
}

// networkError reports an error of the connection rather than a reply.
func networkError(err error) bool {
	if err == nil {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
