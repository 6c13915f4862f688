// Package stats keeps Senda's anonymous daily usage figures in Redis and
// reads them back with small counts hidden.
//
// # What is kept
//
// One day, in the line's time zone (SENDA_TIMEZONE), is the finest grain:
// there is no hour-level data, no per-person series and no message text.
// Each day has two keys (rkey.Space.StatsDay and StatsPeople), both under
// the hash tag {stats}:
//
//	<prefix>{stats}:d:2026-11-27     hash of counters (fields below)
//	<prefix>{stats}:d:2026-11-27:p   HyperLogLog of the keyed sender ids that wrote that day
//
// The HyperLogLog gives a count of distinct people without a list of them:
// PFADD takes the sender's keyed id (an HMAC of the address, never the
// address), and nothing can be read back out of it but an estimate of how
// many. Both keys expire 400 days after their day ends (EXPIREAT).
//
// Counter fields of the day hash (ids come from the content pack, never
// from what a person typed; anything else is left empty):
//
//	x:<channel>:<lang>:<node>:<NODE>:<d>   messages, by channel (whatsapp, sms), the
//	                                       conversation's language, the node whose first
//	                                       page was shown, the node a keyword opened
//	                                       (upper case), and d when it was a distress or
//	                                       emergency page; one field a message, so one
//	                                       HINCRBY, which the reader adds up by part
//	i:<topic>, o:<topic>                   opt-ins and opt-outs (o:all: every topic at once)
//	bs, bf                                 broadcast messages sent (accepted by Twilio) and failed
//
// # Counted in memory, written once a second
//
// A conversation step is counted after it was stored (Recorder.Count, from
// bot/conversation's Counter hook: never a duplicate, never a step that was
// not stored), in this process's memory, and Run writes what was counted
// once a second (FlushEvery): one EVALSHA a day's batch, HINCRBY per field
// and one PFADD for all the people of that second. A message's own round
// trip carries no figures, which is what it cost most in the session script
// (see docs/PERFORMANCE.md), and the figures need no second round trip.
//
// The price is plain: a process killed with SIGKILL loses the figures of
// its last second; the figures in Redis lag the conversation by up to a
// second (Read flushes this process's first, so a process reads its own);
// and while Redis cannot be reached they wait in memory (each day's people
// up to MaxPendingPeople) and are sent when it answers again. Each batch
// has a number, and the script that writes it remembers the process's last
// (rkey.Space.StatsFlushed), so a batch sent again after a lost reply is
// counted once. All of a day's keys share the {stats} hash tag, so the
// same script runs on Redis Cluster.
//
// Outside the conversation, Recorder.Broadcast counts broadcast outcomes
// and Recorder.Subscription opt-ins and opt-outs made another way (for
// example an opt-out by a Twilio error or a STOP). QueueBroadcast joins a
// worker's own pipeline.
//
// # Reading
//
// Read returns a Report whose Count values hide 1 to 4 (MinCount): null in
// JSON, "<5" in CSV and pages, 0 stays 0. total.people counts the
// union of every day's HyperLogLog in the range (distinct people over the
// range, not a sum of days): PFMERGE into a short-lived key, then PFCOUNT,
// which the embedded store gets right too; the keys share a hash tag, so
// that works on Cluster too.
package stats

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Retention is how long a day's figures are kept after the day ends.
const Retention = 400 * 24 * time.Hour

// MaxDays is the longest range Read accepts.
const MaxDays = 400

// DefaultDays is the range Read covers when none is given: the last 30
// days, today included.
const DefaultDays = 30

// MinCount is the smallest figure shown; 1 to MinCount-1 are hidden.
const MinCount = 5

// DefaultDistressNodes are the nodes of the default pack that count as a
// distress or emergency page shown: urgent help and emergency numbers.
var DefaultDistressNodes = []string{"emocional_peligro", "seguridad_emergencia"}

// Hash fields, as documented in the package comment.
const (
	pMessage = "x:" // x:<channel>:<lang>:<node>:<KEYWORD>:<d or empty>
	fSent    = "bs"
	fFailed  = "bf"
	pOptIn   = "i:"
	pOptOut  = "o:"
)

// AllTopics is the opt-out topic that stands for every topic at once (BAJA).
const AllTopics = "all"

// isID reports whether s looks like a channel, language, node or topic id
// (letters, digits, _ and -, at most 40); anything else is dropped, so no
// free text can become a field name.
func isID(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Event is what one inbound message adds to the day's figures.
type Event struct {
	Person   ident.SenderID // goes only into the day's HyperLogLog; zero adds no one
	Channel  string         // "whatsapp" or "sms"
	Lang     string         // the conversation's language code
	Node     string         // the node whose first page was shown, if any
	Keyword  string         // the node a keyword opened, if the message was one
	Distress bool           // a distress or emergency page was shown
	OptIn    string         // the topic subscribed to
	OptOut   string         // the topic unsubscribed from, or AllTopics
}

// counters are the event's counter fields: the message's, and an opt-in's
// and an opt-out's or "".
func (e Event) counters() (msg, optIn, optOut string) {
	id := func(s string) string {
		if isID(s) {
			return s
		}
		return ""
	}
	distress := ""
	if e.Distress {
		distress = "d"
	}
	msg = pMessage + id(e.Channel) + ":" + id(e.Lang) + ":" + id(e.Node) + ":" + id(strings.ToUpper(e.Keyword)) + ":" + distress
	if t := id(e.OptIn); t != "" {
		optIn = pOptIn + t
	}
	if t := id(e.OptOut); t != "" {
		optOut = pOptOut + t
	}
	return msg, optIn, optOut
}

// FromStep describes what a conversation step showed, for Count: the
// channel and language, the node shown (its first page, without a note
// saying the input was not understood), whether the message was a keyword,
// a distress page, and a subscription effect. distress names the nodes
// that count as distress or emergency pages.
func FromStep(p *content.Pack, in flows.Input, res flows.Result, person ident.SenderID, distress []string) Event {
	e := Event{Person: person, Channel: in.Channel.String()}
	st := res.State
	if int(st.Lang) < len(p.Languages) {
		e.Lang = p.Languages[st.Lang].Code
	}
	if st.Screen.Kind == content.ScreenNode && st.Page == 0 && st.Screen.Note == content.NoteNone && int(st.Screen.Arg) < len(p.Nodes) {
		e.Node = p.Nodes[st.Screen.Arg].ID
		for _, d := range distress {
			e.Distress = e.Distress || d == e.Node
		}
		if w, ok := p.Lookup(content.Normalize(in.Text)); ok && w.Kind == content.WordKeyword && w.Node == int(st.Screen.Arg) {
			e.Keyword = e.Node
		}
	}
	topic := func(i int) string {
		if i >= 0 && i < len(p.Topics) {
			return p.Topics[i].ID
		}
		return ""
	}
	switch res.Effect.Kind {
	case flows.EffectSubscribe:
		e.OptIn = topic(res.Effect.Topic)
	case flows.EffectUnsubscribeTopic:
		e.OptOut = topic(res.Effect.Topic)
	case flows.EffectUnsubscribeAll:
		e.OptOut = AllTopics
	}
	return e
}

// Options configure a Recorder.
type Options struct {
	Prefix   string           // key prefix, e.g. "senda:"
	Location *time.Location   // SENDA_TIMEZONE; UTC when nil
	Now      func() time.Time // the clock; time.Now when nil
}

// Recorder counts, writes and reads the daily figures. It is safe for
// concurrent use.
type Recorder struct {
	rdb    redis.UniversalClient
	prefix string
	loc    *time.Location
	now    func() time.Time
	// cur is the day of the last Count.
	cur atomic.Pointer[recorderDay]
	pending
}

// New returns a Recorder.
func New(rdb redis.UniversalClient, opts Options) *Recorder {
	r := &Recorder{rdb: rdb, prefix: opts.Prefix, loc: opts.Location, now: opts.Now, pending: newPending()}
	if r.loc == nil {
		r.loc = time.UTC
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r
}

// Location is the time zone days are counted in.
func (r *Recorder) Location() *time.Location { return r.loc }

// DayKey is the key of a day's counters; the day is "YYYY-MM-DD".
func (r *Recorder) DayKey(day string) string { return rkey.Space(r.prefix).StatsDay(day) }

// PeopleKey is the key of a day's HyperLogLog of people.
func (r *Recorder) PeopleKey(day string) string { return rkey.Space(r.prefix).StatsPeople(day) }

// mergeTTL bounds how long a range's merged HyperLogLog can outlive a
// read that died between its PFMERGE and its DEL.
const mergeTTL = 10 * time.Second

// mergeKey is a fresh key for one read's merged HyperLogLog, under the same
// hash tag as the days it merges; random, so concurrent reads never share it.
func (r *Recorder) mergeKey() string { return rkey.Space(r.prefix).StatsMerge(rand.Text()) }

// day returns a time's day in the recorder's zone and when its figures expire.
func (r *Recorder) day(t time.Time) (string, time.Time) {
	t = t.In(r.loc)
	end := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, r.loc)
	return t.Format(time.DateOnly), end.Add(Retention)
}

// recorderDay is one day of the recorder's zone, kept so that a message
// need not work out its day again.
type recorderDay struct {
	start, end int64 // Unix seconds: the day is [start, end)
	day        string
	expires    time.Time
}

// dayOf returns t's day, from the last one used when t falls in it.
func (r *Recorder) dayOf(t time.Time) *recorderDay {
	u := t.Unix()
	if d := r.cur.Load(); d != nil && d.start <= u && u < d.end {
		return d
	}
	lt := t.In(r.loc)
	start := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, r.loc)
	day, expires := r.day(t)
	d := &recorderDay{start: start.Unix(), end: start.AddDate(0, 0, 1).Unix(), day: day, expires: expires}
	r.cur.Store(d)
	return d
}

// QueueBroadcast appends to pipe the counting of broadcast messages sent
// (accepted by Twilio) and failed, today.
func (r *Recorder) QueueBroadcast(ctx context.Context, pipe redis.Pipeliner, sent, failed int64) {
	r.queueCounts(ctx, pipe, map[string]int64{fSent: sent, fFailed: failed})
}

// Broadcast counts broadcast messages sent and failed today.
func (r *Recorder) Broadcast(ctx context.Context, sent, failed int64) error {
	pipe := r.rdb.Pipeline()
	r.QueueBroadcast(ctx, pipe, sent, failed)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("stats: broadcast: %w", err)
	}
	return nil
}

// Subscription counts one opt-in (in) or opt-out of a topic today, made
// outside a conversation step; topic AllTopics is an opt-out of every topic.
func (r *Recorder) Subscription(ctx context.Context, topic string, in bool) error {
	if !isID(topic) {
		return fmt.Errorf("stats: subscription: topic %q is not a topic id", topic)
	}
	f := pOptOut + topic
	if in {
		f = pOptIn + topic
	}
	pipe := r.rdb.Pipeline()
	r.queueCounts(ctx, pipe, map[string]int64{f: 1})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("stats: subscription: %w", err)
	}
	return nil
}

func (r *Recorder) queueCounts(ctx context.Context, pipe redis.Pipeliner, counts map[string]int64) {
	day, exp := r.day(r.now())
	key := r.DayKey(day)
	wrote := false
	for f, n := range counts {
		if n != 0 {
			pipe.HIncrBy(ctx, key, f, n)
			wrote = true
		}
	}
	if wrote {
		pipe.ExpireAt(ctx, key, exp)
	}
}
