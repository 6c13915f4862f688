// Package conversation answers one inbound message: it steps the person's
// conversation (kept in Redis under a keyed hash of the sender), carries out
// what the step asks (subscribe, unsubscribe, show my topics), and returns
// the page to reply with. The Twilio webhook and `senda chat` are thin
// adapters over Handle.
package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/logx"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// Inbound is what Senda reads of a message; every other field a provider
// sends (ProfileName, WaId, FromCity, …) is dropped unread.
type Inbound struct {
	From string // the sender's address: +502…, whatsapp:+502…, or an opaque id
	To   string // the Senda number it was sent to; picks the starting language
	Body string
	SID  string // the provider's message id; a repeated id gets the same answer
	// Media is how many files (photos, voice notes) came with the message;
	// none is ever read, but a message of media alone gets a reply that
	// asks for a number instead of "not understood".
	Media int
}

// Settings are the parts of the configuration a conversation follows.
type Settings struct {
	Prefix     string        // Redis key prefix, e.g. "senda:"
	SessionTTL time.Duration // idle expiry of a conversation
	// DefaultLang is the language code new conversations start in; empty
	// means the pack's default.
	DefaultLang string
	// LangByNumber gives per Senda number the language code new
	// conversations start in.
	LangByNumber map[string]string
	// Subscriptions offers topics to opt in to.
	Subscriptions bool
	// ContentDir is where Reload loads the pack from; empty means the
	// embedded pack, which cannot change.
	ContentDir string
	// Switches names the content pack's switches that are on, fed from
	// the configuration (content.SwitchTwilioErase when SENDA_TWILIO_ERASE
	// is on), so a reloaded pack says the same as the first.
	Switches []string
}

// Option changes how a Conversation is built (tests use them as seams).
type Option func(*options)

type options struct {
	cacheSize int
	now       func() time.Time
	riders    []Rider
	counters  []Counter
	logEvery  time.Duration
	former    *ident.Hasher
	// reports (report.go)
	reports    *reports.Store
	reportSeal flows.Sealer
}

// WithFormerHasher gives the previous SENDA_HASH_KEY's hasher during a hash
// key rotation: a BAJA then also deletes a record still filed under it.
func WithFormerHasher(h *ident.Hasher) Option { return func(o *options) { o.former = h } }

// WithCacheSize sets how many conversation states the in-process cache
// holds; 0 turns the cache off. The default is DefaultCacheSize.
func WithCacheSize(n int) Option { return func(o *options) { o.cacheSize = max(n, 0) } }

// WithErrorLogInterval sets how often a repeating error is summarized in
// the log (DefaultErrorLogInterval when not set); the first one is always
// logged at once.
func WithErrorLogInterval(d time.Duration) Option { return func(o *options) { o.logEvery = d } }

// DefaultErrorLogInterval is how often an outage's repeating errors are
// summarized in the log: one line per kind of error every 10 s, with a count.
const DefaultErrorLogInterval = 10 * time.Second

// WithClock replaces time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// Conversation answers messages. It is safe for concurrent use; Reload
// swaps the content pack for messages that arrive afterwards.
type Conversation struct {
	set      Settings
	sessions *sessionStore
	hasher   *ident.Hasher
	subs     *subscribers.Store
	metrics  *metrics.Set
	log      *slog.Logger
	errlog   *logx.Limited // errors that repeat in an outage
	former   *ident.Hasher // the previous hash key's, during a rotation
	riders   []Rider
	counters []Counter
	reports  *reports.Store // nil: no reports
	seal     flows.Sealer   // seals report drafts in the state
	locks    senderLocks
	now      func() time.Time
	eng      atomic.Pointer[flows.Engine]
	reloadMu sync.Mutex
}

// New returns a conversation over pack.
func New(rdb redis.UniversalClient, hasher *ident.Hasher, subs *subscribers.Store, m *metrics.Set, log *slog.Logger, pack *content.Pack, set Settings, opts ...Option) (*Conversation, error) {
	o := options{cacheSize: DefaultCacheSize, now: time.Now, logEvery: DefaultErrorLogInterval}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Conversation{set: set, hasher: hasher, subs: subs, metrics: m, log: log, now: o.now, former: o.former, riders: o.riders,
		counters: o.counters, reports: o.reports, seal: o.reportSeal}
	if log != nil {
		c.errlog = logx.NewLimited(log, o.logEvery)
	}
	c.sessions = newSessionStore(rdb, sessionOptions{
		Prefix: set.Prefix, TTL: set.SessionTTL, CacheSize: o.cacheSize, Now: o.now, Riders: o.riders,
		Contended: func() { m.Count("session_contention_total") },
		RiderFailed: func(err error) {
			m.Count("rider_errors_total")
			c.errlog.Error("riders' writes after a stored step", "err", err)
		},
	})
	if err := c.setPack(pack); err != nil {
		return nil, err
	}
	return c, nil
}

// Engine returns the engine new messages are stepped with.
func (c *Conversation) Engine() *flows.Engine { return c.eng.Load() }

// Pack returns the content pack new messages are answered from.
func (c *Conversation) Pack() *content.Pack { return c.Engine().Pack() }

// Handle steps a conversation by one message and returns the page to
// answer with. It always has an answer: when Redis fails the person is told
// to try again later (in the conversation's language when it is known), and
// the log says what failed but never who. The whole message is answered from
// one engine: a reload in between does not mix packs.
//
// A reply that confirms an effect (subscribed, unsubscribed, deleted) is
// given only once the effect is done: when it fails the person is told to
// try later, and a retry of the same message carries the effect out again
// before confirming. Messages of one sender take turns on this replica.
func (c *Conversation) Handle(ctx context.Context, msg Inbound) content.Page {
	ch := ident.ChannelOf(msg.From)
	id := c.hasher.Sender(ch, msg.From)
	eng := c.Engine()
	in := flows.Input{Text: msg.Body, Channel: ch, Lang: c.langFor(eng.Pack(), msg.To), Media: msg.Media}
	unavailable := func(lang int) content.Page {
		return eng.Pack().Page(content.Screen{Kind: content.ScreenUnavailable}, lang, ch, 0)
	}
	filer := reportFiler{store: c.reports}
	resolve := func(ctx context.Context, id ident.SenderID, r flows.Result) (flows.Result, error) {
		if r.Effect.Kind == flows.EffectReportSubmit {
			return filer.file(ctx, eng, id, r)
		}
		return c.resolve(ctx, eng, id, r)
	}
	turn := c.locks.lock(id)
	defer turn.Unlock()
	ride := Ride{Now: c.now(), Sender: id, SID: msg.SID, Channel: ch, Pack: eng.Pack(), Input: in}
	out, err := c.sessions.Step(ctx, stepRequest{
		eng: eng, id: id, msg: c.hasher.Message(msg.SID), in: in, resolve: resolve, ride: ride,
	})
	lang := in.Lang
	if out.Known {
		lang = int(out.State.Lang)
	}
	if err != nil {
		c.unstored(ctx, ride)
	}
	switch {
	case err != nil && ctx.Err() != nil:
		// The caller hung up (Twilio gives up after 15 s): nobody is
		// waiting for the reply, and Redis is not at fault.
		c.log.Info("request abandoned by the caller", "channel", ch.String())
		c.metrics.Count("webhook_abandoned_total")
		return unavailable(lang)
	case errors.Is(err, errSessionContention):
		c.metrics.Count("session_contention_exhausted_total")
		c.errlog.Warn("conversation kept changing under every attempt", "channel", ch.String())
		return unavailable(lang)
	case err != nil:
		c.errlog.Error("step conversation", "channel", ch.String(), "err", err)
		c.metrics.Count("webhook_errors_total")
		return unavailable(lang)
	}
	if out.Duplicate {
		c.metrics.Count("webhook_duplicates_total")
	} else {
		countStep(c.metrics, ch, eng.Pack(), out.State)
		countSignal(c.metrics, out.Signal, out.Distress)
		ride.Result = out.Result
		for _, k := range c.counters {
			k.Count(ride)
		}
	}
	if err := c.apply(ctx, eng.Pack(), id, msg, ch, out); err != nil {
		c.errlog.Error("apply effect", "channel", ch.String(), "effect", int(out.Effect.Kind), "err", err)
		c.metrics.Count("effect_errors_total")
		return unavailable(lang)
	}
	return eng.Reply(out.State, ch)
}

// FlushLog writes the counts of repeated errors not yet summarized in the
// log; call it on shutdown.
func (c *Conversation) FlushLog() {
	if c.errlog != nil {
		c.errlog.Flush()
	}
}

// langFor returns the language new conversations on a number start in.
func (c *Conversation) langFor(p *content.Pack, to string) int {
	if code, ok := c.set.LangByNumber[to]; ok {
		if i := p.LanguageIndex(code); i >= 0 {
			return i
		}
	}
	if i := p.LanguageIndex(c.set.DefaultLang); i >= 0 {
		return i
	}
	return 0
}

// resolve finishes steps that need I/O before their state is stored: the
// "my updates" screen shows which topics the person receives.
func (c *Conversation) resolve(ctx context.Context, eng *flows.Engine, id ident.SenderID, r flows.Result) (flows.Result, error) {
	if r.Effect.Kind != flows.EffectShowMyTopics {
		return r, nil
	}
	topics, err := c.subs.Topics(ctx, id)
	if err != nil {
		return r, err
	}
	var mask uint16
	for i, t := range eng.Pack().Topics {
		if slices.Contains(topics, t.ID) {
			mask |= 1 << i
		}
	}
	r.State = eng.MyTopics(r.State, mask)
	return r, nil
}

// apply carries out a step's effects after its state was stored, or again
// for a retried message. Every effect is idempotent.
func (c *Conversation) apply(ctx context.Context, p *content.Pack, id ident.SenderID, msg Inbound, ch content.Channel, out outcome) error {
	topic := func() string {
		if t := out.Effect.Topic; t >= 0 && t < len(p.Topics) {
			return p.Topics[t].ID
		}
		return ""
	}
	switch out.Effect.Kind {
	case flows.EffectSubscribe:
		lang := p.Languages[out.State.Lang].Code
		if t := topic(); t != "" {
			if err := c.subs.Subscribe(ctx, id, msg.From, ch, lang, t); err != nil {
				return err
			}
			if !out.Duplicate {
				c.metrics.Add("subscriptions_total", "topic", t, 1)
			}
		}
	case flows.EffectUnsubscribeTopic:
		if t := topic(); t != "" {
			return c.subs.Unsubscribe(ctx, id, t)
		}
	case flows.EffectUnsubscribeAll:
		if err := c.subs.Delete(ctx, id, p.TopicIDs()); err != nil {
			return err
		}
		if c.former != nil {
			if err := c.subs.Delete(ctx, c.former.Sender(ch, msg.From), p.TopicIDs()); err != nil {
				return err
			}
		}
		if !out.Duplicate {
			c.metrics.Count("optouts_total")
		}
	}
	return nil
}

// LoadPack loads the pack in dir, or the embedded default pack when dir is
// empty, with the switches named in on, and logs its warnings.
func LoadPack(dir string, log *slog.Logger, on ...string) (*content.Pack, error) {
	var (
		p      *content.Pack
		report *content.Report
		err    error
	)
	if dir == "" {
		p, report, err = content.Default(on...)
	} else {
		p, report, err = content.LoadDir(dir, on...)
	}
	if err != nil {
		return nil, err
	}
	if w := report.Warnings(); len(w) > 0 {
		log.Warn("content pack has warnings; run `senda content check` to see them", "warnings", len(w))
	}
	return p, nil
}

func (c *Conversation) setPack(p *content.Pack) error {
	if c.set.DefaultLang != "" && p.LanguageIndex(c.set.DefaultLang) < 0 {
		return fmt.Errorf("SENDA_DEFAULT_LANG=%q is not a language of the content pack (it has %s)", c.set.DefaultLang, strings.Join(p.LanguageCodes(), ", "))
	}
	for _, code := range c.set.LangByNumber {
		if p.LanguageIndex(code) < 0 {
			return fmt.Errorf("SENDA_NUMBER_LANGS gives a number the language %q, which the content pack lacks (it has %s)", code, strings.Join(p.LanguageCodes(), ", "))
		}
	}
	c.eng.Store(flows.New(p, flows.Options{Subscriptions: c.set.Subscriptions, Reports: c.seal}))
	return nil
}

// Reload loads the content pack again from SENDA_CONTENT_DIR and swaps it in
// for new messages. A pack with errors is refused and the old one kept.
func (c *Conversation) Reload() error {
	if c.set.ContentDir == "" {
		return errors.New("reload: the embedded content pack cannot change; set SENDA_CONTENT_DIR to edit content without rebuilding")
	}
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	p, err := LoadPack(c.set.ContentDir, c.log, c.set.Switches...)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := c.setPack(p); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	c.log.Info("content pack reloaded", "nodes", len(p.Nodes), "fingerprint", p.Fingerprint)
	return nil
}
