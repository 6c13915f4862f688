package flows_test

import (
	"os"
	"strings"
	"testing"

	"github.com/senda-org/senda/flows"
)

func TestDebugRead(t *testing.T) {
	msgs := os.Getenv("SENDA_DEBUG_MSGS")
	if msgs == "" {
		t.Skip()
	}
	p := defaultPack(t)
	e := flows.New(p, flows.Options{})
	for _, m := range strings.Split(msgs, ";") {
		r := e.Understand(m)
		id := func(n int) string {
			if n < 0 {
				return "-"
			}
			return p.Nodes[n].ID
		}
		t.Logf("%q: %s %s %.2f ev %.1f runner %s %.2f none %.2f", m, r.Verdict, id(r.Node), r.Score, r.Evidence, id(r.RunnerUp), r.RunnerUpScore, r.None)
	}
}
