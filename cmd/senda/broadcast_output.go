package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/twilio"
)

// How a broadcast is shown to people: figures, reasons and waits in
// sentences.

// ---------------------------------------------------------------------------
// Showing a broadcast

// printStatus shows a broadcast for people.
func printStatus(w io.Writer, st adminapi.Broadcast, loc *time.Location) {
	var flags []string
	if st.Urgent {
		flags = append(flags, "urgent")
	}
	if st.Template {
		flags = append(flags, "with a WhatsApp template")
	}
	fmt.Fprintf(w, "Broadcast %s: topic %s, %s", st.ID, st.Topic, st.State)
	if len(flags) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(flags, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Created %s by %s; ", localTime(st.CreatedAt, loc), st.CreatedBy)
	switch {
	case st.State == adminapi.StateScheduled:
		fmt.Fprintf(w, "to be sent %s.\n", localTime(st.SendAt, loc))
	case st.DoneAt != nil:
		fmt.Fprintf(w, "sending from %s, %s %s.\n", localTime(st.SendAt, loc), st.State, localTime(*st.DoneAt, loc))
	default:
		fmt.Fprintf(w, "sending since %s.\n", localTime(st.SendAt, loc))
	}
	fmt.Fprintln(w)
	width := len(strconv.FormatInt(max(st.Recipients, st.Sent, st.Delivered, st.Failed, st.Skipped), 10))
	row := func(name string, n int64, meaning string) {
		fmt.Fprintf(w, "  %-10s  %*d  %s\n", name, width, n, meaning)
	}
	row("recipients", st.Recipients, "subscribed to "+st.Topic+" when it was created")
	row("sent", st.Sent, "accepted by Twilio")
	row("delivered", st.Delivered, "confirmed on the phone (needs Twilio's status callbacks)")
	row("failed", st.Failed, "refused by Twilio, or not delivered")
	row("skipped", st.Skipped, "not sent; why below")
	if len(st.Reasons) > 0 {
		fmt.Fprintln(w, "\nWhy not sent or not delivered:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		keys := slices.SortedFunc(maps.Keys(st.Reasons), func(a, b string) int {
			if c := st.Reasons[b] - st.Reasons[a]; c != 0 {
				return int(max(-1, min(1, c)))
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", st.Reasons[k], k, explainReason(k))
		}
		tw.Flush()
	}
	if len(st.Waiting) > 0 {
		fmt.Fprintln(w, "\nWaiting now:")
		for _, k := range slices.Sorted(maps.Keys(st.Waiting)) {
			fmt.Fprintf(w, "  %s\n", waitingSentence(k, st.Waiting[k]))
		}
	}
}

// reasonTexts explain the reasons Senda itself names; Twilio's numeric
// codes are explained by twilio.Describe.
var reasonTexts = map[adminapi.Reason]string{
	adminapi.ReasonUnsubscribed:       "left (BAJA/STOP) before it was sent",
	adminapi.ReasonNoTemplate:         "WhatsApp, outside the 24-hour window, and the broadcast has no template",
	adminapi.ReasonOutsideWindow:      "WhatsApp refused the text: outside the 24-hour window",
	adminapi.ReasonTemplatesSuspended: "WhatsApp recently declined a template for them; templates pause for 7 days",
	adminapi.ReasonCancelled:          "not sent because the broadcast was cancelled",
	adminapi.ReasonRetriesExhausted:   "gave up after repeated temporary errors",
	adminapi.ReasonUndelivered:        "the carrier or WhatsApp did not deliver it, without a reason",
}

func explainReason(k string) string {
	if t, ok := reasonTexts[k]; ok {
		return t
	}
	if status, ok := strings.CutPrefix(k, adminapi.ReasonHTTPPrefix); ok {
		return "Twilio answered HTTP " + status + " without an error code"
	}
	code, err := strconv.Atoi(k)
	if err != nil {
		return ""
	}
	desc := twilio.Describe(code)
	switch twilio.Classify(code, 0) {
	case twilio.KindOptedOut, twilio.KindBlocked, twilio.KindInvalidAddress:
		desc += "; their subscription was deleted"
	case twilio.KindConfig:
		desc += "; the operator must fix Senda's Twilio settings"
	}
	return desc + " (" + twilio.ErrorDocs(code) + ")"
}

func waitingSentence(k string, n int64) string {
	switch k {
	case adminapi.WaitingQuietHours:
		return fmt.Sprintf("%d waiting for quiet hours to end (SENDA_QUIET_HOURS)", n)
	case adminapi.WaitingDailyCap:
		return fmt.Sprintf("%d waiting for room in WhatsApp's limit of people reached in 24 hours (SENDA_WHATSAPP_DAILY_CAP)", n)
	case adminapi.WaitingRetry:
		return fmt.Sprintf("%d waiting to be tried again after a temporary error", n)
	}
	return fmt.Sprintf("%d waiting (%s)", n, k)
}

// stateSentence says where a new broadcast stands; times are in loc
// (SENDA_TIMEZONE).
func stateSentence(st adminapi.Broadcast, loc *time.Location) string {
	switch st.State {
	case adminapi.StateScheduled:
		if st.SendAt.After(time.Now()) {
			return "scheduled for " + localTime(st.SendAt, loc)
		}
		return "starting"
	case adminapi.StateSending:
		return "sending"
	}
	return string(st.State)
}

// localTime writes t in loc (SENDA_TIMEZONE), with the zone's abbreviation.
func localTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// writeJSON prints the admin API's answer, one document per line.
func writeJSON(w io.Writer, body []byte) {
	w.Write(bytes.TrimSpace(body))
	io.WriteString(w, "\n")
}
