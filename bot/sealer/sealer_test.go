package sealer

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testKey returns a fixed 32-byte key, different for every n.
func testKey(n int) []byte {
	sum := sha256.Sum256(fmt.Appendf(nil, "senda sealer test key %d", n))
	return sum[:]
}

func mustNew(t testing.TB, current []byte, old ...[]byte) *Keyring {
	t.Helper()
	k, err := New(current, old...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

func mustSeal(t testing.TB, k *Keyring, plaintext, aad []byte) []byte {
	t.Helper()
	sealed, err := k.Seal(plaintext, aad)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

// env returns a getenv over m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// leaks reports a window of at least 8 bytes of secret that occurs in msg.
func leaks(msg, secret string) (string, bool) {
	const w = 8
	if len(secret) < w {
		return secret, secret != "" && strings.Contains(msg, secret)
	}
	for i := 0; i+w <= len(secret); i++ {
		if strings.Contains(msg, secret[i:i+w]) {
			return secret[i : i+w], true
		}
	}
	return "", false
}

// keyForms are the encodings of key a user might paste.
func keyForms(key []byte) []string {
	return []string{
		string(key),
		hex.EncodeToString(key),
		base64.StdEncoding.EncodeToString(key),
		base64.RawURLEncoding.EncodeToString(key),
	}
}

var plaintexts = []struct {
	name string
	pt   []byte
}{
	{"empty", []byte{}},
	{"nil", nil},
	{"one byte", []byte{'x'}},
	{"sms", []byte("+34600123456")},
	{"whatsapp", []byte("whatsapp:+5215512345678")},
	{"unicode", []byte("whatsapp:+٩٦٦٥٠٠٠٠٠٠٠ — ñandú")},
	{"4 KiB", bytes.Repeat([]byte("abcdefgh"), 512)},
}

func TestRoundTrip(t *testing.T) {
	k := mustNew(t, testKey(1))
	for _, tc := range plaintexts {
		for _, aad := range [][]byte{nil, []byte("sub-0001"), bytes.Repeat([]byte{0}, 100)} {
			t.Run(fmt.Sprintf("%s/aad%d", tc.name, len(aad)), func(t *testing.T) {
				sealed := mustSeal(t, k, tc.pt, aad)
				if got, want := len(sealed), len(tc.pt)+33; got != want {
					t.Errorf("len(sealed) = %d, want %d", got, want)
				}
				if sealed[0] != 1 {
					t.Errorf("version byte = %d, want 1", sealed[0])
				}
				if id := KeyID(sealed[1:5]); id != k.Current() {
					t.Errorf("key id in header = %s, want %s", id, k.Current())
				}
				got, err := k.Open(sealed, aad)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(got, tc.pt) {
					t.Errorf("Open = %q, want %q", got, tc.pt)
				}
			})
		}
	}
}

func TestOpenDoesNotAlias(t *testing.T) {
	k := mustNew(t, testKey(1))
	pt := []byte("+34600123456")
	sealed := mustSeal(t, k, pt, nil)
	got, err := k.Open(sealed, nil)
	if err != nil {
		t.Fatal(err)
	}
	clear(got)
	if again, err := k.Open(sealed, nil); err != nil || !bytes.Equal(again, pt) {
		t.Fatalf("after clearing Open's result, Open = %q, %v; want %q", again, err, pt)
	}
	pt[0] = '-'
	if again, _ := k.Open(sealed, nil); again[0] != '+' {
		t.Fatal("Seal kept a reference to its plaintext")
	}
}

func TestSealIsRandomized(t *testing.T) {
	k := mustNew(t, testKey(1))
	pt, aad := []byte("+34600123456"), []byte("sub-1")
	const n = 1000
	values := make(map[string]bool, n)
	nonces := make(map[string]bool, n)
	for range n {
		sealed := mustSeal(t, k, pt, aad)
		values[string(sealed)] = true
		nonces[string(sealed[5:17])] = true
	}
	if len(values) != n {
		t.Errorf("%d sealings of one plaintext gave %d distinct values", n, len(values))
	}
	if len(nonces) != n {
		t.Errorf("%d sealings gave %d distinct nonces", n, len(nonces))
	}
}

func TestCiphertextHidesPlaintext(t *testing.T) {
	k := mustNew(t, testKey(1))
	for _, tc := range plaintexts {
		if len(tc.pt) < 8 { // a shorter one may occur by chance
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			for range 100 {
				sealed := mustSeal(t, k, tc.pt, nil)
				if w, ok := leaks(string(sealed), string(tc.pt)); ok {
					t.Fatalf("sealed value contains %q of the plaintext", w)
				}
			}
		})
	}
}

func TestOpenWrongAAD(t *testing.T) {
	k := mustNew(t, testKey(1))
	pt := []byte("whatsapp:+5215512345678")
	for _, tc := range []struct {
		name      string
		seal, use []byte
	}{
		{"other subscriber", []byte("sub-0001"), []byte("sub-0002")},
		{"missing", []byte("sub-0001"), nil},
		{"unexpected", nil, []byte("sub-0001")},
		{"prefix", []byte("sub-0001"), []byte("sub-000")},
		{"longer", []byte("sub-0001"), []byte("sub-00010")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sealed := mustSeal(t, k, pt, tc.seal)
			got, err := k.Open(sealed, tc.use)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open with other aad = %q, %v; want ErrCorrupt", got, err)
			}
			if got != nil {
				t.Errorf("Open returned %q with an error", got)
			}
		})
	}
}

func TestOpenTamperedByte(t *testing.T) {
	k := mustNew(t, testKey(1))
	pt, aad := []byte("whatsapp:+5215512345678"), []byte("sub-0001")
	sealed := mustSeal(t, k, pt, aad)
	for i := range sealed {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			t.Run(fmt.Sprintf("byte%02d^%02x", i, mask), func(t *testing.T) {
				bad := bytes.Clone(sealed)
				bad[i] ^= mask
				want := ErrCorrupt
				if i >= 1 && i < 5 { // the key id: now names no key of the ring
					want = ErrUnknownKey
				}
				got, err := k.Open(bad, aad)
				if !errors.Is(err, want) {
					t.Fatalf("Open = %q, %v; want %v", got, err, want)
				}
				if _, ok := leaks(err.Error(), string(pt)); ok {
					t.Errorf("error %q contains the plaintext", err)
				}
			})
		}
	}
}

func TestOpenTruncatedOrExtended(t *testing.T) {
	k := mustNew(t, testKey(1))
	aad := []byte("sub-0001")
	for _, pt := range [][]byte{nil, []byte("+34600123456")} {
		sealed := mustSeal(t, k, pt, aad)
		for n := range len(sealed) {
			t.Run(fmt.Sprintf("pt%d/prefix%d", len(pt), n), func(t *testing.T) {
				if got, err := k.Open(sealed[:n], aad); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Open(first %d of %d bytes) = %q, %v; want ErrCorrupt", n, len(sealed), got, err)
				}
			})
		}
		for _, tail := range [][]byte{{0}, sealed[len(sealed)-1:], bytes.Repeat([]byte{0xaa}, 16)} {
			t.Run(fmt.Sprintf("pt%d/plus%d", len(pt), len(tail)), func(t *testing.T) {
				long := append(bytes.Clone(sealed), tail...)
				if got, err := k.Open(long, aad); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("Open(sealed + %d bytes) = %q, %v; want ErrCorrupt", len(tail), got, err)
				}
			})
		}
	}
}

func TestOpenWrongVersion(t *testing.T) {
	k := mustNew(t, testKey(1))
	sealed := mustSeal(t, k, []byte("+34600123456"), nil)
	for _, v := range []byte{0, 2, 0x81, 0xff} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			bad := bytes.Clone(sealed)
			bad[0] = v
			got, err := k.Open(bad, nil)
			if !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Open(version %d) = %q, %v; want ErrCorrupt", v, got, err)
			}
		})
	}
}

func TestOpenUnknownKey(t *testing.T) {
	a, b := mustNew(t, testKey(1)), mustNew(t, testKey(2))
	pt := []byte("+34600123456")
	sealed := mustSeal(t, a, pt, nil)
	got, err := b.Open(sealed, nil)
	if !errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open with another ring = %q, %v; want ErrUnknownKey", got, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, a.Current().String()) {
		t.Errorf("error %q does not name the unknown key id %s", msg, a.Current())
	}
	for _, form := range append(keyForms(testKey(1)), keyForms(testKey(2))...) {
		if w, ok := leaks(msg, form); ok {
			t.Errorf("error %q contains %q of a key", msg, w)
		}
	}
}

func TestNilKeyring(t *testing.T) {
	var k *Keyring
	if got, err := k.Seal([]byte("x"), nil); err == nil {
		t.Errorf("nil Keyring Seal = %q, nil; want an error", got)
	}
	if got, err := k.Open(make([]byte, 40), nil); err == nil {
		t.Errorf("nil Keyring Open = %q, nil; want an error", got)
	}
}

func TestKeyID(t *testing.T) {
	key := testKey(1)
	sum := sha256.Sum256(key)
	k := mustNew(t, key)
	if got := k.Current(); !bytes.Equal(got[:], sum[:4]) {
		t.Errorf("Current() = %x, want first 4 bytes of SHA-256 %x", got, sum[:4])
	}
	if got, want := mustNew(t, key, testKey(2)).Current(), k.Current(); got != want {
		t.Errorf("id depends on the ring: %s != %s", got, want)
	}
	for _, tc := range []struct {
		id   KeyID
		want string
	}{
		{KeyID{}, "00000000"},
		{KeyID{0xde, 0xad, 0xbe, 0xef}, "deadbeef"},
		{KeyID{0x01, 0xAB, 0x0c, 0xF0}, "01ab0cf0"},
		{KeyID(sum[:4]), hex.EncodeToString(sum[:4])},
	} {
		if got := tc.id.String(); got != tc.want {
			t.Errorf("KeyID%v.String() = %q, want %q", [4]byte(tc.id), got, tc.want)
		}
	}
}

func TestRotation(t *testing.T) {
	key1, key2 := testKey(1), testKey(2)
	ringA := mustNew(t, key1)       // before the rotation
	ringB := mustNew(t, key2, key1) // during: new current, old kept
	ringC := mustNew(t, key2)       // after: old key dropped
	pt, aad := []byte("whatsapp:+5215512345678"), []byte("sub-0001")

	old := mustSeal(t, ringA, pt, aad)
	if ringA.NeedsRotation(old) {
		t.Error("ring A: its own value needs rotation")
	}
	if !ringB.NeedsRotation(old) {
		t.Error("ring B: a value sealed under key1 does not need rotation")
	}
	got, err := ringB.Open(old, aad)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("ring B Open(old) = %q, %v; want %q", got, err, pt)
	}

	resealed := mustSeal(t, ringB, got, aad)
	if ringB.NeedsRotation(resealed) {
		t.Error("ring B: re-sealed value still needs rotation")
	}
	if id := KeyID(resealed[1:5]); id != idOf(key2) {
		t.Errorf("re-sealed under %s, want key2 %s", id, idOf(key2))
	}
	if got, err := ringC.Open(resealed, aad); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("ring C Open(resealed) = %q, %v; want %q", got, err, pt)
	}

	got, err = ringC.Open(old, aad)
	if !errors.Is(err, ErrUnknownKey) {
		t.Errorf("ring C (key2 only) Open(old) = %q, %v; want ErrUnknownKey", got, err)
	}
	if err != nil && !strings.Contains(err.Error(), idOf(key1).String()) {
		t.Errorf("error %q does not name key1's id %s", err, idOf(key1))
	}
	if _, err := ringA.Open(resealed, aad); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("ring A Open(resealed) = %v, want ErrUnknownKey", err)
	}
}

func TestNeedsRotation(t *testing.T) {
	ring := mustNew(t, testKey(2), testKey(1))
	current := mustSeal(t, ring, []byte("+34600123456"), nil)
	old := mustSeal(t, mustNew(t, testKey(1)), []byte("+34600123456"), nil)
	other := mustSeal(t, mustNew(t, testKey(3)), []byte("+34600123456"), nil)
	v2 := bytes.Clone(current)
	v2[0] = 2
	for _, tc := range []struct {
		name   string
		sealed []byte
		want   bool
	}{
		{"current key", current, false},
		{"header only, current key", current[:5], false},
		{"old key", old, true},
		{"key not in ring", other, true},
		{"unknown version", v2, true},
		{"empty", nil, true},
		{"shorter than a header", current[:4], true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ring.NeedsRotation(tc.sealed); got != tc.want {
				t.Errorf("NeedsRotation = %v, want %v", got, tc.want)
			}
		})
	}
}

// urlishKey is a key whose standard base64 has both '+' and '/', so its
// URL-safe form differs.
var urlishKey = append([]byte{0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff}, testKey(9)[:26]...)

func TestParseKey(t *testing.T) {
	key := urlishKey
	std := base64.StdEncoding.EncodeToString(key)
	if !strings.ContainsAny(std, "+") || !strings.ContainsAny(std, "/") || !strings.HasSuffix(std, "=") {
		t.Fatalf("test key's base64 %q lacks + / or padding", std)
	}
	for _, tc := range []struct {
		name, in string
	}{
		{"std padded", std},
		{"std raw", base64.RawStdEncoding.EncodeToString(key)},
		{"url padded", base64.URLEncoding.EncodeToString(key)},
		{"url raw", base64.RawURLEncoding.EncodeToString(key)},
		{"openssl output with newline", std + "\n"},
		{"surrounding whitespace", " \t\r\n" + std + " \n"},
		{"url raw with whitespace", "  " + base64.RawURLEncoding.EncodeToString(key) + "\t"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey("K", tc.in)
			if err != nil {
				t.Fatalf("ParseKey(%q): %v", tc.in, err)
			}
			if !bytes.Equal(got, key) {
				t.Errorf("ParseKey(%q) = %x, want %x", tc.in, got, key)
			}
		})
	}
}

func TestParseKeyErrors(t *testing.T) {
	const name = "SENDA_SUBSCRIBER_KEY"
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat(urlishKey, 3)[:n]) }
	std := base64.StdEncoding.EncodeToString(urlishKey)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"16 bytes", b64(16), "; it decodes to 16 bytes"},
		{"31 bytes", b64(31), "; it decodes to 31 bytes"},
		{"33 bytes", b64(33), "; it decodes to 33 bytes"},
		{"64 bytes", b64(64), "; it decodes to 64 bytes"},
		{"16 bytes url raw", base64.RawURLEncoding.EncodeToString(urlishKey[:16]), "; it decodes to 16 bytes"},
		{"empty", "", "; it is empty"},
		{"whitespace", " \n\t", "; it is empty"},
		{"hex", hex.EncodeToString(urlishKey), "; it decodes to 48 bytes"},
		{"not base64", "correct horse battery staple!", "; it is not valid base64 (29 characters)"},
		{"mixed alphabets", strings.Replace(std, "/", "_", 1), "; it is not valid base64"},
		{"bad character", "*" + std[1:], "; it is not valid base64"},
		{"bad padding", std + "=", "; it is not valid base64"},
		{"space inside", std[:20] + " " + std[20:], "; it is not valid base64"},
		{"quoted", `"` + std + `"`, "; it is not valid base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKey(name, tc.in)
			if err == nil {
				t.Fatalf("ParseKey(%q) = %x, nil; want an error", tc.in, got)
			}
			if got != nil {
				t.Errorf("ParseKey returned %x with an error", got)
			}
			msg := err.Error()
			const prefix = name + " must be 32 bytes of base64 (e.g. `openssl rand -base64 32`)"
			if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("error = %q, want %q...%q", msg, prefix, tc.want)
			}
			if w, ok := leaks(msg, strings.TrimSpace(tc.in)); ok {
				t.Errorf("error %q echoes %q of the input", msg, w)
			}
		})
	}

	// The message from the brief, word for word.
	_, err := ParseKey(name, b64(16))
	if want := "SENDA_SUBSCRIBER_KEY must be 32 bytes of base64 (e.g. `openssl rand -base64 32`); it decodes to 16 bytes"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

// collidingKeys finds two different keys with the same id: ids are 32 bits,
// so a birthday search needs about 80,000 hashes.
func collidingKeys(t testing.TB) (a, b []byte) {
	t.Helper()
	seen := make(map[KeyID][]byte)
	for i := range uint64(1 << 22) {
		key := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("collide"), i))
		id := idOf(key[:])
		if prev, ok := seen[id]; ok {
			return prev, key[:]
		}
		seen[id] = key[:]
	}
	t.Fatal("no id collision found")
	return nil, nil
}

func TestNew(t *testing.T) {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	ca, cb := collidingKeys(t)
	if bytes.Equal(ca, cb) || idOf(ca) != idOf(cb) {
		t.Fatalf("collidingKeys: %x and %x do not collide", ca, cb)
	}
	for _, tc := range []struct {
		name    string
		current []byte
		old     [][]byte
		wantErr string // "" means New must succeed
	}{
		{"current only", k1, nil, ""},
		{"with old keys", k1, [][]byte{k2, k3}, ""},
		{"nil current", nil, nil, "the current key is 0 bytes, want 32"},
		{"16-byte current (AES-128)", k1[:16], nil, "the current key is 16 bytes, want 32"},
		{"33-byte current", append(bytes.Clone(k1), 0), nil, "the current key is 33 bytes, want 32"},
		{"short old key", k1, [][]byte{k2, k3[:24]}, "old key 2 is 24 bytes, want 32"},
		{"current repeated in old", k1, [][]byte{k2, bytes.Clone(k1)}, "old key 2 is the same key as the current key"},
		{"old repeated", k1, [][]byte{k2, k3, bytes.Clone(k2)}, "old key 3 is the same key as old key 1"},
		{"ids collide", ca, [][]byte{k2, cb}, "the current key and old key 2 are different keys with the same id " + idOf(ca).String()},
		{"old ids collide", k1, [][]byte{ca, cb}, "old key 1 and old key 2 are different keys with the same id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := New(tc.current, tc.old...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if k.Current() != idOf(tc.current) {
					t.Errorf("Current() = %s, want %s", k.Current(), idOf(tc.current))
				}
				return
			}
			if err == nil {
				t.Fatalf("New succeeded, want error %q", tc.wantErr)
			}
			if k != nil {
				t.Errorf("New returned a keyring with an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tc.wantErr)
			}
			for _, key := range append([][]byte{tc.current}, tc.old...) {
				for _, form := range keyForms(key) {
					if w, ok := leaks(err.Error(), form); ok {
						t.Errorf("error %q contains %q of a key", err, w)
					}
				}
			}
		})
	}
}

func TestNewCopiesNothing(t *testing.T) {
	key := bytes.Clone(testKey(1))
	k := mustNew(t, key)
	sealed := mustSeal(t, k, []byte("+34600123456"), nil)
	clear(key) // a caller wiping its copy must not break the ring
	if _, err := k.Open(sealed, nil); err != nil {
		t.Fatalf("Open after the caller cleared its key: %v", err)
	}
	if got := mustSeal(t, k, nil, nil); KeyID(got[1:5]) != idOf(testKey(1)) {
		t.Fatal("ring changed key when the caller cleared its copy")
	}
}

// fromEnv is what Senda does with the two settings: parse, then build.
func fromEnv(env func(string) string) (*Keyring, error) {
	cur, old, err := ParseKeys(env(envCurrent), env(envOld))
	if err != nil || cur == nil {
		return nil, err
	}
	k, err := New(cur, old...)
	if err != nil {
		return nil, fmt.Errorf("%w (old key n is entry n of %s)", err, envOld)
	}
	return k, nil
}

func TestParseKeys(t *testing.T) {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	std := base64.StdEncoding.EncodeToString
	url := base64.RawURLEncoding.EncodeToString
	for _, tc := range []struct {
		name     string
		env      map[string]string
		wantNil  bool     // subscriptions off: (nil, nil)
		wantErr  string   // "" means no error
		current  []byte   // expected sealing key
		canOpen  [][]byte // keys whose values the ring must open
		cantOpen [][]byte
	}{
		{name: "unset", env: nil, wantNil: true},
		{name: "empty", env: map[string]string{"SENDA_SUBSCRIBER_KEY": "", "SENDA_SUBSCRIBER_KEYS_OLD": ""}, wantNil: true},
		{name: "whitespace", env: map[string]string{"SENDA_SUBSCRIBER_KEY": " \n", "SENDA_SUBSCRIBER_KEYS_OLD": " , "}, wantNil: true},
		{
			name:    "old without current",
			env:     map[string]string{"SENDA_SUBSCRIBER_KEYS_OLD": std(k1)},
			wantErr: "SENDA_SUBSCRIBER_KEYS_OLD is set but SENDA_SUBSCRIBER_KEY is empty",
		},
		{
			name:     "current only",
			env:      map[string]string{"SENDA_SUBSCRIBER_KEY": std(k1) + "\n"},
			current:  k1,
			canOpen:  [][]byte{k1},
			cantOpen: [][]byte{k2},
		},
		{
			name: "several old keys",
			env: map[string]string{
				"SENDA_SUBSCRIBER_KEY":      url(k3),
				"SENDA_SUBSCRIBER_KEYS_OLD": " " + std(k1) + " , " + url(k2) + ",",
			},
			current: k3,
			canOpen: [][]byte{k1, k2, k3},
		},
		{
			name:    "bad current",
			env:     map[string]string{"SENDA_SUBSCRIBER_KEY": std(k1[:16])},
			wantErr: "SENDA_SUBSCRIBER_KEY must be 32 bytes of base64 (e.g. `openssl rand -base64 32`); it decodes to 16 bytes",
		},
		{
			name:    "bad old entry",
			env:     map[string]string{"SENDA_SUBSCRIBER_KEY": std(k3), "SENDA_SUBSCRIBER_KEYS_OLD": std(k1) + "," + std(k2)[:40]},
			wantErr: "SENDA_SUBSCRIBER_KEYS_OLD entry 2 must be 32 bytes of base64",
		},
		{
			name:    "current repeated in old",
			env:     map[string]string{"SENDA_SUBSCRIBER_KEY": std(k1), "SENDA_SUBSCRIBER_KEYS_OLD": std(k2) + "," + std(k1)},
			wantErr: "old key 2 is the same key as the current key",
		},
		{
			name:    "old repeated in another encoding",
			env:     map[string]string{"SENDA_SUBSCRIBER_KEY": std(k3), "SENDA_SUBSCRIBER_KEYS_OLD": std(k1) + "," + url(k1)},
			wantErr: "old key 2 is the same key as old key 1",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := fromEnv(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FromEnv = %v, %v; want error containing %q", k, err, tc.wantErr)
				}
				if k != nil {
					t.Error("FromEnv returned a keyring with an error")
				}
				for _, v := range tc.env {
					for s := range strings.SplitSeq(v, ",") {
						if w, ok := leaks(err.Error(), strings.TrimSpace(s)); ok {
							t.Errorf("error %q echoes %q of the environment", err, w)
						}
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if tc.wantNil {
				if k != nil {
					t.Fatalf("FromEnv = %v, want nil (subscriptions off)", k)
				}
				return
			}
			if k == nil {
				t.Fatal("FromEnv = nil, want a keyring")
			}
			if k.Current() != idOf(tc.current) {
				t.Errorf("Current() = %s, want %s", k.Current(), idOf(tc.current))
			}
			pt, aad := []byte("+34600123456"), []byte("sub-1")
			for _, key := range tc.canOpen {
				sealed := mustSeal(t, mustNew(t, key), pt, aad)
				if got, err := k.Open(sealed, aad); err != nil || !bytes.Equal(got, pt) {
					t.Errorf("Open(value under %s) = %q, %v; want %q", idOf(key), got, err, pt)
				}
				if got, want := k.NeedsRotation(sealed), !bytes.Equal(key, tc.current); got != want {
					t.Errorf("NeedsRotation(value under %s) = %v, want %v", idOf(key), got, want)
				}
			}
			for _, key := range tc.cantOpen {
				sealed := mustSeal(t, mustNew(t, key), pt, aad)
				if _, err := k.Open(sealed, aad); !errors.Is(err, ErrUnknownKey) {
					t.Errorf("Open(value under %s) = %v, want ErrUnknownKey", idOf(key), err)
				}
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	ring := mustNew(t, testKey(2), testKey(1))
	old := mustSeal(t, mustNew(t, testKey(1)), []byte("old"), []byte("sub-old"))
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				pt := fmt.Appendf(nil, "+346%08d", g*1000+i)
				aad := fmt.Appendf(nil, "sub-%d-%d", g, i)
				sealed, err := ring.Seal(pt, aad)
				if err != nil {
					errs <- err
					return
				}
				if got, err := ring.Open(sealed, aad); err != nil || !bytes.Equal(got, pt) {
					errs <- fmt.Errorf("Open = %q, %v; want %q", got, err, pt)
					return
				}
				if got, err := ring.Open(old, []byte("sub-old")); err != nil || string(got) != "old" {
					errs <- fmt.Errorf("Open(old) = %q, %v", got, err)
					return
				}
				if ring.NeedsRotation(sealed) || !ring.NeedsRotation(old) {
					errs <- errors.New("NeedsRotation wrong")
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// sealedVectors were sealed once under testKey(2) (current in FuzzOpen's
// ring) and testKey(1) (old). They are fixed because fuzz workers run the
// setup of FuzzOpen again, and a fresh Seal draws a fresh nonce.
var sealedVectors = []struct{ hex, plaintext, aad string }{
	{"013b33958b81a9a75073fdc59a4de97419b617d5dbf3e6bd8b233cc94f8261a669996059a0a078969ff3007538", "+34600123456", "sub-0001"},
	{"013b33958b6ee337a664f5d449964541f1c1711b5e2ff8755acd19c4d0a482f21d", "", ""},
	{"010c8b0ac24d90b89b58433deb168945bbd554644662d889178ae23686c2ac5bb22180223626454dd19317ce27f573602fec5bec3aec6198", "whatsapp:+5215512345678", "sub-0002"},
}

// TestSealedVectors pins the format: values sealed by an earlier build open.
func TestSealedVectors(t *testing.T) {
	ring := mustNew(t, testKey(2), testKey(1))
	for _, v := range sealedVectors {
		sealed, err := hex.DecodeString(v.hex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ring.Open(sealed, []byte(v.aad))
		if err != nil || string(got) != v.plaintext {
			t.Errorf("Open(%s) = %q, %v; want %q", v.hex, got, err, v.plaintext)
		}
	}
}

// FuzzOpen checks that arbitrary bytes never make Open panic, and that Open
// succeeds only on values that were really sealed, with their own aad.
func FuzzOpen(f *testing.F) {
	ring, err := New(testKey(2), testKey(1))
	if err != nil {
		f.Fatal(err)
	}
	type opened struct{ plaintext, aad string }
	genuine := map[string]opened{}
	for _, v := range sealedVectors {
		sealed, err := hex.DecodeString(v.hex)
		if err != nil {
			f.Fatal(err)
		}
		genuine[string(sealed)] = opened{v.plaintext, v.aad}
		f.Add(sealed, []byte(v.aad))
	}
	cur, _ := hex.DecodeString(sealedVectors[0].hex)
	other, _ := New(testKey(3))
	unknown, _ := other.Seal([]byte("+34600123456"), []byte("sub-0001"))
	v2 := bytes.Clone(cur)
	v2[0] = 2
	for _, seed := range [][]byte{nil, {1}, cur[:5], cur[:17], cur[:32], cur[:len(cur)-1], v2, unknown, append(bytes.Clone(cur), 0)} {
		f.Add(seed, []byte("sub-0001"))
	}
	f.Add(cur, []byte("sub-0002"))

	f.Fuzz(func(t *testing.T, sealed, aad []byte) {
		rotate := ring.NeedsRotation(sealed)
		got, err := ring.Open(sealed, aad)
		if err != nil {
			if got != nil {
				t.Errorf("Open returned %q with error %v", got, err)
			}
			if errors.Is(err, ErrCorrupt) == errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Open error %v is not exactly one of ErrCorrupt, ErrUnknownKey", err)
			}
			for _, g := range genuine {
				if w, ok := leaks(err.Error(), g.plaintext); ok {
					t.Fatalf("error %q contains %q of a plaintext", err, w)
				}
			}
			return
		}
		want, ok := genuine[string(sealed)]
		if !ok {
			t.Fatalf("Open accepted %x, which was never sealed, giving %q", sealed, got)
		}
		if string(aad) != want.aad || string(got) != want.plaintext {
			t.Fatalf("Open(sealed, %q) = %q; it was sealed as %q with aad %q", aad, got, want.plaintext, want.aad)
		}
		if wantRotate := KeyID(sealed[1:5]) != ring.Current(); rotate != wantRotate {
			t.Fatalf("NeedsRotation = %v, want %v", rotate, wantRotate)
		}
	})
}

func BenchmarkSealOpen(b *testing.B) {
	ring, err := New(testKey(2), testKey(1))
	if err != nil {
		b.Fatal(err)
	}
	pt, aad := []byte("whatsapp:+5215512345678"), []byte("01HZX3Q7K9V2M4N6P8R0S2T4V6")
	sealed := mustSeal(b, ring, pt, aad)

	b.Run("seal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ring.Seal(pt, aad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ring.Open(sealed, aad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seal+open", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s, err := ring.Seal(pt, aad)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ring.Open(s, aad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("needs-rotation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ring.NeedsRotation(sealed) {
				b.Fatal("current value needs rotation")
			}
		}
	})
}
