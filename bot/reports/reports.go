// Package reports keeps the warnings people send in (a violent client, a
// police operation) until staff publish or discard them. It is the one place
// Senda keeps something a person wrote, so it keeps as little as it can:
//
//   - a report is sealed (AES-256-GCM, package sealer) under keys derived
//     for this purpose alone from SENDA_SUBSCRIBER_KEY, bound to its random id;
//   - it holds the kind, the area, when, the description and the day it
//     came in, and nothing else: no sender id, number, message id, or time
//     finer than the day; its expiry is set at a day's boundary too;
//   - the daily rate limit is a separate counter under a keyed hash of
//     the sender and the day, with a key derived for it alone, that
//     expires when the day ends and shares no id or time with the report;
//   - open reports are capped: when the list is full the oldest goes, and
//     a count of dropped reports is kept for staff;
//   - a published or discarded report is deleted at once; an open one
//     expires after SENDA_REPORT_DAYS.
//
// Filing is one script: the report, its place in the list, the count and
// the figures are written together or not at all.
package reports

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/sealer"
	"github.com/senda-org/senda/flows"
)

//go:embed scripts/file.lua
var fileLua string

//go:embed scripts/close.lua
var closeLua string

var (
	fileScript  = redis.NewScript(fileLua)
	closeScript = redis.NewScript(closeLua)
)

// Defaults. Thirty days gives staff time to read a report and is short
// enough that little piles up; three a day lets a person report what she
// saw without letting one phone flood the queue; a thousand open reports
// is more than a small NGO reads in a month.
const (
	DefaultDays   = 30
	DefaultPerDay = 3
	DefaultCap    = 1000
)

// figureDays is how long a day's figures are kept.
const figureDays = 400

// Purposes the keys are derived for: changing one makes every value under
// it unreadable, so they never change.
const (
	sealPurpose = "senda reports v1: seal"
	ratePurpose = "senda reports v1: rate"
)

// ErrLimited means the sender has sent as many reports today as allowed.
var ErrLimited = errors.New("reports: daily limit reached")

// ErrNotFound means no open report has the id.
var ErrNotFound = errors.New("reports: no open report with this id")

// Report is an open report as staff read it: the admin API's type, so the
// two cannot drift. Kind is one of flows.ReportKinds, When one of
// flows.ReportWhens, Day the day it came in (in the line's time zone).
type Report = adminapi.Report

// record is what is sealed: a Report without its id, which is the key.
type record struct {
	Kind string `json:"kind"`
	Area string `json:"area"`
	When string `json:"when"`
	Text string `json:"text"`
	Day  string `json:"day"`
}

// Keyring derives the keyring that seals reports from the subscriber keys
// (current first, then old ones), so rotating SENDA_SUBSCRIBER_KEY rotates
// it too, and a subscriber's address key never seals a report.
func Keyring(current []byte, old ...[]byte) (*sealer.Keyring, error) {
	derive := func(k []byte) ([]byte, error) {
		out, err := hkdf.Key(sha256.New, k, nil, sealPurpose, 32)
		if err != nil {
			return nil, fmt.Errorf("reports: derive key: %w", err)
		}
		return out, nil
	}
	cur, err := derive(current)
	if err != nil {
		return nil, err
	}
	var olds [][]byte
	for _, o := range old {
		d, err := derive(o)
		if err != nil {
			return nil, err
		}
		olds = append(olds, d)
	}
	return sealer.New(cur, olds...)
}

// RateKey derives the key of the rate counters' hashes from SENDA_HASH_KEY.
func RateKey(hashKey []byte) []byte {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(ratePurpose))
	return m.Sum(nil)
}

// Options configure a Store. Zero values take the defaults.
type Options struct {
	Prefix  string           // Redis key prefix, e.g. "senda:"
	Days    int              // SENDA_REPORT_DAYS: an open report's life
	PerDay  int              // reports one sender may file a day
	Cap     int              // open reports kept; the oldest go beyond it
	Loc     *time.Location   // the line's time zone, for days
	Now     func() time.Time // the clock
	RateKey []byte           // from RateKey; required
}

// Store files, lists and closes reports.
type Store struct {
	rdb  redis.UniversalClient
	keys rkey.Space
	ring *sealer.Keyring
	opt  Options
}

// New returns a store sealing with ring.
func New(rdb redis.UniversalClient, ring *sealer.Keyring, opt Options) (*Store, error) {
	if ring == nil {
		return nil, errors.New("reports: no keyring (SENDA_SUBSCRIBER_KEY is not set)")
	}
	if len(opt.RateKey) == 0 {
		return nil, errors.New("reports: no rate key (SENDA_HASH_KEY is not set)")
	}
	if opt.Days <= 0 {
		opt.Days = DefaultDays
	}
	if opt.PerDay <= 0 {
		opt.PerDay = DefaultPerDay
	}
	if opt.Cap <= 0 {
		opt.Cap = DefaultCap
	}
	if opt.Loc == nil {
		opt.Loc = time.UTC
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Store{rdb: rdb, keys: rkey.Space(opt.Prefix), ring: ring, opt: opt}, nil
}

// Days is how many days an open report is kept.
func (s *Store) Days() int { return s.opt.Days }

// today returns the day's name and the start of the next day, in the
// line's time zone.
func (s *Store) today() (string, time.Time) {
	now := s.opt.Now().In(s.opt.Loc)
	y, m, d := now.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, s.opt.Loc)
	return start.Format(time.DateOnly), start.AddDate(0, 0, 1)
}

// Filed is what Submit did.
type Filed struct {
	ID      string
	Dropped int // older reports dropped to make room
}

// Submit seals and files a draft sent by sender, whose id is used only for
// the rate counter's keyed hash. It returns ErrLimited when the sender
// has filed PerDay reports today. On any error nothing is kept.
func (s *Store) Submit(ctx context.Context, sender ident.SenderID, d flows.ReportDraft) (Filed, error) {
	day, tomorrow := s.today()
	rec := record{Kind: d.KindName(), When: d.WhenName(), Area: d.Area, Text: d.Text, Day: day}
	if rec.Kind == "" || rec.When == "" {
		return Filed{}, errors.New("reports: submit: the draft is not finished")
	}
	id, err := newID()
	if err != nil {
		return Filed{}, err
	}
	plain, err := json.Marshal(rec)
	if err != nil {
		return Filed{}, fmt.Errorf("reports: submit: %w", err)
	}
	sealed, err := s.ring.Seal(plain, []byte(id))
	if err != nil {
		return Filed{}, fmt.Errorf("reports: submit: %w", err)
	}
	keys := []string{s.keys.ReportRate(s.rateHash(sender, day)), s.keys.Reports(), s.keys.Report(id),
		s.keys.ReportsDropped(), s.keys.ReportFigures(day)}
	// An open report ends at a day's boundary, so its expiry tells no more
	// than its day does.
	expires := tomorrow.AddDate(0, 0, s.opt.Days-1)
	args := []any{s.opt.PerDay, tomorrow.Unix(), id, sealed, expires.Unix(), s.opt.Cap,
		s.keys.ReportPrefix(), tomorrow.AddDate(0, 0, figureDays).Unix()}
	res, err := fileScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Filed{}, fmt.Errorf("reports: submit: %w", err)
	}
	if len(res) != 2 {
		return Filed{}, fmt.Errorf("reports: submit: unexpected reply %v", res)
	}
	if res[0] == 0 {
		return Filed{}, ErrLimited
	}
	return Filed{ID: id, Dropped: int(res[1])}, nil
}

// rateHash names a sender's counter for a day: a keyed hash under a key of
// its own, so it matches no session, subscriber or report.
func (s *Store) rateHash(sender ident.SenderID, day string) string {
	m := hmac.New(sha256.New, s.opt.RateKey)
	m.Write(sender[:])
	m.Write([]byte(day))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// newID is a random id: it says nothing about who, when or in which order.
func newID() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reports: id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validID reports whether s can be an id newID made, so that nothing else
// reaches a Redis key.
func validID(s string) bool {
	if len(s) != 24 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// List returns the open reports, oldest first. Reports that expired are
// taken off the list as it is read.
func (s *Store) List(ctx context.Context) ([]Report, error) {
	ids, err := s.rdb.LRange(ctx, s.keys.Reports(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("reports: list: %w", err)
	}
	out := make([]Report, 0, len(ids))
	const batch = 200
	for start := 0; start < len(ids); start += batch {
		part := ids[start:min(start+batch, len(ids))]
		keys := make([]string, len(part))
		for i, id := range part {
			keys[i] = s.keys.Report(id)
		}
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, fmt.Errorf("reports: list: %w", err)
		}
		for i, v := range vals {
			sealed, ok := v.(string)
			if !ok {
				// Expired: forget the id too.
				if err := s.rdb.LRem(ctx, s.keys.Reports(), 0, part[i]).Err(); err != nil {
					return nil, fmt.Errorf("reports: list: %w", err)
				}
				continue
			}
			r, err := s.open(part[i], sealed)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// Get returns one open report.
func (s *Store) Get(ctx context.Context, id string) (Report, error) {
	if !validID(id) {
		return Report{}, ErrNotFound
	}
	sealed, err := s.rdb.Get(ctx, s.keys.Report(id)).Result()
	if errors.Is(err, redis.Nil) {
		return Report{}, ErrNotFound
	}
	if err != nil {
		return Report{}, fmt.Errorf("reports: get: %w", err)
	}
	return s.open(id, sealed)
}

func (s *Store) open(id, sealed string) (Report, error) {
	plain, err := s.ring.Open([]byte(sealed), []byte(id))
	if err != nil {
		return Report{}, fmt.Errorf("reports: open %s: %w", id, err)
	}
	var rec record
	if err := json.Unmarshal(plain, &rec); err != nil {
		return Report{}, fmt.Errorf("reports: open %s: %w", id, err)
	}
	return Report{ID: id, Kind: rec.Kind, Area: rec.Area, When: rec.When, Text: rec.Text, Day: rec.Day}, nil
}

// Outcome is how a report was closed, as the day's figures count it.
type Outcome string

// Outcomes.
const (
	Published Outcome = "published"
	Discarded Outcome = "discarded"
)

// Close deletes an open report and counts it as published or discarded.
// It returns ErrNotFound when the report is not open.
func (s *Store) Close(ctx context.Context, id string, how Outcome) error {
	if !validID(id) {
		return ErrNotFound
	}
	day, tomorrow := s.today()
	keys := []string{s.keys.Reports(), s.keys.Report(id), s.keys.ReportFigures(day)}
	n, err := closeScript.Run(ctx, s.rdb, keys, id, string(how), tomorrow.AddDate(0, 0, figureDays).Unix()).Int64()
	if err != nil {
		return fmt.Errorf("reports: close: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Dropped is how many reports were dropped because the list was full.
func (s *Store) Dropped(ctx context.Context) (int64, error) {
	n, err := s.rdb.Get(ctx, s.keys.ReportsDropped()).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reports: dropped: %w", err)
	}
	return n, nil
}

// DayFigures are one day's counts of reports.
type DayFigures struct {
	Day       string `json:"day"`
	Received  int64  `json:"received"`
	Published int64  `json:"published"`
	Discarded int64  `json:"discarded"`
}

// Figures returns the counts of the last n days, oldest first. Callers
// that show them hide small counts (stats.Count).
func (s *Store) Figures(ctx context.Context, n int) ([]DayFigures, error) {
	_, tomorrow := s.today()
	pipe := s.rdb.Pipeline()
	days := make([]string, n)
	cmds := make([]*redis.MapStringStringCmd, n)
	for i := range n {
		days[i] = tomorrow.AddDate(0, 0, i-n).Format(time.DateOnly)
		cmds[i] = pipe.HGetAll(ctx, s.keys.ReportFigures(days[i]))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("reports: figures: %w", err)
	}
	out := make([]DayFigures, n)
	for i, c := range cmds {
		h := c.Val()
		out[i] = DayFigures{Day: days[i], Received: atoi(h["received"]), Published: atoi(h[string(Published)]), Discarded: atoi(h[string(Discarded)])}
	}
	return out, nil
}

// atoi reads a counter; a field that is missing reads as 0.
func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
