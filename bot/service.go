package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// HTTP server timeouts. Twilio gives up after 15 s, so nothing a webhook
// does may take longer; slow clients are cut off well before.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
	readyPingTimeout  = time.Second
)

// DefaultRedisPrefix starts every key Senda writes, so one Redis can hold
// other data, or several Senda deployments, side by side.
const DefaultRedisPrefix = "senda:"

// Deps are parts a caller may supply instead of having NewService build
// them from the configuration (tests pass their own Redis, for instance).
type Deps struct {
	Redis redis.UniversalClient // when nil, connect to cfg.RedisURL or start an embedded server
	Pack  *content.Pack         // when nil, load cfg.ContentDir or the embedded pack
	// Prefix overrides DefaultRedisPrefix.
	Prefix string
	// CacheSize overrides DefaultCacheSize; a negative value turns the
	// session cache off.
	CacheSize int
	Now       func() time.Time
	// Sender replaces the Twilio REST client (tests use a fake).
	Sender broadcast.Sender
}

// Service is a running Senda: the webhook, sessions, health and metrics.
type Service struct {
	cfg        Config
	log        *slog.Logger
	rdb        redis.UniversalClient
	ownsRedis  bool
	embedded   *EmbeddedRedis
	keys       rkey.Space
	sessions   *Sessions
	hasher     *ident.Hasher
	validator  *twilio.Validator
	metrics    *metrics
	eng        atomic.Pointer[flows.Engine]
	echo       *echo.Echo
	reloadMu   sync.Mutex
	subs       *subscribers.Store // always: BAJA deletes even when subscriptions are off
	broadcasts *broadcast.Store   // nil when subscriptions are off
	sender     broadcast.Sender   // nil when Twilio's REST API is not configured
	admins     []adminToken
	now        func() time.Time
}

// NewService validates the configuration and wires Senda in order: Redis,
// content, engine, HTTP routes. On failure it undoes what it started.
func NewService(ctx context.Context, cfg Config, log *slog.Logger, deps Deps) (svc *Service, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log, metrics: newMetrics()}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	hashKey := []byte(cfg.HashKey)
	if len(hashKey) == 0 {
		hashKey = make([]byte, 32)
		rand.Read(hashKey)
		log.Warn("SENDA_HASH_KEY is not set: using a random key, so conversations are forgotten on restart (development only)")
	}
	s.hasher = ident.NewHasher(hashKey)

	if cfg.AuthToken != "" {
		base := cfg.PublicURL
		if base == "" {
			base = "http://localhost" + cfg.Addr
			log.Warn("SENDA_PUBLIC_URL is not set: validating signatures against " + base + "; set it to the URL configured in Twilio")
		}
		if s.validator, err = twilio.NewValidator(cfg.AuthToken, base); err != nil {
			return nil, err
		}
	} else {
		log.Warn("TWILIO_AUTH_TOKEN is not set: webhook signatures are NOT checked and anyone can post messages (development only)")
	}

	if err := s.connectRedis(ctx, deps); err != nil {
		return nil, err
	}
	prefix := deps.Prefix
	if prefix == "" {
		prefix = DefaultRedisPrefix
	}
	cacheSize := deps.CacheSize
	switch {
	case cacheSize == 0:
		cacheSize = DefaultCacheSize
	case cacheSize < 0:
		cacheSize = 0
	}
	s.keys = rkey.Space(prefix)
	s.now = deps.Now
	if s.now == nil {
		s.now = time.Now
	}
	s.sessions = NewSessions(s.rdb, SessionOptions{Prefix: prefix, TTL: cfg.SessionTTL, CacheSize: cacheSize, Now: deps.Now})

	pack := deps.Pack
	if pack == nil {
		if pack, err = LoadPack(cfg.ContentDir, log); err != nil {
			return nil, err
		}
	}
	if err := s.setPack(pack); err != nil {
		return nil, err
	}
	if err := s.setupBroadcasts(deps); err != nil {
		return nil, err
	}
	s.routes()
	return s, nil
}

// setupBroadcasts builds the subscriber store and, when subscriptions are
// on, the broadcast store, the Twilio sender and the admin tokens.
func (s *Service) setupBroadcasts(deps Deps) error {
	b := s.cfg.Broadcast
	var ring *sealer.Keyring
	if b.Subscriptions() {
		var err error
		if ring, err = sealer.FromEnv(func(name string) string {
			switch name {
			case "SENDA_SUBSCRIBER_KEY":
				return b.SubscriberKey
			case "SENDA_SUBSCRIBER_KEYS_OLD":
				return b.SubscriberKeysOld
			}
			return ""
		}); err != nil {
			return err
		}
	}
	s.subs = subscribers.New(s.rdb, s.keys, ring, s.now)
	s.admins = adminTokens(b.AdminTokens)
	if ring == nil {
		return nil
	}
	s.broadcasts = broadcast.NewStore(s.rdb, s.keys, s.subs, func() *content.Pack { return s.engine().Pack() }, s.now)
	switch {
	case deps.Sender != nil:
		s.sender = deps.Sender
	case b.Delivery():
		client, err := twilio.New(twilio.Config{
			AccountSID: b.AccountSID, AuthToken: s.cfg.AuthToken, APIKey: b.APIKey, APISecret: b.APISecret,
			APIBase: b.APIBase, MessagingServiceSID: b.MessagingServiceSID, SMSFrom: b.SMSFrom, WhatsAppFrom: b.WhatsAppFrom,
			Privacy: true,
		})
		if err != nil {
			return err
		}
		s.sender = client
	default:
		s.log.Warn("subscriptions are on but Twilio's REST API is not configured: broadcasts queue up and nothing is sent; set TWILIO_ACCOUNT_SID and a sender")
	}
	if len(s.admins) == 0 {
		s.log.Warn("SENDA_ADMIN_TOKENS is not set: the admin API is off, so no broadcast can be sent")
	}
	return nil
}

// Delivers reports whether this service can deliver broadcasts.
func (s *Service) Delivers() bool { return s.broadcasts != nil && s.sender != nil }

// RunWorkers delivers broadcasts until ctx ends (see broadcast.Worker).
// Blocking stream reads use a Redis client of their own, with a small pool.
func (s *Service) RunWorkers(ctx context.Context, tune func(*broadcast.WorkerConfig)) error {
	if !s.Delivers() {
		return errors.New("broadcast workers need SENDA_SUBSCRIBER_KEY and Twilio's REST settings (TWILIO_ACCOUNT_SID and a sender)")
	}
	b := s.cfg.Broadcast
	quiet, err := broadcast.ParseQuietHours(b.QuietHours, b.TimeZone)
	if err != nil {
		return err
	}
	cfg := broadcast.WorkerConfig{Workers: b.WorkerCount(), MPS: b.MPS, Quiet: quiet, DailyCap: b.DailyCap}
	if s.cfg.PublicURL != "" {
		cfg.StatusCallback = strings.TrimSuffix(s.cfg.PublicURL, "/") + StatusPath
	}
	if tune != nil {
		tune(&cfg)
	}
	block, err := s.blockingClient()
	if err != nil {
		return err
	}
	defer block.Close()
	s.log.Info("broadcast workers started", "workers", cfg.Workers, "mps", cfg.MPS, "quiet_hours", quiet.String(), "daily_cap", cfg.DailyCap)
	return broadcast.NewWorker(cfg, s.broadcasts, s.sender, block, s.log).Run(ctx)
}

// blockingClient opens a second connection pool to the same Redis for the
// workers' blocking reads.
func (s *Service) blockingClient() (redis.UniversalClient, error) {
	url := s.cfg.RedisURL
	if s.embedded != nil {
		url = s.embedded.URL()
	}
	if url == "" {
		// A Redis handed in by a caller (tests): share its address.
		if c, ok := s.rdb.(*redis.Client); ok {
			o := *c.Options()
			o.PoolSize = 2
			return redis.NewClient(&o), nil
		}
		return nil, errors.New("broadcast workers need SENDA_REDIS_URL")
	}
	opts, err := ParseRedisURL(url)
	if err != nil {
		return nil, err
	}
	return opts.WithPoolSize(2).Client(), nil
}

func (s *Service) connectRedis(ctx context.Context, deps Deps) error {
	switch {
	case deps.Redis != nil:
		s.rdb = deps.Redis
		return nil
	case s.cfg.RedisURL == "":
		e, err := StartEmbeddedRedis()
		if err != nil {
			return err
		}
		s.embedded = e
		s.log.Warn("SENDA_REDIS_URL is not set: using an embedded in-memory Redis; everything is lost on exit (development only)")
		opts, err := ParseRedisURL(e.URL())
		if err != nil {
			return err
		}
		s.rdb, s.ownsRedis = opts.Client(), true
	default:
		opts, err := ParseRedisURL(s.cfg.RedisURL)
		if err != nil {
			return err
		}
		s.rdb, s.ownsRedis = opts.Client(), true
	}
	if err := ping(ctx, s.rdb, 5*time.Second); err != nil {
		return fmt.Errorf("connect to redis: %w; is it running and is SENDA_REDIS_URL right?", err)
	}
	return nil
}

// LoadPack loads the pack in dir, or the embedded default pack when dir is
// empty, and logs its warnings.
func LoadPack(dir string, log *slog.Logger) (*content.Pack, error) {
	var (
		p      *content.Pack
		report *content.Report
		err    error
	)
	if dir == "" {
		p, report, err = content.Default()
	} else {
		p, report, err = content.LoadDir(dir)
	}
	if err != nil {
		return nil, err
	}
	if w := report.Warnings(); len(w) > 0 {
		log.Warn("content pack has warnings; run `senda content check` to see them", "warnings", len(w))
	}
	return p, nil
}

func (s *Service) setPack(p *content.Pack) error {
	if s.cfg.DefaultLang != "" && p.LanguageIndex(s.cfg.DefaultLang) < 0 {
		return fmt.Errorf("SENDA_DEFAULT_LANG=%q is not a language of the content pack (it has %s)", s.cfg.DefaultLang, strings.Join(p.LanguageCodes(), ", "))
	}
	for _, code := range s.cfg.LangByNumber {
		if p.LanguageIndex(code) < 0 {
			return fmt.Errorf("SENDA_NUMBER_LANGS gives a number the language %q, which the content pack lacks (it has %s)", code, strings.Join(p.LanguageCodes(), ", "))
		}
	}
	s.eng.Store(flows.New(p, flows.Options{Subscriptions: s.cfg.Broadcast.Subscriptions()}))
	return nil
}

func (s *Service) engine() *flows.Engine { return s.eng.Load() }

// Reload loads the content pack again from SENDA_CONTENT_DIR and swaps it in
// for new messages. A pack with errors is refused and the old one kept.
func (s *Service) Reload() error {
	if s.cfg.ContentDir == "" {
		return errors.New("reload: the embedded content pack cannot change; set SENDA_CONTENT_DIR to edit content without rebuilding")
	}
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	p, err := LoadPack(s.cfg.ContentDir, s.log)
	if err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	if err := s.setPack(p); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	s.log.Info("content pack reloaded", "nodes", len(p.Nodes), "fingerprint", p.Fingerprint)
	return nil
}

// resolve finishes steps that need I/O before their state is stored: the
// "my updates" screen shows which topics the person receives.
func (s *Service) resolve(ctx context.Context, id ident.SenderID, r flows.Result) (flows.Result, error) {
	if r.Effect.Kind != flows.EffectShowMyTopics {
		return r, nil
	}
	topics, err := s.subs.Topics(ctx, id)
	if err != nil {
		return r, err
	}
	var mask uint16
	for i, t := range s.engine().Pack().Topics {
		if slices.Contains(topics, t.ID) {
			mask |= 1 << i
		}
	}
	r.State = s.engine().MyTopics(r.State, mask)
	return r, nil
}

// apply carries out a step's effects after its state was stored.
func (s *Service) apply(ctx context.Context, id ident.SenderID, msg inbound, ch content.Channel, out Outcome) error {
	p := s.engine().Pack()
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
			s.metrics.add(metricKey{"subscriptions_total", "topic", t}, 1)
			return s.subs.Subscribe(ctx, id, msg.from, ch, lang, t)
		}
	case flows.EffectUnsubscribeTopic:
		if t := topic(); t != "" {
			return s.subs.Unsubscribe(ctx, id, t)
		}
	case flows.EffectUnsubscribeAll:
		s.metrics.count("optouts_total")
		return s.subs.Delete(ctx, id, p.TopicIDs())
	}
	return nil
}

// Handler returns the HTTP handler: the webhook, health and metrics.
func (s *Service) Handler() http.Handler { return s.echo }

// Subscribers returns the subscriber store.
func (s *Service) Subscribers() *subscribers.Store { return s.subs }

// Redis returns the Redis client the service uses.
func (s *Service) Redis() redis.UniversalClient { return s.rdb }

// Serve serves HTTP on ln until ctx is done, then stops taking requests and
// waits for those in flight, for at most shutdownTimeout.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// Close releases Redis and the embedded server, in reverse order of start.
func (s *Service) Close() error {
	var err error
	if s.ownsRedis && s.rdb != nil {
		err = s.rdb.Close()
	}
	if s.embedded != nil {
		s.embedded.Close()
	}
	return err
}
