// Package twilio is everything Senda knows about Twilio, in one place:
//
//   - signature.go checks X-Twilio-Signature on webhooks and status callbacks
//     (NewValidator, ParseForm, Form.Get) and signs requests for tests (Sign);
//   - config.go is every Twilio setting in one Config, which bot/config
//     fills and the app hands over whole; the REST credentials are chosen
//     there once (an API key, else the auth token);
//   - rest.go sends messages, lists sent ones and deletes them through the
//     REST API (New, NewDeleter, Client.Send, Client.SentSince);
//   - templates.go lists the account's approved WhatsApp templates through
//     the Content API (NewContentTemplates), for the console;
//   - errors.go is the one table of Twilio error codes (Classify, Describe)
//     and policy.go what Senda does about the person a failed message was
//     for (Kind.RecipientAction);
//   - twiliofake is a local fake of the Messages API for tests and load runs.
//
// Nothing this package returns holds a phone number or message text.
package twilio
