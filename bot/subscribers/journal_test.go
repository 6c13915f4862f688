package subscribers

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/ident"
)

// TestJournalFoldAndCompaction checks the last word wins per person and
// topic, that an erase forgets topics chosen before it, and that opening
// the journal drops lines older than the retention and torn lines.
func TestJournalFoldAndCompaction(t *testing.T) {
	t.Parallel()
	var a, b ident.SenderID
	a[0], b[0] = 1, 2
	evs := []event{
		{1, opIn, a, "salud"}, {2, opIn, a, "talleres"}, {3, opErase, a, allTopics}, {4, opIn, a, "salud"},
		{1, opIn, b, "salud"}, {2, opOut, b, "salud"},
	}
	got := foldEvents(evs)
	if pa := got[a]; pa.erased || !pa.erasedOnce || pa.topics["salud"] != opIn || pa.topics["talleres"] != "" {
		t.Errorf("erase then salud again: %+v", pa)
	}
	if pb := got[b]; pb.erased || pb.erasedOnce || pb.topics["salud"] != opOut {
		t.Errorf("left salud: %+v", pb)
	}

	dir := t.TempDir()
	now := time.UnixMilli(100 * 24 * 3600 * 1000)
	old := now.Add(-40 * 24 * time.Hour).UnixMilli()
	recent := now.Add(-time.Hour).UnixMilli()
	content := strings.Join([]string{
		lineOf(old, opErase, a, allTopics), lineOf(recent, opErase, b, allTopics), "12 torn",
	}, "")
	if err := os.WriteFile(dir+"/optouts-h1.log", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(dir, "h1", 30*24*time.Hour, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	evs, err = j.readEvents()
	if err != nil || len(evs) != 1 || evs[0].id != b {
		t.Fatalf("after compaction: %+v %v", evs, err)
	}
}

func lineOf(ms int64, op string, id ident.SenderID, topic string) string {
	return strings.Join([]string{itoa(ms), op, id.String(), topic}, " ") + "\n"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
