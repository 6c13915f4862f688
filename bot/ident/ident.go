// Package ident names senders without saying who they are: keyed hashes of
// their addresses, the same for every spelling of one number.
package ident

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
	"sync"

	"github.com/senda-org/senda/content"
)

// SenderID names a person without saying who they are: the first 128 bits
// of HMAC-SHA256(SENDA_HASH_KEY, channel + normalized address). Sessions and
// subscriptions are keyed by it; the address itself is never stored with it.
type SenderID [16]byte

// String encodes the id for use in Redis keys (22 URL-safe characters).
func (id SenderID) String() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseSenderID reads an id as String wrote it.
func ParseSenderID(s string) (SenderID, error) {
	var id SenderID
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, errors.New("ident: not a sender id")
	}
	copy(id[:], b)
	return id, nil
}

// Hasher computes keyed hashes of senders and message ids. Without the key,
// which lives only in the environment, a hash cannot be tied back to a
// number, even by someone who tries every number in Guatemala.
type Hasher struct {
	pool sync.Pool // of hash.Hash
}

// NewHasher returns a hasher keyed with key.
func NewHasher(key []byte) *Hasher {
	k := append([]byte(nil), key...)
	h := &Hasher{}
	h.pool.New = func() any { return hmac.New(sha256.New, k) }
	return h
}

func (h *Hasher) sum(parts ...string) [sha256.Size]byte {
	mac := h.pool.Get().(hash.Hash)
	defer h.pool.Put(mac)
	mac.Reset()
	var buf [128]byte
	b := buf[:0]
	for _, p := range parts {
		b = append(b, p...)
	}
	mac.Write(b)
	var out [sha256.Size]byte
	mac.Sum(out[:0])
	return out
}

// Sender returns the id of an address on a channel.
func (h *Hasher) Sender(ch content.Channel, address string) SenderID {
	sum := h.sum(ch.String(), ":", NormalizeAddress(address))
	var id SenderID
	copy(id[:], sum[:])
	return id
}

// Message returns a 64-bit keyed hash of a Twilio MessageSid, enough to
// recognize a retried webhook without keeping the sid.
func (h *Hasher) Message(sid string) uint64 {
	sum := h.sum("sid:", sid)
	return binary.BigEndian.Uint64(sum[:8])
}

// ChannelOf tells the channel from a Twilio From or To value.
func ChannelOf(address string) content.Channel {
	if len(address) >= 9 && strings.EqualFold(address[:9], "whatsapp:") {
		return content.WhatsApp
	}
	return content.SMS
}

// NormalizeAddress strips the channel prefix and the formatting people and
// systems add to numbers ("+502 1234-5678" and "+50212345678" are one
// sender). Anything that is not a phone number, such as a WhatsApp
// business-scoped user id ("US.1234"), is kept as it is: it is opaque.
func NormalizeAddress(address string) string {
	a := strings.TrimSpace(address)
	if ChannelOf(a) == content.WhatsApp {
		a = strings.TrimSpace(a[9:])
	}
	if !looksLikeNumber(a) {
		return a
	}
	var b strings.Builder
	b.Grow(len(a))
	for i, r := range a {
		if r >= '0' && r <= '9' || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// looksLikeNumber reports whether a holds only digits and phone formatting.
func looksLikeNumber(a string) bool {
	digits := 0
	for i, r := range a {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '.':
		default:
			return false
		}
	}
	return digits > 0
}

// Label returns a keyed hash of a value in a domain, for other things that
// must be recognizable but not readable, such as an admin client's address.
func (h *Hasher) Label(domain, value string) [32]byte {
	return h.sum(domain, ":", value)
}

// Fingerprint returns a keyed fingerprint of the hash key itself, safe to
// store: it tells whether a later key is the same one, and says nothing
// about the key or about any sender.
func (h *Hasher) Fingerprint() string {
	sum := h.sum("senda hash key fingerprint")
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}
