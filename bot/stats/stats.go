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
// # One round trip with the conversation step
//
// The conversation step stores its state with a compare-and-set Lua script
// on the key <prefix>{<sender>}:s. The figures join that round trip in one
// of two ways.
//
// On a single Redis or Sentinel (InScript reports true), inside the script:
// TallyLua is a Lua fragment the session script runs inline right after it
// stores the state, with the two day keys and the five arguments from
// ScriptArgs appended to its KEYS and ARGV and the locals K and A set to
// where they start:
//
//	keys, args := recorder.ScriptArgs(now, stats.FromStep(pack, in, res, id, distress))
//	sessionStep.Run(ctx, rdb, append(sessionKeys, keys...), append(sessionArgs, args...)...)
//	-- in the script, after SET or DEL:  do local K, A = 2, 4 <TallyLua> end
//
// The message still costs one command; the figures count only a step that
// was stored, so a retried step or a duplicate counts once without more
// work. Measured on deploy/loadtest/run.sh this is the cheaper way.
//
// On Redis Cluster a script may only touch keys of one hash slot, and a
// day's figures cannot share the slot of every sender, so the script cannot
// write them. There the step sends its EVALSHA and the figures' commands in
// one go-redis pipeline (Tally):
//
//	tally := recorder.Begin(now)          // once per inbound message
//	pipe := rdb.Pipeline()
//	cas := sessionStep.EvalSha(ctx, pipe, keys, args...)
//	tally.Queue(ctx, pipe, stats.FromStep(pack, in, res, id, distress))
//	_, err := pipe.Exec(ctx)              // one network round trip per node
//
// go-redis splits a Cluster pipeline per node and sends the parts at the
// same time, so the message still waits for one round trip, and each
// command stays within a slot. Because the figures are queued before the
// script's answer is known, a Tally remembers what it has added: when the
// compare-and-set fails and the step is computed again, the next Queue
// adds only the difference (a visit that the new step no longer makes is
// taken back in the same pipeline as the retry). When the step ends without
// storing anything (it gave up, or found the message was a duplicate),
// Withdraw takes back what was added; that costs a round trip only on those
// rare paths. PFADD is idempotent and needs no taking back. If a pipeline
// fails on the network the figures of that one message may be off by one;
// they are figures, not a ledger.
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
	_ "embed"
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

// TallyLua is a Lua fragment that counts one step in the day's figures from
// inside the script that stores the step; ScriptArgs gives its keys and
// arguments, which it reads at KEYS[K+1…] and ARGV[A+1…]. See the package
// comment for when to use it rather than Tally.
//
//go:embed scripts/tally.lua
var TallyLua string

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

// fields turns an event into counter increments: one field names the
// message's channel, language, node, keyword and distress together (one
// HINCRBY a message; the reader adds them up by part), and opt-ins and
// opt-outs have fields of their own.
func (e Event) fields() map[string]int64 {
	msg, in, out := e.counters()
	f := map[string]int64{msg: 1}
	if in != "" {
		f[in] = 1
	}
	if out != "" {
		f[out] = 1
	}
	return f
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

// FromStep describes what a conversation step showed, for Queue: the
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

// Recorder writes and reads the daily figures.
type Recorder struct {
	rdb    redis.UniversalClient
	prefix string
	loc    *time.Location
	now    func() time.Time

	// Setting the expiry costs two commands; a message sets it when it is
	// this process's first of its day, and one in expireEvery after that,
	// so a failed pipeline cannot leave a day without one for long.
	writes  atomic.Uint64
	lastDay atomic.Pointer[string]
	// cur is the day of the last ScriptArgs.
	cur atomic.Pointer[recorderDay]
}

// expireEvery is how often, besides the first write of a day, a message
// sets its day's expiry again.
const expireEvery = 64

// needExpiry reports whether this write should set its day's expiry.
func (r *Recorder) needExpiry(day string) bool {
	if last := r.lastDay.Load(); last == nil || *last != day {
		r.lastDay.Store(&day)
		return true
	}
	return r.writes.Add(1)%expireEvery == 0
}

// New returns a Recorder.
func New(rdb redis.UniversalClient, opts Options) *Recorder {
	r := &Recorder{rdb: rdb, prefix: opts.Prefix, loc: opts.Location, now: opts.Now}
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

// Tally is one inbound message's contribution to the day's figures, kept
// so a retried step adds only what changed. It is not safe for concurrent
// use; one message has one Tally.
type Tally struct {
	r       *Recorder
	day     string
	expires time.Time
	applied map[string]int64
	person  bool
	expire  bool // this message sets the day's expiry
}

// Begin starts the tally of one inbound message received at t.
func (r *Recorder) Begin(t time.Time) *Tally {
	day, exp := r.day(t)
	return &Tally{r: r, day: day, expires: exp, applied: map[string]int64{}}
}

// Queue appends to pipe the commands that make the day's figures count e
// instead of whatever this tally queued before. The first call also adds
// the person to the day's HyperLogLog and, on the process's first message
// of the day and one in 64 after it, sets the keys' expiry (EXPIREAT is
// absolute, so setting it again changes nothing).
func (t *Tally) Queue(ctx context.Context, pipe redis.Pipeliner, e Event) {
	t.queue(ctx, pipe, e.fields())
	if !t.person && e.Person != (ident.SenderID{}) {
		pipe.PFAdd(ctx, t.r.PeopleKey(t.day), e.Person.String())
		if t.expire {
			pipe.ExpireAt(ctx, t.r.PeopleKey(t.day), t.expires)
		}
		t.person = true
	}
}

func (t *Tally) queue(ctx context.Context, pipe redis.Pipeliner, want map[string]int64) {
	key := t.r.DayKey(t.day)
	first := len(t.applied) == 0
	changed := false
	for f, n := range want {
		if d := n - t.applied[f]; d != 0 {
			pipe.HIncrBy(ctx, key, f, d)
			changed = true
		}
	}
	for f, n := range t.applied {
		if _, ok := want[f]; !ok && n != 0 {
			pipe.HIncrBy(ctx, key, f, -n)
			changed = true
		}
	}
	if first && changed {
		t.expire = t.r.needExpiry(t.day)
		if t.expire {
			pipe.ExpireAt(ctx, key, t.expires)
		}
	}
	t.applied = want
}

// ScriptArgs returns the two keys and the five arguments that make the
// TallyLua fragment count e as a message received at t: append them to the
// storing script's KEYS and ARGV and set K and A to where they start. Use it
// only where one script may touch keys of any hash slot (a single Redis or
// Sentinel, not Cluster; see InScript). The keys slice is shared by every
// message of a day: callers copy it and never change it.
func (r *Recorder) ScriptArgs(t time.Time, e Event) (keys []string, args []any) {
	d := r.dayOf(t)
	person := ""
	if e.Person != (ident.SenderID{}) {
		person = e.Person.String()
	}
	expireAt := int64(0)
	if r.needExpiry(d.day) {
		expireAt = d.expires.Unix()
	}
	msg, in, out := e.counters()
	return d.keys, []any{person, expireAt, msg, in, out}
}

// ScriptKeyCount and ScriptArgCount are how many keys and arguments
// ScriptArgs returns, always.
const (
	ScriptKeyCount = 2
	ScriptArgCount = 5
)

// recorderDay is one day of the recorder's zone, with its keys, kept so
// that a message need not format its day and keys again.
type recorderDay struct {
	start, end int64 // Unix seconds: the day is [start, end)
	day        string
	expires    time.Time
	keys       []string // DayKey, PeopleKey
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
	d := &recorderDay{start: start.Unix(), end: start.AddDate(0, 0, 1).Unix(), day: day, expires: expires,
		keys: []string{r.DayKey(day), r.PeopleKey(day)}}
	r.cur.Store(d)
	return d
}

// InScript reports whether the figures can be counted inside the storing
// script (TallyLua and ScriptArgs): on a single Redis or Sentinel, yes; on
// Cluster, where a script touches one hash slot only, no: use Tally.
func InScript(rdb redis.UniversalClient) bool {
	_, cluster := rdb.(*redis.ClusterClient)
	return !cluster
}

// Withdraw takes back what the tally added, in a round trip of its own,
// when the step stored nothing after all (it gave up, or the message was a
// duplicate). It does nothing, and costs nothing, when nothing was added.
func (t *Tally) Withdraw(ctx context.Context) error {
	if len(t.applied) == 0 {
		return nil
	}
	pipe := t.r.rdb.Pipeline()
	t.queue(ctx, pipe, map[string]int64{})
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("stats: withdraw: %w", err)
	}
	return nil
}

// Record adds one event in a round trip of its own, for callers with no
// pipeline to join (such as `senda chat`).
func (r *Recorder) Record(ctx context.Context, e Event) error {
	pipe := r.rdb.Pipeline()
	r.Begin(r.now()).Queue(ctx, pipe, e)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("stats: record: %w", err)
	}
	return nil
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
