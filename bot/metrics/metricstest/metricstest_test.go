package metricstest

import "testing"

// TestParseRefuses holds the parser to the rules it checks: each broken
// exposition is refused, and the well-formed one is read.
func TestParseRefuses(t *testing.T) {
	t.Parallel()
	const head = "# HELP a_total A.\n# TYPE a_total counter\n"
	const hist = "# HELP h H.\n# TYPE h histogram\n"
	good := head + "a_total{x=\"1\"} 2\n" + hist +
		"h_bucket{le=\"0.1\"} 1\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\n"
	if fams, err := Parse(good); err != nil || len(fams) != 2 || len(fams["h"].Samples) != 5 {
		t.Fatalf("Parse(good) = %v, %v", fams, err)
	}
	bad := map[string]string{
		"no HELP":                 "# TYPE a_total counter\na_total 1\n",
		"no TYPE":                 "# HELP a_total A.\na_total 1\n",
		"empty HELP":              "# HELP a_total \n# TYPE a_total counter\na_total 1\n",
		"TYPE twice":              head + "# TYPE a_total counter\n",
		"unknown type":            "# HELP a_total A.\n# TYPE a_total meter\n",
		"counter without _total":  "# HELP a A.\n# TYPE a counter\na 1\n",
		"negative counter":        head + "a_total -1\n",
		"sample of another":       head + "b_total 1\n",
		"repeated series":         head + "a_total{x=\"1\"} 1\na_total{x=\"1\"} 2\n",
		"bad value":               head + "a_total one\n",
		"bad escape":              head + "a_total{x=\"\\t\"} 1\n",
		"unterminated label":      head + "a_total{x=\"1} 1\n",
		"two spaces":              head + "a_total  1\n",
		"no final line feed":      head + "a_total 1",
		"other comment":           head + "# hello\n",
		"split family":            head + "a_total{x=\"1\"} 1\n# HELP b_total B.\n# TYPE b_total counter\na_total{x=\"2\"} 1\n",
		"buckets not cumulative":  hist + "h_bucket{le=\"0.1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"buckets out of order":    hist + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"no +Inf bucket":          hist + "h_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"count differs from +Inf": hist + "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
		"no sum":                  hist + "h_bucket{le=\"+Inf\"} 1\nh_count 1\n",
	}
	for name, text := range bad {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(text); err == nil {
				t.Errorf("Parse accepted:\n%s", text)
			}
		})
	}
}
