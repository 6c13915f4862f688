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

const subscribersUsage = `Usage: senda subscribers rotate-key
       senda subscribers rotate-hash-key

rotate-key seals every subscriber's address again with SENDA_SUBSCRIBER_KEY. To rotate: move the old
key to SENDA_SUBSCRIBER_KEYS_OLD, set the new one as SENDA_SUBSCRIBER_KEY, restart Senda, run this,
then remove the old key. Safe to run while Senda runs, and to run again.

rotate-hash-key moves every subscriber to its id under a new SENDA_HASH_KEY, so BAJA still finds
them. Put the previous key in SENDA_HASH_KEY_OLD and the new one in SENDA_HASH_KEY, restart Senda
(a BAJA then deletes under both), run this until it reports 0 failed, then remove
SENDA_HASH_KEY_OLD and restart. Safe to run again after an interruption. Conversations in
progress start over.
`

func runSubscribers(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	if err := helpFirst(args, subscribersUsage, stdout); err != nil {
		return err
	}
	if len(args) == 0 || (args[0] != "rotate-key" && args[0] != "rotate-hash-key") {
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
		if args[0] == "rotate-hash-key" && len(cfg.HashKeyOld) == 0 {
			return errors.New("SENDA_HASH_KEY_OLD is required: the previous hash key, with the new one in SENDA_HASH_KEY")
		}
		return nil
	}, false)
	if err != nil {
		return err
	}
	defer s.app.Close()
	if args[0] == "rotate-hash-key" {
		res, err := s.app.RotateHashKey(ctx)
		if err != nil {
			return fmt.Errorf("rotate-hash-key: %w", err)
		}
		fmt.Fprintf(stdout, "subscribers: %d scanned, %d moved to the new hash key, %d already under it, %d failed\n",
			res.Scanned, res.Moved, res.Current, res.Failed)
		if res.Failed > 0 {
			fmt.Fprintln(stderr, "some records could not be opened, or are filed under neither SENDA_HASH_KEY nor SENDA_HASH_KEY_OLD; the fingerprint still names the old key. Check SENDA_SUBSCRIBER_KEY(S_OLD) and run again")
			return errReported
		}
		return nil
	}
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
