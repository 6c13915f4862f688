package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/app"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/bot/twilio"
)

// configFlags registers the flags that mirror SENDA_* variables on fs. The
// returned function lays the flags that were set over the environment.
// Secrets have no flags: a command line is visible to every user of the
// machine.
func configFlags(fs *flag.FlagSet) func(config.Lookup) config.Lookup {
	names := map[string]string{}
	str := func(flagName, env, help string) {
		fs.Func(flagName, help, func(v string) error { names[env] = v; return nil })
	}
	str("env", "SENDA_ENV", "development or production (SENDA_ENV)")
	str("addr", "SENDA_ADDR", "listen address (SENDA_ADDR, default "+config.DefaultAddr+")")
	str("public-url", "SENDA_PUBLIC_URL", "base URL Twilio calls, e.g. https://senda.example.org (SENDA_PUBLIC_URL)")
	str("redis-url", "SENDA_REDIS_URL", "Redis URL (SENDA_REDIS_URL); empty in development runs an embedded server")
	str("content-dir", "SENDA_CONTENT_DIR", "content pack folder (SENDA_CONTENT_DIR); empty uses the embedded pack")
	str("session-ttl", "SENDA_SESSION_TTL", "idle time before a conversation is forgotten (SENDA_SESSION_TTL, default 30m)")
	str("lang", "SENDA_DEFAULT_LANG", "language new conversations start in (SENDA_DEFAULT_LANG)")
	return func(getenv config.Lookup) config.Lookup {
		// A flag given as "" keeps the environment's value, as before.
		set := map[string]string{}
		for k, v := range names {
			if v != "" {
				set[k] = v
			}
		}
		if _, ok := set["SENDA_REDIS_URL"]; ok {
			set["SENDA_REDIS_URL_FILE"] = "" // the flag wins over a file too
		}
		return getenv.Over(set)
	}
}

// newLogger writes JSON in production (for log collectors) and text in
// development (for people), at SENDA_LOG_LEVEL.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// started is what every long-running command begins with.
type started struct {
	app *app.App
	cfg config.Config
	log *slog.Logger
}

// startApp is how every long-running command begins: flags over the
// environment, a validated configuration, a logger, a wired app. check,
// when set, adds the command's own requirements; listen, when set, opens
// the listener before the app is wired.
func startApp(ctx context.Context, name, usage string, args []string, stderr io.Writer, getenv config.Lookup, check func(config.Config) error, listen bool) (*started, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	over := configFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, err
		}
		return nil, errUsage
	}
	cfg, err := config.Load(over(getenv))
	if err == nil {
		err = cfg.Validate()
	}
	if err == nil && check != nil {
		err = check(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	log := newLogger(stderr, cfg).With("component", "senda-"+name)
	redisLogOnce.Do(func() { redis.SetLogger(redisLogger{log.With("component", "redis")}) })
	var deps app.Deps
	if listen {
		if deps.Listener, err = net.Listen("tcp", cfg.Addr); err != nil {
			log.Error("listen", "addr", cfg.Addr, "err", err)
			return nil, errReported
		}
	}
	a, err := app.New(ctx, cfg, log, deps)
	if err != nil {
		if deps.Listener != nil {
			deps.Listener.Close()
		}
		log.Error("start", "err", err)
		return nil, errReported
	}
	return &started{app: a, cfg: cfg, log: log}, nil
}

// redisLogOnce guards go-redis's logger, a process-wide setting.
var redisLogOnce sync.Once

// redisLogger sends go-redis's own messages (pool and connection trouble)
// through slog, so the log stays one structured stream.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

const serveUsage = "Usage: senda serve [flags]\n\nRuns the Twilio webhook at POST " + httpapi.MessagesPath + ", status callbacks, the admin API, /healthz, /readyz\nand /metrics, and broadcast workers when Twilio's REST settings are there. Secrets\n(TWILIO_AUTH_TOKEN, SENDA_HASH_KEY, SENDA_REDIS_URL with a password) come only from the\nenvironment or NAME_FILE files. See README.md.\n"

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	s, err := startApp(ctx, "serve", serveUsage, args, stderr, getenv, nil, true)
	if err != nil {
		return err
	}
	defer s.app.Close()
	if !s.cfg.Production() {
		fmt.Fprint(stdout, tryIt(s.app.Addr(), s.app.SignedMessagesURL(), s.cfg.Twilio.AuthToken))
	}
	start := time.Now()
	if err := s.app.Run(ctx); err != nil {
		s.log.Error("serve", "err", err)
		return errReported
	}
	s.log.Info("stopped", "uptime", time.Since(start).Round(time.Second).String())
	return nil
}

// tryIt is the hint serve prints in development: a curl that gets a
// reply. With TWILIO_AUTH_TOKEN set the webhook checks Twilio's signature,
// so the curl carries one, made as Twilio makes it over signedURL.
func tryIt(addr net.Addr, signedURL, authToken string) string {
	form := url.Values{"From": {"+15550001111"}, "Body": {"HOLA"}, "MessageSid": {"SM1"}}
	header, note := "", "no signature is checked without TWILIO_AUTH_TOKEN"
	if signedURL != "" {
		header = "-H 'X-Twilio-Signature: " + twilio.Sign(authToken, signedURL, form) + "' "
		note = "signed with TWILIO_AUTH_TOKEN, as Twilio signs for " + signedURL
	}
	return fmt.Sprintf("Senda is listening on %s. Try it (%s):\n"+
		"  curl %s-d From=%%2B15550001111 -d Body=HOLA -d MessageSid=SM1 http://%s%s\n"+
		"or talk to it in the terminal: go run ./cmd/senda chat\n", addr, note, header, hostPort(addr), httpapi.MessagesPath)
}

// hostPort turns a listen address like [::]:8080 into one curl can reach.
func hostPort(a net.Addr) string {
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return "localhost:" + port
}
