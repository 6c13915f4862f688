package metrics

// kind is a family's Prometheus type.
type kind string

const (
	kindCounter   kind = "counter"
	kindGauge     kind = "gauge"
	kindHistogram kind = "histogram"
)

// family describes one metric family: its type, its one label (if any) and
// the sentence # HELP prints.
type family struct {
	kind  kind
	label string
	help  string
}

// buildInfo is the family that says which build is running.
const buildInfo = "build_info"

// families documents every series Senda writes, without the senda_ prefix.
// Code counts by name where the event happens; a name used there must be
// described here (TestEveryCountedNameIsDescribed reads the source).
var families = map[string]family{
	buildInfo: {kindGauge, "", "Always 1; its labels are the running build's version, VCS revision and Go version."},

	// The webhook: one inbound message each.
	"messages_total":                     {kindCounter, "channel", "Inbound messages that moved a conversation, by channel (sms, whatsapp)."},
	"node_views_total":                   {kindCounter, "node", "Content pages shown, by the pack's node id."},
	"screen_views_total":                 {kindCounter, "screen", "Menus and other screens shown that are not content pages, by kind."},
	"signals_total":                      {kindCounter, "signal", "Messages recognised as a kind of step: distress, media alone, a welcome, a polite word."},
	"distress_total":                     {kindCounter, "kind", "Messages recognised as distress, by the kind of help shown (the pack's id)."},
	"subscriptions_total":                {kindCounter, "topic", "Subscriptions to updates, by topic."},
	"optouts_total":                      {kindCounter, "", "Opt-outs from every update (BAJA, STOP)."},
	"webhook_duration_seconds":           {kindHistogram, "", "Time to answer a Twilio webhook call to /twilio/messages, from the request to the reply, refused calls included."},
	"webhook_errors_total":               {kindCounter, "", "Webhook calls that could not be answered from Redis: the person was told to try again later."},
	"webhook_abandoned_total":            {kindCounter, "", "Webhook calls whose request ended before the answer was ready."},
	"webhook_duplicates_total":           {kindCounter, "", "Webhook calls repeating a MessageSid already answered (Twilio retries)."},
	"webhook_forbidden_total":            {kindCounter, "", "Webhook calls refused for a missing or wrong X-Twilio-Signature."},
	"webhook_signatures_total":           {kindCounter, "token", "Webhook signatures accepted, by the auth token that made them: current, or previous during a rotation (TWILIO_AUTH_TOKEN_PREVIOUS)."},
	"session_contention_total":           {kindCounter, "", "Session steps computed again because another request changed the same conversation first (not an error)."},
	"session_contention_exhausted_total": {kindCounter, "", "Messages answered \"try again later\" because their conversation kept changing under every attempt."},
	"rider_errors_total":                 {kindCounter, "", "Writes riding a stored step (the erase queue) that failed on Redis Cluster, where they follow the step."},
	"stats_flush_errors_total":           {kindCounter, "", "Once-a-second writes of the daily figures that failed; their figures wait in memory for the next."},
	"effect_errors_total":                {kindCounter, "", "Subscribe, unsubscribe or topic look-ups that failed after a conversation step."},

	// Broadcasts.
	"broadcast_queued_total":   {kindCounter, "", "Broadcast deliveries put in the queue, one per subscriber of the topic."},
	"broadcast_messages_total": {kindCounter, "outcome", "Broadcast deliveries that reached an outcome: sent (Twilio accepted it), failed or skipped."},
	"status_callbacks_total":   {kindCounter, "status", "Twilio delivery reports received for broadcast messages, by status."},

	// Erasure at Twilio (SENDA_TWILIO_ERASE).
	"erase_total":                  {kindCounter, "outcome", "Messages whose erasure at Twilio ended, by outcome: erased, gone (already deleted) or failed after 24 hours of retries."},
	"erase_pending":                {kindGauge, "", "Messages waiting to be erased at Twilio (all processes together)."},
	"erase_queue_errors_total":     {kindCounter, "", "Messages that could not be queued for erasure because Redis failed."},
	"reply_status_callbacks_total": {kindCounter, "status", "Twilio status reports received for replies (erasure on), by status."},

	// Content, the admin API, Redis.
	"content_reloads_total":         {kindCounter, "", "Content pack reloads that succeeded (SIGHUP)."},
	"content_reload_failures_total": {kindCounter, "", "Content pack reloads that failed; the previous pack stays in use."},
	"admin_auth_failures_total":     {kindCounter, "", "Admin API requests and console sign-ins refused for a missing or unknown token."},
	"redis_errors_total":            {kindCounter, "component", "Redis commands or pipelines that failed, by the component that ran them: conversation, broadcast, admin or other."},
}

// describe returns name's description, or a placeholder for a name no one
// described yet (a test fails on those), typed by its suffix.
func describe(name string) family {
	if f, ok := families[name]; ok {
		return f
	}
	return family{kind: kindCounter, help: "Not described yet: add " + Prefix + name + " to bot/metrics."}
}
