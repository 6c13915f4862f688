// Package hashkey keeps SENDA_HASH_KEY and the subscriber records filed
// under it together. Subscribers are found by a keyed hash of their
// address: with another key, a `BAJA` finds nothing to delete and the next
// broadcast still reaches the person. So Redis holds a keyed fingerprint of
// the key, and every subscriber record carries it too (bot/subscribers
// writes it in the same script as the record). Check refuses, in
// production, a key the subscribers are not filed under, and one it cannot
// check; Rotate moves every record to its id under a new key.
package hashkey

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
)

// Status is what Check found.
type Status int

// What Check can find.
const (
	Recorded    Status = iota // no fingerprint was stored; the key's is now
	Same                      // the stored fingerprint is the key's
	Rotating                  // the stored fingerprint is the old key's: run Rotate
	Replaced                  // another key's, with no subscriber: the key's replaced it
	Mismatch                  // another key's, with subscribers (refused in production)
	Unconfirmed               // no fingerprint, and subscribers whose key cannot be checked (refused in production)
)

// Check compares the key's fingerprint with the one stored in Redis. old is
// SENDA_HASH_KEY_OLD's hasher, or nil; ring opens subscribers' addresses
// (nil without SENDA_SUBSCRIBER_KEY). With another key's fingerprint and
// subscribers in Redis it returns an error in production (and Mismatch
// otherwise); without subscribers it stores the new fingerprint. When the
// stored fingerprint is missing (Redis lost it, or a restore from before
// it) but subscribers exist, it asks a subscriber record which key it is
// filed under, and in production refuses a key it cannot confirm.
func Check(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space, ring *sealer.Keyring, cur, old *ident.Hasher, production bool) (Status, error) {
	fp := cur.Fingerprint()
	subs := subscribers.New(rdb, keys, ring, nil)
	stored, err := rdb.Get(ctx, keys.HashKeyFingerprint()).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return withoutFingerprint(ctx, rdb, keys, subs, cur, old, production)
	case err != nil:
		return 0, fmt.Errorf("hash key: read fingerprint: %w", err)
	case stored == fp:
		return Same, nil
	case old != nil && stored == old.Fingerprint():
		return Rotating, nil
	}
	filing, err := subs.SampleFiling(ctx, cur, old)
	if err != nil {
		return 0, fmt.Errorf("hash key: look for subscribers: %w", err)
	}
	if filing == subscribers.FilingNone {
		if err := rdb.Set(ctx, keys.HashKeyFingerprint(), fp, 0).Err(); err != nil {
			return 0, fmt.Errorf("hash key: record fingerprint: %w", err)
		}
		return Replaced, nil
	}
	return mismatch(production)
}

// withoutFingerprint decides with the stored fingerprint missing: by a subscriber
// record's own fingerprint (or its address), or freely when there is none.
func withoutFingerprint(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space, subs *subscribers.Store, cur, old *ident.Hasher, production bool) (Status, error) {
	filing, err := subs.SampleFiling(ctx, cur, old)
	if err != nil {
		return 0, fmt.Errorf("hash key: look for subscribers: %w", err)
	}
	record := func(h *ident.Hasher, st Status) (Status, error) {
		if err := rdb.SetNX(ctx, keys.HashKeyFingerprint(), h.Fingerprint(), 0).Err(); err != nil {
			return 0, fmt.Errorf("hash key: record fingerprint: %w", err)
		}
		return st, nil
	}
	switch filing {
	case subscribers.FilingNone, subscribers.FilingCurrent:
		return record(cur, Recorded)
	case subscribers.FilingOld:
		return record(old, Rotating)
	case subscribers.FilingOther:
		return mismatch(production)
	}
	if production {
		return Unconfirmed, errUnconfirmed
	}
	return Unconfirmed, nil
}

func mismatch(production bool) (Status, error) {
	if production {
		return Mismatch, errMismatch
	}
	return Mismatch, nil
}

var (
	errMismatch = errors.New("SENDA_HASH_KEY is not the key this Redis's subscribers are filed under (its fingerprint differs from the one Senda stored). " +
		"Starting with it would cut every subscriber off from BAJA: they would be told they were deleted, and the next broadcast would still reach them. " +
		"Set SENDA_HASH_KEY back to the previous key; or, to change the key, put the previous one in SENDA_HASH_KEY_OLD and the new one in SENDA_HASH_KEY and run `senda subscribers rotate-hash-key` (docs/OPERATIONS.md, Rotating secrets).")
	errUnconfirmed = errors.New("subscribers exist in this Redis but nothing says which SENDA_HASH_KEY they are filed under: the key's fingerprint is gone (Redis lost it, or was restored from a backup older than it) and the subscriber records carry none that Senda can check SENDA_HASH_KEY against. " +
		"Starting with the wrong key would cut every subscriber off from BAJA. " +
		"Set SENDA_SUBSCRIBER_KEY (and SENDA_SUBSCRIBER_KEYS_OLD, if it was rotated) to the key their addresses are sealed with, so Senda can open one and check SENDA_HASH_KEY against it, then start again (docs/OPERATIONS.md, Rotating secrets).")
)

// RotateResult counts what a rotation did.
type RotateResult struct {
	Scanned int
	Moved   int // records moved to their id under the new key
	Current int // records already under the new key
	Failed  int // records that could not be opened or belong to neither key
}

// Rotate moves every subscriber record from its id under the old key to its
// id under the new one (subscribers.Store.Rekey: one MULTI/EXEC per record
// on one server, ordered steps safe to repeat on Redis Cluster). Rotate is
// resumable: run it again after an interruption. When nothing failed it
// stores the new key's fingerprint.
func Rotate(ctx context.Context, rdb redis.UniversalClient, keys rkey.Space, ring *sealer.Keyring, old, cur *ident.Hasher) (RotateResult, error) {
	if ring == nil {
		return RotateResult{}, subscribers.ErrNoKey
	}
	subs := subscribers.New(rdb, keys, ring, nil)
	var (
		mu  sync.Mutex
		res RotateResult
	)
	cc, cluster := rdb.(*redis.ClusterClient)
	scan := func(ctx context.Context, node redis.UniversalClient) error {
		iter := node.Scan(ctx, 0, keys.SubscriberPattern(), 500).Iterator()
		for iter.Next(ctx) {
			r, err := subs.Rekey(ctx, iter.Val(), old, cur, cluster)
			if err != nil {
				return err
			}
			mu.Lock()
			res.Scanned++
			switch r {
			case subscribers.RekeyMoved:
				res.Moved++
			case subscribers.RekeyCurrent:
				res.Current++
			case subscribers.RekeyFailed:
				res.Failed++
			}
			mu.Unlock()
		}
		return iter.Err()
	}
	var err error
	if cluster {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error { return scan(ctx, n) })
	} else {
		err = scan(ctx, rdb)
	}
	if err != nil {
		return res, fmt.Errorf("rotate hash key: %w", err)
	}
	if res.Failed == 0 {
		if err := rdb.Set(ctx, keys.HashKeyFingerprint(), cur.Fingerprint(), 0).Err(); err != nil {
			return res, fmt.Errorf("rotate hash key: record fingerprint: %w", err)
		}
	}
	return res, nil
}
