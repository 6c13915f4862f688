// Package broadcast sends NGO updates to the people who opted in to a topic:
// exactly once each, at the rate Twilio allows, outside quiet hours, and
// with delivery figures the NGO can watch.
//
// A broadcast is fanned out into a Redis Stream of (broadcast, recipient)
// deliveries. Workers in every `senda serve` and `senda worker` read it
// through one consumer group and reclaim the deliveries of dead workers.
// Before sending, a worker claims the delivery in the broadcast's ledger;
// after Twilio answers it records the outcome there, and only then
// acknowledges the stream entry. A delivery whose worker died between
// asking Twilio and recording the answer is reconciled against Twilio's
// message list before it is sent again.
package broadcast

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/senda-org/senda/content"
)

// State is where a broadcast stands.
type State string

// Broadcast states.
const (
	StateScheduled State = "scheduled" // waiting for its send time (or to be fanned out)
	StateSending   State = "sending"   // fanned out; deliveries are going
	StateDone      State = "done"      // every recipient has an outcome
	StateCancelled State = "cancelled" // stopped; what was not sent will not be
)

// Template is a pre-approved WhatsApp template (Content API) for people
// outside WhatsApp's 24-hour window.
type Template struct {
	ContentSID string            `json:"content_sid"`
	Variables  map[string]string `json:"variables,omitempty"`
}

// Request is what an NGO asks to send.
type Request struct {
	Topic    string            `json:"topic"`
	Text     map[string]string `json:"text"`
	Template *Template         `json:"whatsapp_template,omitempty"`
	SendAt   string            `json:"send_at,omitempty"` // RFC 3339; empty sends now
	Urgent   bool              `json:"urgent,omitempty"`  // may go during quiet hours on WhatsApp
}

// Status is a broadcast as the admin API shows it. It never holds an
// address: topics, counts and reasons only.
type Status struct {
	ID         string           `json:"id"`
	Topic      string           `json:"topic"`
	State      State            `json:"state"`
	Recipients int64            `json:"recipients"`
	Sent       int64            `json:"sent"`      // accepted by Twilio
	Delivered  int64            `json:"delivered"` // confirmed by status callbacks
	Failed     int64            `json:"failed"`    // refused by Twilio, or undelivered
	Skipped    int64            `json:"skipped"`   // not sent: unsubscribed, no template, cancelled, …
	Finished   int64            `json:"finished"`  // recipients whose delivery has an outcome (sent, failed or skipped)
	Reasons    map[string]int64 `json:"reasons"`   // skipped and failed, by reason or Twilio error code
	Waiting    map[string]int64 `json:"waiting"`   // deliveries held back now, by why (quiet_hours, daily_cap, retry)
	Urgent     bool             `json:"urgent"`
	Template   bool             `json:"whatsapp_template"`
	SendAt     time.Time        `json:"send_at"`
	CreatedAt  time.Time        `json:"created_at"`
	CreatedBy  string           `json:"created_by"` // the admin token's name
	DoneAt     *time.Time       `json:"done_at,omitempty"`
}

// Settled reports whether nothing more will be sent: done or cancelled.
func (s Status) Settled() bool { return s.State == StateDone || s.State == StateCancelled }

// ValidationError is a request an NGO can fix; its message says how.
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string { return strings.Join(e.Problems, " ") }

var (
	contentSIDPattern = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)
	variablePattern   = regexp.MustCompile(`^[0-9]{1,2}$`)
)

// Limits on what a broadcast may say.
const (
	maxWhatsAppChars = 1600 // Twilio's body limit
	maxScheduleAhead = 90 * 24 * time.Hour
	maxVariableChars = 1024
)

// rendered holds a broadcast's text per language and channel, exactly as it
// is sent: the neutral header line first, transliterated for SMS.
type rendered map[string]map[string]string // lang → "sms"/"whatsapp" → body

// validate checks a request against the pack and renders its texts. now
// resolves an empty send_at.
func validate(req Request, p *content.Pack, now time.Time) (rendered, time.Time, error) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if _, ok := p.TopicByID(req.Topic); !ok {
		ids := make([]string, len(p.Topics))
		for i, t := range p.Topics {
			ids[i] = t.ID
		}
		if req.Topic == "" {
			bad("topic is missing; choose one of: %s.", strings.Join(ids, ", "))
		} else {
			bad("topic %q does not exist; choose one of: %s.", req.Topic, strings.Join(ids, ", "))
		}
	}
	def := p.Languages[0].Code
	out := rendered{}
	if strings.TrimSpace(req.Text[def]) == "" {
		bad("text.%s is required: every subscriber without a text in their language gets the %s one.", def, def)
	}
	for _, lang := range slices.Sorted(maps.Keys(req.Text)) {
		li := p.LanguageIndex(lang)
		if li < 0 {
			bad("text.%s: this pack has no language %q (it has %s).", lang, lang, strings.Join(p.LanguageCodes(), ", "))
			continue
		}
		text := strings.TrimSpace(req.Text[lang])
		if text == "" {
			continue
		}
		header := p.Text("header", li)
		sms, unmapped := content.ToGSM7(header + "\n" + text)
		if len(unmapped) > 0 {
			bad("text.%s has characters SMS cannot carry (%q); remove them.", lang, string(unmapped))
		}
		if size, budget := content.MeasureSMS(sms), p.SMS.Budget(); size.Units > budget {
			bad("text.%s is %d characters by SMS with the %q line before it; %d fit in %d SMS: shorten it by %d.",
				lang, size.Units, header, budget, p.SMS.Segments, size.Units-budget)
		}
		wa := header + "\n" + text
		if n := len([]rune(wa)); n > maxWhatsAppChars {
			bad("text.%s is %d characters; WhatsApp messages hold %d.", lang, n, maxWhatsAppChars)
		}
		out[lang] = map[string]string{content.SMS.String(): sms, content.WhatsApp.String(): wa}
	}
	if t := req.Template; t != nil {
		if !contentSIDPattern.MatchString(t.ContentSID) {
			bad("whatsapp_template.content_sid %q is not a Content SID (HX followed by 32 hex digits, from Twilio's Content Template Builder).", t.ContentSID)
		}
		for _, k := range slices.Sorted(maps.Keys(t.Variables)) {
			switch v := t.Variables[k]; {
			case !variablePattern.MatchString(k):
				bad("whatsapp_template.variables: %q is not a variable number like \"1\".", k)
			case strings.TrimSpace(v) == "":
				bad("whatsapp_template.variables.%s is empty; WhatsApp refuses empty variables.", k)
			case len([]rune(v)) > maxVariableChars:
				bad("whatsapp_template.variables.%s is longer than %d characters.", k, maxVariableChars)
			}
		}
	}
	sendAt := now
	if req.SendAt != "" {
		t, err := time.Parse(time.RFC3339, req.SendAt)
		switch {
		case err != nil:
			bad("send_at %q is not an RFC 3339 time like 2026-12-01T09:00:00-06:00.", req.SendAt)
		case t.Before(now.Add(-time.Minute)):
			bad("send_at %s is in the past; leave send_at out to send now.", req.SendAt)
		case t.After(now.Add(maxScheduleAhead)):
			bad("send_at %s is more than 90 days away.", req.SendAt)
		default:
			sendAt = t
		}
	}
	if len(problems) > 0 {
		return nil, time.Time{}, &ValidationError{Problems: problems}
	}
	return out, sendAt, nil
}

// body picks the text for a subscriber's language and channel, falling back
// to the default language.
func (r rendered) body(lang, def string, ch content.Channel) string {
	if t, ok := r[lang]; ok {
		return t[ch.String()]
	}
	return r[def][ch.String()]
}

func (r rendered) encode() string {
	b, _ := json.Marshal(r) // a map of strings always marshals
	return string(b)
}

func decodeRendered(s string) (rendered, error) {
	var r rendered
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return nil, errors.New("broadcast: stored texts are corrupt")
	}
	return r, nil
}
