// Package broadcast sends NGO updates to the people who opted in to a topic:
// exactly once each, at the rate Twilio allows, outside quiet hours, and
// with delivery figures the NGO can watch.
//
// A broadcast is fanned out into a Redis Stream of (broadcast, recipient)
// deliveries. Workers in every `senda serve` and `senda worker` read it
// through one consumer group and take over the deliveries of workers that
// stopped marking them (a heartbeat every 2 s; taken over after 8 s).
// Before sending, a worker claims the delivery in the broadcast's ledger
// (waiting for a replica with Store.WaitReplicas); after Twilio answers it
// records the outcome there, and only then acknowledges the stream entry.
// A delivery whose worker died between asking Twilio and recording the
// answer is reconciled before it is sent again: a status callback carrying
// its tag, or Twilio's message list, says Twilio has it. The guarantee and
// its limits are in docs/BROADCASTS.md §12.
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

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/content"
)

// The broadcast package speaks the admin API's types (bot/adminapi): what an
// NGO asks to send and what it is shown are declared once, there, and the
// CLI compiles against the same declarations.

// State is where a broadcast stands.
type State = adminapi.State

// Broadcast states.
const (
	StateScheduled = adminapi.StateScheduled // waiting for its send time (or to be fanned out)
	StateSending   = adminapi.StateSending   // fanned out; deliveries are going
	StateDone      = adminapi.StateDone      // every recipient has an outcome
	StateCancelled = adminapi.StateCancelled // stopped; what was not sent will not be
)

// Template is a pre-approved WhatsApp template (Content API) for people
// outside WhatsApp's 24-hour window.
type Template = adminapi.Template

// Request is what an NGO asks to send.
type Request = adminapi.BroadcastRequest

// Status is a broadcast as the admin API shows it. It never holds an
// address: topics, counts and reasons only.
type Status = adminapi.Broadcast

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

// problems collects what is wrong with a request, in whole sentences.
type problems []string

func (p *problems) add(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// validate checks a request against the pack and renders its texts. now
// resolves an empty send_at.
func validate(req Request, p *content.Pack, now time.Time) (rendered, time.Time, error) {
	var bad problems
	checkTopic(&bad, req.Topic, p)
	out := renderTexts(&bad, req.Text, p)
	checkTemplate(&bad, req.Template)
	sendAt := parseSendAt(&bad, req.SendAt, now)
	if len(bad) > 0 {
		return nil, time.Time{}, &ValidationError{Problems: bad}
	}
	return out, sendAt, nil
}

func checkTopic(bad *problems, topic string, p *content.Pack) {
	if _, ok := p.TopicByID(topic); ok {
		return
	}
	ids := make([]string, len(p.Topics))
	for i, t := range p.Topics {
		ids[i] = t.ID
	}
	if topic == "" {
		bad.add("topic is missing; choose one of: %s.", strings.Join(ids, ", "))
	} else {
		bad.add("topic %q does not exist; choose one of: %s.", topic, strings.Join(ids, ", "))
	}
}

// renderTexts checks each language's text against the SMS and WhatsApp
// limits and renders it as sent: the neutral header line first.
func renderTexts(bad *problems, texts map[string]string, p *content.Pack) rendered {
	def := p.Languages[0].Code
	out := rendered{}
	if strings.TrimSpace(texts[def]) == "" {
		bad.add("text.%s is required: every subscriber without a text in their language gets the %s one.", def, def)
	}
	for _, lang := range slices.Sorted(maps.Keys(texts)) {
		li := p.LanguageIndex(lang)
		if li < 0 {
			bad.add("text.%s: this pack has no language %q (it has %s).", lang, lang, strings.Join(p.LanguageCodes(), ", "))
			continue
		}
		text := strings.TrimSpace(texts[lang])
		if text == "" {
			continue
		}
		header := p.Text("header", li)
		sms, unmapped := content.ToGSM7(header + "\n" + text)
		if len(unmapped) > 0 {
			bad.add("text.%s has characters SMS cannot carry (%q); remove them.", lang, string(unmapped))
		}
		if size, budget := content.MeasureSMS(sms), p.SMS.Budget(); size.Units > budget {
			bad.add("text.%s is %d characters by SMS with the %q line before it; %d fit in %d SMS: shorten it by %d.",
				lang, size.Units, header, budget, p.SMS.Segments, size.Units-budget)
		}
		wa := header + "\n" + text
		if n := len([]rune(wa)); n > maxWhatsAppChars {
			bad.add("text.%s is %d characters; WhatsApp messages hold %d.", lang, n, maxWhatsAppChars)
		}
		out[lang] = map[string]string{content.SMS.String(): sms, content.WhatsApp.String(): wa}
	}
	return out
}

func checkTemplate(bad *problems, t *Template) {
	if t == nil {
		return
	}
	if !contentSIDPattern.MatchString(t.ContentSID) {
		bad.add("whatsapp_template.content_sid %q is not a Content SID (HX followed by 32 hex digits, from Twilio's Content Template Builder).", t.ContentSID)
	}
	for _, k := range slices.Sorted(maps.Keys(t.Variables)) {
		switch v := t.Variables[k]; {
		case !variablePattern.MatchString(k):
			bad.add("whatsapp_template.variables: %q is not a variable number like \"1\".", k)
		case strings.TrimSpace(v) == "":
			bad.add("whatsapp_template.variables.%s is empty; WhatsApp refuses empty variables.", k)
		case len([]rune(v)) > maxVariableChars:
			bad.add("whatsapp_template.variables.%s is longer than %d characters.", k, maxVariableChars)
		}
	}
}

// parseSendAt reads send_at; empty means now.
func parseSendAt(bad *problems, sendAt string, now time.Time) time.Time {
	if sendAt == "" {
		return now
	}
	t, err := time.Parse(time.RFC3339, sendAt)
	switch {
	case err != nil:
		bad.add("send_at %q is not an RFC 3339 time like 2026-12-01T09:00:00-06:00.", sendAt)
	case t.Before(now.Add(-time.Minute)):
		bad.add("send_at %s is in the past; leave send_at out to send now.", sendAt)
	case t.After(now.Add(maxScheduleAhead)):
		bad.add("send_at %s is more than 90 days away.", sendAt)
	default:
		return t
	}
	return now
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
