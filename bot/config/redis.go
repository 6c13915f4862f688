package config

import (
	"fmt"
	"net/url"
	"strings"
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
// Query parameters are go-redis's (dial_timeout, read_timeout, pool_size, …).
// Unset timeouts get Senda's bounded defaults.
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
		return redis.NewClusterClient(o.Cluster)
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
