package broadcast

// The queue, the delayed set and the ledger.
//
// Queue. A Redis Stream of deliveries, one entry per (broadcast, recipient),
// with the fields b (broadcast id), r (recipient id), t (delivery token: one
// per fan-out, so a second fan-out of the same broadcast is told apart) and
// n (attempts so far). Workers read it through the consumer group Group.
//
// Delayed set. A sorted set of deliveries waiting for a time (quiet hours,
// the daily template cap, a retry's backoff), scored by when they may go,
// each member "broadcast|recipient|token|attempt|counter", where counter is
// the broadcast record's waiting counter (w_quiet, w_cap, w_retry) it is
// counted in while it waits.
//
// Ledger. A hash per broadcast, recipient id → state, the one record of who
// got what; the queue may hold a delivery twice, the ledger never lets it go
// twice. Its states:
//
//	(absent)     nobody has claimed the delivery yet
//	p:TOKEN:MS   in flight since MS (ms since the epoch) under TOKEN: a worker
//	             is asking Twilio. Found later by the same token, the worker
//	             died and the outcome is unknown: reconcile before resending.
//	w:TOKEN      waiting to retry, known not sent
//	s            sent (Twilio accepted it)
//	f:CODE       failed, CODE a Reason (a Twilio code, http_NNN, retries_exhausted)
//	x:REASON     skipped, REASON a Reason
//
// claim.lua moves absent or w:TOKEN to p:TOKEN:MS; defer.lua moves
// p:TOKEN:MS to w:TOKEN when Twilio is known not to have the message, or
// to p:TOKEN:END when the attempt's outcome is unknown and it ended at END;
// finish.lua moves p:… or w:… of the caller's token to a final state, once.

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ledger state prefixes and the sent state; see the grammar above.
const (
	ledgerInFlight = "p:"
	ledgerWaiting  = "w:"
	ledgerSent     = "s"
	ledgerFailed   = "f:"
	ledgerSkipped  = "x:"
	// ledgerTimeSep separates the token from the time in p:TOKEN:MS.
	ledgerTimeSep = ":"
)

// Fields of a queue entry.
const (
	entryBroadcast = "b"
	entryRecipient = "r"
	entryToken     = "t"
	entryAttempt   = "n"
)

// delivery is one queue entry: a recipient of a broadcast.
type delivery struct {
	streamID string
	bid, rid string
	token    string
	attempt  int
}

func parseEntry(m redis.XMessage) (delivery, bool) { return parseEntryValues(m.ID, m.Values) }

func parseEntryValues(id string, values map[string]any) (delivery, bool) {
	str := func(k string) string { s, _ := values[k].(string); return s }
	d := delivery{streamID: id, bid: str(entryBroadcast), rid: str(entryRecipient), token: str(entryToken)}
	d.attempt, _ = strconv.Atoi(str(entryAttempt))
	return d, d.bid != "" && d.rid != "" && d.token != ""
}

// entryValues is a queue entry's fields for a first attempt.
func entryValues(bid, rid, token string) []any {
	return []any{entryBroadcast, bid, entryRecipient, rid, entryToken, token, entryAttempt, "0"}
}

// delayedMember is a delivery's member in the delayed set.
func delayedMember(d delivery, counter waitCounter) string {
	return strings.Join([]string{d.bid, d.rid, d.token, strconv.Itoa(d.attempt), string(counter)}, "|")
}

// claimResult is what claim.lua found in the ledger.
type claimResult string

// Claim results, as claim.lua returns them.
const (
	claimNew     claimResult = "new"     // nobody had it: now in flight for us
	claimRetry   claimResult = "retry"   // it was waiting to retry, known unsent: now in flight for us
	claimUnknown claimResult = "unknown" // this delivery was in flight when its worker died: reconcile first
	claimOther   claimResult = "other"   // another copy of the delivery owns it
	claimDone    claimResult = "done"    // it has an outcome already
)

// claim is a delivery's claim in the ledger.
type claim struct {
	result claimResult
	since  time.Time // for claimUnknown: when the lost attempt began
}

// ours reports whether the caller now owns the delivery.
func (c claim) ours() bool { return c.result != claimOther && c.result != claimDone }

// finish.lua's answers.
const (
	finishNotOurs  = 0 // the delivery was not the caller's: nothing recorded
	finishRecorded = 1 // recorded
	finishLast     = 2 // recorded, and it was the broadcast's last outcome
)

var (
	//go:embed scripts/claim.lua
	claimLua    string
	claimScript = redis.NewScript(claimLua)
	//go:embed scripts/finish.lua
	finishLua    string
	finishScript = redis.NewScript(finishLua)
	//go:embed scripts/defer.lua
	deferLua    string
	deferScript = redis.NewScript(deferLua)
	//go:embed scripts/undelay.lua
	undelayLua    string
	undelayScript = redis.NewScript(undelayLua)
)

// claim takes a delivery in the ledger.
func (s *Store) claim(ctx context.Context, d delivery, now time.Time) (claim, error) {
	// The claim is what stops a second send after a failover: it waits
	// for replicas when WaitReplicas is set.
	cmd, err := s.runReplicated(ctx, claimScript, []string{s.keys.Ledger(d.bid)}, d.rid, d.token, now.UnixMilli())
	var res []string
	if err == nil {
		res, err = cmd.StringSlice()
	}
	if err != nil || len(res) == 0 {
		return claim{}, fmt.Errorf("broadcast: claim: %w", err)
	}
	c := claim{result: claimResult(res[0])}
	switch c.result {
	case claimNew, claimRetry, claimOther, claimDone:
	case claimUnknown:
		if len(res) > 1 {
			c.since = msTime(res[1])
		}
	default:
		return claim{}, fmt.Errorf("broadcast: claim: unexpected answer %q", res[0])
	}
	return c, nil
}

// outcome is how a delivery ended.
type outcome struct {
	final   string // ledger state: s, f:CODE, x:REASON
	counter string // record field counted: sent, failed, skipped
	reason  Reason // counted in reasons; "" for none
}

var outcomeSent = outcome{final: ledgerSent, counter: fSent}

func skipped(r Reason) outcome {
	return outcome{final: ledgerSkipped + string(r), counter: fSkipped, reason: r}
}

func failed(r Reason) outcome {
	return outcome{final: ledgerFailed + string(r), counter: fFailed, reason: r}
}

// finish records the outcome of a delivery the caller owns, once.
func (s *Store) finish(ctx context.Context, d delivery, o outcome) error {
	res, err := finishScript.Run(ctx, s.rdb, []string{s.keys.Ledger(d.bid), s.keys.Broadcast(d.bid), s.keys.Reasons(d.bid)},
		d.rid, d.token, o.final, o.counter, string(o.reason), s.now().UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("broadcast: record outcome: %w", err)
	}
	if res != finishNotOurs {
		s.m.Add("broadcast_messages_total", "outcome", o.counter, 1)
	}
	s.noteFinish(ctx, o, res)
	if res == finishLast {
		s.expire(ctx, d.bid)
	}
	return nil
}

// putAside moves a delivery to the delayed set until notBefore, counted in
// counter while it waits. known marks the ledger "known unsent" (a retry
// after Twilio refused). Otherwise a non-zero ended restamps the caller's
// in-flight attempt with when it ended: Twilio may have created the message
// as late as that, so the wait for its status callback counts from then.
func (s *Store) putAside(ctx context.Context, d delivery, notBefore time.Time, counter waitCounter, known bool, ended time.Time) error {
	stamp := ""
	if !known && !ended.IsZero() {
		stamp = strconv.FormatInt(ended.UnixMilli(), 10)
	}
	err := deferScript.Run(ctx, s.rdb, []string{s.keys.Delayed(), s.keys.Broadcast(d.bid), s.keys.Ledger(d.bid)},
		delayedMember(d, counter), notBefore.UnixMilli(), string(counter), d.rid, d.token, boolField(known), stamp).Err()
	if err != nil {
		return fmt.Errorf("broadcast: put aside: %w", err)
	}
	return nil
}

// undelayBatch is how many waiting deliveries go back per round trip.
const undelayBatch = 200

// undelay returns deliveries whose wait is over to the queue.
func (s *Store) undelay(ctx context.Context) error {
	for {
		members, err := s.rdb.ZRangeByScore(ctx, s.keys.Delayed(), &redis.ZRangeBy{
			Min: "-inf", Max: strconv.FormatInt(s.now().UnixMilli(), 10), Count: undelayBatch,
		}).Result()
		if err != nil || len(members) == 0 {
			return err
		}
		keys := []string{s.keys.Delayed(), s.keys.Queue()}
		args := make([]any, len(members), 2*len(members))
		for i, m := range members {
			parts := strings.Split(m, "|")
			bid, counter := "", string(fWaitRetry)
			if len(parts) == 5 {
				bid, counter = parts[0], parts[4]
			}
			keys = append(keys, s.keys.Broadcast(bid))
			args[i] = m
			args = append(args, counter)
		}
		if err := undelayScript.Run(ctx, s.rdb, keys, args...).Err(); err != nil {
			return fmt.Errorf("broadcast: undelay: %w", err)
		}
		if len(members) < undelayBatch {
			return nil
		}
	}
}

// Status callback URL parameters: the broadcast's id, and the delivery's
// tag.
const (
	CallbackParamBroadcast = "b"
	CallbackParamTag       = "d"
)

// tagMember prefixes a delivery tag in the callbacks-seen set, apart from
// the counted callbacks (message hash:counter).
const tagMember = "d:"

// deliveryTag is a delivery's tag in its status callback URL: a hash of
// the fan-out's token and the recipient id, so Twilio is given nothing it
// could tie to a person or to another delivery. A callback carrying it
// proves Twilio has the delivery's message, whatever Twilio shows of the
// address (Message Redaction obfuscates it, so listing by To finds
// nothing).
func deliveryTag(d delivery) string {
	sum := sha256.Sum256([]byte(d.token + "|" + d.rid))
	return hex.EncodeToString(sum[:8])
}

// validTag reports whether s has the shape of a delivery tag.
func validTag(s string) bool {
	if len(s) != 16 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// callbackSeen reports whether a status callback for the delivery came.
func (s *Store) callbackSeen(ctx context.Context, d delivery) (bool, error) {
	seen, err := s.rdb.SIsMember(ctx, s.keys.Callbacks(d.bid), tagMember+deliveryTag(d)).Result()
	if err != nil {
		return false, fmt.Errorf("broadcast: callback seen: %w", err)
	}
	return seen, nil
}
