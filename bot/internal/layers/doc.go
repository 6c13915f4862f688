// Package layers has no code of its own: its test holds the import rules
// that keep one owner per fact, so a change that breaks one fails CI
// instead of a later review:
//
//   - bot/config imports, of Senda's packages, only leaves (packages that
//     import none of Senda's), so any package may read settings;
//   - bot/metrics depends on neither flows nor content: what a step showed
//     is counted by the conversation, which knows them;
//   - only bot/twilio (and its fake) imports github.com/twilio/twilio-go;
//     the one exception is content, which renders replies' TwiML with
//     twilio-go's twiml markup package once, when the pack loads (no
//     network, no credentials).
//
// docs/ARCHITECTURE.md draws the package graph these rules keep true.
package layers
