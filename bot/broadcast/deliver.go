package broadcast

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/subscribers"
	"github.com/senda-org/senda/bot/twilio"
	"github.com/senda-org/senda/content"
)

// attempt is a delivery that passed the gate: who it is for and what goes.
type attempt struct {
	d   delivery
	b   cachedBroadcast
	id  ident.SenderID
	sub subscribers.Subscriber
	msg twilio.Message
	now time.Time // when the attempt began
}

// tryDeliver takes one delivery through its phases: gate (may it go now?),
// claim (own it in the ledger, reconciling a lost attempt with Twilio),
// daily cap, send, and record the outcome. A phase that settles the
// delivery or puts it aside ends it there. An error means Redis failed or a
// bug: the entry stays pending and is taken over later.
func (w *Worker) tryDeliver(ctx context.Context, d delivery) error {
	a, err := w.gate(ctx, d)
	if a == nil || err != nil {
		return err
	}
	if ours, err := w.claimOrReconcile(ctx, a); !ours || err != nil {
		return err
	}
	if ok, err := w.withinCap(ctx, a); !ok || err != nil {
		return err
	}
	sendErr, err := w.send(ctx, a)
	if err != nil {
		return err
	}
	return w.recordOutcome(ctx, a, sendErr)
}

// gate decides whether a delivery may be sent now, and waits for its turn
// of the send rate. It returns no attempt when it settled the delivery
// (skipped, or dropped as not a delivery) or put it aside to wait.
func (w *Worker) gate(ctx context.Context, d delivery) (*attempt, error) {
	b, err := w.broadcast(ctx, d.bid)
	if errors.Is(err, ErrNotFound) {
		return nil, nil // expired or never existed: nothing to do
	}
	if err != nil {
		return nil, err
	}
	id, err := subscribers.ParseID(d.rid)
	if err != nil {
		return nil, nil // not a recipient id: drop it
	}
	if b.state == StateCancelled {
		return nil, w.finishOwned(ctx, d, skipped(ReasonCancelled))
	}
	sub, ok, err := w.subs.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, w.finishOwned(ctx, d, skipped(ReasonUnsubscribed))
	}
	a := &attempt{d: d, b: b, id: id, sub: sub, now: w.store.now()}
	var skip Reason
	if a.msg, skip = w.compose(b, sub, d, a.now); skip != "" {
		return nil, w.finishOwned(ctx, d, skipped(skip))
	}
	// Quiet hours hold everything but urgent WhatsApp messages.
	if until, quiet := w.cfg.Quiet.Until(a.now); quiet && !(b.urgent && sub.Channel == content.WhatsApp) {
		return nil, w.store.putAside(ctx, d, until, fWaitQuiet, false, time.Time{})
	}
	// Wait for this send's turn before claiming it, so a claimed delivery is
	// always one being sent right now.
	if err := w.pace(ctx); err != nil {
		return nil, err
	}
	skip, err = w.recheck(ctx, d, id)
	if err != nil {
		return nil, err
	}
	if skip != "" {
		return nil, w.finishOwned(ctx, d, skipped(skip))
	}
	return a, nil
}

// recheck looks again, in one round trip, for a cancel or BAJA that came
// while the delivery waited its turn, right before it is claimed. It
// returns the reason to skip it, or "".
func (w *Worker) recheck(ctx context.Context, d delivery, id ident.SenderID) (Reason, error) {
	var exists *redis.IntCmd
	var state *redis.StringCmd
	if _, err := w.store.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		exists = p.Exists(ctx, w.store.keys.Subscriber(id))
		state = p.HGet(ctx, w.store.keys.Broadcast(d.bid), fState)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("broadcast: recheck: %w", err)
	}
	switch {
	case State(state.Val()) == StateCancelled:
		return ReasonCancelled, nil
	case exists.Val() == 0:
		return ReasonUnsubscribed, nil
	}
	return "", nil
}

// claimOrReconcile claims the delivery in the ledger. It reports whether
// the caller now owns it and should send: not when another copy owns it or
// it is settled, nor when Twilio turns out to have sent it on a lost attempt
// (then that outcome is recorded here) or could not be asked (then it is
// retried later).
func (w *Worker) claimOrReconcile(ctx context.Context, a *attempt) (bool, error) {
	c, err := w.store.claim(ctx, a.d, w.store.now())
	if err != nil || !c.ours() {
		return false, err
	}
	if c.result != claimUnknown {
		return true, nil
	}
	// A worker died after asking Twilio and before writing down the answer.
	// Send again only if Twilio has no such message.
	went, err := w.twilioHas(ctx, a, c)
	if err != nil {
		return false, w.retry(ctx, a.d, err, attemptLost)
	}
	if went {
		return false, w.store.finish(ctx, a.d, outcomeSent)
	}
	// Under Message Redaction the list cannot find the message by its
	// address, and its status callback may still be on its way: wait for
	// it until CallbackGrace after the lost attempt before sending again.
	if until := c.since.Add(w.cfg.CallbackGrace); w.cfg.StatusCallback != "" && a.now.Before(until) {
		return false, w.store.putAside(ctx, a.d, until, fWaitRetry, false, time.Time{})
	}
	return true, nil
}

// twilioHas reports whether Twilio has the message of a lost attempt: a
// status callback carrying the delivery's tag came, or Twilio's message
// list shows it.
func (w *Worker) twilioHas(ctx context.Context, a *attempt, c claim) (bool, error) {
	if w.cfg.StatusCallback != "" {
		seen, err := w.store.callbackSeen(ctx, a.d)
		if err != nil || seen {
			return seen, err
		}
	}
	return w.sender.SentSince(ctx, a.sub.Address, c.since.Add(-time.Minute), a.msg.Body)
}

// withinCap counts a template against the WhatsApp cap (different people
// in a rolling 24 hours). When the cap is full it puts the delivery aside
// until the oldest reach leaves the window and reports false.
func (w *Worker) withinCap(ctx context.Context, a *attempt) (bool, error) {
	if a.msg.ContentSID == "" || w.cfg.DailyCap <= 0 {
		return true, nil
	}
	ok, retryAt, err := w.store.takeCap(ctx, w.cfg.DailyCap, a.d.rid, a.now)
	if err != nil || ok {
		return ok, err
	}
	return false, w.store.putAside(ctx, a.d, retryAt, fWaitCap, true, time.Time{})
}

// send sends the message. When WhatsApp says its window closed earlier than
// the last message's hour said, it sends the template instead, which is
// what WhatsApp allows now. It returns Twilio's answer as sendErr; err is a
// failure of Redis (pacing).
func (w *Worker) send(ctx context.Context, a *attempt) (sendErr, err error) {
	_, sendErr = w.sender.Send(ctx, a.msg)
	if !isKind(sendErr, twilio.KindOutsideWindow) || a.msg.Body == "" || a.b.tpl == nil || !a.now.After(a.sub.TemplatesSuspendedUntil) {
		return sendErr, nil
	}
	a.msg.Body, a.msg.ContentSID, a.msg.ContentVariables = "", a.b.tpl.ContentSID, a.b.tpl.Variables
	if err := w.pace(ctx); err != nil {
		return nil, err
	}
	_, sendErr = w.sender.Send(ctx, a.msg)
	return sendErr, nil
}

// recordOutcome records what Twilio answered: sent, a retry later, or a
// failure, acting on what the failure says about the person first.
func (w *Worker) recordOutcome(ctx context.Context, a *attempt, sendErr error) error {
	if sendErr == nil {
		return w.store.finish(ctx, a.d, outcomeSent)
	}
	var te *twilio.Error
	if !errors.As(sendErr, &te) {
		return w.retry(ctx, a.d, sendErr, attemptUnknown)
	}
	switch te.Kind {
	case twilio.KindRetry:
		return w.retry(ctx, a.d, sendErr, attemptUnsent)
	case twilio.KindUnknown:
		return w.retry(ctx, a.d, sendErr, attemptUnknown)
	case twilio.KindOutsideWindow:
		return w.store.finish(ctx, a.d, skipped(ReasonOutsideWindow))
	case twilio.KindConfig:
		w.log.Error("Twilio refused a broadcast message because of the configuration; check the sender settings", "code", te.Code, "desc", te.Desc)
	}
	if err := w.store.ApplyErrorPolicy(ctx, a.id, te.Kind); err != nil {
		return err
	}
	return w.store.finish(ctx, a.d, failed(reasonCode(te.Code, httpReason(te.HTTPStatus))))
}

// ApplyErrorPolicy does what a failed message says about the person it was
// for (twilio.Kind.RecipientAction): forget them at once, as BAJA would, when
// they opted out, blocked the sender or cannot receive messages; suspend
// templates to them for twilio.TemplateSuspension when WhatsApp declined
// one. The worker calls it for every send Twilio refuses, the status
// callback handler for every callback with an ErrorCode, with
// twilio.Classify(code, 0).
func (s *Store) ApplyErrorPolicy(ctx context.Context, id ident.SenderID, k twilio.Kind) error {
	switch k.RecipientAction() {
	case twilio.ForgetRecipient:
		s.noteForget(ctx, id)
		return s.subs.Delete(ctx, id, s.pack().TopicIDs())
	case twilio.SuspendTemplates:
		return s.subs.SuspendTemplates(ctx, id, s.now().Add(twilio.TemplateSuspension))
	}
	return nil
}

func isKind(err error, k twilio.Kind) bool {
	var te *twilio.Error
	return errors.As(err, &te) && te.Kind == k
}

// compose builds the message for a subscriber, or says why none can go.
func (w *Worker) compose(b cachedBroadcast, sub subscribers.Subscriber, d delivery, now time.Time) (twilio.Message, Reason) {
	def := w.store.pack().Languages[0].Code
	m := twilio.Message{To: sub.Address}
	if w.cfg.StatusCallback != "" {
		m.StatusCallback = w.cfg.StatusCallback + "?" + url.Values{CallbackParamBroadcast: {d.bid}, CallbackParamTag: {deliveryTag(d)}}.Encode()
	}
	if sub.Channel == content.SMS || inWindow(sub.LastSeen, now) {
		m.Body = b.texts.body(sub.Lang, def, sub.Channel)
		return m, ""
	}
	switch {
	case b.tpl == nil:
		return m, ReasonNoTemplate
	case now.Before(sub.TemplatesSuspendedUntil):
		return m, ReasonTemplatesSuspended
	}
	m.ContentSID, m.ContentVariables = b.tpl.ContentSID, b.tpl.Variables
	return m, ""
}

// finishOwned records an outcome for a delivery no send was attempted for:
// it claims the delivery first, so a copy of it is counted once.
func (w *Worker) finishOwned(ctx context.Context, d delivery, o outcome) error {
	c, err := w.store.claim(ctx, d, w.store.now())
	if err != nil || !c.ours() {
		return err
	}
	return w.store.finish(ctx, d, o)
}

// attemptState is what a retry knows of the attempt before it.
type attemptState int

const (
	attemptUnsent  attemptState = iota // Twilio refused it or never got it: known unsent
	attemptUnknown                     // Twilio may have created it; the attempt ended now
	attemptLost                        // a lost attempt Twilio could not be asked about: left as it was
)

// retry puts a delivery aside with exponential backoff and jitter. Unless
// the attempt is known unsent the ledger keeps it in flight, so the next
// attempt asks Twilio before sending.
func (w *Worker) retry(ctx context.Context, d delivery, cause error, state attemptState) error {
	if d.attempt+1 >= w.cfg.MaxAttempts {
		w.log.Warn("giving up on a delivery after retries", "broadcast", d.bid, "attempts", d.attempt+1, "err", cause)
		reason := ReasonRetriesExhausted
		var te *twilio.Error
		if errors.As(cause, &te) && te.Code != 0 {
			reason = Reason(strconv.Itoa(te.Code))
		}
		return w.store.finish(ctx, d, failed(reason))
	}
	delay := w.cfg.RetryBase << d.attempt
	delay += time.Duration(mrand.Int64N(int64(delay)/2 + 1))
	d.attempt++
	now := w.store.now()
	var ended time.Time
	if state == attemptUnknown {
		ended = now // a create that timed out may have reached Twilio at its last moment
	}
	return w.store.putAside(ctx, d, now.Add(delay), fWaitRetry, state == attemptUnsent, ended)
}
