package app

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/metrics/metricstest"
	"github.com/senda-org/senda/bot/redistest"
)

// scrape reads /metrics and parses it strictly (metricstest): every family
// has # HELP and # TYPE, histograms are cumulative and end in +Inf.
func (ts *testService) scrape(t testing.TB) (string, map[string]*metricstest.Family) {
	t.Helper()
	rec := httptest.NewRecorder()
	ts.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d", rec.Code)
	}
	fams, err := metricstest.Parse(rec.Body.String())
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, rec.Body.String())
	}
	return rec.Body.String(), fams
}

// sample is the value of family{label="value"} (label "" for none), or -1.
func sample(fams map[string]*metricstest.Family, family, name, label, value string) float64 {
	f := fams[family]
	if f == nil {
		return -1
	}
	for _, s := range f.Samples {
		if s.Name == name && (label == "" && len(s.Labels) == 0 || s.Labels[label] == value) {
			return s.Value
		}
	}
	return -1
}

// TestMetricsAfterTraffic sends messages through the webhook, a broadcast
// with one failure, and two content reloads (one broken), then reads
// /metrics: it parses, holds the new series with the right counts, and
// nothing in it is a number or a message someone sent.
func TestMetricsAfterTraffic(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "pack")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "content", "pack"))); err != nil {
		t.Fatal(err)
	}
	fake, client := fakeSender(t)
	cfg := broadcastConfig()
	cfg.ContentDir = dir
	ts := newTestService(t, cfg, Deps{Sender: client})
	numbers := []string{"+50255598761", "+50255598762"}
	ts.sms(numbers[0]).optIn(t, "1")
	ts.whatsapp(numbers[1]).optIn(t, "1")
	bodies := []string{"hola soy zorzalito", "mi nombre es Quetzalina"}
	for i, b := range bodies {
		ts.sms(numbers[i]).say(t, b)
	}
	fake.FailNext(nil, http.StatusBadRequest, 21211, 1)
	startWorkers(t, ts, fastWorkers)
	st := ts.createBroadcast(t, broadcast.Request{Topic: "salud", Text: map[string]string{"es": "Aviso."}})
	ts.waitStatus(t, st.ID, "done", func(s broadcast.Status) bool { return s.State == broadcast.StateDone })
	if err := ts.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pack.yaml"), []byte("name: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ts.Reload(); err == nil {
		t.Fatal("a broken pack reloaded")
	}

	body, fams := ts.scrape(t)
	messages := sample(fams, "senda_messages_total", "senda_messages_total", "channel", "sms") +
		sample(fams, "senda_messages_total", "senda_messages_total", "channel", "whatsapp")
	h := "senda_webhook_duration_seconds"
	for name, want := range map[[3]string]float64{
		{"senda_build_info", "", ""}:                            1,
		{h + "_count", "", ""}:                                  messages,
		{"senda_webhook_signatures_total", "token", "current"}:  messages,
		{"senda_broadcast_queued_total", "", ""}:                2,
		{"senda_broadcast_messages_total", "outcome", "sent"}:   1,
		{"senda_broadcast_messages_total", "outcome", "failed"}: 1,
		{"senda_content_reloads_total", "", ""}:                 1,
		{"senda_content_reload_failures_total", "", ""}:         1,
	} {
		family := strings.TrimSuffix(name[0], "_count")
		if name[0] == "senda_build_info" {
			if fams[family] == nil || len(fams[family].Samples) != 1 || fams[family].Samples[0].Value != 1 {
				t.Errorf("build info: %+v", fams[family])
			}
			continue
		}
		if got := sample(fams, family, name[0], name[1], name[2]); got != want || want <= 0 {
			t.Errorf("%s{%s=%q} = %v, want %v", name[0], name[1], name[2], got, want)
		}
	}
	if f := fams["senda_redis_errors_total"]; f == nil || len(f.Samples) != 0 {
		t.Errorf("Redis errors in normal traffic (a handshake counted?): %+v", f)
	}
	for _, f := range fams {
		if f.Help == "" || f.Type == "" {
			t.Errorf("%s lacks HELP or TYPE", f.Name)
		}
	}
	// No number, in any spelling, and no word anyone sent.
	for _, n := range numbers {
		for _, s := range []string{n, strings.TrimPrefix(n, "+"), n[len(n)-8:], n[len(n)-4:] + `"`} {
			if strings.Contains(body, s) {
				t.Errorf("/metrics contains %q from %s", s, n)
			}
		}
	}
	for _, b := range bodies {
		for _, w := range strings.Fields(b) {
			if len(w) > 5 && strings.Contains(strings.ToLower(body), strings.ToLower(w)) {
				t.Errorf("/metrics contains %q, a word someone sent", w)
			}
		}
	}
	digits := regexp.MustCompile(`\d{6,}`)
	for _, f := range fams {
		for _, s := range f.Samples {
			for k, v := range s.Labels {
				if k != "revision" && digits.MatchString(v) {
					t.Errorf("%s has label %s=%q, which looks like a number", s.Name, k, v)
				}
			}
		}
	}
}

// TestMetricsCountRedisErrorsByComponent: with Redis failing, a webhook
// call counts under conversation and an admin request under admin.
func TestMetricsCountRedisErrorsByComponent(t *testing.T) {
	t.Parallel()
	rdb, prefix := redistest.Client(t)
	ts := newTestService(t, broadcastConfig(), Deps{Redis: rdb, Prefix: prefix})
	// Added after the service's hook, the outage runs inside it: the
	// service's hook sees the failures as it would see a real outage.
	down := &atomic.Bool{}
	rdb.AddHook(outage{down})
	t.Cleanup(func() { down.Store(false) })
	down.Store(true)
	ts.sms("+50255597001").say(t, "HOLA")
	ts.admin(t, http.MethodGet, "/admin/broadcasts", nil)
	down.Store(false)
	_, fams := ts.scrape(t)
	for _, c := range []string{"conversation", "admin"} {
		if got := sample(fams, "senda_redis_errors_total", "senda_redis_errors_total", "component", c); got < 1 {
			t.Errorf("redis errors for %s = %v, want at least 1", c, got)
		}
	}
	if got := sample(fams, "senda_webhook_errors_total", "senda_webhook_errors_total", "", ""); got != 1 {
		t.Errorf("webhook errors = %v, want 1", got)
	}
}
