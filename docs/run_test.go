package docs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/redistest"
	"github.com/senda-org/senda/bot/twilio/twiliofake"
	"github.com/senda-org/senda/internal/sendabin"
)

// blockTimeout bounds one runnable block.
const blockTimeout = time.Minute

func isShell(lang string) bool { return lang == "sh" || lang == "bash" || lang == "shell" }

// TestShellBlocksAreMarkedAndRunnableOnesRun runs, per document, the blocks
// marked serve and runnable, in order, in a fresh copy of the repository.
func TestShellBlocksAreMarkedAndRunnableOnesRun(t *testing.T) {
	var run []block
	for _, d := range readDocs(t) {
		for _, b := range blocks(d) {
			if !isShell(b.lang) {
				continue
			}
			if len(b.marker) != 1 {
				if !unmarked[b.doc] {
					t.Errorf("%s: a shell block needs one marker after the language, e.g. ```sh runnable (see docs_test.go)", b)
				}
				continue
			}
			runs, ok := markers[b.marker[0]]
			if !ok {
				t.Errorf("%s: unknown marker %q (see docs_test.go)", b, b.marker[0])
			}
			if runs {
				run = append(run, b)
			}
		}
	}
	if len(run) == 0 || testing.Short() {
		return
	}
	bin := sendabin.Build(t)
	checkout := freshCheckout(t)
	for len(run) > 0 {
		n := 1
		for n < len(run) && run[n].doc == run[0].doc {
			n++
		}
		t.Run(run[0].doc, func(t *testing.T) { runDoc(t, bin, checkout, run[:n]) })
		run = run[n:]
	}
}

// runDoc runs one document's blocks; a serve block's server lives until the
// document's last block has run.
func runDoc(t *testing.T, bin, checkout string, bs []block) {
	port := ""
	for _, b := range bs {
		script := strings.ReplaceAll(b.body, "go run ./cmd/senda", "senda")
		if port != "" {
			script = strings.ReplaceAll(script, "localhost:8080", "localhost:"+port)
		}
		if b.marker[0] == "serve" {
			if port != "" {
				t.Fatalf("%s: a second serve block in one document", b)
			}
			port = startServe(t, bin, checkout, b, script)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), blockTimeout)
		cmd := exec.CommandContext(ctx, "bash", "-eo", "pipefail", "-c", script)
		cmd.Dir, cmd.Env, cmd.Stdin = checkout, blockEnv(bin, checkout), nil
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			t.Errorf("%s failed: %v\n--- block\n%s--- output\n%s", b, err, script, out)
		}
	}
}

// startServe runs a serve block in the background on a free port and waits
// for /healthz; the test's cleanup stops it.
func startServe(t *testing.T, bin, checkout string, b block, script string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command("bash", "-c", "exec "+strings.TrimSpace(stripComments(script)))
	cmd.Dir = checkout
	cmd.Env = append(blockEnv(bin, checkout), "SENDA_ADDR=127.0.0.1:"+port)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	t.Cleanup(func() { stop(cmd) })
	if err := waitFor("http://127.0.0.1:"+port+"/healthz", 20*time.Second); err != nil {
		stop(cmd)
		t.Fatalf("%s: senda serve did not answer: %v\n%s", b, err, log.String())
	}
	return port
}

// stripComments drops shell comments that start a word, so that a one-line
// serve block can be exec'd.
var comment = regexp.MustCompile(`(?m)(^|\s)#.*$`)

func stripComments(s string) string { return comment.ReplaceAllString(s, "") }

func stop(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
	}
}

// blockEnv is the environment of a block: this process's, without any
// SENDA_* or TWILIO_* variable, with senda first on PATH and a HOME of its
// own.
func blockEnv(bin, checkout string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "SENDA_") || strings.HasPrefix(name, "TWILIO_") || name == "PATH" || name == "HOME" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+filepath.Join(checkout, ".home"))
}

// freshCheckout copies the repository's tracked files, as they are in the
// working tree, into a temporary folder: what a fresh clone holds, without
// build output or files a test left behind.
func freshCheckout(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("git ls-files: %v (the docs check needs a git checkout)", err)
	}
	dir := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(f))
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the working tree, or a link
		}
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f))
		os.MkdirAll(filepath.Dir(dst), 0o755)
		if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, ".home"), 0o700)
	return dir
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// waitFor polls url until it answers 200 or the time is up.
func waitFor(url string, limit time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	last := fmt.Errorf("no answer")
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", resp.Status, body)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

// TestOperationsSettingsStepStartsProduction applies step 4 of
// docs/OPERATIONS.md ("The settings") to deploy/senda.env.example, checks
// it with the command the step gives, and starts `senda serve` from the
// file: it must answer /readyz in production.
//
// The step's table names each setting to fill in. Values the doc gives
// literally (the public URL) are used as written; secrets get test values.
// Three things differ on a test machine and are set besides the step:
// SENDA_REDIS_URL (the test Redis, database 12, instead of the step's
// password), SENDA_ADDR (a free port), SENDA_OPTOUT_DIR (a temporary folder
// where systemd's StateDirectory= would make /var/lib/senda), and
// SENDA_TWILIO_API_BASE (the Twilio fake, so erasure never reaches Twilio).
func TestOperationsSettingsStepStartsProduction(t *testing.T) {
	if testing.Short() {
		t.Skip("starts senda serve")
	}
	step := settingsStep(t)
	fake := twiliofake.New()
	defer fake.Close()
	key := make([]byte, 32)
	rand.Read(key)
	redisURL := testRedisURL(t, 12)
	t.Cleanup(func() { deleteSendaKeys(t, redisURL) })
	testValues := map[string]string{
		"SENDA_REDIS_URL":    redisURL,
		"TWILIO_AUTH_TOKEN":  fake.AuthToken,
		"TWILIO_ACCOUNT_SID": fake.AccountSID,
		"SENDA_HASH_KEY":     base64.StdEncoding.EncodeToString(key),
	}
	set := map[string]string{}
	for name, literal := range step {
		switch v, ok := testValues[name]; {
		case ok:
			set[name] = v
		case literal != "":
			set[name] = literal
		default:
			t.Fatalf("OPERATIONS.md step 4 names %s with no literal value; give the docs check a test value for it", name)
		}
	}
	port := freePort(t)
	dir := t.TempDir()
	set["SENDA_ADDR"] = "127.0.0.1:" + port
	set["SENDA_OPTOUT_DIR"] = filepath.Join(dir, "optouts")
	set["SENDA_TWILIO_API_BASE"] = fake.URL
	example, err := os.ReadFile(filepath.Join(root, "deploy", "senda.env.example"))
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(dir, "senda.env")
	os.WriteFile(envFile, []byte(applySettings(string(example), set)), 0o600)

	bin := sendabin.Build(t)
	env := blockEnv(bin, dir)
	check := exec.Command("bash", "-c", "(set -a; . ./senda.env; senda config check)")
	check.Dir, check.Env = dir, env
	if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "Production would start") {
		t.Fatalf("senda config check with step 4 applied to senda.env.example: %v\n%s", err, out)
	}

	serve := exec.Command("bash", "-c", "set -a; . ./senda.env; exec senda serve")
	serve.Dir, serve.Env = dir, env
	var log bytes.Buffer
	serve.Stdout, serve.Stderr = &log, &log
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	defer stop(serve)
	err = waitFor("http://127.0.0.1:"+port+"/readyz", 30*time.Second)
	stop(serve) // the log is read once the process has exited
	if err != nil {
		t.Fatalf("senda serve from senda.env.example and step 4 does not answer /readyz: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), `"level":"INFO"`) {
		t.Errorf("the log is not JSON: not production?\n%s", log.String())
	}
}

// settingsStep reads the table of OPERATIONS.md's step 4: setting → the
// value the doc gives literally (a URL in `code`), or "".
func settingsStep(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "docs", "OPERATIONS.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "**4. The settings.**")
	end := strings.Index(text, "**5. The service:**")
	if start < 0 || end < start {
		t.Fatal(`OPERATIONS.md has no "**4. The settings.**" … "**5. The service:**" step`)
	}
	step := map[string]string{}
	for _, tb := range tables(doc{path: "docs/OPERATIONS.md", text: text[start:end]}) {
		for _, r := range tb.rows {
			name := settingName.FindString(r[0])
			if name == "" || len(r) < 2 {
				continue
			}
			step[name] = ""
			for _, c := range backticked(r[1]) {
				if strings.Contains(c, "://") {
					step[name] = c
					break
				}
			}
		}
	}
	if len(step) == 0 {
		t.Fatal("OPERATIONS.md step 4 has no table of settings to set")
	}
	return step
}

// applySettings sets NAME=value in an environment file: the line that sets
// NAME is replaced, a missing one appended.
func applySettings(file string, set map[string]string) string {
	lines := strings.Split(file, "\n")
	done := map[string]bool{}
	for i, l := range lines {
		name, _, ok := strings.Cut(l, "=")
		if v, want := set[name]; ok && want && !strings.HasPrefix(l, "#") {
			lines[i] = name + "=" + v
			done[name] = true
		}
	}
	for name, v := range set {
		if !done[name] {
			lines = append(lines, name+"="+v)
		}
	}
	return strings.Join(lines, "\n")
}

// testRedisURL is the test Redis with another database number, so that
// Senda's own keys (its default prefix) stay out of the tests' database.
func testRedisURL(t *testing.T, db int) string {
	t.Helper()
	u, err := url.Parse(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = fmt.Sprintf("/%d", db)
	return u.String()
}

// deleteSendaKeys removes what the production Senda wrote (its default
// prefix, in the database of its own the test gave it).
func deleteSendaKeys(t *testing.T, redisURL string) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Error(err)
		return
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, "senda:*", 100).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("clean up database 12: %v", err)
	}
}
