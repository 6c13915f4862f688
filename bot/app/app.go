// Package app wires Senda together, in one place and in dependency order:
// configuration → logger → Redis → content → conversation → HTTP →
// broadcast workers. New builds it all (and undoes what it built when a
// step fails); Run serves until the context ends, then stops everything in
// reverse order under one shutdown deadline.
package app

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/console"
	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/erase"
	"github.com/senda-org/senda/bot/hashkey"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/logx"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

// DefaultRedisPrefix starts every key Senda writes, so one Redis can hold
// other data, or several Senda deployments, side by side.
const DefaultRedisPrefix = "senda:"

// ShutdownTimeout bounds the whole of stopping: the HTTP server finishing
// requests in flight, then the workers finishing their deliveries. What is
// still running then is abandoned, and logged.
const ShutdownTimeout = 10 * time.Second

// Deps are parts a caller may supply instead of having New build them from
// the configuration (tests pass their own Redis and a fake Twilio).
type Deps struct {
	Redis redis.UniversalClient // when nil, connect to cfg.Redis or start an embedded server
	Pack  *content.Pack         // when nil, load cfg.ContentDir or the embedded pack
	// Prefix overrides DefaultRedisPrefix.
	Prefix string
	// CacheSize overrides conversation.DefaultCacheSize; a negative value
	// turns the session cache off.
	CacheSize int
	Now       func() time.Time
	// Sender replaces the Twilio REST client (tests use a fake).
	Sender broadcast.Sender
	// SessionTTL overrides cfg.SessionTTL, even below what Validate allows
	// (tests watch a session expire).
	SessionTTL time.Duration
	// Listener is where Run serves; when nil Run listens on cfg.Addr.
	Listener net.Listener
	// Deleter replaces the Twilio client that erases messages (tests).
	Deleter erase.Deleter
	// EraseOptions and EraseTune shorten the erasure queue's waits (tests).
	EraseOptions []erase.Option
	EraseTune    func(*erase.WorkerConfig)
}

// App is a wired Senda.
type App struct {
	cfg          config.Config
	log          *slog.Logger
	signedBase   string // the base URL webhook signatures are checked against; "" when they are not
	deps         Deps
	rdb          redis.UniversalClient
	ownsRedis    bool
	embedded     *embeddedRedis
	keys         rkey.Space
	hasher       *ident.Hasher
	oldHasher    *ident.Hasher // SENDA_HASH_KEY_OLD during a rotation, or nil
	metrics      *metrics.Set
	conversation *conversation.Conversation
	subs         *subscribers.Store // always: BAJA deletes even when subscriptions are off
	broadcasts   *broadcast.Store   // nil when subscriptions are off
	sender       broadcast.Sender   // nil when Twilio's REST API is not configured
	erase        *erase.Queue       // nil when SENDA_TWILIO_ERASE is off
	deleter      erase.Deleter      // set with erase
	stats        *stats.Recorder    // the anonymous daily figures
	loc          *time.Location     // SENDA_TIMEZONE
	access       *access.Access     // admin tokens, wrong-guess limit, audit trail
	console      *console.Console   // nil without SENDA_ADMIN_TOKENS
	queue        *broadcast.QueueHealth
	journal      *subscribers.Journal // nil without SENDA_OPTOUT_DIR
	reports      *reports.Store       // nil when subscriptions are off (reports.go)
	reportSeal   *sealer.Keyring      // seals report drafts; set with reports
	http         *httpapi.Server
	now          func() time.Time
}

// New validates the configuration and wires Senda in order: hash key and
// signature check, Redis, content and conversation, subscribers and
// broadcasts, HTTP. On failure it undoes what it started.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, deps Deps) (_ *App, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, deps: deps, metrics: metrics.New(), now: deps.Now, queue: &broadcast.QueueHealth{}}
	if a.now == nil {
		a.now = time.Now
	}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	a.newHashers()
	validator, err := a.newValidator()
	if err != nil {
		return nil, err
	}
	if err := a.connectRedis(ctx); err != nil {
		return nil, err
	}
	a.rdb.AddHook(a.metrics.RedisHook())
	prefix := cmp.Or(deps.Prefix, DefaultRedisPrefix)
	a.keys = rkey.Space(prefix)
	ring, err := cfg.Broadcast.Keyring()
	if err != nil {
		return nil, err
	}
	a.subs = subscribers.New(a.rdb, a.keys, ring, a.now, subscribers.FiledUnder(a.hasher))
	if len(cfg.HashKey) > 0 {
		if err := a.checkHashKey(ctx, ring); err != nil {
			return nil, err
		}
	}
	// Erasure comes before the conversation: its rider queues each inbound
	// message in the session step's one round trip.
	if err := a.setupErase(); err != nil {
		return nil, err
	}
	if err := a.newStats(prefix); err != nil {
		return nil, err
	}
	if err := a.newReports(prefix, cfg.Broadcast); err != nil {
		return nil, err
	}
	if err := a.newConversation(prefix); err != nil {
		return nil, err
	}
	if err := a.openJournal(ctx); err != nil {
		return nil, err
	}
	if ring != nil {
		a.checkDurability(ctx)
		if err := a.setupBroadcasts(); err != nil {
			return nil, err
		}
	}
	if err := a.newHTTP(validator, prefix); err != nil {
		return nil, err
	}
	return a, nil
}

// newHashers keys sender hashes with SENDA_HASH_KEY (a random key in
// development when unset), and with SENDA_HASH_KEY_OLD during a rotation.
func (a *App) newHashers() {
	hashKey := a.cfg.HashKey
	if len(hashKey) == 0 {
		hashKey = make([]byte, 32)
		rand.Read(hashKey)
		a.log.Warn("SENDA_HASH_KEY is not set: using a random key, so conversations are forgotten on restart (development only)")
	}
	a.hasher = ident.NewHasher(hashKey)
	if len(a.cfg.HashKeyOld) > 0 {
		a.oldHasher = ident.NewHasher(a.cfg.HashKeyOld)
	}
}

// newHTTP builds the HTTP surface over what New built: the webhook, status
// callbacks, the admin API and, with admin tokens, the web console.
func (a *App) newHTTP(validator *twilio.Validator, prefix string) error {
	b := a.cfg.Broadcast
	if len(b.AdminTokens) == 0 && b.Subscriptions() {
		a.log.Warn("SENDA_ADMIN_TOKENS is not set: the admin API and the web console are off, so no broadcast can be sent")
	}
	a.access = access.New(access.Options{Tokens: b.AdminTokens, Redis: a.rdb, Keys: a.keys, Hasher: a.hasher,
		Metrics: a.metrics, Log: a.log.With("component", "access"), Now: a.now})
	hd := httpapi.Deps{
		Log: a.log, Redis: a.rdb, Keys: a.keys, Hasher: a.hasher, Validator: validator, Metrics: a.metrics,
		Conversation: a.conversation, Subscribers: a.subs, Broadcasts: a.broadcasts,
		Access: a.access, TrustProxy: b.TrustProxy, Delivers: a.Delivers(), Queue: a.queue, Now: a.now,
		Erase: a.erase, ReplyCallback: a.replyCallback(),
		Stats: a.stats, Reports: a.reports,
	}
	if len(b.AdminTokens) > 0 {
		var err error
		if a.console, err = a.newConsole(prefix); err != nil {
			return err
		}
		hd.Console = a.console
		a.log.Info("web console on", "path", "/admin/")
	}
	a.http = httpapi.New(hd)
	return nil
}

// setupErase builds the erasure queue and the Twilio client that deletes,
// when SENDA_TWILIO_ERASE is on.
func (a *App) setupErase() error {
	if !a.cfg.Erase {
		return nil
	}
	a.erase = erase.New(a.rdb, a.keys, append([]erase.Option{erase.WithClock(a.now)}, a.deps.EraseOptions...)...)
	if a.deps.Deleter != nil {
		a.deleter = a.deps.Deleter
	} else {
		client, err := twilio.NewDeleter(a.cfg.Twilio)
		if err != nil {
			return err
		}
		a.deleter = client
	}
	if a.cfg.PublicURL == "" {
		a.log.Warn("SENDA_PUBLIC_URL is not set: Twilio cannot report replies' status, so replies are NOT erased at Twilio (inbound messages are)")
	}
	return nil
}

// replyCallback is where Twilio reports a reply's status, so the reply can
// be erased once final; empty when erasure is off or Twilio cannot reach
// Senda.
func (a *App) replyCallback() string {
	if a.erase == nil || a.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(a.cfg.PublicURL, "/") + httpapi.StatusPath + "?r=1"
}

// Erase returns the erasure queue (its Figures are for the console), or nil
// when SENDA_TWILIO_ERASE is off.
func (a *App) Erase() *erase.Queue { return a.erase }

// newValidator checks Twilio's signatures against SENDA_PUBLIC_URL; nil
// (nothing checked) without TWILIO_AUTH_TOKEN.
func (a *App) newValidator() (*twilio.Validator, error) {
	tw := a.cfg.Twilio
	if tw.AuthToken == "" {
		a.log.Warn("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked and anyone can post messages (development only)")
		return nil, nil
	}
	base := a.cfg.PublicURL
	if base == "" {
		base = "http://localhost" + a.cfg.Addr
		a.log.Warn("SENDA_PUBLIC_URL is not set: validating signatures against " + base + "; set it to the URL configured in Twilio")
	}
	a.signedBase = strings.TrimSuffix(base, "/")
	if tw.AuthTokenPrevious != "" {
		a.log.Info("TWILIO_AUTH_TOKEN_PREVIOUS is set: signatures made with the old token are accepted too; remove it once senda_webhook_signatures_total{token=\"previous\"} stops rising")
	}
	return twilio.NewRotatingValidator(tw.AuthToken, tw.AuthTokenPrevious, base)
}

// contentSwitches names the content pack's switches the configuration
// turns on: what the pack tells people about Twilio's records follows
// SENDA_TWILIO_ERASE.
func (a *App) contentSwitches() []string {
	if a.cfg.Erase {
		return []string{content.SwitchTwilioErase}
	}
	return nil
}

func (a *App) newConversation(prefix string) error {
	pack := a.deps.Pack
	if pack == nil {
		var err error
		if pack, err = conversation.LoadPack(a.cfg.ContentDir, a.log, a.contentSwitches()...); err != nil {
			return err
		}
	}
	opts := []conversation.Option{conversation.WithClock(a.now)}
	if a.oldHasher != nil {
		opts = append(opts, conversation.WithFormerHasher(a.oldHasher))
	}
	if a.deps.CacheSize != 0 {
		opts = append(opts, conversation.WithCacheSize(a.deps.CacheSize))
	}
	if a.stats != nil {
		opts = append(opts, conversation.WithCounters(statsCounter{a.stats}))
	}
	if riders := a.riders(); len(riders) > 0 {
		opts = append(opts, conversation.WithRiders(riders...))
	}
	if a.reports != nil {
		opts = append(opts, conversation.WithReports(a.reports, a.reportSeal))
	}
	c, err := conversation.New(a.rdb, a.hasher, a.subs, a.metrics, a.log, pack, conversation.Settings{
		Prefix: prefix, SessionTTL: cmp.Or(a.deps.SessionTTL, a.cfg.SessionTTL), DefaultLang: a.cfg.DefaultLang, LangByNumber: a.cfg.LangByNumber,
		Subscriptions: a.cfg.Broadcast.Subscriptions(), ContentDir: a.cfg.ContentDir, Switches: a.contentSwitches(),
	}, opts...)
	if err != nil {
		return err
	}
	a.conversation = c
	return nil
}

// setupBroadcasts builds the broadcast store and the Twilio sender, when
// subscriptions are on.
func (a *App) setupBroadcasts() error {
	b := a.cfg.Broadcast
	a.broadcasts = broadcast.NewStore(a.rdb, a.keys, a.subs, a.conversation.Pack, a.now, broadcast.CountInto(a.metrics))
	a.broadcasts.SetOutcomes(statsOutcomes{rec: a.stats, app: a})
	a.broadcasts.WaitReplicas(b.WaitReplicas)
	switch {
	case a.deps.Sender != nil:
		a.sender = a.deps.Sender
	case a.cfg.Twilio.Sends():
		client, err := twilio.New(a.cfg.Twilio)
		if err != nil {
			return err
		}
		a.sender = client
	default:
		a.log.Warn("subscriptions are on but Twilio's REST API is not configured: broadcasts queue up and nothing is sent; set TWILIO_ACCOUNT_SID and a sender")
	}
	return nil
}

func (a *App) connectRedis(ctx context.Context) error {
	switch {
	case a.deps.Redis != nil:
		a.rdb = a.deps.Redis
		return nil
	case a.cfg.RedisURL == "":
		e, err := startEmbeddedRedis()
		if err != nil {
			return err
		}
		a.embedded = e
		a.log.Warn("SENDA_REDIS_URL is not set: using an embedded in-memory Redis; everything is lost on exit (development only)")
		opts, err := config.ParseRedisURL(e.URL())
		if err != nil {
			return err
		}
		a.rdb, a.ownsRedis = opts.Client(), true
	default:
		a.rdb, a.ownsRedis = a.cfg.Redis.Client(), true
	}
	if err := httpapi.Ping(ctx, a.rdb, 5*time.Second); err != nil {
		return fmt.Errorf("connect to redis: %w; is it running and is SENDA_REDIS_URL right?", err)
	}
	return nil
}

// checkHashKey compares SENDA_HASH_KEY with the fingerprint stored in
// Redis: in production a different key is refused while subscribers exist,
// since a BAJA could no longer find them, and so is a key it cannot check
// against them.
func (a *App) checkHashKey(ctx context.Context, ring *sealer.Keyring) error {
	st, err := hashkey.Check(ctx, a.rdb, a.keys, ring, a.hasher, a.oldHasher, a.cfg.Production())
	if err != nil {
		return err
	}
	switch st {
	case hashkey.Rotating:
		a.log.Warn("SENDA_HASH_KEY_OLD is set and subscribers are still filed under it: run `senda subscribers rotate-hash-key`, then remove SENDA_HASH_KEY_OLD")
	case hashkey.Replaced:
		a.log.Warn("SENDA_HASH_KEY changed: conversations in progress start over (there are no subscribers to move)")
	case hashkey.Mismatch:
		a.log.Warn("SENDA_HASH_KEY is not the key the subscribers in this Redis are filed under: BAJA cannot find them (refused in production); set the previous key, or rotate with SENDA_HASH_KEY_OLD and `senda subscribers rotate-hash-key`")
	case hashkey.Unconfirmed:
		a.log.Warn("subscribers exist but the hash key's fingerprint is gone and SENDA_SUBSCRIBER_KEY cannot open them to check SENDA_HASH_KEY: if it is not their key, BAJA cannot find them (refused in production)")
	}
	return nil
}

// RotateHashKey moves every subscriber from SENDA_HASH_KEY_OLD's ids to
// SENDA_HASH_KEY's (see hashkey.Rotate).
func (a *App) RotateHashKey(ctx context.Context) (hashkey.RotateResult, error) {
	if a.oldHasher == nil {
		return hashkey.RotateResult{}, errors.New("SENDA_HASH_KEY_OLD is not set: it must hold the previous hash key, and SENDA_HASH_KEY the new one")
	}
	ring, err := a.cfg.Broadcast.Keyring()
	if err != nil {
		return hashkey.RotateResult{}, err
	}
	return hashkey.Rotate(ctx, a.rdb, a.keys, ring, a.oldHasher, a.hasher)
}

// Addr is the address Run serves on: the listener's, or cfg.Addr.
func (a *App) Addr() net.Addr {
	if a.deps.Listener != nil {
		return a.deps.Listener.Addr()
	}
	addr, _ := net.ResolveTCPAddr("tcp", a.cfg.Addr)
	return addr
}

// SignedMessagesURL is the URL Twilio's signatures on inbound messages are
// checked against (SENDA_PUBLIC_URL and the webhook's path), or "" when
// none is checked (no TWILIO_AUTH_TOKEN).
func (a *App) SignedMessagesURL() string {
	if a.signedBase == "" {
		return ""
	}
	return a.signedBase + httpapi.MessagesPath
}

// Delivers reports whether this process can deliver broadcasts.
func (a *App) Delivers() bool { return a.broadcasts != nil && a.sender != nil }

// Handler returns the HTTP handler: webhook, status callbacks, admin API,
// health and metrics.
func (a *App) Handler() http.Handler { return a.http.Handler() }

// Conversation returns the conversation the webhook answers with (`senda
// chat` talks to it directly).
func (a *App) Conversation() *conversation.Conversation { return a.conversation }

// Subscribers returns the subscriber store.
func (a *App) Subscribers() *subscribers.Store { return a.subs }

// Reload loads the content pack again (SIGHUP); see conversation.Reload.
// /metrics counts reloads and failed reloads.
func (a *App) Reload() error {
	if err := a.conversation.Reload(); err != nil {
		a.metrics.Count("content_reload_failures_total")
		return err
	}
	a.metrics.Count("content_reloads_total")
	return nil
}

// RunWorkers delivers broadcasts (see broadcast.Worker) and erases
// messages at Twilio (see erase.Worker), whichever this process does, until
// ctx ends. Blocking stream reads use Redis clients of their own, with a
// small pool. tune, when set, adjusts the broadcast workers' settings
// before they start (tests make them fast).
func (a *App) RunWorkers(ctx context.Context, tune func(*broadcast.WorkerConfig)) error {
	if !a.Delivers() && a.erase == nil {
		return errors.New("workers need SENDA_SUBSCRIBER_KEY and Twilio's REST settings (TWILIO_ACCOUNT_SID and a sender) to deliver broadcasts, or SENDA_TWILIO_ERASE on to erase messages at Twilio")
	}
	var wg sync.WaitGroup
	var eraseErr error
	if a.erase != nil {
		wg.Go(func() { eraseErr = a.runErasers(ctx) })
	}
	var err error
	if a.Delivers() {
		err = a.runDeliverers(ctx, tune)
	}
	wg.Wait()
	return errors.Join(err, eraseErr)
}

// runErasers erases messages at Twilio until ctx ends.
func (a *App) runErasers(ctx context.Context) error {
	cfg := erase.WorkerConfig{RPS: a.cfg.EraseRPS}
	if a.deps.EraseTune != nil {
		a.deps.EraseTune(&cfg)
	}
	block, err := a.blockingClient()
	if err != nil {
		return err
	}
	defer block.Close()
	a.log.Info("erase workers started", "rps", cfg.RPS)
	return a.erase.Worker(cfg, a.deleter, block, a.metrics, a.log).Run(ctx)
}

// runDeliverers delivers broadcasts until ctx ends.
func (a *App) runDeliverers(ctx context.Context, tune func(*broadcast.WorkerConfig)) error {
	b := a.cfg.Broadcast
	cfg := broadcast.WorkerConfig{Workers: b.WorkerCount(), MPS: b.MPS, Quiet: b.Quiet, DailyCap: b.DailyCap, Health: a.queue}
	if a.cfg.PublicURL != "" {
		cfg.StatusCallback = strings.TrimSuffix(a.cfg.PublicURL, "/") + httpapi.StatusPath
	}
	if tune != nil {
		tune(&cfg)
	}
	block, err := a.blockingClient()
	if err != nil {
		return err
	}
	defer block.Close()
	block.AddHook(a.metrics.RedisHook())
	ctx = metrics.WithComponent(ctx, metrics.ComponentBroadcast)
	a.log.Info("broadcast workers started", "workers", cfg.Workers, "mps", cfg.MPS, "quiet_hours", cfg.Quiet.String(), "daily_cap", cfg.DailyCap)
	return broadcast.NewWorker(cfg, a.broadcasts, a.sender, block, a.log).Run(ctx)
}

// blockingClient opens a second connection pool to the same Redis for the
// workers' blocking reads.
func (a *App) blockingClient() (redis.UniversalClient, error) {
	switch {
	case a.embedded != nil:
		opts, err := config.ParseRedisURL(a.embedded.URL())
		if err != nil {
			return nil, err
		}
		return opts.WithPoolSize(2).Client(), nil
	case a.cfg.RedisURL != "":
		return a.cfg.Redis.WithPoolSize(2).Client(), nil
	}
	// A Redis handed in by a caller (tests): share its address.
	if c, ok := a.rdb.(*redis.Client); ok {
		o := *c.Options()
		o.PoolSize = 2
		return redis.NewClient(&o), nil
	}
	return nil, errors.New("workers need SENDA_REDIS_URL")
}

// Run serves HTTP on deps.Listener (or cfg.Addr), runs the broadcast
// workers when this process delivers, and reloads content on SIGHUP, until
// ctx ends. Then it stops in reverse order of start (HTTP first, so no new
// work arrives; then the workers) within ShutdownTimeout in all, and logs
// what it had to abandon. It does not close Redis: Close does.
func (a *App) Run(ctx context.Context) error {
	ln := a.deps.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", a.cfg.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
		}
	}
	a.log.Info("listening", "addr", ln.Addr().String(), "env", a.cfg.Env, "webhook", httpapi.MessagesPath)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := a.Reload(); err != nil {
				a.log.Error("reload content", "err", err)
			}
		}
	}()

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	workersDone := make(chan struct{})
	if a.Delivers() || a.erase != nil {
		go func() {
			defer close(workersDone)
			if err := a.RunWorkers(workCtx, nil); err != nil && workCtx.Err() == nil {
				a.log.Error("workers stopped", "err", err)
			}
		}()
	} else {
		close(workersDone)
	}

	statsDone := make(chan struct{})
	go func() {
		defer close(statsDone)
		a.runStats(workCtx)
	}()

	srv := httpapi.NewHTTPServer(a.Handler(), a.log)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return errors.Join(err, a.shutdown(srv, stopWork, workersDone, statsDone))
}

// shutdown stops the HTTP server, then the workers and the figures' last
// write, within ShutdownTimeout.
func (a *App) shutdown(srv *http.Server, stopWork context.CancelFunc, workersDone, statsDone <-chan struct{}) error {
	deadline, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	var err error
	if serr := srv.Shutdown(deadline); serr != nil {
		a.log.Warn("shutdown: requests still in flight were abandoned", "err", serr)
		err = fmt.Errorf("shutdown: %w", serr)
	}
	stopWork()
	select {
	case <-workersDone:
	case <-deadline.Done():
		a.log.Warn("shutdown: broadcast workers did not stop in time; their deliveries in flight were abandoned and are reclaimed by the next worker")
	}
	select {
	case <-statsDone:
	case <-deadline.Done():
	}
	return err
}

// runStats writes the daily figures counted in memory once a second
// (stats.Recorder.Run) until ctx ends, then once more. A write that fails is
// counted and logged (a repeating failure once per log interval); its
// figures wait in memory for the next.
func (a *App) runStats(ctx context.Context) {
	errlog := logx.NewLimited(a.log, conversation.DefaultErrorLogInterval)
	defer errlog.Flush()
	a.stats.Run(ctx, stats.FlushEvery, func(err error) {
		a.metrics.Count("stats_flush_errors_total")
		errlog.Warn("write the daily figures; they are kept in memory and written when Redis answers", "err", err)
	})
}

// closeFlushTimeout bounds Close's last write of the daily figures.
const closeFlushTimeout = 2 * time.Second

// Close writes the daily figures still in memory, then releases Redis and
// the embedded server, in reverse order of start.
func (a *App) Close() error {
	var err error
	if a.conversation != nil {
		a.conversation.FlushLog()
	}
	if a.stats != nil && a.rdb != nil {
		ctx, cancel := context.WithTimeout(context.Background(), closeFlushTimeout)
		if ferr := a.stats.Flush(ctx); ferr != nil {
			a.log.Warn("the last daily figures could not be written; they are lost", "err", ferr)
		}
		cancel()
	}
	if a.journal != nil {
		err = a.journal.Close()
	}
	if a.ownsRedis && a.rdb != nil {
		err = errors.Join(err, a.rdb.Close())
	}
	if a.embedded != nil {
		a.embedded.Close()
	}
	return err
}
