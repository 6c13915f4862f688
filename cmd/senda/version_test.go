package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, "", args...)
			if code != exitOK || !strings.HasPrefix(stdout, "senda ") || !strings.Contains(stdout, runtime.Version()) || stderr != "" {
				t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
	code, stdout, _ := runCmd(t, nil, "", "version", "-v")
	if code != exitOK || !strings.Contains(stdout, "path\tgithub.com/senda-org/senda") && !strings.Contains(stdout, "\nmod\t") {
		// Test binaries carry build info too; -v prints its module lines.
		t.Errorf("version -v: exit %d, stdout %q", code, stdout)
	}
	if code, _, stderr := runCmd(t, nil, "", "version", "extra"); code != exitUsage || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}

// TestHelpExitsZero runs -h, -help and --help on every subcommand: each
// prints its usage and exits 0, while a wrong flag still exits 2.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	commands := [][]string{
		{}, {"help"}, {"serve"}, {"chat"}, {"worker"}, {"version"},
		{"content"}, {"content", "check"}, {"content", "export"}, {"content", "import"},
		{"broadcast"}, {"broadcast", "send"}, {"broadcast", "list"}, {"broadcast", "status"},
		{"broadcast", "cancel"}, {"broadcast", "topics"},
		{"subscribers"}, {"subscribers", "rotate-key"}, {"subscribers", "rotate-hash-key"}, {"healthcheck"},
	}
	for _, cmd := range commands {
		for _, h := range []string{"-h", "-help", "--help"} {
			args := append(append([]string{}, cmd...), h)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := runCmd(t, nil, "", args...)
				if code != exitOK {
					t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, stdout, stderr)
				}
				if !strings.Contains(stdout+stderr, "Usage") {
					t.Errorf("no usage printed:\nstdout: %s\nstderr: %s", stdout, stderr)
				}
			})
		}
	}
	for _, args := range [][]string{{"serve", "--nope"}, {"worker", "--nope"}, {"content", "check", "--nope"},
		{"broadcast", "send", "--nope"}, {"subscribers", "rotate-key", "--nope"}, {"healthcheck", "--nope"}} {
		if code, _, _ := runCmd(t, nil, "", args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer ready.Close()
	notReady := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "redis", http.StatusServiceUnavailable)
	}))
	defer notReady.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(ready.URL, "http://"))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	cases := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{name: "ready by SENDA_ADDR", env: map[string]string{"SENDA_ADDR": "127.0.0.1:" + port}, code: exitOK, want: "ok: http://127.0.0.1:" + port + "/readyz"},
		{name: "ready by url", args: []string{"--url", ready.URL + "/readyz"}, code: exitOK, want: "ok:"},
		{name: "not ready", args: []string{"--url", notReady.URL + "/readyz"}, code: exitError, want: "503"},
		{name: "nobody listening", args: []string{"--url", closed.URL + "/readyz"}, code: exitError, want: "connect"},
		{name: "bad SENDA_ADDR", env: map[string]string{"SENDA_ADDR": "nonsense"}, code: exitUsage, want: "SENDA_ADDR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.env, "", append([]string{"healthcheck"}, c.args...)...)
			if code != c.code || !strings.Contains(stdout+stderr, c.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\nstdout: %s\nstderr: %s", code, c.code, c.want, stdout, stderr)
			}
		})
	}
}
