package metrics

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/buildinfo"
	"github.com/senda-org/senda/bot/metrics/metricstest"
	"github.com/senda-org/senda/bot/redistest"
)

func write(t *testing.T, m *Set) map[string]*metricstest.Family {
	t.Helper()
	var b strings.Builder
	if err := m.Write(&b); err != nil {
		t.Fatal(err)
	}
	fams, err := metricstest.Parse(b.String())
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, b.String())
	}
	return fams
}

// TestWriteIsValidExposition writes counters, awkward label values and a
// histogram, and parses the result strictly: every documented family has
// # HELP and # TYPE (even before its first event), build info carries the
// build, and histogram buckets are cumulative and end in +Inf.
func TestWriteIsValidExposition(t *testing.T) {
	t.Parallel()
	m := NewFor(buildinfo.Info{Version: "v1.2.3", Revision: "abc123", GoVersion: "go1.26.8"})
	m.Count("optouts_total")
	m.Add("messages_total", "channel", "sms", 3)
	m.Add("node_views_total", "node", `a "quoted" \ node`+"\n"+"ñ", 1)
	for _, d := range []time.Duration{500 * time.Microsecond, time.Millisecond, 20 * time.Millisecond, 20 * time.Second} {
		m.Observe("webhook_duration_seconds", d)
	}
	fams := write(t, m)
	for name, f := range families {
		got, ok := fams[Prefix+name]
		if !ok {
			t.Errorf("%s%s is not written", Prefix, name)
			continue
		}
		if got.Type != string(f.kind) || got.Help == "" {
			t.Errorf("%s: TYPE %q HELP %q", name, got.Type, got.Help)
		}
	}
	if len(fams) != len(families) {
		t.Errorf("%d families written, %d described", len(fams), len(families))
	}
	value := func(family, name string, labels map[string]string) float64 {
		t.Helper()
		for _, s := range fams[family].Samples {
			if s.Name == name && len(s.Labels) == len(labels) && func() bool {
				for k, v := range labels {
					if s.Labels[k] != v {
						return false
					}
				}
				return true
			}() {
				return s.Value
			}
		}
		t.Fatalf("no sample %s%v", name, labels)
		return 0
	}
	if v := value("senda_build_info", "senda_build_info", map[string]string{"version": "v1.2.3", "revision": "abc123", "goversion": "go1.26.8"}); v != 1 {
		t.Errorf("build info = %v", v)
	}
	if v := value("senda_optouts_total", "senda_optouts_total", nil); v != 1 {
		t.Errorf("optouts = %v", v)
	}
	if v := value("senda_webhook_errors_total", "senda_webhook_errors_total", nil); v != 0 {
		t.Errorf("an unlabelled counter no one counted = %v, want 0", v)
	}
	if v := value("senda_node_views_total", "senda_node_views_total", map[string]string{"node": `a "quoted" \ node` + "\n" + "ñ"}); v != 1 {
		t.Errorf("escaped label round trip = %v", v)
	}
	h := "senda_webhook_duration_seconds"
	for le, want := range map[string]float64{"0.001": 2, "0.01": 2, "0.025": 3, "15": 3, "+Inf": 4} {
		if v := value(h, h+"_bucket", map[string]string{"le": le}); v != want {
			t.Errorf("bucket le=%s = %v, want %v", le, v, want)
		}
	}
	if v := value(h, h+"_count", nil); v != 4 {
		t.Errorf("count = %v", v)
	}
	if v := value(h, h+"_sum", nil); math.Abs(v-20.0215) > 1e-9 {
		t.Errorf("sum = %v", v)
	}
}

// TestUndescribedNameStillParses: a name counted before it is described is
// written with a placeholder # HELP, so /metrics stays valid.
func TestUndescribedNameStillParses(t *testing.T) {
	t.Parallel()
	m := New()
	m.Add("new_thing_total", "kind", "x", 1)
	fams := write(t, m)
	if f := fams["senda_new_thing_total"]; f == nil || !strings.Contains(f.Help, "Not described") {
		t.Errorf("undescribed family: %+v", f)
	}
}

// TestEveryCountedNameIsDescribed reads the source for every name counted
// with Add, Count or Observe and expects a description of it in families.
func TestEveryCountedNameIsDescribed(t *testing.T) {
	t.Parallel()
	call := regexp.MustCompile(`\.(?:Add|Count|Observe)\("([a-z0-9_]+)"`)
	found := map[string]bool{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range call.FindAllStringSubmatch(string(src), -1) {
			found[m[1]] = true
			if _, ok := families[m[1]]; !ok {
				t.Errorf("%s counts %q, which bot/metrics does not describe", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"messages_total", "webhook_duration_seconds", "broadcast_messages_total", "content_reloads_total"} {
		if !found[name] {
			t.Errorf("the scan found no call counting %s: is it reading the source?", name)
		}
	}
}

// TestNilSetCountsNothing: packages may hold a nil *Set.
func TestNilSetCountsNothing(t *testing.T) {
	t.Parallel()
	var m *Set
	m.Count("optouts_total")
	m.Add("messages_total", "channel", "sms", 1)
	m.Observe("webhook_duration_seconds", time.Second)
}

// TestRedisHookCountsFailuresByComponent runs commands on real Redis: a
// wrong-type command and a failing pipeline count under their context's
// component (other when none); a missing key, a script go-redis must load
// first and a cancelled request do not count.
func TestRedisHookCountsFailuresByComponent(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	m := New()
	rdb.AddHook(m.RedisHook())
	ctx := context.Background()
	conv := WithComponent(ctx, ComponentConversation)
	bcast := WithComponent(ctx, ComponentBroadcast)
	str := prefix + "string"
	if err := rdb.Set(ctx, str, "x", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	rdb.HGet(conv, str, "f")                                // WRONGTYPE: counted
	rdb.Get(conv, prefix+"missing")                         // redis.Nil: not counted
	rdb.LPush(WithComponent(ctx, ComponentAdmin), str, "y") // WRONGTYPE: counted
	rdb.HGet(ctx, str, "f")                                 // no component: other
	script := redis.NewScript("return '" + prefix + time.Now().Format(time.RFC3339Nano) + "'")
	if err := script.Run(bcast, rdb, nil).Err(); err != nil { // NOSCRIPT, then EVAL: not counted
		t.Fatal(err)
	}
	rdb.Pipelined(bcast, func(p redis.Pipeliner) error { // one failure in a pipeline: counted once
		p.Get(bcast, prefix+"missing")
		p.HGet(bcast, str, "f")
		p.HGet(bcast, str, "g")
		return nil
	})
	// A new connection's handshake (HELLO, CLIENT SETINFO, which Redis
	// before 7.2 refuses and go-redis tolerates) is not a failure.
	opts, err := redis.ParseURL(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	fresh := redis.NewClient(opts)
	defer fresh.Close()
	fresh.AddHook(m.RedisHook())
	if err := fresh.Get(WithComponent(ctx, ComponentAdmin), prefix+"missing").Err(); err != redis.Nil {
		t.Fatalf("fresh client: %v", err)
	}
	cancelled, cancel := context.WithCancel(conv)
	cancel()
	rdb.Get(cancelled, str)
	fams := write(t, m)
	got := map[string]float64{}
	for _, s := range fams["senda_redis_errors_total"].Samples {
		got[s.Labels["component"]] = s.Value
	}
	want := map[string]float64{"conversation": 1, "admin": 1, "other": 1, "broadcast": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("redis errors %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("redis errors by component = %v, want %v", got, want)
	}
}
