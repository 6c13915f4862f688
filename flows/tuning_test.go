package flows_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

// TestSearchTuning tries other reader numbers on the tune corpus only and
// prints the best, for a person to copy into defaultTuning. It never reads
// a held-out set. Run it with SENDA_EVAL_SEARCH=1 -run SearchTuning -v
// (about a minute).
func TestSearchTuning(t *testing.T) {
	if os.Getenv("SENDA_EVAL_SEARCH") == "" {
		t.Skip("searches reader numbers on the tune corpus; set SENDA_EVAL_SEARCH=1 to run it")
	}
	p := defaultPack(t)
	msgs := readCorpusDir(t, p, filepath.Join("testdata", "understanding", "tune"))
	type result struct {
		tu    flows.Tuning
		f     floors
		score float64
	}
	var results []result
	try := func(e *flows.Engine, tu flows.Tuning) {
		mid := e.Step(e.Start(0), flows.Input{Text: "1", Channel: content.SMS}).State
		worst := floors{help: 1, right: 1, topics: 1}
		// One way: only the help figure differs between the four, and the
		// not-understood reply carries the help numbers on every way.
		for _, w := range ways[:1] {
			f := evaluate(t, e, mid, w, msgs, false).figures()
			worst = floors{help: min(worst.help, f.help), right: min(worst.right, f.right),
				alarms: max(worst.alarms, f.alarms), topics: min(worst.topics, f.topics)}
		}
		// The score is the smallest margin to issue 15's targets (80 % right,
		// 3 % alarms at most, 75 % topics), so no figure is bought with
		// another, each moved by what new writers cost before (round 2: 5
		// points of right and topics, 1 of alarms).
		results = append(results, result{tu, worst, min(worst.right-0.85, worst.topics-0.80, 0.02-worst.alarms)})
	}
	for _, train := range trainings() {
		base := flows.Retuned(p, train)
		for _, tu := range thresholds(train) {
			try(flows.Rethresholded(base, tu), tu)
		}
	}
	sort.Slice(results, func(i, j int) bool { return results[i].score > results[j].score })
	for _, r := range results[:min(12, len(results))] {
		t.Logf("score %.3f  right %.1f  alarms %.1f  topics %.1f  help %.1f  %+v", r.score, 100*r.f.right, 100*r.f.alarms, 100*r.f.topics, 100*r.f.help, r.tu)
	}
}

// trainings are the numbers that need the reader trained again.
func trainings() []flows.Tuning {
	var out []flows.Tuning
	for _, epochs := range []int{10, 20, 30} {
		for _, l2 := range []float64{1e-6, 1e-5} {
			for _, balance := range []float64{0.5, 1} {
				tu := flows.DefaultTuning
				tu.Epochs, tu.L2, tu.Balance = epochs, l2, balance
				out = append(out, tu)
			}
		}
	}
	return out
}

// thresholds are the numbers a trained reader reads with.
func thresholds(train flows.Tuning) []flows.Tuning {
	var out []flows.Tuning
	for _, temp := range []float64{0.5, 1} {
		for _, mu := range []float64{0.3, 0.45} {
			for _, mp := range []float64{0.45, 0.55, 0.65} {
				for _, mue := range []float64{1, 2, 3} {
					tu := train
					tu.Temperature, tu.MinUrgent, tu.MinPage, tu.MinUrgentEvidence = temp, mu, mp, mue
					out = append(out, tu)
				}
			}
		}
	}
	return out
}
