package twilio

import (
	"strconv"
	"strings"
)

// Error is a failed send. It never holds the address or Twilio's own message
// text: Twilio's messages often quote the number ("The 'To' number +502… is
// not valid"), and errors end up in logs. It carries the code, the HTTP
// status and this package's description of the code, nothing else, and it
// wraps nothing, so no other text can be reached through errors.Unwrap.
type Error struct {
	Code       int  // Twilio error code (21610, 63018, …), 0 when none
	HTTPStatus int  // 0 when no response arrived
	Kind       Kind // what the caller should do about it
	Desc       string
}

// Error formats the error from its fields only, e.g.
// "twilio: error 21610 (HTTP 400): recipient opted out (STOP)".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("twilio: ")
	switch {
	case e.Code != 0:
		b.WriteString("error ")
		b.WriteString(strconv.Itoa(e.Code))
		if e.HTTPStatus != 0 {
			b.WriteString(" (HTTP ")
			b.WriteString(strconv.Itoa(e.HTTPStatus))
			b.WriteString(")")
		}
		b.WriteString(": ")
	case e.HTTPStatus != 0:
		b.WriteString("HTTP ")
		b.WriteString(strconv.Itoa(e.HTTPStatus))
		b.WriteString(": ")
	}
	b.WriteString(e.Desc)
	return b.String()
}

// Kind says what a failed send means for the caller.
type Kind int

// Kinds, from Classify.
const (
	// KindOther is counted by code and not retried.
	KindOther Kind = iota
	// KindRetry: Twilio did not create the message; retry with backoff.
	KindRetry
	// KindUnknown: the request may have reached Twilio but no answer came
	// back. Reconcile (SentSince) before sending again.
	KindUnknown
	// KindOptedOut: opted out at the carrier; delete the subscription.
	KindOptedOut
	// KindBlocked: the person blocked the sender; delete the subscription.
	KindBlocked
	// KindInvalidAddress: the address cannot receive messages; delete the
	// subscription.
	KindInvalidAddress
	// KindMarketingDeclined: Meta did not deliver a marketing template;
	// suspend templates to that person for a while.
	KindMarketingDeclined
	// KindOutsideWindow: free text outside WhatsApp's 24-hour window; use a
	// template.
	KindOutsideWindow
	// KindConfig: the operator must fix the settings; every send will fail
	// the same way until then.
	KindConfig
)

var kindNames = [...]string{
	KindOther:             "other",
	KindRetry:             "retry",
	KindUnknown:           "unknown",
	KindOptedOut:          "opted_out",
	KindBlocked:           "blocked",
	KindInvalidAddress:    "invalid_address",
	KindMarketingDeclined: "marketing_declined",
	KindOutsideWindow:     "outside_window",
	KindConfig:            "config",
}

// String returns a short snake_case name, fit for a metric label.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind_" + strconv.Itoa(int(k))
}

type codeInfo struct {
	kind Kind
	desc string
}

// codes is the one table of Twilio error codes Senda acts on, used for the
// codes of REST answers and of status callbacks alike. Codes not in it fall
// back to their HTTP status (see Classify).
var codes = map[int]codeInfo{
	// Rate limits: Twilio refused the request before creating anything.
	20429: {KindRetry, "too many requests"},              // account-wide REST concurrency limit
	63018: {KindRetry, "channel rate limit exceeded"},    // WhatsApp sender's per-second limit
	20500: {KindRetry, "Twilio internal error"},          // Twilio says so; nothing was created
	20503: {KindRetry, "Twilio temporarily unavailable"}, // maintenance or overload
	20009: {KindRetry, "message not complete yet"},       // DELETE of a message Twilio is still processing: retry after a minute

	// The person said no.
	21610: {KindOptedOut, "recipient opted out (STOP)"},  // carrier-level STOP for this sender
	63014: {KindBlocked, "recipient blocked the sender"}, // blocked on WhatsApp

	// The address cannot receive messages.
	21211: {KindInvalidAddress, "invalid To number"},                // not a valid phone number
	21614: {KindInvalidAddress, "To number is not a mobile number"}, // landline or not SMS-capable
	63003: {KindInvalidAddress, "no such address on the channel"},   // not on WhatsApp
	30003: {KindOther, "unreachable destination handset"},           // callbacks: usually a phone switched off or out of coverage, so it is counted and the person stays subscribed
	30005: {KindInvalidAddress, "unknown destination handset"},      // callbacks: number not in service
	30006: {KindInvalidAddress, "landline or unreachable carrier"},  // callbacks: cannot take SMS

	// WhatsApp rules: change what is sent, keep the person.
	63049: {KindMarketingDeclined, "Meta did not deliver the template"}, // marketing template held back by Meta
	63016: {KindOutsideWindow, "outside the WhatsApp 24-hour window"},   // free text needs an open session

	// Counted by code, nothing else to do.
	21612: {KindOther, "To and From cannot be connected"}, // route not available; may change
	30007: {KindOther, "message filtered by the carrier"}, // spam filter: fix the wording, not the list
	30008: {KindOther, "unknown delivery error"},          // carrier gave no reason
	63024: {KindOther, "invalid message recipient"},       // WhatsApp rejected the recipient for this message
	21617: {KindOther, "message body too long"},           // over 1,600 characters
	21602: {KindOther, "message has no body"},             // neither Body nor ContentSid reached Twilio
	21604: {KindOther, "message has no recipient"},        // To missing

	// Settings the operator must fix.
	21603: {KindConfig, "message has no sender"},                            // From and MessagingServiceSid both missing
	20003: {KindConfig, "authentication failed"},                            // wrong account SID, token or API key
	20404: {KindConfig, "resource not found"},                               // wrong account SID in the URL
	21222: {KindConfig, "invalid username"},                                 // twilio-go's local check: account SID or API key has characters other than letters and digits
	21224: {KindConfig, "invalid password"},                                 // twilio-go's local check: token or secret has characters other than letters and digits
	21408: {KindConfig, "sending to this region is not enabled"},            // Geo Permissions in the Console
	21606: {KindConfig, "From is not a valid sender for this destination"},  // the number cannot send there
	21659: {KindConfig, "From is not a Twilio number of this account"},      // wrong SENDA_TWILIO_FROM
	63007: {KindConfig, "unknown WhatsApp sender"},                          // wrong SENDA_WHATSAPP_FROM
	21704: {KindConfig, "messaging service has no senders"},                 // add numbers to the service
	21705: {KindConfig, "invalid messaging service"},                        // wrong SENDA_MESSAGING_SERVICE_SID
	30029: {KindConfig, "ContentRetention refused (no Message Redaction)"},  // Send retries without privacy parameters; seen here only if that failed too
	30030: {KindConfig, "AddressRetention refused (no Message Redaction)"},  // as 30029
	30034: {KindConfig, "sender not registered for A2P 10DLC"},              // US numbers need registration
	63112: {KindConfig, "WhatsApp Business Account disabled or restricted"}, // Meta disabled the account
}

// Classify maps a Twilio error code and HTTP status to what the caller should
// do. It is the one place that decides; status callbacks call it with their
// ErrorCode and a zero status. A code in the table decides; otherwise the
// HTTP status does.
func Classify(code, httpStatus int) Kind {
	if info, ok := codes[code]; ok {
		return info.kind
	}
	switch {
	case httpStatus == 429: // rate limited without a code we know
		return KindRetry
	case httpStatus == 502 || httpStatus == 504:
		// A gateway answered for Twilio: the request may have reached
		// Twilio's backend and created the message before the gateway gave
		// up. Reconciling is cheap; a duplicate message is not.
		return KindUnknown
	case httpStatus >= 500: // Twilio failed before creating anything
		return KindRetry
	case httpStatus == 401 || httpStatus == 403:
		return KindConfig
	}
	return KindOther
}

// Describe returns this package's short description of a code in the table,
// or "Twilio error N" for any other.
func Describe(code int) string {
	if info, ok := codes[code]; ok {
		return info.desc
	}
	return "Twilio error " + strconv.Itoa(code)
}

// ErrorDocs is where Twilio explains an error code, written short enough to
// type: twilio.com/docs/api/errors/N.
func ErrorDocs(code int) string { return "twilio.com/docs/api/errors/" + strconv.Itoa(code) }

// Descriptions of failures that have no Twilio code.
const (
	descNotSent     = "request not sent (connection failed before it was written)"
	descNoAnswer    = "no answer after the request was sent (outcome unknown)"
	descBadAnswer   = "unreadable answer (outcome unknown)"
	descHTTP        = "HTTP error without a Twilio code"
	descNoRecipient = "message has no recipient"
	descNoContent   = "message needs exactly one of a body or a template"
	descNoSender    = "no sender configured for this channel"
	descBadVars     = "template variables could not be encoded"
	descBadSID      = "not a message SID"
)

// newError builds an Error for a Twilio code and status, described from the
// table.
func newError(code, status int) *Error {
	desc := descHTTP
	if code != 0 {
		desc = Describe(code)
	}
	return &Error{Code: code, HTTPStatus: status, Kind: Classify(code, status), Desc: desc}
}
