// Package faults starts private Redis servers, clusters and Sentinel groups
// for tests that inject faults (kill, restart, ACL denial, failed calls) and
// gives go-redis hooks that fail chosen calls. Every process it starts
// listens on a free loopback port with a directory under t.TempDir() and is
// killed in t.Cleanup; the shared test server (redistest.URL) is never
// touched.
//
// Tests skip when redis-server is not installed and SENDA_TEST_REDIS_URL is
// unset (a fresh machine); when the variable names a server (as in CI), a
// missing redis-server fails the test instead of skipping it.
package faults

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/config/osenv"
	"github.com/senda-org/senda/bot/redistest"
)

// startTimeout bounds how long a server may take to answer after it starts.
const startTimeout = 10 * time.Second

// requireBinaries skips the test when a program is missing on a machine
// without a configured test server, and fails it when the server is
// configured (CI installs redis-server, so a missing one is a broken setup).
func requireBinaries(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			if u := osenv.Get(redistest.EnvURL); u != "" && u != "embedded" {
				t.Fatalf("faults: %s is not installed but %s is set: install redis-server (it brings %s) to run fault tests", name, redistest.EnvURL, name)
			}
			t.Skipf("faults: %s is not installed and %s is unset; skipping a test that needs private Redis processes", name, redistest.EnvURL)
		}
	}
}

// sharedPort returns the port of the shared test server, so that no private
// server is ever started on it.
func sharedPort() int {
	u := osenv.Get(redistest.EnvURL)
	if u == "" || u == "embedded" {
		u = redistest.DefaultURL
	}
	pu, err := url.Parse(u)
	if err != nil {
		return 6379
	}
	p, err := strconv.Atoi(pu.Port())
	if err != nil {
		return 6379
	}
	return p
}

// freePorts returns n distinct loopback ports that were free a moment ago,
// never the shared server's port.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	shared := sharedPort()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		p := l.Addr().(*net.TCPAddr).Port
		if p == shared {
			continue
		}
		ports = append(ports, p)
	}
	return ports, nil
}

// proc is one redis-server process with its own port, directory and config
// file, which can be killed and started again on the same port and directory.
type proc struct {
	port     int
	dir      string
	password string   // of the default user, to tell "answers" from "refuses"
	args     []string // after the config file, e.g. --sentinel

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// newProc writes dir/redis.conf with base settings and extra lines.
func newProc(dir string, port int, password string, lines []string) (*proc, error) {
	if port == sharedPort() {
		return nil, fmt.Errorf("refuse to start a private server on the shared port %d", port)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make %s: %w", dir, err)
	}
	conf := []string{
		"bind 127.0.0.1",
		"port " + strconv.Itoa(port),
		"dir " + dir,
		"logfile " + filepath.Join(dir, "redis.log"),
		"daemonize no",
		`save ""`,
		"appendonly no",
		"repl-diskless-sync yes",
		"repl-diskless-sync-delay 0",
	}
	if password != "" {
		conf = append(conf, "requirepass "+password)
	}
	conf = append(conf, lines...)
	path := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(path, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &proc{port: port, dir: dir, password: password}, nil
}

func (p *proc) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

// start runs redis-server and waits until it answers PING (or refuses it
// for want of a password, which proves it is up).
func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("redis-server on %s is already running", p.addr())
	}
	cmd := exec.Command("redis-server", append([]string{filepath.Join(p.dir, "redis.conf")}, p.args...)...)
	// The server dies with the test binary even if a cleanup never runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server on %s: %w", p.addr(), err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("redis-server on %s exited while starting: %s%s", p.addr(), out.String(), p.logTail())
		default:
		}
		if p.answers() {
			p.cmd, p.done = cmd, done
			return nil
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server on %s did not answer within %s: %s", p.addr(), startTimeout, p.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// answers sends a raw PING: "+PONG", or "-NOAUTH" when a password is set,
// means the server is up and done loading.
func (p *proc) answers() bool {
	c, err := net.DialTimeout("tcp", p.addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return false
	}
	return strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH")
}

// signal sends sig and waits for the process to exit.
func (p *proc) signal(sig os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("redis-server on %s is not running", p.addr())
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal redis-server on %s: %w", p.addr(), err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd, p.done = nil, nil
	return nil
}

// running reports whether the process is up (as far as this package knows).
func (p *proc) running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// pid returns the process id, or 0 when it is not running.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// cleanup kills the process if it still runs; for t.Cleanup.
func (p *proc) cleanup() {
	if p.running() {
		p.signal(syscall.SIGKILL)
	}
}

// logTail returns the last lines of the server's log, for error messages.
func (p *proc) logTail() string {
	b, err := os.ReadFile(filepath.Join(p.dir, "redis.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return "\n" + strings.Join(lines, "\n")
}
