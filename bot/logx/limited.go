// Package logx holds logging helpers shared by Senda's packages.
package logx

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limited is a rate-limited logger for errors that repeat during an outage:
// the first occurrence of a message is logged at once; later ones within
// the interval are only counted, and when the interval ends one summary
// line says how many there were (with the last one's attributes). An
// interval without repeats closes the window, so the next occurrence is
// logged at once again. Each message text has its own window. It is safe
// for concurrent use.
type Limited struct {
	log   *slog.Logger
	every time.Duration

	mu   sync.Mutex
	open map[string]*window
}

type window struct {
	level slog.Level
	count int   // occurrences since the window (re)opened, not yet logged
	args  []any // the last occurrence's attributes
	timer *time.Timer
}

// NewLimited returns a logger that logs a repeating message at most once
// per interval, plus the first occurrence.
func NewLimited(log *slog.Logger, every time.Duration) *Limited {
	return &Limited{log: log, every: every, open: make(map[string]*window)}
}

// Error logs msg at level Error, rate-limited.
func (l *Limited) Error(msg string, args ...any) { l.Log(slog.LevelError, msg, args...) }

// Warn logs msg at level Warn, rate-limited.
func (l *Limited) Warn(msg string, args ...any) { l.Log(slog.LevelWarn, msg, args...) }

// Log logs msg at level, rate-limited.
func (l *Limited) Log(level slog.Level, msg string, args ...any) {
	l.mu.Lock()
	w, ok := l.open[msg]
	if ok {
		w.count++
		w.level = max(w.level, level)
		w.args = args
		l.mu.Unlock()
		return
	}
	w = &window{level: level}
	l.open[msg] = w
	w.timer = time.AfterFunc(l.every, func() { l.tick(msg) })
	l.mu.Unlock()
	l.log.Log(context.Background(), level, msg, args...)
}

// tick ends a window: it logs the summary of what was counted and opens
// another window, or closes it when nothing repeated.
func (l *Limited) tick(msg string) {
	l.mu.Lock()
	w, ok := l.open[msg]
	if !ok {
		l.mu.Unlock()
		return
	}
	if w.count == 0 {
		delete(l.open, msg)
		l.mu.Unlock()
		return
	}
	n, level, args := w.count, w.level, w.args
	w.count = 0
	w.timer.Reset(l.every)
	l.mu.Unlock()
	l.summary(level, msg, n, args)
}

func (l *Limited) summary(level slog.Level, msg string, n int, args []any) {
	l.log.Log(context.Background(), level, msg, append(append([]any(nil), args...), "repeated", n, "interval", l.every.String())...)
}

// Flush logs the summaries still pending and closes every window; call it
// on shutdown so the count of the last interval is not lost.
func (l *Limited) Flush() {
	l.mu.Lock()
	pending := l.open
	l.open = make(map[string]*window)
	l.mu.Unlock()
	for msg, w := range pending {
		w.timer.Stop()
		if w.count > 0 {
			l.summary(w.level, msg, w.count, w.args)
		}
	}
}
