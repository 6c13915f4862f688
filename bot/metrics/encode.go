package metrics

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// encoder writes the text format and keeps the first write error.
type encoder struct {
	w   io.Writer
	err error
}

func (e *encoder) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *encoder) header(name string, f family) {
	e.printf("# HELP %s%s %s\n", Prefix, name, escapeHelp(f.help))
	e.printf("# TYPE %s%s %s\n", Prefix, name, f.kind)
}

// sample writes one series; labels alternate name and value, names sorted.
func (e *encoder) sample(name string, labels []string, v float64) {
	var b strings.Builder
	b.WriteString(Prefix + name)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			b.WriteByte('{')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(labels[i] + `="` + escapeLabel(labels[i+1]) + `"`)
		if i+2 >= len(labels) {
			b.WriteByte('}')
		}
	}
	e.printf("%s %s\n", b.String(), strconv.FormatFloat(v, 'g', -1, 64))
}

// counters writes a counter family's series, sorted by label value; an
// unlabelled counter no one counted yet is written as 0.
func (e *encoder) counters(name string, f family, keys []key, n map[key]int64) {
	if len(keys) == 0 && f.label == "" {
		keys = []key{{name: name}}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.label, b.label); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for _, k := range keys {
		var labels []string
		if k.label != "" {
			labels = []string{k.label, k.value}
		}
		e.sample(name, labels, float64(n[k]))
	}
}

// histogram writes cumulative buckets ending in +Inf, then the sum and count.
func (e *encoder) histogram(name string, h histogram) {
	var cum int64
	for i, le := range LatencyBuckets {
		cum += h.counts[i]
		e.sample(name+"_bucket", []string{"le", strconv.FormatFloat(le, 'g', -1, 64)}, float64(cum))
	}
	e.sample(name+"_bucket", []string{"le", "+Inf"}, float64(cum+h.over))
	e.sample(name+"_sum", nil, h.sum)
	e.sample(name+"_count", nil, float64(h.n))
}

// escapeHelp escapes a # HELP text: backslash and line feed.
func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

// escapeLabel escapes a label value: backslash, double quote and line feed.
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
