// Package redistest gives tests (of any package in the module) a real Redis connection and a key prefix of
// their own, so tests can run in parallel against one server.
//
// The server is SENDA_TEST_REDIS_URL when set: then a server that does not
// answer fails the test (CI sets it, so a missing Redis can never pass
// quietly). When it is unset, the default redis://127.0.0.1:6379/0 is used
// if it answers, and otherwise an embedded miniredis, said once, so that
// `go test ./...` passes on a fresh machine. SENDA_TEST_REDIS_URL=embedded
// forces the embedded server, to check that fallback.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/config/osenv"
)

// EnvURL names the variable that points tests at a Redis server.
const EnvURL = "SENDA_TEST_REDIS_URL"

// DefaultURL is tried when EnvURL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

var (
	once     sync.Once
	url      string
	embedded *miniredis.Miniredis
	setupErr error
)

func setup() {
	u := osenv.Get(EnvURL)
	if u != "" && u != "embedded" {
		url = u
		return
	}
	if u == "" && reachable(DefaultURL) {
		url = DefaultURL
		return
	}
	embedded = miniredis.NewMiniRedis()
	if setupErr = embedded.StartAddr("127.0.0.1:0"); setupErr != nil {
		return
	}
	url = "redis://" + embedded.Addr() + "/0"
	if u == "" {
		fmt.Fprintf(os.Stderr, "redistest: %s is unset and nothing answers on %s; using an embedded miniredis (set %s to test against a real server)\n", EnvURL, DefaultURL, EnvURL)
	}
}

func reachable(u string) bool {
	opts, err := redis.ParseURL(u)
	if err != nil {
		return false
	}
	opts.DialTimeout = 300 * time.Millisecond
	c := redis.NewClient(opts)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	return c.Ping(ctx).Err() == nil
}

// URL returns the Redis URL tests use.
func URL(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if setupErr != nil {
		t.Fatalf("redistest: start embedded redis: %v", setupErr)
	}
	return url
}

// Embedded reports whether tests run on the embedded miniredis, whose clock
// only moves when told (see FastForward).
func Embedded() bool {
	once.Do(setup)
	return embedded != nil
}

// FastForward moves the embedded server's clock; on a real server it sleeps,
// so tests of expiry work on both.
func FastForward(d time.Duration) {
	once.Do(setup)
	if embedded != nil {
		embedded.FastForward(d)
		return
	}
	time.Sleep(d)
}

// Client returns a client of the test server and a key prefix unique to the
// test. Keys under the prefix are deleted when the test ends.
func Client(t testing.TB) (redis.UniversalClient, string) {
	t.Helper()
	u := URL(t)
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("redistest: %s=%q: %v", EnvURL, u, err)
	}
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("redistest: Redis at %s does not answer: %v (start one, or unset %s to use an embedded server)", u, err, EnvURL)
	}
	prefix := "senda-test:" + randomHex(6) + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		for _, k := range Keys(t, c, prefix) {
			c.Del(ctx, k)
		}
		c.Close()
	})
	return c, prefix
}

// Keys lists every key under prefix.
func Keys(t testing.TB, c redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var keys []string
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("redistest: scan %s*: %v", prefix, err)
	}
	sort.Strings(keys)
	return keys
}

// Dump returns every key under prefix with everything stored in it, as
// text, whatever the key's type: what a privacy test scans.
func Dump(t testing.TB, c redis.UniversalClient, prefix string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out := map[string]string{}
	for _, k := range Keys(t, c, prefix) {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			t.Fatalf("redistest: type %s: %v", k, err)
		}
		var b strings.Builder
		switch typ {
		case "string":
			b.WriteString(c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				fmt.Fprintf(&b, "%s=%s\n", f, v)
			}
		case "set":
			b.WriteString(strings.Join(c.SMembers(ctx, k).Val(), "\n"))
		case "zset":
			for _, z := range c.ZRangeWithScores(ctx, k, 0, -1).Val() {
				fmt.Fprintf(&b, "%v %v\n", z.Member, z.Score)
			}
		case "list":
			b.WriteString(strings.Join(c.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				fmt.Fprintf(&b, "%s %v\n", m.ID, m.Values)
			}
		case "hll":
			// The embedded server's own type for a HyperLogLog (a real
			// server calls it a string, and GET above returns its
			// registers): it keeps only the registers, never the members,
			// so its count is all there is to show.
			fmt.Fprintf(&b, "hll %d", c.PFCount(ctx, k).Val())
		default:
			t.Fatalf("redistest: key %s has type %s, which Dump cannot read", k, typ)
		}
		out[k] = b.String()
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
