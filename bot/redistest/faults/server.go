package faults

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"
)

// ServerOptions configures a private server.
type ServerOptions struct {
	// AOF turns on the append-only file (fsync on every write), so data
	// survives Kill and Restart; without it a restart starts empty.
	AOF bool
	// Password is required of the default user when set.
	Password string
	// Config holds extra redis.conf lines, e.g. "maxmemory 10mb".
	Config []string
}

// Server is a private redis-server that a test can kill and restart.
type Server struct {
	t    testing.TB
	opts ServerOptions
	p    *proc
}

// StartServer starts a private redis-server on a free loopback port with a
// directory of its own under t.TempDir(); it is killed when the test ends.
func StartServer(t testing.TB, opts ServerOptions) *Server {
	t.Helper()
	requireBinaries(t, "redis-server")
	s, err := startServer(t, t.TempDir(), opts, nil)
	if err != nil {
		t.Fatalf("faults: %v", err)
	}
	return s
}

// startServer starts a server in a directory under dir, with extra
// arguments after its config file.
func startServer(t testing.TB, dir string, opts ServerOptions, args []string) (*Server, error) {
	var lines []string
	if opts.AOF {
		lines = append(lines, "appendonly yes", "appendfsync always")
	}
	lines = append(lines, opts.Config...)
	var lastErr error
	for range 3 { // a port found free can be taken before the server binds it
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		p, err := newProc(filepath.Join(dir, strconv.Itoa(ports[0])), ports[0], opts.Password, lines)
		if err != nil {
			return nil, err
		}
		p.args = args
		if lastErr = p.start(); lastErr == nil {
			t.Cleanup(p.cleanup)
			return &Server{t: t, opts: opts, p: p}, nil
		}
	}
	return nil, lastErr
}

// Addr returns host:port.
func (s *Server) Addr() string { return s.p.addr() }

// Port returns the server's port.
func (s *Server) Port() int { return s.p.port }

// Dir returns the server's directory (config, log, AOF).
func (s *Server) Dir() string { return s.p.dir }

// PID returns the server's process id, or 0 when it is not running.
func (s *Server) PID() int { return s.p.pid() }

// URL returns a redis:// URL of the server's database 0, with the password.
func (s *Server) URL() string {
	u := url.URL{Scheme: "redis", Host: s.Addr(), Path: "/0"}
	if s.opts.Password != "" {
		u.User = url.UserPassword("", s.opts.Password)
	}
	return u.String()
}

// Options returns fresh client options for the server, to adjust before
// calling redis.NewClient (e.g. MaxRetries = -1 to see every failure).
func (s *Server) Options() *redis.Options {
	return &redis.Options{Addr: s.Addr(), Password: s.opts.Password}
}

// NewClient returns a client of the server, closed when the test ends.
func (s *Server) NewClient() *redis.Client {
	c := redis.NewClient(s.Options())
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Kill sends SIGKILL and waits for the process to exit: no AOF rewrite, no
// save, clients see their connections drop.
func (s *Server) Kill() error {
	if err := s.p.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill: %w", err)
	}
	return nil
}

// Stop shuts the server down gracefully (SIGTERM) and waits for it.
func (s *Server) Stop() error {
	if err := s.p.signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}

// Restart starts the server again on the same port and directory, after
// stopping it with SIGKILL if it still runs. With AOF the data is back;
// without it the server starts empty.
func (s *Server) Restart() error {
	if s.p.running() {
		if err := s.Kill(); err != nil {
			return err
		}
	}
	if err := s.p.start(); err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	return nil
}
