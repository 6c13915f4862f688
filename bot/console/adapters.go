package console

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

// Adapters of the console's interfaces over Senda's real parts, for the
// integrator's wiring and for the tests.

// StoreBroadcasts implements Broadcasts over a broadcast.Store.
type StoreBroadcasts struct{ Store *broadcast.Store }

// Create implements Broadcasts.
func (b StoreBroadcasts) Create(ctx context.Context, req broadcast.Request, by string) (broadcast.Status, error) {
	st, _, err := b.Store.Create(ctx, req, by, "")
	return st, err
}

// List implements Broadcasts.
func (b StoreBroadcasts) List(ctx context.Context, limit int) ([]broadcast.Status, error) {
	return b.Store.List(ctx, limit)
}

// Cancel implements Broadcasts.
func (b StoreBroadcasts) Cancel(ctx context.Context, id string) (broadcast.Status, error) {
	return b.Store.Cancel(ctx, id)
}

// SenderTest implements TestSender over the broadcast worker's Twilio
// sender: one message, no status callback, nothing kept.
type SenderTest struct{ Sender broadcast.Sender }

// SendTest implements TestSender.
func (s SenderTest) SendTest(ctx context.Context, to string, ch content.Channel, body string) error {
	if ch == content.WhatsApp {
		to = "whatsapp:" + to
	}
	if _, err := s.Sender.Send(ctx, twilio.Message{To: to, Body: body}); err != nil {
		return fmt.Errorf("console: test message: %w", err)
	}
	return nil
}

// HealthChecks implements Health with a list of checks run in order.
type HealthChecks []func(ctx context.Context) Check

// Check implements Health.
func (h HealthChecks) Check(ctx context.Context) []Check {
	out := make([]Check, len(h))
	for i, f := range h {
		out[i] = f(ctx)
	}
	return out
}

// RedisCheck says whether Redis answers a PING within two seconds.
func RedisCheck(rdb redis.UniversalClient) func(context.Context) Check {
	return func(ctx context.Context) Check {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return Check{Name: "Redis", Detail: "no responde / does not answer"}
		}
		return Check{Name: "Redis", OK: true}
	}
}

// PackCheck describes the live content pack.
func PackCheck(pack func() *content.Pack) func(context.Context) Check {
	return func(context.Context) Check {
		p := pack()
		if p == nil {
			return Check{Name: "Contenido / Content", Detail: "sin paquete / no pack"}
		}
		return Check{Name: "Contenido / Content", OK: true,
			Detail: fmt.Sprintf("%s: %d pantallas / screens, %d temas / topics, revisado / reviewed %s", p.Name, len(p.Nodes), len(p.Topics), p.Reviewed)}
	}
}

// StaticTemplates implements Templates with a fixed list, for deployments
// that name their approved templates in configuration.
type StaticTemplates []Template

// List implements Templates.
func (t StaticTemplates) List(context.Context) ([]Template, error) { return t, nil }

// WorkersCheck says whether broadcast deliveries are being taken: the
// consumers of the delivery queue (the stream at queueKey, e.g.
// rkey.Space("senda:").Queue()) seen in the last minute, and deliveries
// waiting in it. Redis only lists a consumer once it has been handed an
// entry, so with nothing to deliver no worker is visible; that is reported
// as working, with nothing waiting.
func WorkersCheck(rdb redis.UniversalClient, queueKey string) func(context.Context) Check {
	return func(ctx context.Context) Check {
		const name = "Trabajadores de avisos / Broadcast workers"
		var waiting int64
		groups, err := rdb.XInfoGroups(ctx, queueKey).Result()
		if err != nil {
			return Check{Name: name, OK: true, Detail: "todavía no hay avisos en la cola / no broadcasts queued yet"}
		}
		for _, g := range groups {
			if g.Name == broadcast.Group {
				waiting = max(g.Lag, 0) + g.Pending
			}
		}
		alive := 0
		if consumers, err := rdb.XInfoConsumers(ctx, queueKey, broadcast.Group).Result(); err == nil {
			for _, c := range consumers {
				if c.Idle < time.Minute {
					alive++
				}
			}
		}
		switch {
		case alive > 0:
			return Check{Name: name, OK: true, Detail: fmt.Sprintf("%d activos / running", alive)}
		case waiting > 0:
			return Check{Name: name, Detail: fmt.Sprintf("%d entregas esperan y ningún trabajador las toma / %d deliveries wait and no worker takes them", waiting, waiting)}
		}
		return Check{Name: name, OK: true, Detail: "nada pendiente / nothing waiting"}
	}
}
