package logx

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/internal/testlog"
)

// lines splits what the limiter's logger wrote so far.
func lines(buf *testlog.Buffer) []string {
	return strings.Split(strings.TrimSpace(buf.String()), "\n")
}

func TestLimitedLogsFirstThenOneSummaryPerInterval(t *testing.T) {
	t.Parallel()
	var buf testlog.Buffer
	l := NewLimited(slog.New(slog.NewTextHandler(&buf, nil)), 200*time.Millisecond)
	for range 1800 { // an outage: one error per request
		l.Error("step conversation", "channel", "sms")
	}
	l.Warn("another message")
	if got := lines(&buf); len(got) != 2 || !strings.Contains(got[0], "step conversation") || strings.Contains(got[0], "repeated") {
		t.Fatalf("before the interval ended the log holds\n%s\nwant the first error and the other message only", strings.Join(got, "\n"))
	}
	time.Sleep(300 * time.Millisecond)
	got := lines(&buf)
	if len(got) != 3 || !strings.Contains(got[2], "repeated=1799") || !strings.Contains(got[2], "level=ERROR") {
		t.Fatalf("after one interval the log holds\n%s\nwant one summary with repeated=1799", strings.Join(got, "\n"))
	}
	// An interval without repeats closes the window: the next error is
	// logged at once, without a count.
	time.Sleep(300 * time.Millisecond)
	l.Error("step conversation", "channel", "whatsapp")
	got = lines(&buf)
	if len(got) != 4 || strings.Contains(got[3], "repeated") || !strings.Contains(got[3], "whatsapp") {
		t.Fatalf("after a quiet interval the log holds\n%s\nwant the new error logged at once", strings.Join(got, "\n"))
	}
	l.Error("step conversation")
	l.Flush()
	if got = lines(&buf); len(got) != 5 || !strings.Contains(got[4], "repeated=1") {
		t.Fatalf("Flush left\n%s\nwant the pending count logged", strings.Join(got, "\n"))
	}
}
