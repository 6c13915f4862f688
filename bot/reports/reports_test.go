package reports_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/bot/reports"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

var (
	hashKey       = []byte("0123456789abcdef0123456789abcdef-test-hash-key")
	subscriberKey = bytes.Repeat([]byte{7}, 32)
	guatemala     = time.FixedZone("CST", -6*3600)
)

// clock is a settable clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newStore(t *testing.T, rdb redis.UniversalClient, prefix string, c *clock, opt reports.Options) *reports.Store {
	t.Helper()
	ring, err := reports.Keyring(subscriberKey)
	if err != nil {
		t.Fatal(err)
	}
	opt.Prefix, opt.Loc, opt.Now, opt.RateKey = prefix, guatemala, c.now, reports.RateKey(hashKey)
	s, err := reports.New(rdb, ring, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func draft(i int) flows.ReportDraft {
	return flows.ReportDraft{Kind: uint8(1 + i%len(flows.ReportKinds)), When: 1, Area: fmt.Sprintf("mercado %d", i),
		Text: fmt.Sprintf("hombre alto, moto roja placa P-%03d", i)}
}

func TestSubmitListClose(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 15, 4, 5, 0, guatemala)}
	s := newStore(t, rdb, prefix, c, reports.Options{})
	ctx := context.Background()
	h := ident.NewHasher(hashKey)
	var ids []string
	for i := range 3 {
		f, err := s.Submit(ctx, h.Sender(content.SMS, fmt.Sprintf("+5025555000%d", i)), draft(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, f.ID)
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].ID != ids[0] || list[2].ID != ids[2] {
		t.Fatalf("list = %+v, want the three in filing order", list)
	}
	want := reports.Report{ID: ids[1], Kind: "robbery", Area: "mercado 1", When: "today", Text: "hombre alto, moto roja placa P-001", Day: "2026-12-07"}
	if got, err := s.Get(ctx, ids[1]); err != nil || got != want {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, want)
	}
	if err := s.Close(ctx, ids[0], reports.Published); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx, ids[1], reports.Discarded); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx, ids[1], reports.Discarded); !errors.Is(err, reports.ErrNotFound) {
		t.Fatalf("second close: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "x", "../../etc", strings.Repeat("z", 24)} {
		if _, err := s.Get(ctx, bad); !errors.Is(err, reports.ErrNotFound) {
			t.Fatalf("Get(%q) = %v, want ErrNotFound", bad, err)
		}
	}
	if _, err := s.Get(ctx, ids[0]); !errors.Is(err, reports.ErrNotFound) {
		t.Fatalf("a published report is still there: %v", err)
	}
	if list, _ := s.List(ctx); len(list) != 1 || list[0].ID != ids[2] {
		t.Fatalf("after closing two: %+v", list)
	}
	figs, err := s.Figures(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantFigs := []reports.DayFigures{{Day: "2026-12-06"}, {Day: "2026-12-07", Received: 3, Published: 1, Discarded: 1}}
	if fmt.Sprint(figs) != fmt.Sprint(wantFigs) {
		t.Fatalf("figures = %+v, want %+v", figs, wantFigs)
	}
}

func TestDailyLimit(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 23, 0, 0, 0, guatemala)}
	s := newStore(t, rdb, prefix, c, reports.Options{PerDay: 2})
	ctx := context.Background()
	me := ident.NewHasher(hashKey).Sender(content.WhatsApp, "whatsapp:+50255551234")
	other := ident.NewHasher(hashKey).Sender(content.SMS, "+50255559999")
	for i := range 2 {
		if _, err := s.Submit(ctx, me, draft(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Submit(ctx, me, draft(2)); !errors.Is(err, reports.ErrLimited) {
		t.Fatalf("third report of the day: %v, want ErrLimited", err)
	}
	if _, err := s.Submit(ctx, other, draft(3)); err != nil {
		t.Fatalf("another sender is limited too: %v", err)
	}
	c.t = c.t.Add(2 * time.Hour) // the next day in Guatemala
	if _, err := s.Submit(ctx, me, draft(4)); err != nil {
		t.Fatalf("next day: %v", err)
	}
	if list, _ := s.List(ctx); len(list) != 4 {
		t.Fatalf("%d reports open, want 4 (the limited one kept nothing)", len(list))
	}
}

// A flood of reports from many senders keeps the newest Cap and counts the
// ones it dropped.
func TestFloodIsCapped(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 10, 0, 0, 0, guatemala)}
	const capacity, sent = 50, 1000
	s := newStore(t, rdb, prefix, c, reports.Options{Cap: capacity})
	ctx := context.Background()
	h := ident.NewHasher(hashKey)
	var last string
	start := time.Now()
	for i := range sent {
		f, err := s.Submit(ctx, h.Sender(content.SMS, "+5024"+strconv.Itoa(1000000+i)), draft(i))
		if err != nil {
			t.Fatal(err)
		}
		last = f.ID
	}
	perReport := time.Since(start) / sent
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != capacity || list[capacity-1].ID != last || list[0].Area != fmt.Sprintf("mercado %d", sent-capacity) {
		t.Fatalf("%d open, first %q; want the newest %d", len(list), list[0].Area, capacity)
	}
	if n, err := s.Dropped(ctx); err != nil || n != sent-capacity {
		t.Fatalf("dropped = %d, %v; want %d", n, err, sent-capacity)
	}
	// Dropped reports are gone, not just unlisted.
	if n := len(redistest.Keys(t, rdb, prefix+"{r}:r:")); n != capacity {
		t.Fatalf("%d report keys, want %d", n, capacity)
	}
	t.Logf("filing took %v a report with %d open", perReport, capacity)
}

// Redis failing when the report is filed keeps nothing, and the same draft
// files once Redis is back.
func TestFailureKeepsNothing(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 10, 0, 0, 0, guatemala)}
	hook := faults.NewHook()
	rdb.(*redis.Client).AddHook(hook)
	s := newStore(t, rdb, prefix, c, reports.Options{})
	ctx := context.Background()
	me := ident.NewHasher(hashKey).Sender(content.SMS, "+50255551234")
	hook.Set(faults.Rule{Name: "evalsha"}, faults.Rule{Name: "eval"})
	if _, err := s.Submit(ctx, me, draft(1)); err == nil {
		t.Fatal("Submit succeeded with Redis failing")
	}
	hook.Set()
	if keys := redistest.Keys(t, rdb, prefix); len(keys) != 0 {
		t.Fatalf("a failed submit left %v", keys)
	}
	if _, err := s.Submit(ctx, me, draft(1)); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if list, _ := s.List(ctx); len(list) != 1 {
		t.Fatalf("%d open after the retry, want 1", len(list))
	}
}

// What Redis holds after 20 reports from 20 senders: no number, sender id,
// message id or time finer than the day, and nothing that someone holding
// SENDA_HASH_KEY could use to tell which sender sent which report.
func TestNothingJoinsAReportToItsSender(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 8, 0, 0, 0, guatemala)}
	s := newStore(t, rdb, prefix, c, reports.Options{})
	ctx := context.Background()
	h := ident.NewHasher(hashKey)
	type sender struct {
		addr string
		id   ident.SenderID
		sid  string
	}
	var senders []sender
	for i := range 20 {
		ch, addr := content.SMS, "+5025123"+strconv.Itoa(4000+i)
		if i%2 == 0 {
			ch, addr = content.WhatsApp, "whatsapp:+5024987"+strconv.Itoa(6000+i)
		}
		sn := sender{addr: addr, id: h.Sender(ch, addr), sid: "SM" + strings.Repeat(strconv.Itoa(i%10), 32)}
		senders = append(senders, sn)
		c.t = c.t.Add(17*time.Minute + 3*time.Second) // every report at another time of the day
		if _, err := s.Submit(ctx, sn.id, draft(i)); err != nil {
			t.Fatal(err)
		}
	}
	dump := redistest.Dump(t, rdb, prefix)
	var forbidden []string
	for _, sn := range senders {
		num := ident.NormalizeAddress(sn.addr)
		msg := make([]byte, 8)
		binary.BigEndian.PutUint64(msg, h.Message(sn.sid))
		forbidden = append(forbidden, num, strings.TrimPrefix(num, "+"), num[len(num)-8:], sn.sid,
			sn.id.String(), hex.EncodeToString(sn.id[:]), string(sn.id[:]), string(sn.id[:8]),
			string(msg), hex.EncodeToString(msg), base64.RawURLEncoding.EncodeToString(msg))
	}
	for i := range 20 * 18 { // the minutes the reports came in, as Unix seconds or milliseconds, or a clock time
		at := time.Date(2026, 12, 7, 8, 0, 0, 0, guatemala).Add(time.Duration(i) * time.Minute)
		forbidden = append(forbidden, strconv.FormatInt(at.Unix(), 10)[:8], strconv.FormatInt(at.UnixMilli(), 10)[:8], at.Format("15:04"))
	}
	for k, v := range dump {
		for _, f := range forbidden {
			if strings.Contains(k, f) || strings.Contains(v, f) {
				t.Fatalf("key %s holds %q", k, f)
			}
		}
	}
	// Every key's expiry is at a day's boundary, and every report's and every
	// counter's the same: expiries cannot order or time the reports.
	expiry := map[string]map[int64]bool{}
	for k := range dump {
		at, err := rdb.Do(ctx, "EXPIRETIME", k).Int64()
		if err != nil {
			t.Skipf("EXPIRETIME needs Redis 7: %v", err)
		}
		kind := strings.SplitN(strings.TrimPrefix(k, prefix+"{r}:"), ":", 2)[0]
		if expiry[kind] == nil {
			expiry[kind] = map[int64]bool{}
		}
		expiry[kind][at] = true
		if at > 0 && time.Unix(at, 0).In(guatemala).Format("15:04:05") != "00:00:00" {
			t.Fatalf("key %s expires at %v, not at a day's boundary", k, time.Unix(at, 0).In(guatemala))
		}
	}
	for kind, ats := range expiry {
		if len(ats) != 1 {
			t.Fatalf("%s keys expire at %d different times", kind, len(ats))
		}
	}
	if len(expiry["r"]) != 1 || len(expiry["rate"]) != 1 {
		t.Fatalf("expected reports and rate counters in the dump: %v", expiry)
	}
	// Reports are sealed: the description is not in Redis as text.
	for k, v := range dump {
		if strings.Contains(v, "moto roja") || strings.Contains(v, "mercado") {
			t.Fatalf("key %s holds a report in clear", k)
		}
	}
	// Sealed under a key of its own: the subscriber keyring cannot open one.
	subs, err := sealer.New(subscriberKey)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := s.List(ctx)
	if _, err := subs.Open([]byte(dump[prefix+"{r}:r:"+list[0].ID]), []byte(list[0].ID)); !errors.Is(err, sealer.ErrUnknownKey) {
		t.Fatalf("the subscriber key opens a report: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	c := &clock{time.Date(2026, 12, 7, 13, 30, 0, 0, guatemala)}
	s := newStore(t, rdb, prefix, c, reports.Options{Days: 30})
	ctx := context.Background()
	f, err := s.Submit(ctx, ident.NewHasher(hashKey).Sender(content.SMS, "+50255551234"), draft(0))
	if err != nil {
		t.Fatal(err)
	}
	at, err := rdb.Do(ctx, "EXPIRETIME", prefix+"{r}:r:"+f.ID).Int64()
	if err != nil {
		t.Skipf("EXPIRETIME needs Redis 7: %v", err)
	}
	if want := time.Date(2027, 1, 6, 0, 0, 0, 0, guatemala); !time.Unix(at, 0).Equal(want) {
		t.Fatalf("expires %v, want %v (the end of the 30th day)", time.Unix(at, 0).In(guatemala), want)
	}
	// An expired report leaves the list when it is read.
	if err := rdb.Del(ctx, prefix+"{r}:r:"+f.ID).Err(); err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(ctx); err != nil || len(list) != 0 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if n := rdb.LLen(ctx, prefix+"{r}:open").Val(); n != 0 {
		t.Fatalf("%d ids left in the list", n)
	}
}

func TestNewNeedsKeys(t *testing.T) {
	rdb, _ := redistest.Client(t)
	if _, err := reports.New(rdb, nil, reports.Options{RateKey: []byte("k")}); err == nil {
		t.Fatal("New without a keyring")
	}
	ring, _ := reports.Keyring(subscriberKey)
	if _, err := reports.New(rdb, ring, reports.Options{}); err == nil {
		t.Fatal("New without a rate key")
	}
}
