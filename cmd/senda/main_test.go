package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return code, stdout.String(), stderr.String()
}

func TestRun(t *testing.T) {
	t.Parallel()
	broken := t.TempDir()
	os.MkdirAll(filepath.Join(broken, "nodes"), 0o755)
	os.WriteFile(filepath.Join(broken, "pack.yaml"), []byte("name: x\ndefault_language: es\nlanguages:\n  es: {name: Español}\nstart: nowhere\n"), 0o644)
	os.WriteFile(filepath.Join(broken, "nodes", "a.yaml"), []byte("- id: a\n  title: {es: A}\n  text: {es: A}\n  options: [missing]\n"), 0o644)

	cases := []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		wantStdout string
		wantStderr string
	}{
		{name: "no command", args: nil, code: exitUsage, wantStderr: "Usage:"},
		{name: "help", args: []string{"help"}, code: exitOK, wantStdout: "senda chat"},
		{name: "unknown command", args: []string{"fly"}, code: exitUsage, wantStderr: `unknown command "fly"`},
		{name: "content without a subcommand", args: []string{"content"}, code: exitUsage, wantStderr: "senda content check"},
		{name: "content check default", args: []string{"content", "check"}, code: exitOK, wantStdout: "ok, "},
		{name: "content check table", args: []string{"content", "check"}, code: exitOK, wantStdout: "sms segs"},
		{name: "content check dir", args: []string{"content", "check", "../../content/pack"}, code: exitOK, wantStdout: "inicio"},
		{name: "content check broken", args: []string{"content", "check", broken}, code: exitError, wantStdout: filepath.Join(broken, "nodes", "a.yaml") + ":4: error: node a: option \"missing\" points to no node"},
		{name: "content check missing dir", args: []string{"content", "check", filepath.Join(broken, "nope")}, code: exitError, wantStderr: "no such file"},
		{name: "serve production unconfigured", args: []string{"serve"}, env: map[string]string{"SENDA_ENV": "production"}, code: exitError,
			wantStderr: "SENDA_REDIS_URL, TWILIO_AUTH_TOKEN, SENDA_HASH_KEY, SENDA_PUBLIC_URL"},
		{name: "serve bad flag", args: []string{"serve", "--nope"}, code: exitUsage, wantStderr: "flag provided but not defined"},
		{name: "chat bad channel", args: []string{"chat", "--channel", "fax"}, code: exitUsage, wantStderr: "use sms or whatsapp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, c.env, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if !strings.Contains(stdout, c.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", c.wantStdout, stdout)
			}
			if !strings.Contains(stderr, c.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", c.wantStderr, stderr)
			}
		})
	}
}

// TestChatScripted drives the terminal simulator the way a script would:
// lines on standard input, replies on standard output.
func TestChatScripted(t *testing.T) {
	t.Parallel()
	script := "HOLA\n2\n4\nMAS\n0\nqué?\nENGLISH\nSALIR\n"
	code, out, stderr := runCmd(t, nil, script, "chat", "--channel", "sms")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"> HOLA\n  Senda 1/2\n  Hola. Senda no te cobra.",
		"> 4\n  Senda 1/5",
		"> MAS\n  Senda 2/5",
		"> 0\n  Senda\n  Prevencion y pruebas:",
		"> qué?\n  Senda 1/2\n  No entendi. Elige un numero:\n  Bomberos 122/123 - PDH 1555 - Policia 110",
		"> ENGLISH\n  Senda\n  Prevention and tests:",
		"> SALIR\n  Senda\n  Done: we erased",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, nil, "good morning\n", "chat", "--channel", "whatsapp", "--lang", "en")
	if code != exitOK || !strings.Contains(out, "Senda does not charge you") {
		t.Fatalf("chat --lang en --channel whatsapp: exit %d\n%s", code, out)
	}
	if code, _, stderr := runCmd(t, nil, "", "chat", "--lang", "fr"); code != exitError || !strings.Contains(stderr, `"fr" is not a language`) {
		t.Fatalf("unknown language: exit %d: %s", code, stderr)
	}
}

// TestServeAnswersAndStops runs `senda serve` on a free port with the
// embedded store, posts a message, and stops it by cancelling the context.
func TestServeAnswersAndStops(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve", "--addr", addr}, strings.NewReader(""), &stdout, &stderr, func(string) (string, bool) { return "", false })
	}()
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err = http.Post("http://"+addr+"/twilio/messages", "application/x-www-form-urlencoded",
			strings.NewReader("From=%2B15550001111&Body=HOLA&MessageSid=SM1"))
		if err == nil {
			break
		}
	}
	if err != nil {
		cancel()
		t.Fatalf("serve never answered: %v\n%s", err, stderr.String())
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(body.String(), "nadie lee esto") {
		t.Fatalf("serve replied %d: %s", resp.StatusCode, body.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	if !strings.Contains(stderr.String(), "TWILIO_AUTH_TOKEN is not set") {
		t.Errorf("no loud warning about unchecked signatures:\n%s", stderr.String())
	}
}

// lockedBuffer is a buffer one goroutine writes while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var curlPattern = regexp.MustCompile(`curl (?:-H 'X-Twilio-Signature: ([^']+)' )?-d From=(\S+) -d Body=(\S+) -d MessageSid=(\S+) (http://\S+)`)

// TestServePrintsACurlThatWorks: the hint `senda serve` prints in
// development gets a reply, with and without TWILIO_AUTH_TOKEN (with it,
// an unsigned curl would get 403).
func TestServePrintsACurlThatWorks(t *testing.T) {
	t.Parallel()
	for _, authToken := range []string{"", "a-twilio-auth-token-for-tests"} {
		t.Run(fmt.Sprintf("token=%v", authToken != ""), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			env := map[string]string{"TWILIO_AUTH_TOKEN": authToken}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			var stdout, stderr lockedBuffer
			go func() {
				done <- run(ctx, []string{"serve", "--addr", addr}, strings.NewReader(""), &stdout, &stderr, func(k string) (string, bool) {
					v, ok := env[k]
					return v, ok && v != ""
				})
			}()
			defer func() { cancel(); <-done }()
			var m []string
			for deadline := time.Now().Add(15 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				m = curlPattern.FindStringSubmatch(stdout.String())
			}
			if m == nil {
				t.Fatalf("no curl printed:\n%s\n%s", stdout.String(), stderr.String())
			}
			if (m[1] != "") != (authToken != "") {
				t.Fatalf("signature header %q with TWILIO_AUTH_TOKEN %q", m[1], authToken)
			}
			req, _ := http.NewRequest("POST", m[5], strings.NewReader("From="+m[2]+"&Body="+m[3]+"&MessageSid="+m[4]))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if m[1] != "" {
				req.Header.Set("X-Twilio-Signature", m[1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body bytes.Buffer
			body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), "<Message") {
				t.Fatalf("the printed curl got %d: %s\n%s", resp.StatusCode, body.String(), stdout.String())
			}
		})
	}
}
