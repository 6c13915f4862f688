// Command seed subscribes made-up numbers to a topic, straight into Senda's
// Redis, for the broadcast load test (deploy/loadtest/broadcast.sh).
//
//	seed [-n 10000] [-topic seguridad] [-sms-every 10] [-prefix senda:]
//
// It reads SENDA_REDIS_URL, SENDA_HASH_KEY and SENDA_SUBSCRIBER_KEY (or their
// _FILE forms) as Senda does, so the records are the ones `senda serve` would
// write after ALTA and SI: the same keyed ids, sealed addresses and topic
// set. Addresses are whatsapp:+5023NNNNNNN, and every -sms-every-th one is an
// SMS number +5024NNNNNNN instead; WhatsApp ones are inside the 24-hour window,
// since Subscribe records the current hour as their last message.
//
// The numbers may belong to real people, so it writes only to a Redis on a
// loopback address: never point a real Twilio account at what it seeds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/senda-org/senda/bot/app"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/config/osenv"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
)

func main() {
	n := flag.Int("n", 10000, "how many subscribers")
	topic := flag.String("topic", "seguridad", "the topic they subscribe to")
	smsEvery := flag.Int("sms-every", 10, "every this-many-th subscriber is on SMS, the rest on WhatsApp (0: WhatsApp only)")
	prefix := flag.String("prefix", app.DefaultRedisPrefix, "Senda's Redis key prefix")
	lang := flag.String("lang", "es", "the subscribers' language")
	conc := flag.Int("concurrency", 32, "subscriptions in flight at once")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), "Usage: seed [flags]\n\nSubscribes made-up numbers to a topic in the Redis of SENDA_REDIS_URL (loopback only),\nwith SENDA_HASH_KEY and SENDA_SUBSCRIBER_KEY from the environment, as Senda would.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *n < 1 || *n > 10_000_000 || *smsEvery < 0 || *conc < 1 || *conc > 1024 || *topic == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *n, *topic, *smsEvery, *prefix, *lang, *conc); err != nil {
		fmt.Fprintf(os.Stderr, "seed: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n int, topic string, smsEvery int, prefix, lang string, conc int) error {
	cfg, err := config.Load(osenv.Lookup)
	if err != nil {
		return err
	}
	switch {
	case cfg.RedisURL == "":
		return errors.New("SENDA_REDIS_URL is not set")
	case len(cfg.HashKey) < config.MinHashKeyLen:
		return fmt.Errorf("SENDA_HASH_KEY must be set, at least %d bytes, and the same as Senda's", config.MinHashKeyLen)
	case !cfg.Broadcast.Subscriptions():
		return errors.New("SENDA_SUBSCRIBER_KEY is not set")
	}
	opts := cfg.Redis
	if opts.Single == nil {
		return errors.New("SENDA_REDIS_URL: only a single server is supported here")
	}
	if host, _, err := net.SplitHostPort(opts.Single.Addr); err != nil || !isLoopback(host) {
		return fmt.Errorf("SENDA_REDIS_URL points at %s: only a loopback Redis is allowed (the seeded numbers are made up)", opts.Single.Addr)
	}
	ring, err := cfg.Broadcast.Keyring()
	if err != nil {
		return err
	}
	rdb := opts.WithPoolSize(conc + 2).Client()
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	keys := rkey.Space(prefix)
	hasher := ident.NewHasher([]byte(cfg.HashKey))
	subs := subscribers.New(rdb, keys, ring, nil, subscribers.FiledUnder(hasher))

	start := time.Now()
	var (
		next     atomic.Int64
		sms      atomic.Int64
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(conc, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				ch, addr := content.WhatsApp, fmt.Sprintf("whatsapp:+5023%07d", i)
				if smsEvery > 0 && i%smsEvery == smsEvery-1 {
					ch, addr = content.SMS, fmt.Sprintf("+5024%07d", i)
					sms.Add(1)
				}
				if err := subs.Subscribe(ctx, hasher.Sender(ch, addr), addr, ch, lang, topic); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	count, err := subs.Count(ctx, topic)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Printf("seeded %d subscribers to %s (%d WhatsApp, %d SMS) in %s (%.0f/s); the topic now has %d\n",
		n, topic, int64(n)-sms.Load(), sms.Load(), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), count)
	if count < int64(n) {
		return fmt.Errorf("the topic has %d subscribers, fewer than the %d seeded", count, n)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
