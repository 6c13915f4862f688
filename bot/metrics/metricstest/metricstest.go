// Package metricstest parses the Prometheus text exposition format strictly,
// for tests: every family has one # HELP and one # TYPE before its samples,
// a family's samples are together, no series repeats, values are numbers,
// counters are named *_total and not negative, and histograms have
// cumulative buckets in increasing order ending in +Inf, a _sum and a
// _count equal to the +Inf bucket.
package metricstest

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Sample is one series' value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Family is one metric family: its # HELP, # TYPE and samples in order.
type Family struct {
	Name, Help, Type string
	Samples          []Sample
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	types      = []string{"counter", "gauge", "histogram", "summary", "untyped"}
)

// Parse reads an exposition and checks it; families are keyed by name.
func Parse(text string) (map[string]*Family, error) {
	if text != "" && !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("the exposition does not end with a line feed")
	}
	p := &parser{families: map[string]*Family{}, seen: map[string]bool{}}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if text == "" {
			break
		}
		if err := p.line(line); err != nil {
			return nil, fmt.Errorf("line %d %q: %w", i+1, line, err)
		}
	}
	for _, f := range p.families {
		if f.Type == "" {
			return nil, fmt.Errorf("%s has # HELP but no # TYPE", f.Name)
		}
		if f.Type == "histogram" {
			if err := checkHistogram(f); err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
		}
	}
	return p.families, nil
}

type parser struct {
	families map[string]*Family
	current  *Family         // the family whose samples may follow
	seen     map[string]bool // series already written
}

func (p *parser) line(line string) error {
	if strings.HasPrefix(line, "#") {
		return p.comment(line)
	}
	s, err := parseSample(line)
	if err != nil {
		return err
	}
	f := p.current
	if f == nil || f.Type == "" || !belongs(f, s.Name) {
		return fmt.Errorf("sample %s is not preceded by its family's # HELP and # TYPE", s.Name)
	}
	id := seriesID(s)
	if p.seen[id] {
		return fmt.Errorf("series %s repeats", id)
	}
	p.seen[id] = true
	if f.Type == "counter" && (s.Value < 0 || math.IsNaN(s.Value)) {
		return fmt.Errorf("counter %s is %v", s.Name, s.Value)
	}
	f.Samples = append(f.Samples, s)
	return nil
}

func (p *parser) comment(line string) error {
	fields := strings.SplitN(line, " ", 4)
	if len(fields) < 4 || fields[0] != "#" || (fields[1] != "HELP" && fields[1] != "TYPE") {
		return fmt.Errorf("only # HELP name text and # TYPE name type comments are expected")
	}
	name, rest := fields[2], fields[3]
	if !metricName.MatchString(name) {
		return fmt.Errorf("bad metric name %q", name)
	}
	f := p.families[name]
	switch fields[1] {
	case "HELP":
		if f != nil {
			return fmt.Errorf("a second # HELP for %s", name)
		}
		if strings.TrimSpace(rest) == "" {
			return fmt.Errorf("empty # HELP for %s", name)
		}
		if err := checkEscapes(rest); err != nil {
			return err
		}
		f = &Family{Name: name, Help: rest}
		p.families[name] = f
		p.current = f
	case "TYPE":
		if f == nil || p.current != f {
			return fmt.Errorf("# TYPE %s must follow its # HELP", name)
		}
		if f.Type != "" {
			return fmt.Errorf("a second # TYPE for %s", name)
		}
		if !slices.Contains(types, rest) {
			return fmt.Errorf("unknown type %q", rest)
		}
		if rest == "counter" && !strings.HasSuffix(name, "_total") {
			return fmt.Errorf("counter %s is not named *_total", name)
		}
		f.Type = rest
	}
	return nil
}

// belongs reports whether a sample named name is one of f's.
func belongs(f *Family, name string) bool {
	if f.Type == "histogram" || f.Type == "summary" {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if name == f.Name+suffix && (suffix != "_bucket" || f.Type == "histogram") {
				return true
			}
		}
		return f.Type == "summary" && name == f.Name
	}
	return name == f.Name
}

func parseSample(line string) (Sample, error) {
	s := Sample{Labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end < 0 {
		return s, fmt.Errorf("no value")
	}
	s.Name = line[:end]
	if !metricName.MatchString(s.Name) {
		return s, fmt.Errorf("bad metric name %q", s.Name)
	}
	rest := line[end:]
	if strings.HasPrefix(rest, "{") {
		var err error
		if rest, err = parseLabels(rest[1:], s.Labels); err != nil {
			return s, err
		}
	}
	fields := strings.Split(rest, " ")
	if len(fields) < 2 || len(fields) > 3 || fields[0] != "" {
		return s, fmt.Errorf("want one space, a value and an optional timestamp after the series")
	}
	v, err := parseValue(fields[1])
	if err != nil {
		return s, err
	}
	s.Value = v
	if len(fields) == 3 {
		if _, err := strconv.ParseInt(fields[2], 10, 64); err != nil {
			return s, fmt.Errorf("bad timestamp %q", fields[2])
		}
	}
	return s, nil
}

// parseLabels reads name="value" pairs up to the closing brace and returns
// what follows it.
func parseLabels(s string, into map[string]string) (string, error) {
	for {
		if strings.HasPrefix(s, "}") {
			return s[1:], nil
		}
		eq := strings.Index(s, `="`)
		if eq < 0 {
			return "", fmt.Errorf("bad label list")
		}
		name := s[:eq]
		if !labelName.MatchString(name) || strings.HasPrefix(name, "__") {
			return "", fmt.Errorf("bad label name %q", name)
		}
		if _, dup := into[name]; dup {
			return "", fmt.Errorf("label %s repeats", name)
		}
		value, rest, err := quoted(s[eq+2:])
		if err != nil {
			return "", err
		}
		into[name] = value
		switch {
		case strings.HasPrefix(rest, ","):
			s = rest[1:]
		case strings.HasPrefix(rest, "}"):
			s = rest
		default:
			return "", fmt.Errorf("want , or } after label %s", name)
		}
	}
}

// quoted reads a label value up to its closing quote, undoing \\, \" and \n.
func quoted(s string) (value, rest string, err error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\n':
			return "", "", fmt.Errorf("raw line feed in a label value")
		case '\\':
			if i+1 == len(s) {
				return "", "", fmt.Errorf("dangling backslash")
			}
			i++
			switch s[i] {
			case '\\':
				b.WriteByte('\\')
			case '"':
				b.WriteByte('"')
			case 'n':
				b.WriteByte('\n')
			default:
				return "", "", fmt.Errorf(`bad escape \%c in a label value`, s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", fmt.Errorf("unterminated label value")
}

// checkEscapes checks a # HELP text: only \\ and \n escapes.
func checkEscapes(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 == len(s) || (s[i+1] != '\\' && s[i+1] != 'n') {
				return fmt.Errorf("bad escape in # HELP")
			}
			i++
		}
	}
	return nil
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "_xXpP") || strings.EqualFold(s, "inf") || strings.EqualFold(s, "infinity") {
		return 0, fmt.Errorf("bad value %q", s)
	}
	return v, nil
}

func seriesID(s Sample) string {
	names := make([]string, 0, len(s.Labels))
	for k := range s.Labels {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(s.Name)
	for _, k := range names {
		fmt.Fprintf(&b, ",%s=%q", k, s.Labels[k])
	}
	return b.String()
}

// checkHistogram checks each of a histogram's series (label sets without
// le): buckets in increasing le, cumulative, ending in +Inf, then _sum and
// _count with _count equal to the +Inf bucket.
func checkHistogram(f *Family) error {
	all := map[string]*histSeries{}
	var order []string
	for _, s := range f.Samples {
		id := seriesIDWithoutLE(s)
		h := all[id]
		if h == nil {
			h = &histSeries{}
			all[id] = h
			order = append(order, id)
		}
		v := s.Value
		switch s.Name {
		case f.Name + "_bucket":
			if err := h.addBucket(s, v); err != nil {
				return err
			}
		case f.Name + "_sum":
			h.sum = &v
		case f.Name + "_count":
			h.count = &v
		}
	}
	for _, id := range order {
		if err := all[id].complete(); err != nil {
			return fmt.Errorf("series %s: %w", id, err)
		}
	}
	return nil
}

// histSeries is one series of a histogram as read so far.
type histSeries struct {
	les, counts []float64
	sum, count  *float64
}

// seriesIDWithoutLE names the series a histogram sample belongs to: its
// labels but le.
func seriesIDWithoutLE(s Sample) string {
	rest := Sample{Labels: map[string]string{}}
	for k, v := range s.Labels {
		if k != "le" {
			rest.Labels[k] = v
		}
	}
	return seriesID(rest)
}

// addBucket adds a _bucket sample of value v, which must come before _sum
// and _count and after every smaller bucket, with no smaller count.
func (h *histSeries) addBucket(s Sample, v float64) error {
	le, ok := s.Labels["le"]
	if !ok {
		return fmt.Errorf("a bucket without le")
	}
	bound, err := parseValue(le)
	if err != nil {
		return fmt.Errorf("bucket le=%q: %w", le, err)
	}
	if h.sum != nil || h.count != nil {
		return fmt.Errorf("bucket le=%q after _sum or _count", le)
	}
	if n := len(h.les); n > 0 && (bound <= h.les[n-1] || v < h.counts[n-1]) {
		return fmt.Errorf("bucket le=%q is not after le=%v in bound and count", le, h.les[n-1])
	}
	h.les, h.counts = append(h.les, bound), append(h.counts, v)
	return nil
}

// complete checks a series once every sample is read: a +Inf bucket last,
// _sum and _count present, and _count equal to the +Inf bucket.
func (h *histSeries) complete() error {
	n := len(h.les)
	switch {
	case n == 0 || !math.IsInf(h.les[n-1], 1):
		return fmt.Errorf("buckets do not end in +Inf")
	case h.sum == nil || h.count == nil:
		return fmt.Errorf("_sum or _count missing")
	case *h.count != h.counts[n-1]:
		return fmt.Errorf("_count %v differs from the +Inf bucket %v", *h.count, h.counts[n-1])
	}
	return nil
}
