package logx

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the limiter's timer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

func TestLimitedLogsFirstThenOneSummaryPerInterval(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	l := NewLimited(slog.New(slog.NewTextHandler(&buf, nil)), 200*time.Millisecond)
	for range 1800 { // an outage: one error per request
		l.Error("step conversation", "channel", "sms")
	}
	l.Warn("another message")
	if got := buf.lines(); len(got) != 2 || !strings.Contains(got[0], "step conversation") || strings.Contains(got[0], "repeated") {
		t.Fatalf("before the interval ended the log holds\n%s\nwant the first error and the other message only", strings.Join(got, "\n"))
	}
	time.Sleep(300 * time.Millisecond)
	got := buf.lines()
	if len(got) != 3 || !strings.Contains(got[2], "repeated=1799") || !strings.Contains(got[2], "level=ERROR") {
		t.Fatalf("after one interval the log holds\n%s\nwant one summary with repeated=1799", strings.Join(got, "\n"))
	}
	// An interval without repeats closes the window: the next error is
	// logged at once, without a count.
	time.Sleep(300 * time.Millisecond)
	l.Error("step conversation", "channel", "whatsapp")
	got = buf.lines()
	if len(got) != 4 || strings.Contains(got[3], "repeated") || !strings.Contains(got[3], "whatsapp") {
		t.Fatalf("after a quiet interval the log holds\n%s\nwant the new error logged at once", strings.Join(got, "\n"))
	}
	l.Error("step conversation")
	l.Flush()
	if got = buf.lines(); len(got) != 5 || !strings.Contains(got[4], "repeated=1") {
		t.Fatalf("Flush left\n%s\nwant the pending count logged", strings.Join(got, "\n"))
	}
}
