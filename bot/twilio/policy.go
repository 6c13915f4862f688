package twilio

import "time"

// RecipientAction is what a failed message says to do about the person it
// was for, whether Twilio refused it at once or a status callback reported
// it later. The broadcast worker and the status callback handler both act on
// it, so the two can never disagree.
type RecipientAction int

// Recipient actions, from Kind.RecipientAction.
const (
	// KeepRecipient: nothing to do about the person.
	KeepRecipient RecipientAction = iota
	// ForgetRecipient: they opted out at the carrier, blocked the sender, or
	// the address cannot receive messages. Delete them at once, as BAJA
	// would.
	ForgetRecipient
	// SuspendTemplates: WhatsApp declined a marketing template for them
	// (63049). Send them no template for TemplateSuspension.
	SuspendTemplates
)

// TemplateSuspension is how long templates wait after WhatsApp declined one
// for a person (Twilio's advice for 63049: retry later, with growing delays).
const TemplateSuspension = 7 * 24 * time.Hour

// RecipientAction returns what a failure of this kind says to do about the
// person the message was for.
func (k Kind) RecipientAction() RecipientAction {
	switch k {
	case KindOptedOut, KindBlocked, KindInvalidAddress:
		return ForgetRecipient
	case KindMarketingDeclined:
		return SuspendTemplates
	}
	return KeepRecipient
}
