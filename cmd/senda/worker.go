package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/senda-org/senda/bot/config"
)

const workerUsage = "Usage: senda worker [flags]\n\nDelivers broadcasts and erases messages at Twilio without serving webhooks: run as many as the\nsend rate needs; they share the work through Redis, and SENDA_TWILIO_MPS and SENDA_TWILIO_ERASE_RPS\nhold them together. Every `senda serve` runs workers too. Needs SENDA_REDIS_URL and Twilio's REST\nsettings, with SENDA_SUBSCRIBER_KEY (broadcasts) or SENDA_TWILIO_ERASE on (erasure).\n"

func runWorker(ctx context.Context, args []string, stderr io.Writer, getenv config.Lookup) error {
	s, err := startApp(ctx, "worker", workerUsage, args, stderr, getenv, needRedis, false)
	if err != nil {
		return err
	}
	defer s.app.Close()
	if err := s.app.RunWorkers(ctx, nil); err != nil {
		s.log.Error("workers", "err", err)
		return errReported
	}
	return nil
}

// needRedis refuses the embedded store for commands that must share state
// with running servers.
func needRedis(cfg config.Config) error {
	if cfg.RedisURL == "" {
		return errors.New("SENDA_REDIS_URL is required: this command works on the same Redis as the servers")
	}
	return nil
}

const subscribersUsage = "Usage: senda subscribers rotate-key\n\nSeals every subscriber's address again with SENDA_SUBSCRIBER_KEY. To rotate: move the old key\nto SENDA_SUBSCRIBER_KEYS_OLD, set the new one as SENDA_SUBSCRIBER_KEY, restart Senda, run this,\nthen remove the old key. Safe to run while Senda runs, and to run again.\n"

func runSubscribers(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	if err := helpFirst(args, subscribersUsage, stdout); err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "rotate-key" {
		fmt.Fprint(stderr, subscribersUsage)
		return errUsage
	}
	s, err := startApp(ctx, "subscribers", subscribersUsage, args[1:], stderr, getenv, func(cfg config.Config) error {
		if err := needRedis(cfg); err != nil {
			return err
		}
		if !cfg.Broadcast.Subscriptions() {
			return errors.New("SENDA_SUBSCRIBER_KEY is required (with the old keys in SENDA_SUBSCRIBER_KEYS_OLD)")
		}
		return nil
	}, false)
	if err != nil {
		return err
	}
	defer s.app.Close()
	res, err := s.app.Subscribers().Rotate(ctx)
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	fmt.Fprintf(stdout, "subscribers: %d scanned, %d re-sealed with the current key, %d already current, %d could not be opened\n",
		res.Scanned, res.Resealed, res.Current, res.Failed)
	if res.Failed > 0 {
		fmt.Fprintln(stderr, "some addresses were sealed with a key that is in neither SENDA_SUBSCRIBER_KEY nor SENDA_SUBSCRIBER_KEYS_OLD; add that key and run again")
		return errReported
	}
	return nil
}
