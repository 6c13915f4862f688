// Package sealer encrypts the one piece of personal data Senda keeps — a
// subscriber's address — with AES-256-GCM under keys from the environment,
// with a key id in every ciphertext so keys can be rotated.
//
// A sealed value is
//
//	version (1 byte, = 1) | key id (4) | nonce (12, random) | GCM ciphertext and tag (16)
//
// so it is 33 bytes longer than its plaintext. The caller's additional data
// (the subscriber id) is the GCM additional data, and is not stored.
//
// Nonces are random, so one key must not seal more than 2^32 values; Senda
// seals one value per subscription, far below that.
//
// To rotate: generate a new key, move the current one into
// SENDA_SUBSCRIBER_KEYS_OLD and set the new one as SENDA_SUBSCRIBER_KEY,
// re-seal every value for which [Keyring.NeedsRotation] is true, then drop
// the old key.
package sealer

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Environment variables read by [FromEnv].
const (
	envCurrent = "SENDA_SUBSCRIBER_KEY"
	envOld     = "SENDA_SUBSCRIBER_KEYS_OLD"
)

const (
	version   = 1
	keyLen    = 32 // AES-256
	idLen     = 4
	headerLen = 1 + idLen
	nonceLen  = 12
	tagLen    = 16
	overhead  = headerLen + nonceLen + tagLen // 33
)

// ErrUnknownKey means a sealed value names a key id that no key of the
// keyring has: the key it was sealed with was dropped too early, or the
// value comes from another deployment. Open wraps it with the id.
var ErrUnknownKey = errors.New("sealer: sealed with a key that is not in the keyring")

// ErrCorrupt means a sealed value is malformed, has an unknown version, or
// fails authentication (it was altered, or is opened with other additional
// data than it was sealed with). Open may wrap it with a reason, never with
// the plaintext or a key.
var ErrCorrupt = errors.New("sealer: sealed value is corrupt")

// errNilKeyring is returned by Seal and Open on a nil *Keyring, which
// FromEnv returns when subscriptions are off.
var errNilKeyring = errors.New("sealer: no keyring (SENDA_SUBSCRIBER_KEY is not set)")

// KeyID identifies a key: the first 4 bytes of SHA-256 of the key, so ids
// need no configuration.
type KeyID [4]byte

// String returns the id as 8 lower-case hex characters.
func (k KeyID) String() string { return hex.EncodeToString(k[:]) }

func idOf(key []byte) KeyID {
	sum := sha256.Sum256(key)
	return KeyID(sum[:idLen])
}

// Keyring holds the current key (used to seal) and old keys (still able to
// open during a rotation). It holds one AEAD per key, created once by New,
// and no reference to the key slices. A Keyring is safe for concurrent use.
// FromEnv returns a nil *Keyring when subscriptions are off: Seal and Open on
// it return an error, the other methods panic.
type Keyring struct {
	keys []ringKey // keys[0] is the current key
}

type ringKey struct {
	id   KeyID
	aead cipher.AEAD // GCM with random nonces: nonce || ciphertext || tag
}

// ParseKey decodes one key: standard or URL-safe base64, with or without
// padding, of exactly 32 bytes. Surrounding whitespace is ignored. name is
// the variable the key comes from; errors say what is wrong without echoing
// the key ("SENDA_SUBSCRIBER_KEY must be 32 bytes of base64 (e.g. `openssl
// rand -base64 32`); it decodes to 16 bytes").
func ParseKey(name, b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	const want = " must be 32 bytes of base64 (e.g. `openssl rand -base64 32`); "
	if s == "" {
		return nil, errors.New(name + want + "it is empty")
	}
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != keyLen {
			clear(key)
			return nil, fmt.Errorf("%s%sit decodes to %d bytes", name, want, len(key))
		}
		return key, nil
	}
	// base64's errors hold only an offset, but the message is ours anyway so
	// no future change there can put key material into logs.
	return nil, fmt.Errorf("%s%sit is not valid base64 (%d characters)", name, want, len(s))
}

// New returns a keyring sealing with current and opening with current and
// old. Every key must be 32 bytes. It rejects duplicate keys and two keys
// whose ids collide. The keyring keeps no reference to the slices passed.
func New(current []byte, old ...[]byte) (*Keyring, error) {
	all := make([][]byte, 0, 1+len(old))
	all = append(all, current)
	all = append(all, old...)

	k := &Keyring{keys: make([]ringKey, 0, len(all))}
	for i, key := range all {
		if len(key) != keyLen {
			return nil, fmt.Errorf("sealer: %s is %d bytes, want %d", keyName(i), len(key), keyLen)
		}
		id := idOf(key)
		for j := range i {
			if idOf(all[j]) != id {
				continue
			}
			if subtle.ConstantTimeCompare(all[j], key) == 1 {
				return nil, fmt.Errorf("sealer: %s is the same key as %s (id %s)", keyName(i), keyName(j), id)
			}
			return nil, fmt.Errorf("sealer: %s and %s are different keys with the same id %s; generate a new key", keyName(j), keyName(i), id)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sealer: %s: %w", keyName(i), err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("sealer: %s: %w", keyName(i), err)
		}
		k.keys = append(k.keys, ringKey{id: id, aead: aead})
	}
	return k, nil
}

// keyName names the i-th key passed to New: 0 is the current key, 1 the
// first old key.
func keyName(i int) string {
	if i == 0 {
		return "the current key"
	}
	return fmt.Sprintf("old key %d", i)
}

// ParseKeys decodes SENDA_SUBSCRIBER_KEY and SENDA_SUBSCRIBER_KEYS_OLD
// (comma-separated base64 keys; empty entries and whitespace are ignored)
// into key bytes for New. Both are nil when current is empty (subscriptions
// are off); only old keys is an error.
func ParseKeys(current, old string) ([]byte, [][]byte, error) {
	cur := strings.TrimSpace(current)
	var oldB64 []string
	for s := range strings.SplitSeq(old, ",") {
		if s = strings.TrimSpace(s); s != "" {
			oldB64 = append(oldB64, s)
		}
	}
	if cur == "" {
		if len(oldB64) > 0 {
			return nil, nil, fmt.Errorf("sealer: %s is set but %s is empty; old keys can only open values, set a current key to seal", envOld, envCurrent)
		}
		return nil, nil, nil
	}
	key, err := ParseKey(envCurrent, cur)
	if err != nil {
		return nil, nil, err
	}
	var olds [][]byte
	for i, s := range oldB64 {
		k, err := ParseKey(fmt.Sprintf("%s entry %d", envOld, i+1), s)
		if err != nil {
			return nil, nil, err
		}
		olds = append(olds, k)
	}
	return key, olds, nil
}

// Current returns the id of the sealing key.
func (k *Keyring) Current() KeyID { return k.keys[0].id }

// Seal encrypts plaintext bound to aad (the subscriber id, so a ciphertext
// cannot be moved to another record). Format: version byte 1 | key id (4) |
// nonce (12, random) | GCM ciphertext+tag. Returns raw bytes, 33 bytes longer
// than plaintext.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	if k == nil {
		return nil, errNilKeyring
	}
	cur := k.keys[0]
	out := make([]byte, headerLen, overhead+len(plaintext))
	out[0] = version
	copy(out[1:headerLen], cur.id[:])
	// The AEAD draws the nonce from crypto/rand and writes nonce||ct||tag.
	return cur.aead.Seal(out, nil, plaintext, aad), nil
}

// Open decrypts a sealed value with whichever key its id names. Errors:
// ErrUnknownKey (wrapped, names the key id) when no key of the ring has that
// id; ErrCorrupt when the format or the tag is wrong (never includes the
// plaintext or key). The result does not alias sealed.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if k == nil {
		return nil, errNilKeyring
	}
	if len(sealed) < overhead {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte minimum", ErrCorrupt, len(sealed), overhead)
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, sealed[0])
	}
	id := KeyID(sealed[1:headerLen])
	rk, ok := k.find(id)
	if !ok {
		return nil, fmt.Errorf("%w: key id %s (keyring has %s)", ErrUnknownKey, id, k.ids())
	}
	plaintext, err := rk.aead.Open(nil, nil, sealed[headerLen:], aad)
	if err != nil {
		// The only error GCM's Open returns is an authentication failure.
		return nil, fmt.Errorf("%w: authentication failed (altered, or opened with other additional data)", ErrCorrupt)
	}
	return plaintext, nil
}

// NeedsRotation reports whether sealed was made with a key other than the
// current one (cheap: reads the header only). It is also true for a value
// with no valid header, which Open will reject.
func (k *Keyring) NeedsRotation(sealed []byte) bool {
	return len(sealed) < headerLen || sealed[0] != version || KeyID(sealed[1:headerLen]) != k.keys[0].id
}

func (k *Keyring) find(id KeyID) (ringKey, bool) {
	for _, rk := range k.keys {
		if rk.id == id {
			return rk, true
		}
	}
	return ringKey{}, false
}

// ids lists the keyring's key ids for error messages, current first.
func (k *Keyring) ids() string {
	var b strings.Builder
	for i, rk := range k.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(rk.id.String())
		if i == 0 {
			b.WriteString(" (current)")
		}
	}
	return b.String()
}
