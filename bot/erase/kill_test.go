package erase

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/config/osenv"
	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/rkey"
	"github.com/senda-org/senda/bot/twilio"
)

// childEnv carries what the child worker process needs: Redis URL, key
// prefix, the fake's URL, account and token, tab-separated.
const childEnv = "SENDA_ERASE_TEST_CHILD"

// TestKilledWorkerProcess starts a worker in a child process (this test
// binary again), SIGKILLs it in the middle of the queue, and lets a worker
// here finish: every message gets exactly one successful DELETE, and the
// one the child deleted without living to record it counts as gone.
func TestKilledWorkerProcess(t *testing.T) {
	if v := osenv.Get(childEnv); v != "" {
		runChild(v)
		return
	}
	e := setup(t)
	ctx := context.Background()
	const n = 40
	var sids []string
	for range n {
		sid := e.fake.Add("inbound", nil)
		sids = append(sids, sid)
		if err := e.q.Add(ctx, sid); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWorkerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{
		redistest.URL(t), string(e.keys), e.fake.URL, e.fake.AccountSID, e.fake.AuthToken}, "\t"))
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(e.fake.Deletes()) < n/4 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("child worker made only %d DELETEs", len(e.fake.Deletes()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	byChild := len(e.fake.Deletes())
	if byChild >= n {
		t.Fatalf("the child finished the queue (%d DELETEs) before it was killed", byChild)
	}

	e.run(t, WorkerConfig{Workers: 2, Consumer: "survivor", MinIdle: 200 * time.Millisecond, ClaimEvery: 50 * time.Millisecond}, nil)
	f := e.waitFigures(t, func(f Figures) bool { return f.Erased+f.Gone == n && f.Pending == 0 })
	if f.Failed != 0 || f.Gone > 1 {
		t.Errorf("figures = %+v; want at most the one DELETE the child did not record counted as gone", f)
	}
	ok := successes(e.fake)
	for _, sid := range sids {
		if ok[sid] != 1 {
			t.Errorf("%s deleted %d times, want exactly 1", sid, ok[sid])
		}
	}
	t.Logf("child made %d DELETEs before SIGKILL; figures %+v", byChild, f)
}

// runChild runs one worker, slowly (20 DELETEs a second, one at a time),
// until it is killed.
func runChild(v string) {
	p := strings.Split(v, "\t")
	opts, err := redis.ParseURL(p[0])
	if err != nil {
		os.Exit(2)
	}
	rdb, block := redis.NewClient(opts), redis.NewClient(opts)
	q := New(rdb, rkey.Space(p[1]), WithDelay(0))
	twc, err := twilio.NewDeleter(twilio.Config{AccountSID: p[3], AuthToken: p[4], APIBase: p[2]})
	if err != nil {
		os.Exit(2)
	}
	cfg := fast(WorkerConfig{Workers: 1, Consumer: "child"})
	cfg.RPS = 20
	_ = q.Worker(cfg, twc, block, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Run(context.Background())
	os.Exit(0)
}
