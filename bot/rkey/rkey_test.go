package rkey_test

import (
	"testing"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
)

// TestSubscriberIDReadsBackTheKey: the id comes back out of the key
// Subscriber built, and nothing else is taken for a subscriber's key.
func TestSubscriberIDReadsBackTheKey(t *testing.T) {
	t.Parallel()
	keys := rkey.Space("senda:")
	id := ident.NewHasher([]byte("rkey-test-key-0123456789abcdefghij")).Sender(0, "+50212345678")
	if got, ok := keys.SubscriberID(keys.Subscriber(id)); !ok || got != id {
		t.Errorf("SubscriberID(Subscriber(id)) = %v, %v; want the id back", got, ok)
	}
	for _, key := range []string{
		keys.Session(id),                    // a session, not a record
		rkey.Space("other:").Subscriber(id), // another space
		"senda:{not-an-id}:sub",
		"senda:{}:sub",
		keys.Topic("salud"),
	} {
		if _, ok := keys.SubscriberID(key); ok {
			t.Errorf("%q was read as a subscriber's key", key)
		}
	}
}
