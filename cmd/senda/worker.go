package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/senda-org/senda/bot"
)

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apply := configFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: senda worker [flags]\n\nDelivers broadcasts without serving webhooks: run as many as the send rate needs; they share\nthe work through Redis, and SENDA_TWILIO_MPS holds them together. Every `senda serve` runs\nworkers too. Needs SENDA_SUBSCRIBER_KEY, SENDA_REDIS_URL and Twilio's REST settings.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	cfg, err := loadConfig(getenv, apply)
	if err != nil {
		fmt.Fprintf(stderr, "senda: configuration: %v\n", err)
		return exitError
	}
	if cfg.RedisURL == "" {
		fmt.Fprintln(stderr, "senda worker: SENDA_REDIS_URL is required: a worker shares its queue with the servers through Redis")
		return exitError
	}
	log := newLogger(stderr, cfg, getenv).With("component", "senda-worker")
	svc, err := bot.NewService(ctx, cfg, log, bot.Deps{})
	if err != nil {
		log.Error("start", "err", err)
		return exitError
	}
	defer svc.Close()
	if err := svc.RunWorkers(ctx, nil); err != nil {
		log.Error("workers", "err", err)
		return exitError
	}
	return exitOK
}

func runSubscribers(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	const usage = "Usage: senda subscribers rotate-key\n\nSeals every subscriber's address again with SENDA_SUBSCRIBER_KEY. To rotate: move the old key\nto SENDA_SUBSCRIBER_KEYS_OLD, set the new one as SENDA_SUBSCRIBER_KEY, restart Senda, run this,\nthen remove the old key. Safe to run while Senda runs, and to run again.\n"
	if len(args) != 1 || args[0] != "rotate-key" {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cfg, err := loadConfig(getenv, func(*bot.Config) {})
	if err != nil {
		fmt.Fprintf(stderr, "senda: configuration: %v\n", err)
		return exitError
	}
	if cfg.RedisURL == "" || !cfg.Broadcast.Subscriptions() {
		fmt.Fprintln(stderr, "senda subscribers rotate-key: needs SENDA_REDIS_URL and SENDA_SUBSCRIBER_KEY (with the old keys in SENDA_SUBSCRIBER_KEYS_OLD)")
		return exitError
	}
	log := newLogger(stderr, cfg, getenv).With("component", "senda-rotate")
	svc, err := bot.NewService(ctx, cfg, log, bot.Deps{})
	if err != nil {
		log.Error("start", "err", err)
		return exitError
	}
	defer svc.Close()
	res, err := svc.Subscribers().Rotate(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "senda subscribers rotate-key: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "subscribers: %d scanned, %d re-sealed with the current key, %d already current, %d could not be opened\n",
		res.Scanned, res.Resealed, res.Current, res.Failed)
	if res.Failed > 0 {
		fmt.Fprintln(stderr, "some addresses were sealed with a key that is in neither SENDA_SUBSCRIBER_KEY nor SENDA_SUBSCRIBER_KEYS_OLD; add that key and run again")
		return exitError
	}
	return exitOK
}
