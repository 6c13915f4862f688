package app

import (
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/redistest/faults"
	"github.com/senda-org/senda/internal/sendabin"
)

// TestMain removes the senda binary the process tests build, so that
// `go test` leaves nothing in the temp folder.
func TestMain(m *testing.M) {
	code := m.Run()
	sendabin.Cleanup()
	os.Exit(code)
}

// TestBroadcastDeadWorkerProcessIsTakenOverQuickly runs `senda worker` as
// a child process, lets it get stuck on deliveries Twilio created but did
// not answer, and SIGKILLs it. A worker in this process, with the default
// timing, takes its deliveries over: every subscriber gets the message
// exactly once, and the broadcast finishes within seconds of the death (it
// took two minutes when the takeover threshold was a fixed 2 minutes).
func TestBroadcastDeadWorkerProcessIsTakenOverQuickly(t *testing.T) {
	t.Parallel()
	bin := sendabin.Build(t)
	srv := faults.StartServer(t, faults.ServerOptions{})
	fake, client := fakeSender(t)
	key := randomKey()
	ts := privateService(t, srv.URL(), broadcastConfigKey(key), Deps{Sender: client}, DefaultRedisPrefix)
	const n = 20
	for i := range n {
		ts.sms(fmt.Sprintf("+5025559%04d", i)).optIn(t, "1")
	}
	fake.Hang(nil, 3) // Twilio creates the first three messages and never answers
	child, childLog := startChildWorker(t, bin, srv.URL(), key, fake.AccountSID, fake.AuthToken, fake.URL)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso importante."}})
	eventually(t, 15*time.Second, "the child worker stuck on three sends", func() bool { return len(fake.Messages()) >= 3 })
	time.Sleep(300 * time.Millisecond) // it reads its next deliveries and heartbeats them
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	died := time.Now()
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { c.MPS = 0; c.Tick = 50 * time.Millisecond })
	final := ts.waitStatus(t, st.ID, "done after the worker process died", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	t.Logf("broadcast done %.1f s after the worker process was killed", time.Since(died).Seconds())
	if final.Sent != n || final.Failed != 0 || final.Skipped != 0 {
		t.Fatalf("figures after the worker died: %+v\nchild log:\n%s", final, childLog.String())
	}
	oncePerRecipient(t, fake, n)
}

// TestBroadcastAttemptCutOffByAKillIsResentWithinSeconds kills `senda
// worker` while its sends are on their way to Twilio and not yet created
// (the fake holds them), with status callbacks on, as in production. No
// callback can come for a message Twilio never created; the takeover must
// not wait minutes for one (it waited two, in one restart of five). With
// the default timing the broadcast finishes within the 20 s of waitStatus,
// every subscriber once.
func TestBroadcastAttemptCutOffByAKillIsResentWithinSeconds(t *testing.T) {
	t.Parallel()
	bin := sendabin.Build(t)
	srv := faults.StartServer(t, faults.ServerOptions{})
	fake, client := fakeSender(t)
	key := randomKey()
	ts := privateService(t, srv.URL(), broadcastConfigKey(key), Deps{Sender: client}, DefaultRedisPrefix)
	const n = 12
	for i := range n {
		ts.sms(fmt.Sprintf("+5025558%04d", i)).optIn(t, "1")
	}
	fake.SetLatency(time.Minute) // every create waits: none is created before the kill
	child, childLog := startChildWorker(t, bin, srv.URL(), key, fake.AccountSID, fake.AuthToken, fake.URL, "SENDA_PUBLIC_URL="+testPublicURL)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso importante."}})
	eventually(t, 15*time.Second, "three sends on their way to Twilio", func() bool { return fake.Requests() >= 3 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	died := time.Now()
	if got := len(fake.Messages()); got != 0 {
		t.Fatalf("the fake created %d messages before the kill; the test needs none", got)
	}
	fake.SetLatency(0)
	startWorkers(t, ts, func(c *broadcast.WorkerConfig) { c.MPS = 0 }) // production timing otherwise
	final := ts.waitStatus(t, st.ID, "done after the worker process died", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	t.Logf("broadcast done %.1f s after the worker process was killed", time.Since(died).Seconds())
	if final.Sent != n || final.Failed != 0 || final.Skipped != 0 {
		t.Fatalf("figures after the worker died: %+v\nchild log:\n%s", final, childLog.String())
	}
	oncePerRecipient(t, fake, n)
}

// startChildWorker starts `senda worker` against the Redis at redisURL and
// the fake Twilio, with no quiet hours (the test must not depend on the
// hour) and extra settings; it is killed when the test ends. The log
// collects what it prints.
func startChildWorker(t *testing.T, bin, redisURL string, key []byte, sid, token, api string, extra ...string) (*exec.Cmd, *strings.Builder) {
	t.Helper()
	child := exec.Command(bin, "worker")
	child.Env = append([]string{
		"SENDA_ENV=development", "SENDA_REDIS_URL=" + redisURL, "SENDA_HASH_KEY=" + testHashKey,
		"SENDA_SUBSCRIBER_KEY=" + base64.StdEncoding.EncodeToString(key),
		"TWILIO_ACCOUNT_SID=" + sid, "TWILIO_AUTH_TOKEN=" + token,
		"SENDA_TWILIO_API_BASE=" + api, "SENDA_TWILIO_FROM=" + testSMSFrom,
		"SENDA_TWILIO_MPS=1000", "SENDA_WORKERS=3", "SENDA_ADMIN_TOKENS=ngo:" + testAdminToken,
		"SENDA_QUIET_HOURS=",
	}, extra...)
	log := &strings.Builder{}
	child.Stdout, child.Stderr = log, log
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { child.Process.Kill(); child.Wait() })
	return child, log
}
