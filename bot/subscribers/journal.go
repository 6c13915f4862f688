package subscribers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/senda-org/senda/bot/ident"
)

// Journal is an append-only record of subscription changes, kept outside
// the Redis data set, so a restore of Redis from a backup cannot bring back
// someone who left after the backup was taken: on start, Senda replays the
// journal over what Redis holds (ReplayJournal).
//
// It lives in a directory (SENDA_OPTOUT_DIR). Each process appends to a
// file of its own there, "optouts-HOST.log", one line per change, fsynced
// before the change is made in Redis:
//
//	MS in ID TOPIC     subscribed to TOPIC
//	MS out ID TOPIC    left TOPIC
//	MS erase ID *      deleted (BAJA, or Twilio said the person cannot or does not want to be reached)
//
// where MS is milliseconds since the epoch and ID the subscriber's keyed
// hash (ident.SenderID): never an address, a name or a message. Replay
// reads every *.log file of the directory, so a directory shared by all
// replicas covers every change; a local one covers this host's. Lines older
// than the retention (as long as backups are kept) are dropped when the
// journal opens.
type Journal struct {
	dir       string
	path      string
	retention time.Duration
	now       func() time.Time

	mu sync.Mutex
	f  *os.File
}

// Journal operations.
const (
	opIn      = "in"
	opOut     = "out"
	opErase   = "erase"
	allTopics = "*"
)

// OpenJournal opens this process's journal file in dir, named after host,
// after dropping its lines older than retention.
func OpenJournal(dir, host string, retention time.Duration, now func() time.Time) (*Journal, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("opt-out journal: %w", err)
	}
	host = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == '\n' {
			return '_'
		}
		return r
	}, host)
	j := &Journal{dir: dir, path: filepath.Join(dir, "optouts-"+host+".log"), retention: retention, now: now}
	if err := j.compact(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(j.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opt-out journal: %w", err)
	}
	j.f = f
	return j, nil
}

// Close closes the journal file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// record appends one change and syncs it to disk.
func (j *Journal) record(op string, id ident.SenderID, topic string) error {
	if j == nil {
		return nil
	}
	line := fmt.Sprintf("%d %s %s %s\n", j.now().UnixMilli(), op, id.String(), topic)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errors.New("opt-out journal: closed")
	}
	if _, err := j.f.WriteString(line); err != nil {
		return fmt.Errorf("opt-out journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("opt-out journal: %w", err)
	}
	return nil
}

// event is one journal line.
type event struct {
	ms    int64
	op    string
	id    ident.SenderID
	topic string
}

func parseEvent(line string) (event, bool) {
	f := strings.Fields(line)
	if len(f) != 4 {
		return event{}, false
	}
	ms, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return event{}, false
	}
	id, err := ParseID(f[2])
	if err != nil {
		return event{}, false
	}
	switch f[1] {
	case opIn, opOut, opErase:
	default:
		return event{}, false
	}
	return event{ms: ms, op: f[1], id: id, topic: f[3]}, true
}

// readEvents reads every journal file of the directory, oldest event first.
func (j *Journal) readEvents() ([]event, error) {
	files, err := filepath.Glob(filepath.Join(j.dir, "*.log"))
	if err != nil {
		return nil, fmt.Errorf("opt-out journal: %w", err)
	}
	var out []event
	for _, name := range files {
		evs, err := readFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, evs...)
	}
	slices.SortStableFunc(out, func(a, b event) int { return int(a.ms - b.ms) })
	return out, nil
}

func readFile(name string) ([]event, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("opt-out journal: %w", err)
	}
	defer f.Close()
	var out []event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if e, ok := parseEvent(sc.Text()); ok {
			out = append(out, e) // a torn last line (a crash mid-write) is skipped
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("opt-out journal %s: %w", filepath.Base(name), err)
	}
	return out, nil
}

// compact rewrites this process's file without the lines older than the
// retention, atomically.
func (j *Journal) compact() error {
	evs, err := readFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	floor := j.now().Add(-j.retention).UnixMilli()
	var b strings.Builder
	for _, e := range evs {
		if e.ms >= floor {
			fmt.Fprintf(&b, "%d %s %s %s\n", e.ms, e.op, e.id.String(), e.topic)
		}
	}
	tmp := j.path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("opt-out journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fmt.Errorf("opt-out journal: %w", err)
	}
	return nil
}

// UseJournal makes the store record every subscription change in j before
// making it in Redis.
func (s *Store) UseJournal(j *Journal) { s.journal = j }

// ReplayResult counts what a replay undid.
type ReplayResult struct {
	Events int // journal lines read
	Erased int // people deleted again: they had left, and Redis had them back
	Left   int // topic memberships taken out again (whether or not Redis had them back)
}

// ReplayJournal applies the journal to Redis: whoever left (a topic, or
// everything) after their last subscription is taken out again. Redis
// restored from an older backup then cannot reach someone who left since.
// It never subscribes anyone: an "in" only cancels an earlier leave.
func (s *Store) ReplayJournal(ctx context.Context, topics []string) (ReplayResult, error) {
	if s.journal == nil {
		return ReplayResult{}, nil
	}
	evs, err := s.journal.readEvents()
	if err != nil {
		return ReplayResult{}, err
	}
	res := ReplayResult{Events: len(evs)}
	for id, st := range foldEvents(evs) {
		if err := s.applyReplay(ctx, id, st, topics, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

// personState is where the journal leaves one person: erased (and not
// subscribed to anything since), and each topic's last change.
type personState struct {
	erased     bool              // the last word was an erase
	erasedOnce bool              // an erase came at some point: topics not chosen since stay left
	topics     map[string]string // topic → opIn or opOut, since the last erase
}

func foldEvents(evs []event) map[ident.SenderID]*personState {
	out := map[ident.SenderID]*personState{}
	for _, e := range evs {
		p := out[e.id]
		if p == nil {
			p = &personState{topics: map[string]string{}}
			out[e.id] = p
		}
		switch e.op {
		case opErase:
			p.erased, p.erasedOnce = true, true
			clear(p.topics)
		case opIn:
			p.erased = false
			p.topics[e.topic] = opIn
		case opOut:
			p.topics[e.topic] = opOut
		}
	}
	return out
}

func (s *Store) applyReplay(ctx context.Context, id ident.SenderID, p *personState, known []string, res *ReplayResult) error {
	has, err := s.rdb.Exists(ctx, s.keys.Subscriber(id)).Result()
	if err != nil {
		return fmt.Errorf("subscribers: replay journal: %w", err)
	}
	if p.erased {
		if has == 1 {
			res.Erased++
		}
		return s.delete(ctx, id, known)
	}
	// Left after their last "in": out of that topic, and, for a person
	// who re-subscribed after an erase, out of every topic not chosen since.
	for _, t := range known {
		if op, seen := p.topics[t]; (seen && op == opOut) || (!seen && p.erasedOnce) {
			if err := s.unsubscribe(ctx, id, t); err != nil {
				return err
			}
			res.Left++
		}
	}
	return nil
}
