// Package sendabin builds cmd/senda once per test binary, for tests that run
// Senda as a child process, and removes it when the tests are done: a test
// binary calls Cleanup from TestMain so the temp folder keeps nothing.
package sendabin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	dir  string
	bin  string
	err  error
)

// Build returns the path of a senda binary built from this module, building
// it on the first call. It fails the test when the go command is missing or
// the build fails.
func Build(t testing.TB) string {
	t.Helper()
	once.Do(build)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func build() {
	goBin, lookErr := exec.LookPath("go")
	if lookErr != nil {
		err = fmt.Errorf("sendabin: the go command is needed to build senda: %w", lookErr)
		return
	}
	if dir, err = os.MkdirTemp("", "senda-bin-"); err != nil {
		err = fmt.Errorf("sendabin: %w", err)
		return
	}
	bin = filepath.Join(dir, "senda")
	out, buildErr := exec.Command(goBin, "build", "-o", bin, "github.com/senda-org/senda/cmd/senda").CombinedOutput()
	if buildErr != nil {
		err = fmt.Errorf("sendabin: go build cmd/senda: %v\n%s", buildErr, out)
	}
}

// Cleanup removes the binary Build made, if any. Call it from TestMain
// after m.Run.
func Cleanup() {
	if dir != "" {
		os.RemoveAll(dir)
	}
}
