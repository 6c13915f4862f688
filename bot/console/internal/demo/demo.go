// Package demo wires the console over Senda's real parts on a Redis key
// prefix of its own, with a fake Twilio, for the console's tests and the
// browser test. It is how the integrator's wiring looks, minus config.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/console"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// TokenName is the name of the seeded admin token.
const TokenName = "programa"

// Demo is a running console and what it was built from.
type Demo struct {
	Echo     *echo.Echo
	Console  *console.Console
	Stats    *stats.Recorder
	Store    *broadcast.Store
	Twilio   *twiliofake.Server
	Location *time.Location
	Pack     *content.Pack
	Subs     *subscribers.Store
}

// Close stops the fake Twilio.
func (d *Demo) Close() { d.Twilio.Close() }

// New builds the console on rdb under prefix, accepting token as the admin
// token named TokenName. log receives the console's log; edit, if given,
// changes the options before the console is built.
func New(rdb redis.UniversalClient, prefix, token string, log *slog.Logger, edit ...func(*console.Options)) (*Demo, error) {
	loc, err := time.LoadLocation("America/Guatemala")
	if err != nil {
		return nil, fmt.Errorf("demo: time zone: %w", err)
	}
	p, _, err := content.Default()
	if err != nil {
		return nil, fmt.Errorf("demo: content: %w", err)
	}
	key := make([]byte, 32)
	rand.Read(key)
	ring, err := sealer.New(key)
	if err != nil {
		return nil, fmt.Errorf("demo: keyring: %w", err)
	}
	keys := rkey.Space(prefix)
	subs := subscribers.New(rdb, keys, ring, nil)
	store := broadcast.NewStore(rdb, keys, subs, func() *content.Pack { return p }, nil)
	rec := stats.New(rdb, stats.Options{Prefix: prefix, Location: loc})
	fake := twiliofake.New()
	cfg := twilio.DefaultConfig()
	cfg.AccountSID, cfg.AuthToken, cfg.APIBase = fake.AccountSID, fake.AuthToken, fake.URL
	cfg.SMSFrom, cfg.WhatsAppFrom = "+15005550006", "whatsapp:+15005550006"
	tw, err := twilio.New(cfg)
	if err != nil {
		fake.Close()
		return nil, fmt.Errorf("demo: twilio: %w", err)
	}
	check := func() *content.Report { _, r, _ := content.Default(); return r }
	hashKey := make([]byte, 32)
	rand.Read(hashKey)
	opts := console.Options{
		Redis: rdb, Prefix: prefix,
		Access: access.New(access.Options{Tokens: map[string]string{TokenName: token}, Redis: rdb, Keys: keys,
			Hasher: ident.NewHasher(hashKey), Log: log}),
		Broadcasts: console.StoreBroadcasts{Store: store},
		TestSender: console.SenderTest{Sender: tw},
		Stats:      rec,
		Templates: console.StaticTemplates{{SID: "HX0123456789abcdef0123456789abcdef", Name: "aviso_general", Language: "es",
			Body:      "Hay información nueva de {{1}} para el {{2}}. Responde a este mensaje para leerla.",
			Variables: []console.TemplateVariable{{Key: "1", Sample: "salud"}, {Key: "2", Sample: "lunes"}}}},
		Health: console.HealthChecks{console.RedisCheck(rdb), console.PackCheck(func() *content.Pack { return p }),
			console.WorkersCheck(rdb, keys.Queue()),
			func(context.Context) console.Check {
				return console.Check{Name: "Twilio", OK: true, Detail: "SMS y WhatsApp configurados (prueba local)"}
			}},
		Pack:     func() *content.Pack { return p },
		Check:    check,
		Location: loc,
		Log:      log,
	}
	for _, f := range edit {
		f(&opts)
	}
	c, err := console.New(opts)
	if err != nil {
		fake.Close()
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	c.Register(e.Group("/admin"))
	return &Demo{Echo: e, Console: c, Stats: rec, Store: store, Twilio: fake, Location: loc, Pack: p, Subs: subs}, nil
}

// Seed writes figures for the last days through the conversation engine
// and the stats recorder, as real messages would, and subscribes subs
// people to the first topic so broadcasts have recipients. The people are
// made up.
func (d *Demo) Seed(ctx context.Context, rdb redis.UniversalClient, subs int) error {
	for i := range subs {
		addr := fmt.Sprintf("whatsapp:+5025001%04d", i)
		id := ident.NewHasher([]byte("demo-subscriber-key")).Sender(content.WhatsApp, addr)
		if err := d.Subs.Subscribe(ctx, id, addr, content.WhatsApp, "es", d.Pack.Topics[0].ID); err != nil {
			return fmt.Errorf("demo: subscribe: %w", err)
		}
	}
	h := ident.NewHasher([]byte("demo-seed-key-not-a-real-secret"))
	eng := flows.New(d.Pack, flows.Options{Subscriptions: true})
	words := []string{"hola", "salud", "salud", "condon", "derechos", "emergencia", "vih", "1", "peligro"}
	now := time.Now()
	for day := 13; day >= 0; day-- {
		at := now.AddDate(0, 0, -day)
		people := 6 + (day*7)%23
		for i := range people {
			ch := content.WhatsApp
			if i%3 == 0 {
				ch = content.SMS
			}
			id := h.Sender(ch, fmt.Sprintf("+5025000%04d", i))
			in := flows.Input{Text: words[(i+day)%len(words)], Channel: ch, New: true}
			res := eng.Step(flows.State{}, in)
			d.Stats.Count(at, stats.FromStep(d.Pack, in, res, id, stats.DefaultDistressNodes))
		}
	}
	if err := d.Stats.Flush(ctx); err != nil {
		return fmt.Errorf("demo: seed figures: %w", err)
	}
	if err := d.Stats.Broadcast(ctx, 42, 3); err != nil {
		return err
	}
	for range 6 {
		if err := d.Stats.Subscription(ctx, d.Pack.Topics[0].ID, true); err != nil {
			return err
		}
	}
	return nil
}
