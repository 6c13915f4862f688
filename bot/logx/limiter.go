// Package logx holds small helpers for log/slog.
package logx

import (
	"sync"
	"time"
)

// Limiter keeps a repeated log line from flooding the log during an
// outage: the first occurrence of a kind is logged at once; later ones in
// the same interval are only counted, and the next one after the interval
// is logged with that count ("suppressed"). So an outage writes one line
// when it starts and then one summary per interval, however many requests
// fail. Kinds are short fixed names chosen by the caller ("deliver",
// "read queue"), never anything about a person. The zero Limiter is not
// usable; call NewLimiter. It is safe for concurrent use.
type Limiter struct {
	interval time.Duration
	now      func() time.Time

	mu    sync.Mutex
	kinds map[string]*limiterKind
}

type limiterKind struct {
	logged     time.Time // when the last line was allowed
	suppressed int       // occurrences since, not logged
}

// NewLimiter returns a limiter that allows one line per kind per interval.
func NewLimiter(interval time.Duration) *Limiter {
	return &Limiter{interval: interval, now: time.Now, kinds: map[string]*limiterKind{}}
}

// Allow reports whether an occurrence of kind should be logged now, and
// how many occurrences were suppressed since the last logged one (to log
// with it as "suppressed").
func (l *Limiter) Allow(kind string) (ok bool, suppressed int) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := l.kinds[kind]
	if k == nil {
		if len(l.kinds) > 100 { // kinds are fixed names; this only bounds a mistake
			clear(l.kinds)
		}
		k = &limiterKind{}
		l.kinds[kind] = k
	}
	if !k.logged.IsZero() && now.Sub(k.logged) < l.interval {
		k.suppressed++
		return false, 0
	}
	suppressed, k.suppressed, k.logged = k.suppressed, 0, now
	return true, suppressed
}
