// Package adminapi is the admin API's wire contract: paths, headers, the
// request and response bodies, and the vocabulary of reasons and waits a
// broadcast reports. The server (bot/httpapi) and the command-line client
// (bot/adminapi/client, used by `senda broadcast`) both compile against it,
// so a renamed field or reason breaks the build instead of the CLI.
//
// It imports only the standard library.
package adminapi

import (
	"strconv"
	"time"
)

// Paths of the admin API, below the server's base URL.
const (
	PathPrefix     = "/admin"
	PathBroadcasts = PathPrefix + "/broadcasts" // POST creates, GET lists
	PathTopics     = PathPrefix + "/topics"
	PathAudit      = PathPrefix + "/audit"
	// PathStats answers the anonymous daily figures:
	// ?from=YYYY-MM-DD&to=YYYY-MM-DD (default the last 30 days, at most
	// 400), and &format=csv for CSV instead of Stats.
	PathStats = PathPrefix + "/stats"
)

// StatsFormatCSV is the format= value that asks GET /admin/stats for CSV.
const StatsFormatCSV = "csv"

// BroadcastPath is the path of one broadcast; CancelPath cancels it. id must
// already be escaped for a path.
func BroadcastPath(id string) string { return PathBroadcasts + "/" + id }

// CancelPath is where a broadcast is cancelled.
func CancelPath(id string) string { return BroadcastPath(id) + "/cancel" }

// Headers of the admin API.
const (
	// HeaderIdempotencyKey makes a create safe to repeat: the same key
	// returns the broadcast created the first time.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderReplayed is "true" on the answer to a repeated create.
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxListLimit is the most broadcasts GET /admin/broadcasts?limit= returns;
// DefaultListLimit is what it returns without a limit.
const (
	DefaultListLimit = 20
	MaxListLimit     = 100
)

// State is where a broadcast stands.
type State string

// The states of a broadcast.
const (
	StateScheduled State = "scheduled" // waiting for its send time (or to be fanned out)
	StateSending   State = "sending"   // fanned out; deliveries are going
	StateDone      State = "done"      // every recipient has an outcome
	StateCancelled State = "cancelled" // stopped; what was not sent will not be
)

// Reason is why a recipient was skipped or failed, as Status.Reasons counts
// it. Besides these, a reason may be a Twilio error code ("21610") or
// "http_" and an HTTP status Twilio answered without a code.
type Reason = string

// The reasons Senda itself names.
const (
	ReasonUnsubscribed       Reason = "unsubscribed"        // left (BAJA/STOP) before it was sent
	ReasonNoTemplate         Reason = "no_template"         // WhatsApp outside the 24-hour window, no template
	ReasonOutsideWindow      Reason = "outside_window"      // WhatsApp refused the text: outside the window
	ReasonTemplatesSuspended Reason = "templates_suspended" // a template was declined recently; paused 7 days
	ReasonCancelled          Reason = "cancelled"           // the broadcast was cancelled first
	ReasonRetriesExhausted   Reason = "retries_exhausted"   // gave up after repeated temporary errors
	ReasonUndelivered        Reason = "undelivered"         // not delivered, without a reason
)

// ReasonHTTPPrefix starts a reason that is an HTTP status Twilio answered
// without an error code, e.g. "http_503".
const ReasonHTTPPrefix = "http_"

// Waiting is why deliveries are held back now, as Status.Waiting counts it.
type Waiting = string

// The reasons a delivery waits.
const (
	WaitingQuietHours Waiting = "quiet_hours" // until SENDA_QUIET_HOURS end
	WaitingDailyCap   Waiting = "daily_cap"   // until the WhatsApp cap (people in 24 hours) has room
	WaitingRetry      Waiting = "retry"       // to be tried again after a temporary error
)

// Template is an approved WhatsApp template sent to those outside the
// 24-hour window.
type Template struct {
	ContentSID string            `json:"content_sid"`
	Variables  map[string]string `json:"variables,omitempty"`
}

// BroadcastRequest is the body of POST /admin/broadcasts.
type BroadcastRequest struct {
	Topic    string            `json:"topic"`
	Text     map[string]string `json:"text"` // by language code
	Template *Template         `json:"whatsapp_template,omitempty"`
	SendAt   string            `json:"send_at,omitempty"` // RFC 3339; empty sends now
	Urgent   bool              `json:"urgent,omitempty"`  // may go during quiet hours on WhatsApp
}

// Broadcast is a broadcast as the admin API shows it. It never holds an
// address: topics, counts and reasons only.
type Broadcast struct {
	ID         string            `json:"id"`
	Topic      string            `json:"topic"`
	State      State             `json:"state"`
	Recipients int64             `json:"recipients"`
	Sent       int64             `json:"sent"`      // accepted by Twilio
	Delivered  int64             `json:"delivered"` // confirmed by status callbacks
	Failed     int64             `json:"failed"`    // refused by Twilio, or undelivered
	Skipped    int64             `json:"skipped"`   // not sent: unsubscribed, no template, cancelled, …
	Finished   int64             `json:"finished"`  // recipients whose delivery has an outcome
	Reasons    map[Reason]int64  `json:"reasons"`   // skipped and failed, by reason or Twilio error code
	Waiting    map[Waiting]int64 `json:"waiting"`   // deliveries held back now, by why
	Urgent     bool              `json:"urgent"`
	Template   bool              `json:"whatsapp_template"`
	SendAt     time.Time         `json:"send_at"`
	CreatedAt  time.Time         `json:"created_at"`
	CreatedBy  string            `json:"created_by"` // the admin token's name
	DoneAt     *time.Time        `json:"done_at,omitempty"`
}

// Settled reports whether nothing more will be sent: done or cancelled.
func (b Broadcast) Settled() bool { return b.State == StateDone || b.State == StateCancelled }

// Created is the answer to POST /admin/broadcasts: the broadcast, and a
// warning when the server cannot deliver it itself.
type Created struct {
	Broadcast
	Warning string `json:"warning,omitempty"`
}

// BroadcastList is the answer to GET /admin/broadcasts, newest first.
type BroadcastList struct {
	Broadcasts []Broadcast `json:"broadcasts"`
}

// Topic is a topic people can subscribe to.
type Topic struct {
	ID          string `json:"id"`
	Name        string `json:"name"` // in the pack's default language
	Subscribers int64  `json:"subscribers"`
}

// Topics is the answer to GET /admin/topics.
type Topics struct {
	Topics          []Topic  `json:"topics"`
	Languages       []string `json:"languages"`
	DefaultLanguage string   `json:"default_language"`
	Delivering      bool     `json:"delivering"` // this server has Twilio's REST settings
}

// AuditEntry is one admin action.
type AuditEntry struct {
	At        string         `json:"at"`
	Token     string         `json:"token"` // the admin token's name
	Action    string         `json:"action"`
	Broadcast string         `json:"broadcast"`
	Details   map[string]any `json:"details"`
}

// Audit is the answer to GET /admin/audit, newest first.
type Audit struct {
	Audit []AuditEntry `json:"audit"`
}

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
}

// A figure is a count that left the server: nil (null in JSON) when it is
// from 1 to Stats.MinCount-1, so no small group can be picked out; 0 stays
// 0.

// StatsBroadcasts are broadcast messages sent (accepted by Twilio) and failed.
type StatsBroadcasts struct {
	Sent   *int64 `json:"sent"`
	Failed *int64 `json:"failed"`
}

// Figures are one day's figures, or the whole range's. Maps are keyed by
// channel, language code, node id, keyword (upper case) and topic id.
type Figures struct {
	People     *int64            `json:"people"`
	Messages   *int64            `json:"messages"`
	Channels   map[string]*int64 `json:"channels"`
	Languages  map[string]*int64 `json:"languages"`
	Nodes      map[string]*int64 `json:"nodes"`
	Keywords   map[string]*int64 `json:"keywords"`
	Distress   *int64            `json:"distress"`
	OptIns     map[string]*int64 `json:"opt_ins"`
	OptOuts    map[string]*int64 `json:"opt_outs"`
	Broadcasts StatsBroadcasts   `json:"broadcasts"`
}

// StatsDay is one day's figures.
type StatsDay struct {
	Date string `json:"date"` // YYYY-MM-DD in Timezone
	Figures
}

// Stats is the answer to GET /admin/stats. Total.People counts distinct
// people over the whole range, not a sum of days.
type Stats struct {
	From     string     `json:"from"`
	To       string     `json:"to"`
	Timezone string     `json:"timezone"`
	MinCount int        `json:"min_count"`
	Days     []StatsDay `json:"days"`
	Total    Figures    `json:"total"`
}

// FormatFigure writes a figure for people: the number, or "<5" (for
// MinCount 5) when it is hidden.
func FormatFigure(f *int64, minCount int) string {
	if f == nil {
		return "<" + strconv.Itoa(minCount)
	}
	return strconv.FormatInt(*f, 10)
}
