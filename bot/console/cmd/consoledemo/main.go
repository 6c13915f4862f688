// Command consoledemo serves the web console on a loopback port over a real
// Redis, on a key prefix of its own, with figures seeded and a fake Twilio,
// for the browser test and for looking at the console. It prints the URL
// and runs until stopped; the keys under its prefix are deleted on exit.
//
//	go run ./bot/console/cmd/consoledemo -redis redis://127.0.0.1:6379/0 -token demo-token
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/console/internal/demo"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "consoledemo:", err)
		os.Exit(1)
	}
}

func run() error {
	redisURL := flag.String("redis", "redis://127.0.0.1:6379/0", "Redis URL")
	token := flag.String("token", "", "the admin token to accept (required)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()
	if *token == "" {
		return fmt.Errorf("-token is required")
	}
	opts, err := redis.ParseURL(*redisURL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := make([]byte, 6)
	rand.Read(b)
	prefix := "senda-consoledemo:" + hex.EncodeToString(b) + ":"
	defer cleanup(rdb, prefix)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	d, err := demo.New(rdb, prefix, *token, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Seed(ctx, rdb, 12); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: d.Echo, ReadHeaderTimeout: 5 * time.Second}
	fmt.Printf("http://%s/admin/\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		return err
	}
	return nil
}

func cleanup(rdb *redis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
}
