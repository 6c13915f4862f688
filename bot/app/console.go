package app

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/console"
	"github.com/senda-org/senda/bot/stats"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

// newStats builds the recorder of the anonymous daily figures, counted in
// SENDA_TIMEZONE. It comes before the conversation, whose session step
// will count them (statsCounter), and the broadcast store, whose outcomes
// it counts (setupBroadcasts).
func (a *App) newStats(prefix string) error {
	loc, err := a.cfg.Broadcast.Location()
	if err != nil {
		return err
	}
	a.loc = loc
	a.stats = stats.New(a.rdb, stats.Options{Prefix: prefix, Location: loc, Now: a.now})
	return nil
}

// statsOutcomes counts broadcast outcomes and forgotten subscribers in the
// daily figures. A failure to count is logged and costs the figure, never
// the delivery.
type statsOutcomes struct {
	rec *stats.Recorder
	app *App
}

// Outcome implements broadcast.Outcomes.
func (o statsOutcomes) Outcome(ctx context.Context, sent bool) {
	var err error
	if sent {
		err = o.rec.Broadcast(ctx, 1, 0)
	} else {
		err = o.rec.Broadcast(ctx, 0, 1)
	}
	if err != nil {
		o.app.log.Warn("count a broadcast outcome in the daily figures", "err", err)
	}
}

// Forgotten implements broadcast.Outcomes: one opt-out per topic the
// person had.
func (o statsOutcomes) Forgotten(ctx context.Context, topics []string) {
	for _, t := range topics {
		if err := o.rec.Subscription(ctx, t, false); err != nil {
			o.app.log.Warn("count an opt-out in the daily figures", "err", err)
		}
	}
}

// simulatorLabel derives the key that signs the console simulator's state
// from SENDA_HASH_KEY, so no new setting is needed and states survive a
// restart and agree between replicas.
const simulatorLabel = "console-simulator-state"

// newConsole builds the web console over the running parts. It is on only
// with SENDA_ADMIN_TOKENS, like the admin API.
func (a *App) newConsole(prefix string) (*console.Console, error) {
	simKey := a.hasher.Label(simulatorLabel, "")
	opts := console.Options{
		Redis:        a.rdb,
		Prefix:       prefix,
		Access:       a.access,
		Broadcasts:   broadcastsOff{},
		Stats:        a.stats,
		Health:       a.healthChecks(),
		Pack:         a.conversation.Pack,
		Check:        a.contentReport(),
		Location:     a.loc,
		Secure:       strings.HasPrefix(strings.ToLower(a.cfg.PublicURL), "https://"),
		SimulatorKey: simKey[:],
		Log:          a.log.With("component", "console"),
		Now:          a.now,
	}
	if a.broadcasts != nil {
		opts.Broadcasts = console.StoreBroadcasts{Store: a.broadcasts}
	}
	if a.sender != nil {
		opts.TestSender = console.SenderTest{Sender: a.sender}
	}
	if a.reports != nil && a.broadcasts != nil {
		opts.Reports = console.ReportDesk{Store: a.reports, Broadcasts: a.broadcasts}
	}
	if a.deps.Sender == nil && a.cfg.Twilio.Sends() {
		// The account's approved WhatsApp templates, listed with the
		// sender's settings and credentials.
		// Settings the sender would refuse leave the list empty, as Twilio's
		// refusal of every listing did before; the log says why.
		if t, err := twilio.NewContentTemplates(a.cfg.Twilio, a.now); err != nil {
			a.log.Warn("web console: no WhatsApp templates listed", "err", err)
		} else {
			opts.Templates = t
		}
	}
	c, err := console.New(opts)
	if err != nil {
		return nil, fmt.Errorf("web console: %w", err)
	}
	return c, nil
}

// contentReport returns the content check of the pack in use: the embedded
// pack's, read once, or the content folder's as it is now on disk (what a
// reload would load).
func (a *App) contentReport() func() *content.Report {
	if dir := a.cfg.ContentDir; dir != "" {
		return func() *content.Report {
			_, r, _ := content.LoadDir(dir)
			return r
		}
	}
	return sync.OnceValue(func() *content.Report {
		_, r, _ := content.Default()
		return r
	})
}

// healthChecks are the console's "is everything working": Redis, the
// content pack, the broadcast workers (when broadcasts are on) and the
// Twilio settings.
func (a *App) healthChecks() console.HealthChecks {
	checks := console.HealthChecks{console.RedisCheck(a.rdb), console.PackCheck(a.conversation.Pack)}
	if a.broadcasts != nil {
		checks = append(checks, console.WorkersCheck(a.rdb, a.keys.Queue()))
	}
	return append(checks, a.twilioCheck)
}

// twilioCheck says what of Twilio is set, naming settings, never values.
func (a *App) twilioCheck(context.Context) console.Check {
	tw := a.cfg.Twilio
	var set []string
	if tw.AuthToken != "" {
		set = append(set, "firma de Twilio / signatures")
	}
	if tw.MessagingServiceSID != "" {
		set = append(set, "Messaging Service")
	}
	if tw.SMSFrom != "" {
		set = append(set, "SMS")
	}
	if tw.WhatsAppFrom != "" {
		set = append(set, "WhatsApp")
	}
	var problems []string
	if tw.AuthToken == "" {
		problems = append(problems, "TWILIO_AUTH_TOKEN no está: no se revisan las firmas de Twilio / signatures are not checked")
	}
	if a.broadcasts != nil && a.sender == nil {
		problems = append(problems, "los avisos esperan: falta TWILIO_ACCOUNT_SID o un remitente / broadcasts wait: no Twilio REST settings")
	}
	if len(problems) > 0 {
		return console.Check{Name: "Twilio", Detail: strings.Join(problems, "; ")}
	}
	c := console.Check{Name: "Twilio", OK: true, Detail: strings.Join(set, ", ")}
	if a.broadcasts == nil {
		c.Detail += " · avisos apagados (SENDA_SUBSCRIBER_KEY) / broadcasts off"
	}
	return c
}

// broadcastsOff stands for the broadcast store when subscriptions are off:
// the console still shows figures and content, and says why it cannot send.
type broadcastsOff struct{}

var errBroadcastsOff = &broadcast.ValidationError{Problems: []string{
	"Los avisos están apagados: quien instaló Senda debe poner SENDA_SUBSCRIBER_KEY. / Broadcasts are off: set SENDA_SUBSCRIBER_KEY.",
}}

func (broadcastsOff) Create(context.Context, broadcast.Request, string) (broadcast.Status, error) {
	return broadcast.Status{}, errBroadcastsOff
}

func (broadcastsOff) List(context.Context, int) ([]broadcast.Status, error) { return nil, nil }

func (broadcastsOff) Cancel(context.Context, string) (broadcast.Status, error) {
	return broadcast.Status{}, broadcast.ErrNotFound
}
