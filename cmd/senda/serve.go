package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot"
)

// configFlags registers the flags that mirror SENDA_* variables on fs. The
// returned function applies the flags that were set over cfg. Secrets have
// no flags: a command line is visible to every user of the machine.
func configFlags(fs *flag.FlagSet) func(*bot.Config) {
	env := fs.String("env", "", "development or production (SENDA_ENV)")
	addr := fs.String("addr", "", "listen address (SENDA_ADDR, default "+bot.DefaultAddr+")")
	publicURL := fs.String("public-url", "", "base URL Twilio calls, e.g. https://senda.example.org (SENDA_PUBLIC_URL)")
	redisURL := fs.String("redis-url", "", "Redis URL (SENDA_REDIS_URL); empty in development runs an embedded server")
	contentDir := fs.String("content-dir", "", "content pack folder (SENDA_CONTENT_DIR); empty uses the embedded pack")
	ttl := fs.Duration("session-ttl", 0, "idle time before a conversation is forgotten (SENDA_SESSION_TTL, default 30m)")
	lang := fs.String("lang", "", "language new conversations start in (SENDA_DEFAULT_LANG)")
	return func(c *bot.Config) {
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&c.Env, *env)
		set(&c.Addr, *addr)
		set(&c.PublicURL, *publicURL)
		set(&c.RedisURL, *redisURL)
		set(&c.ContentDir, *contentDir)
		set(&c.DefaultLang, *lang)
		if *ttl != 0 {
			c.SessionTTL = *ttl
		}
	}
}

// loadConfig reads the environment, then applies flags over it.
func loadConfig(getenv bot.Getenv, apply func(*bot.Config)) (bot.Config, error) {
	cfg, err := bot.LoadConfig(getenv)
	if err != nil {
		return cfg, err
	}
	apply(&cfg)
	return cfg, cfg.Validate()
}

// newLogger writes JSON in production (for log collectors) and text in
// development (for people). SENDA_LOG_LEVEL picks debug, info, warn or error.
func newLogger(w io.Writer, cfg bot.Config, getenv bot.Getenv) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(getenv.Plain()("SENDA_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// startService is how every long-running command begins: flags over the
// environment, a validated configuration, a logger, a wired service. check,
// when set, adds the command's own requirements. A non-zero code means the
// command must return it.
func startService(ctx context.Context, name, usage string, args []string, stderr io.Writer, getenv bot.Getenv, check func(bot.Config) error) (*bot.Service, bot.Config, *slog.Logger, int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	apply := configFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, bot.Config{}, nil, exitUsage
	}
	cfg, err := loadConfig(getenv, apply)
	if err == nil && check != nil {
		err = check(cfg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "senda %s: configuration: %v\n", name, err)
		return nil, cfg, nil, exitError
	}
	log := newLogger(stderr, cfg, getenv).With("component", "senda-"+name)
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{log.With("component", "redis")}) })
	svc, err := bot.NewService(ctx, cfg, log, bot.Deps{})
	if err != nil {
		log.Error("start", "err", err)
		return nil, cfg, nil, exitError
	}
	return svc, cfg, log, exitOK
}

// redisLogOnce guards go-redis's logger, a process-wide setting.
var redisLogOnce sync.Once

// redisLogger sends go-redis's own messages (pool and connection trouble)
// through slog, so the log stays one structured stream.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	svc, cfg, log, code := startService(ctx, "serve", "Usage: senda serve [flags]\n\nRuns the Twilio webhook at POST "+bot.MessagesPath+", status callbacks, the admin API, /healthz, /readyz\nand /metrics, and broadcast workers when Twilio's REST settings are there. Secrets\n(TWILIO_AUTH_TOKEN, SENDA_HASH_KEY, SENDA_REDIS_URL with a password) come only from the\nenvironment or NAME_FILE files. See README.md.\n", args, stderr, getenv, nil)
	if code != exitOK {
		return code
	}
	defer svc.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen", "addr", cfg.Addr, "err", err)
		return exitError
	}
	log.Info("listening", "addr", ln.Addr().String(), "env", cfg.Env, "webhook", bot.MessagesPath)
	if !cfg.Production() {
		fmt.Fprintf(stdout, "Senda is listening on %s. Try it (no signature is checked without TWILIO_AUTH_TOKEN):\n"+
			"  curl -d From=%%2B15550001111 -d Body=HOLA -d MessageSid=SM1 http://%s%s\n"+
			"or talk to it in the terminal: go run ./cmd/senda chat\n", ln.Addr(), hostPort(ln.Addr()), bot.MessagesPath)
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := svc.Reload(); err != nil {
				log.Error("reload content", "err", err)
			}
		}
	}()

	// Workers stop after the webhook stops taking messages, and Redis is
	// closed last (deferred above): stop in the reverse order of start.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	workersDone := make(chan struct{})
	if svc.Delivers() {
		go func() {
			defer close(workersDone)
			if err := svc.RunWorkers(ctx, nil); err != nil {
				log.Error("broadcast workers stopped", "err", err)
			}
		}()
	} else {
		close(workersDone)
	}
	start := time.Now()
	code = exitOK
	if err := svc.Serve(ctx, ln); err != nil {
		log.Error("serve", "err", err)
		code = exitError
	}
	stop()
	<-workersDone
	log.Info("stopped", "uptime", time.Since(start).Round(time.Second).String())
	return code
}

// hostPort turns a listen address like [::]:8080 into one curl can reach.
func hostPort(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return "localhost:" + port
}
