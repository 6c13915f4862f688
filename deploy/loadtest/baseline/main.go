// Command baseline is the yardstick of the webhook load test: a bare echo
// handler on POST /twilio/messages that reads the form, does one pipelined
// Redis GET+SET on a key derived from From, and answers a constant TwiML
// string. It checks no signature and steps no conversation; Senda is
// measured against it in the same run (see deploy/loadtest/run.sh).
//
// It is a load-test tool, not a server to deploy.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// Timeouts as Senda's (bot/service.go, bot/redis.go), so neither server has
// an advantage from looser limits.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second
	idleTimeout       = 60 * time.Second
	shutdownTimeout   = 10 * time.Second

	redisDialTimeout  = 2 * time.Second
	redisReadTimeout  = time.Second
	redisWriteTimeout = time.Second

	maxBody    = 64 << 10
	sessionTTL = 30 * time.Minute
)

// reply is about the size of one of Senda's menus, so both servers write
// similar responses.
const reply = `<?xml version="1.0" encoding="UTF-8"?><Response><Message>Senda
Elige un número:
1 Salud
2 Salud sexual
3 Apoyo emocional
4 Seguridad
5 Derechos
6 Organizaciones
7 Otros ingresos
8 Privacidad
9 Avisos</Message></Response>`

var replyBytes = []byte(reply)

// state stands in for a stored conversation: about as long as Senda's.
const state = "\x00\x00\x00\x00\x00\x00\x00\x01\x01\x12\x34\x56\x78\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	redisURL := flag.String("redis-url", "redis://127.0.0.1:6379/0", "Redis URL")
	flag.Parse()
	if err := run(*addr, *redisURL); err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

func run(addr, redisURL string) error {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return fmt.Errorf("redis url: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = redisDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = redisReadTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = redisWriteTimeout
	}
	opts.ContextTimeoutEnabled = true
	opts.ClientName = "loadtest-baseline"
	rdb := redis.NewClient(opts)
	defer rdb.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	err = rdb.Ping(pingCtx).Err()
	cancel()
	if err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/twilio/messages", handler(rdb))
	e.GET("/readyz", func(c echo.Context) error { return c.String(http.StatusOK, "ready") })

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Printf("baseline listening on %s", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	return srv.Shutdown(shutCtx)
}

func handler(rdb *redis.Client) echo.HandlerFunc {
	ttl := strconv.FormatInt(sessionTTL.Milliseconds(), 10)
	return func(c echo.Context) error {
		req := c.Request()
		req.Body = http.MaxBytesReader(c.Response(), req.Body, maxBody)
		form, err := c.FormParams()
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "malformed form body")
		}
		from := form.Get("From")
		if from == "" || form.Get("MessageSid") == "" {
			return echo.NewHTTPError(http.StatusBadRequest, "From and MessageSid are required")
		}
		// A hash rather than the number, as Senda keys sessions.
		h := fnv.New64a()
		h.Write([]byte(from))
		key := "loadtest:echo:" + strconv.FormatUint(h.Sum64(), 36)

		pipe := rdb.Pipeline()
		pipe.Get(req.Context(), key)
		pipe.Do(req.Context(), "set", key, state, "px", ttl)
		if cmds, err := pipe.Exec(req.Context()); err != nil {
			// A missing key is a new conversation, not a failure.
			for _, cmd := range cmds {
				if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
					return echo.NewHTTPError(http.StatusServiceUnavailable, "redis: "+err.Error())
				}
			}
		}
		return c.Blob(http.StatusOK, "text/xml; charset=utf-8", replyBytes)
	}
}
