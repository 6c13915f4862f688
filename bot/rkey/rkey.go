// Package rkey is the layout of every key Senda writes in Redis, in one
// place. Keys that one operation must touch together share a hash tag (the
// part in braces), so the layout works on Redis Cluster too: a sender's
// session and subscription live together, and so do a broadcast's records,
// and the delivery queue with its schedules.
package rkey

import (
	"strings"

	"github.com/senda-org/senda/bot/ident"
)

// Space is a key prefix, e.g. "senda:".
type Space string

// Session is a sender's conversation state.
func (s Space) Session(id ident.SenderID) string { return string(s) + "{" + id.String() + "}:s" }

// Subscriber is a subscriber's record: the encrypted address, channel,
// language, topics and the hour of their last message.
func (s Space) Subscriber(id ident.SenderID) string { return string(s) + "{" + id.String() + "}:sub" }

// SubscriberPattern matches every subscriber record, for SCAN.
func (s Space) SubscriberPattern() string { return string(s) + "{*}:sub" }

// SubscriberID reads the id out of a subscriber record's key (one SCAN of
// SubscriberPattern found); false when the key is not one.
func (s Space) SubscriberID(key string) (ident.SenderID, bool) {
	raw, ok := strings.CutPrefix(key, string(s)+"{")
	if !ok {
		return ident.SenderID{}, false
	}
	raw, ok = strings.CutSuffix(raw, "}:sub")
	if !ok {
		return ident.SenderID{}, false
	}
	id, err := ident.ParseSenderID(raw)
	return id, err == nil
}

// HashKeyFingerprint holds ident.Hasher.Fingerprint of the SENDA_HASH_KEY
// that subscribers' records are filed under.
func (s Space) HashKeyFingerprint() string { return string(s) + "hashkey" }

// Topic is the set of subscriber ids of a topic.
func (s Space) Topic(topic string) string { return string(s) + "{topics}:" + topic }

// Everything broadcasts write shares the hash tag {q}: the queue, the
// schedules and every broadcast's records, so delivery scripts can update a
// ledger, counters and the queue in one step. Broadcast traffic is paced to
// tens of messages a second, far below what one Redis node serves.

// Broadcast is a broadcast's record: topic, texts, state and counters.
func (s Space) Broadcast(id string) string { return string(s) + "{q}:b:" + id }

// Ledger records, per recipient of a broadcast, whether the message went.
func (s Space) Ledger(id string) string { return string(s) + "{q}:b:" + id + ":ledger" }

// Reasons counts a broadcast's skipped and failed messages by reason.
func (s Space) Reasons(id string) string { return string(s) + "{q}:b:" + id + ":reasons" }

// Callbacks remembers which status callbacks of a broadcast were counted.
func (s Space) Callbacks(id string) string { return string(s) + "{q}:b:" + id + ":cb" }

// Broadcasts indexes broadcasts by creation time.
func (s Space) Broadcasts() string { return string(s) + "{q}:broadcasts" }

// TopicBroadcasts indexes a topic's broadcasts by send time, to keep the
// topic's promise of at most so many messages a month.
func (s Space) TopicBroadcasts(topic string) string { return string(s) + "{q}:topic:" + topic }

// Queue is the stream of (broadcast, recipient) deliveries workers consume.
func (s Space) Queue() string { return string(s) + "{q}:stream" }

// Delayed holds deliveries that wait (quiet hours, daily cap, retry backoff).
func (s Space) Delayed() string { return string(s) + "{q}:delayed" }

// Scheduled holds broadcasts waiting to be fanned out, by send time.
func (s Space) Scheduled() string { return string(s) + "{q}:scheduled" }

// Rate is the shared pacer's state.
func (s Space) Rate() string { return string(s) + "{q}:rate" }

// TemplateReach is the sorted set of keyed subscriber ids reached with a
// WhatsApp template in the last 24 hours, scored by when (the daily cap).
func (s Space) TemplateReach() string { return string(s) + "{q}:reach" }

// Idempotency maps a hashed Idempotency-Key to the broadcast it created.
func (s Space) Idempotency(hash string) string { return string(s) + "{q}:idem:" + hash }

// Audit is the stream of admin actions.
func (s Space) Audit() string { return string(s) + "audit" }

// AuthFailures counts failed admin logins from one hashed client address.
func (s Space) AuthFailures(hash string) string { return string(s) + "authfail:" + hash }

// ConsoleSession is a web console sign-in, under the hash of its cookie.
func (s Space) ConsoleSession(hash string) string { return string(s) + "console:s:" + hash }

// The anonymous daily figures share the hash tag {stats}: a day's counters
// and its people are written in one step.

// StatsDay is a day's counters; day is YYYY-MM-DD in SENDA_TIMEZONE.
func (s Space) StatsDay(day string) string { return string(s) + "{stats}:d:" + day }

// StatsPeople is the HyperLogLog of the keyed sender ids that wrote on a
// day.
func (s Space) StatsPeople(day string) string { return s.StatsDay(day) + ":p" }

// StatsMerge is a short-lived key that counts the distinct people of
// several days (PFMERGE, then PFCOUNT of one key: the embedded server adds
// the days' counts in a PFCOUNT of several); token makes it one caller's.
func (s Space) StatsMerge(token string) string { return string(s) + "{stats}:merge:" + token }

// StatsFlushed is the number of the last batch of figures one process
// wrote (its token is random, drawn when the process starts), so a batch
// sent again after a lost reply is not counted twice.
func (s Space) StatsFlushed(token string) string { return string(s) + "{stats}:f:" + token }

// Erasures at Twilio share the hash tag {e}: the queue of message SIDs to
// delete, the ones waiting for their time, the figures and the pacer's
// state, so one script can move an entry between them.

// EraseQueue is the stream of message SIDs to delete at Twilio.
func (s Space) EraseQueue() string { return string(s) + "{e}:stream" }

// EraseDelayed holds erasures waiting for their time (a message Twilio has
// not finished, a retry's backoff, the fallback after "sent").
func (s Space) EraseDelayed() string { return string(s) + "{e}:delayed" }

// EraseFigures counts erasures: erased, already gone, failed.
func (s Space) EraseFigures() string { return string(s) + "{e}:figures" }

// EraseRate is the erasure pacer's state.
func (s Space) EraseRate() string { return string(s) + "{e}:rate" }

// EraseMarker remembers, for two days, that a message's erasure was
// queued from a status callback, so later callbacks do not queue it again.
func (s Space) EraseMarker(sid string) string { return string(s) + "{e}:m:" + sid }

// Reports people send in (package reports) share the hash tag {r}: the
// open list, each sealed report, the dropped count, the daily figures and
// the rate counters, so one script files a report whole or not at none.
// None of these keys holds a sender id, a message id or a time finer than
// the day.

// Report is one sealed report, under its random id.
func (s Space) Report(id string) string { return string(s) + "{r}:r:" + id }

// ReportPrefix is what Report puts before the id, for the filing script.
func (s Space) ReportPrefix() string { return string(s) + "{r}:r:" }

// Reports lists the ids of open reports, oldest first.
func (s Space) Reports() string { return string(s) + "{r}:open" }

// ReportsDropped counts reports dropped because the list was full.
func (s Space) ReportsDropped() string { return string(s) + "{r}:dropped" }

// ReportFigures counts a day's reports received, published and discarded.
func (s Space) ReportFigures(day string) string { return string(s) + "{r}:fig:" + day }

// ReportRate counts a day's reports of one sender under a keyed hash of
// its own, which shares nothing with the reports.
func (s Space) ReportRate(hash string) string { return string(s) + "{r}:rate:" + hash }
