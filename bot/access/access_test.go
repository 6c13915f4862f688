package access_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/access"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/metrics"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
)

const good = "a-long-random-admin-token-for-tests"

func newAccess(t *testing.T, penalty time.Duration) (*access.Access, *metrics.Set, func() []string) {
	t.Helper()
	rdb, prefix := redistest.Client(t)
	m := metrics.New()
	a := access.New(access.Options{Tokens: map[string]string{"programa": good, "otra": "another-token"}, Redis: rdb,
		Keys: rkey.Space(prefix), Hasher: ident.NewHasher([]byte("access-test-key")), Metrics: m, Penalty: penalty,
		Now: func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }})
	return a, m, func() []string { return redistest.Keys(t, rdb, prefix) }
}

func TestVerify(t *testing.T) {
	a, _, _ := newAccess(t, time.Millisecond)
	for tok, want := range map[string]string{good: "programa", " " + good + "\n": "programa", "another-token": "otra",
		"": "", "wrong": "", strings.ToUpper(good): "", good + "x": ""} {
		if got, ok := a.Verify(tok); got != want || ok != (want != "") {
			t.Errorf("Verify(%q) = %q, %v; want %q", tok, got, ok, want)
		}
	}
	if access.New(access.Options{}).On() {
		t.Error("an Access without tokens is on")
	}
}

// Guesses from one address never lock out the right token: after
// MaxFailures they are slowed and told to wait, and the right token still
// gets in at once (issue 18).
func TestGuessesAreSlowedNeverLockingOut(t *testing.T) {
	const penalty = 80 * time.Millisecond
	a, m, keys := newAccess(t, penalty)
	ctx := context.Background()
	for i := range access.MaxFailures {
		if _, err := a.Check(ctx, "guess", "192.0.2.7"); !errors.Is(err, access.ErrWrongToken) {
			t.Fatalf("wrong token %d: %v, want ErrWrongToken", i+1, err)
		}
	}
	for range 5 {
		start := time.Now()
		_, err := a.Check(ctx, "guess", "192.0.2.7")
		var th *access.ThrottledError
		if !errors.As(err, &th) || th.Wait <= 0 || th.Minutes() < 1 {
			t.Fatalf("a wrong token over the limit: %v, want a ThrottledError with a wait", err)
		}
		if took := time.Since(start); took < penalty {
			t.Errorf("a wrong token over the limit was answered in %s, before the %s pause", took, penalty)
		}
		start = time.Now()
		if name, err := a.Check(ctx, good, "192.0.2.7"); err != nil || name != "programa" {
			t.Fatalf("the right token from a throttled address: %q, %v", name, err)
		}
		if took := time.Since(start); took >= penalty {
			t.Errorf("the right token waited %s", took)
		}
	}
	if _, err := a.Check(ctx, "guess", "192.0.2.8"); !errors.Is(err, access.ErrWrongToken) {
		t.Errorf("another address is slowed too: %v", err)
	}
	if strings.Contains(strings.Join(keys(), " "), "192.0.2") {
		t.Error("a client address is stored in the clear")
	}
	var out strings.Builder
	m.Write(&out)
	if !strings.Contains(out.String(), "admin_auth_failures_total 16") {
		t.Errorf("16 wrong tokens not counted:\n%s", out.String())
	}
}

func TestCancelledWhileSlowed(t *testing.T) {
	a, _, _ := newAccess(t, time.Hour)
	for range access.MaxFailures {
		a.Check(context.Background(), "guess", "192.0.2.9")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var th *access.ThrottledError
	if _, err := a.Check(ctx, "guess", "192.0.2.9"); !errors.As(err, &th) {
		t.Fatalf("a cancelled wrong token over the limit: %v", err)
	}
}

func TestTrail(t *testing.T) {
	a, _, _ := newAccess(t, time.Millisecond)
	ctx := context.Background()
	a.Record(ctx, access.Entry{Token: "programa", Action: "signin"})
	a.Record(ctx, access.Entry{Token: "programa", Action: "create", Broadcast: "b1", Details: map[string]any{"topic": "salud", "recipients": 12}})
	got, err := a.Trail(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != "create" || got[0].Broadcast != "b1" || got[0].Details["topic"] != "salud" ||
		got[0].Details["recipients"] != float64(12) || got[1].Action != "signin" {
		t.Fatalf("trail = %+v", got)
	}
	if want := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC); !got[1].At.Equal(want) {
		t.Errorf("entry time %s, want the clock's %s", got[1].At, want)
	}
}
