package broadcast

import (
	"strconv"

	"github.com/senda-org/senda/bot/adminapi"
)

// Reason is why a delivery was skipped or failed, as counted in
// Status.Reasons. Besides these names a reason is a Twilio error code
// ("21610") or, for an error answer without one, "http_" and the HTTP
// status ("http_502"). The values are part of the admin API: keep them.
type Reason string

// Reasons a delivery ends without being sent, or fails without a Twilio
// error code. Their values are the admin API's (bot/adminapi), so renaming
// one there breaks this build instead of the CLI's explanations.
const (
	ReasonCancelled          Reason = Reason(adminapi.ReasonCancelled)          // the broadcast was cancelled first
	ReasonUnsubscribed       Reason = Reason(adminapi.ReasonUnsubscribed)       // they left (BAJA/STOP) before it went
	ReasonNoTemplate         Reason = Reason(adminapi.ReasonNoTemplate)         // WhatsApp outside the 24-hour window, and no template
	ReasonTemplatesSuspended Reason = Reason(adminapi.ReasonTemplatesSuspended) // WhatsApp recently declined a template for them
	ReasonOutsideWindow      Reason = Reason(adminapi.ReasonOutsideWindow)      // WhatsApp refused the text: outside the window
	ReasonRetriesExhausted   Reason = Reason(adminapi.ReasonRetriesExhausted)   // gave up after repeated temporary errors
	ReasonUndelivered        Reason = Reason(adminapi.ReasonUndelivered)        // a failed status callback without an error code
)

// reasonCode names a Twilio error code as a reason, or def without one.
func reasonCode(code int, def Reason) Reason {
	if code == 0 {
		return def
	}
	return Reason(strconv.Itoa(code))
}

// httpReason names an error answer without a Twilio code by its status.
func httpReason(status int) Reason { return Reason(adminapi.ReasonHTTPPrefix + strconv.Itoa(status)) }

// Wait is why deliveries are held back now, as counted in Status.Waiting.
// The values are part of the admin API: keep them.
type Wait string

// Reasons a delivery waits.
const (
	WaitQuietHours Wait = Wait(adminapi.WaitingQuietHours) // quiet hours; it goes when they end
	WaitDailyCap   Wait = Wait(adminapi.WaitingDailyCap)   // the WhatsApp cap of people reached in 24 hours is full
	WaitRetry      Wait = Wait(adminapi.WaitingRetry)      // a temporary error; it is retried with backoff
)

// waitCounter is the broadcast record field counting deliveries waiting
// for one reason.
type waitCounter string

// Waiting counters of a broadcast record.
const (
	fWaitQuiet waitCounter = "w_quiet"
	fWaitCap   waitCounter = "w_cap"
	fWaitRetry waitCounter = "w_retry"
)

// waitingFields names each waiting counter for the admin API.
var waitingFields = map[waitCounter]Wait{fWaitQuiet: WaitQuietHours, fWaitCap: WaitDailyCap, fWaitRetry: WaitRetry}
