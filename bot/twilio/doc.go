// Package twilio is everything Senda knows about Twilio, in one place:
//
//   - signature.go checks X-Twilio-Signature on webhooks and status callbacks
//     (NewValidator, ParseForm, Get) and signs requests for tests (Sign);
//   - rest.go sends messages and lists sent ones through the REST API
//     (New, Client.Send, Client.SentSince), configured by a plain Config
//     (config.go) that the app fills from its settings;
//   - errors.go is the one table of Twilio error codes (Classify, Describe)
//     and policy.go what Senda does about the person a failed message was
//     for (Kind.RecipientAction);
//   - twiliofake is a local fake of the Messages API for tests and load runs.
//
// Nothing this package returns holds a phone number or message text.
package twilio
