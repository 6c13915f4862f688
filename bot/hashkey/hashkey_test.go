package hashkey

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/bot/subscribers"
)

type person struct {
	addr   string
	topics []string
}

var people = []person{
	{"whatsapp:+50230000001", []string{"salud", "talleres"}},
	{"whatsapp:+50230000002", []string{"seguridad"}},
	{"+50230000003", []string{"salud"}},
}

func TestCheckRefusesAnotherKeyWhileSubscribersExist(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	rdb := srv.NewClient()
	keys := rkey.Space("hk:")
	ctx := context.Background()
	oldH, newH := ident.NewHasher([]byte("old-hash-key-0123456789abcdefghijkl")), ident.NewHasher([]byte("new-hash-key-0123456789abcdefghijkl"))
	ring := newRing(t)
	if st, err := Check(ctx, rdb, keys, ring, oldH, nil, true); err != nil || st != Recorded {
		t.Fatalf("first start: %v, %v", st, err)
	}
	if st, err := Check(ctx, rdb, keys, ring, newH, nil, true); err != nil || st != Replaced {
		t.Fatalf("a new key without subscribers: %v, %v; want it accepted", st, err)
	}
	subscribe(t, rdb, keys, ring, newH)
	_, err := Check(ctx, rdb, keys, ring, oldH, nil, true)
	if err == nil || !strings.Contains(err.Error(), "SENDA_HASH_KEY") || !strings.Contains(err.Error(), "SENDA_HASH_KEY_OLD") || !strings.Contains(err.Error(), "rotate-hash-key") {
		t.Fatalf("another key with subscribers in production: %v; want an error naming the setting and the way out", err)
	}
	if st, err := Check(ctx, rdb, keys, ring, oldH, nil, false); err != nil || st != Mismatch {
		t.Fatalf("in development: %v, %v; want Mismatch without an error", st, err)
	}
	if st, err := Check(ctx, rdb, keys, ring, oldH, newH, true); err != nil || st != Rotating {
		t.Fatalf("with the stored key as SENDA_HASH_KEY_OLD: %v, %v; want Rotating", st, err)
	}
	if v, _ := rdb.Get(ctx, keys.HashKeyFingerprint()).Result(); strings.Contains(v, "new-hash-key") || v != newH.Fingerprint() {
		t.Fatalf("stored fingerprint %q", v)
	}
}

func newRing(t *testing.T) *sealer.Keyring {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	ring, err := sealer.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// subscribe subscribes people under h's ids, as Senda does (the key's
// fingerprint written with each record).
func subscribe(t *testing.T, rdb redis.UniversalClient, keys rkey.Space, ring *sealer.Keyring, h *ident.Hasher) {
	t.Helper()
	subscribeWith(t, subscribers.New(rdb, keys, ring, time.Now, subscribers.FiledUnder(h)), h)
}

// subscribeWith subscribes people through subs under h's ids.
func subscribeWith(t *testing.T, subs *subscribers.Store, h *ident.Hasher) {
	t.Helper()
	for _, p := range people {
		ch := ident.ChannelOf(p.addr)
		for _, topic := range p.topics {
			if err := subs.Subscribe(context.Background(), h.Sender(ch, p.addr), p.addr, ch, "es", topic); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRotateMovesEveryRecordAndResumes interrupts a rotation at each of its
// first commands in turn, then runs it again: every subscriber ends up under
// the new key's id with the same address and topics, reachable by BAJA,
// and nothing is left under the old ids.
func TestRotateMovesEveryRecordAndResumes(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	admin := srv.NewClient()
	ctx := context.Background()
	for nth := 1; nth <= 12; nth++ {
		keys := rkey.Space("rot" + string(rune('a'+nth)) + ":")
		oldH, newH := ident.NewHasher([]byte("old-hash-key-0123456789abcdefghijkl")), ident.NewHasher([]byte("new-hash-key-0123456789abcdefghijkl"))
		ring := newRing(t)
		subscribe(t, admin, keys, ring, oldH)
		if _, err := Check(ctx, admin, keys, ring, oldH, nil, true); err != nil {
			t.Fatal(err)
		}
		hook := faults.FailNth(nth, faults.ErrInjected)
		rdb := srv.NewClient()
		rdb.AddHook(hook)
		if _, err := Rotate(ctx, rdb, keys, ring, oldH, newH); !errors.Is(err, faults.ErrInjected) {
			t.Fatalf("call %d failed: Rotate = %v, want the injected error", nth, err)
		}
		if st, _ := Check(ctx, admin, keys, ring, newH, oldH, true); st != Rotating {
			t.Fatalf("call %d failed: the fingerprint moved to the new key before the rotation finished (%v)", nth, st)
		}
		res, err := Rotate(ctx, admin, keys, ring, oldH, newH)
		if err != nil || res.Failed != 0 {
			t.Fatalf("call %d failed, then Rotate again = %+v, %v", nth, res, err)
		}
		subs := subscribers.New(admin, keys, ring, time.Now)
		for _, p := range people {
			ch := ident.ChannelOf(p.addr)
			oldID, newID := oldH.Sender(ch, p.addr), newH.Sender(ch, p.addr)
			got, ok, err := subs.Get(ctx, newID)
			if err != nil || !ok || got.Address != p.addr || strings.Join(got.Topics, ",") != strings.Join(p.topics, ",") || got.Channel != ch || got.Lang != "es" {
				t.Fatalf("call %d: under the new id: %+v %v %v", nth, got, ok, err)
			}
			if n, _ := admin.Exists(ctx, keys.Subscriber(oldID)).Result(); n != 0 {
				t.Fatalf("call %d: the record under the old id is still there", nth)
			}
			for _, topic := range []string{"salud", "seguridad", "talleres"} {
				isNew, _ := admin.SIsMember(ctx, keys.Topic(topic), newID.String()).Result()
				isOld, _ := admin.SIsMember(ctx, keys.Topic(topic), oldID.String()).Result()
				want := strings.Contains(strings.Join(p.topics, ","), topic)
				if isNew != want || isOld {
					t.Fatalf("call %d: topic %s: new id member %v (want %v), old id member %v", nth, topic, isNew, want, isOld)
				}
			}
		}
		if st, err := Check(ctx, admin, keys, ring, newH, nil, true); err != nil || st != Same {
			t.Fatalf("call %d: after the rotation Check(new key) = %v, %v", nth, st, err)
		}
		again, err := Rotate(ctx, admin, keys, ring, oldH, newH)
		if err != nil || again.Moved != 0 || again.Current != len(people) {
			t.Fatalf("call %d: a second run = %+v, %v; want nothing moved", nth, again, err)
		}
	}
}

// TestRotateOnRedisCluster moves records across slots in ordered steps,
// interrupted once midway and run again.
func TestRotateOnRedisCluster(t *testing.T) {
	t.Parallel()
	cl := faults.StartCluster(t, faults.ClusterOptions{Masters: 3})
	rdb := cl.NewClient()
	ctx := context.Background()
	keys := rkey.Space("hkc:")
	oldH, newH := ident.NewHasher([]byte("old-hash-key-0123456789abcdefghijkl")), ident.NewHasher([]byte("new-hash-key-0123456789abcdefghijkl"))
	ring := newRing(t)
	subscribe(t, rdb, keys, ring, oldH)
	if _, err := Check(ctx, rdb, keys, ring, oldH, nil, true); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(ctx, rdb, keys, ring, newH, nil, true); err == nil {
		t.Fatal("another key with subscribers on the cluster was accepted")
	}
	faulty := cl.NewClient()
	hook := faults.NewHook(faults.Rule{Name: "del", Nth: 2})
	faulty.AddHook(hook)
	if _, err := Rotate(ctx, faulty, keys, ring, oldH, newH); err == nil {
		t.Fatal("the injected failure was not reported")
	}
	res, err := Rotate(ctx, rdb, keys, ring, oldH, newH)
	if err != nil || res.Failed != 0 {
		t.Fatalf("Rotate again = %+v, %v", res, err)
	}
	subs := subscribers.New(rdb, keys, ring, time.Now)
	for _, p := range people {
		ch := ident.ChannelOf(p.addr)
		got, ok, err := subs.Get(ctx, newH.Sender(ch, p.addr))
		if err != nil || !ok || got.Address != p.addr || strings.Join(got.Topics, ",") != strings.Join(p.topics, ",") {
			t.Fatalf("under the new id: %+v %v %v", got, ok, err)
		}
		if n, _ := rdb.Exists(ctx, keys.Subscriber(oldH.Sender(ch, p.addr))).Result(); n != 0 {
			t.Fatal("a record under the old id is still there")
		}
		for _, topic := range p.topics {
			if ok, _ := rdb.SIsMember(ctx, keys.Topic(topic), oldH.Sender(ch, p.addr).String()).Result(); ok {
				t.Fatalf("the old id is still in %s", topic)
			}
		}
	}
	if st, err := Check(ctx, rdb, keys, ring, newH, nil, true); err != nil || st != Same {
		t.Fatalf("after the rotation: %v, %v", st, err)
	}
}

// TestCheckWithoutStoredFingerprint loses the stored fingerprint (Redis lost
// it, or a restore from before it) while subscribers exist: a subscriber
// record still tells which key it is filed under, by the fingerprint written
// with it or, for records older than that, by its address; production
// refuses any other key and any key it cannot check, in sentences that say
// what to do.
func TestCheckWithoutStoredFingerprint(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	rdb := srv.NewClient()
	ctx := context.Background()
	curH, otherH := ident.NewHasher([]byte("cur-hash-key-0123456789abcdefghijkl")), ident.NewHasher([]byte("oth-hash-key-0123456789abcdefghijkl"))
	ring := newRing(t)
	cases := []struct {
		name     string
		legacy   bool // records written before they carried the fingerprint
		ring     *sealer.Keyring
		key, old *ident.Hasher
		want     Status
		refusal  []string // what the production error must name; nil: accepted
	}{
		{name: "fingerprinted, same key", ring: nil, key: curH, want: Recorded},
		{name: "fingerprinted, another key", ring: nil, key: otherH, want: Mismatch, refusal: []string{"SENDA_HASH_KEY", "rotate-hash-key"}},
		{name: "fingerprinted, old key set", ring: nil, key: otherH, old: curH, want: Rotating},
		{name: "legacy, same key, checked by address", legacy: true, ring: ring, key: curH, want: Recorded},
		{name: "legacy, another key, checked by address", legacy: true, ring: ring, key: otherH, want: Mismatch, refusal: []string{"SENDA_HASH_KEY", "rotate-hash-key"}},
		{name: "legacy, old key set, checked by address", legacy: true, ring: ring, key: otherH, old: curH, want: Rotating},
		{name: "legacy, no subscriber key", legacy: true, ring: nil, key: curH, want: Unconfirmed, refusal: []string{"SENDA_HASH_KEY", "SENDA_SUBSCRIBER_KEY"}},
		{name: "legacy, a subscriber key that cannot open them", legacy: true, ring: newRing(t), key: curH, want: Unconfirmed, refusal: []string{"SENDA_SUBSCRIBER_KEY"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := rkey.Space(fmt.Sprintf("nofp%d:", i))
			if c.legacy {
				subscribeWith(t, subscribers.New(rdb, keys, ring, time.Now), curH)
			} else {
				subscribe(t, rdb, keys, ring, curH)
			}
			if err := rdb.Del(ctx, keys.HashKeyFingerprint()).Err(); err != nil {
				t.Fatal(err)
			}
			st, err := Check(ctx, rdb, keys, c.ring, c.key, c.old, true)
			if st != c.want {
				t.Fatalf("Check = %v, %v; want status %v", st, err, c.want)
			}
			if c.refusal == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				stored, _ := rdb.Get(ctx, keys.HashKeyFingerprint()).Result()
				if want := curH.Fingerprint(); stored != want {
					t.Fatalf("stored fingerprint %q, want the subscribers' key's %q", stored, want)
				}
				return
			}
			if err == nil || !strings.HasSuffix(err.Error(), ".") {
				t.Fatalf("production accepted it (%v); want a refusal in sentences", err)
			}
			for _, w := range c.refusal {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the refusal does not name %s: %v", w, err)
				}
			}
			if n, _ := rdb.Exists(ctx, keys.HashKeyFingerprint()).Result(); n != 0 {
				t.Error("a refused key's fingerprint was stored")
			}
			if st, err := Check(ctx, rdb, keys, c.ring, c.key, c.old, false); err != nil || st != c.want {
				t.Errorf("in development: %v, %v; want %v without an error", st, err, c.want)
			}
		})
	}
}

// TestRotateWritesTheNewFingerprintIntoEachRecord: after a rotation, losing
// the stored fingerprint still leaves the records naming the new key.
func TestRotateWritesTheNewFingerprintIntoEachRecord(t *testing.T) {
	t.Parallel()
	srv := faults.StartServer(t, faults.ServerOptions{})
	rdb := srv.NewClient()
	ctx := context.Background()
	keys := rkey.Space("rotfp:")
	oldH, newH := ident.NewHasher([]byte("old-hash-key-0123456789abcdefghijkl")), ident.NewHasher([]byte("new-hash-key-0123456789abcdefghijkl"))
	ring := newRing(t)
	subscribe(t, rdb, keys, ring, oldH)
	if res, err := Rotate(ctx, rdb, keys, ring, oldH, newH); err != nil || res.Moved != len(people) {
		t.Fatalf("Rotate = %+v, %v", res, err)
	}
	rdb.Del(ctx, keys.HashKeyFingerprint())
	if _, err := Check(ctx, rdb, keys, nil, oldH, nil, true); err == nil {
		t.Fatal("the old key was accepted after the rotation")
	}
	if st, err := Check(ctx, rdb, keys, nil, newH, nil, true); err != nil || st != Recorded {
		t.Fatalf("the new key: %v, %v", st, err)
	}
}
