package faults

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/senda-org/senda/bot/redistest"
)

// recorder is a testing.TB that records how a test would end.
type recorder struct {
	testing.TB
	ended string // "skip", "fatal" or ""
	msg   string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.ended, r.msg = "skip", fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.ended, r.msg = "fatal", fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestRequireBinaries(t *testing.T) {
	tests := []struct {
		name, env, binary, want string
	}{
		{"missing, no server configured: skip", "", "redis-server-missing", "skip"},
		{"missing, embedded server forced: skip", "embedded", "redis-server-missing", "skip"},
		{"missing, server configured (CI): fail", "redis://127.0.0.1:6379/0", "redis-server-missing", "fatal"},
		{"present: run", "redis://127.0.0.1:6379/0", "redis-server", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == "" {
				requireBinaries(t, "redis-server") // this test needs it too
			}
			t.Setenv(redistest.EnvURL, tt.env)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() { defer close(done); requireBinaries(r, tt.binary) }()
			<-done
			if r.ended != tt.want {
				t.Fatalf("ended %q (%s), want %q", r.ended, r.msg, tt.want)
			}
		})
	}
}
