package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/senda-org/senda/bot/ident"
	"github.com/senda-org/senda/bot/twilio"
)

func env(m map[string]string) Lookup {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Env != EnvDevelopment || c.Addr != ":8080" || c.SessionTTL != 30*time.Minute {
		t.Fatalf("defaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("development with nothing set must be valid: %v", err)
	}
}

func TestProductionNamesEverythingMissingAtOnce(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{"SENDA_ENV": "production"}))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Validate()
	if err == nil {
		t.Fatal("production without settings was accepted")
	}
	for _, name := range []string{"SENDA_REDIS_URL", "TWILIO_AUTH_TOKEN", "SENDA_HASH_KEY", "SENDA_PUBLIC_URL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
	// With everything set it starts.
	c, _ = Load(env(map[string]string{
		"SENDA_ENV": "production", "SENDA_REDIS_URL": "redis://localhost:6379/0", "TWILIO_AUTH_TOKEN": "t",
		"SENDA_HASH_KEY": strings.Repeat("k", 32), "SENDA_PUBLIC_URL": "https://senda.example.org",
	}))
	if err := c.Validate(); err != nil {
		t.Fatalf("complete production config rejected: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"bad env", map[string]string{"SENDA_ENV": "staging"}, "use development or production"},
		{"short hash key", map[string]string{"SENDA_HASH_KEY": "short"}, "at least 32"},
		{"old hash key alone", map[string]string{"SENDA_HASH_KEY_OLD": strings.Repeat("o", 32)}, "SENDA_HASH_KEY_OLD is the previous hash key"},
		{"bad public url", map[string]string{"SENDA_PUBLIC_URL": "senda.example.org"}, "absolute http(s) URL"},
		{"public url with query", map[string]string{"SENDA_PUBLIC_URL": "https://x.org/?a=1"}, "must not have a query"},
		{"ttl too short", map[string]string{"SENDA_SESSION_TTL": "10s"}, "between 1m and 24h"},
		{"bad redis scheme", map[string]string{"SENDA_REDIS_URL": "http://localhost:6379"}, "use redis://"},
		{"bad log level", map[string]string{"SENDA_LOG_LEVEL": "loud"}, "use debug, info, warn or error"},
		{"workers not a whole number", map[string]string{"SENDA_WORKERS": "2.5"}, "not a whole number"},
		{"old subscriber keys alone", map[string]string{"SENDA_SUBSCRIBER_KEYS_OLD": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, "SENDA_SUBSCRIBER_KEY is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(env(c.env))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
	if _, err := Load(env(map[string]string{"SENDA_SESSION_TTL": "soon"})); err == nil || !strings.Contains(err.Error(), "30m") {
		t.Fatalf("unparsable TTL: %v", err)
	}
	if _, err := Load(env(map[string]string{"SENDA_NUMBER_LANGS": "+502=es,oops"})); err == nil || !strings.Contains(err.Error(), "NUMBER=LANG") {
		t.Fatalf("bad SENDA_NUMBER_LANGS: %v", err)
	}
}

func TestConfigSecretsFromFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if err := os.WriteFile(path, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"TWILIO_AUTH_TOKEN_FILE": path}))
	if err != nil || c.Twilio.AuthToken != "from-a-file" {
		t.Fatalf("token = %q, %v", c.Twilio.AuthToken, err)
	}
	if _, err := Load(env(map[string]string{"TWILIO_AUTH_TOKEN_FILE": path, "TWILIO_AUTH_TOKEN": "x"})); err == nil {
		t.Fatal("both a value and a file were accepted")
	}
	if _, err := Load(env(map[string]string{"SENDA_HASH_KEY_FILE": filepath.Join(dir, "missing")})); err == nil {
		t.Fatal("a missing secret file was accepted")
	}
	c, err = Load(env(map[string]string{"SENDA_NUMBER_LANGS": "+50220000000=es, whatsapp:+14155238886=EN"}))
	if err != nil || c.LangByNumber["whatsapp:+14155238886"] != "en" || c.LangByNumber["+50220000000"] != "es" {
		t.Fatalf("number languages = %v, %v", c.LangByNumber, err)
	}
}

func TestParseRedisURL(t *testing.T) {
	t.Parallel()
	single, err := ParseRedisURL("redis://:pw@localhost:6379/2")
	if err != nil || single.Single == nil || single.Single.DB != 2 || single.Single.ReadTimeout != time.Second || !single.Single.ContextTimeoutEnabled {
		t.Fatalf("single = %+v, %v", single.Single, err)
	}
	sentinel, err := ParseRedisURL("redis://s1:26379/0?master_name=mymaster&addr=s2:26379")
	if err != nil || sentinel.Failover == nil || sentinel.Failover.MasterName != "mymaster" || len(sentinel.Failover.SentinelAddrs) != 2 {
		t.Fatalf("sentinel = %+v, %v", sentinel.Failover, err)
	}
	cluster, err := ParseRedisURL("redis://n1:7000?addr=n2:7000&addr=n3:7000")
	if err != nil || cluster.Cluster == nil || len(cluster.Cluster.Addrs) != 3 {
		t.Fatalf("cluster = %+v, %v", cluster.Cluster, err)
	}
	if cluster.Cluster.ClusterStateReloadInterval != time.Second {
		t.Fatalf("a Cluster client refreshes its slot map every %s, want 1s (go-redis's 60s leaves failed-over slots unanswered)", cluster.Cluster.ClusterStateReloadInterval)
	}
	slow, err := ParseRedisURL("redis://n1:7000?addr=n2:7000&cluster_state_reload_interval=5s")
	if err != nil || slow.Cluster.ClusterStateReloadInterval != 5*time.Second {
		t.Fatalf("cluster_state_reload_interval=5s: %+v, %v", slow.Cluster, err)
	}
	for _, bad := range []string{"redis://n1:7000?addr=n2:7000&cluster_state_reload_interval=soon", "redis://localhost:6379/0?cluster_state_reload_interval=1s"} {
		if _, err := ParseRedisURL(bad); err == nil || !strings.Contains(err.Error(), "cluster_state_reload_interval") {
			t.Fatalf("%s: %v", bad, err)
		}
	}
	one, err := ParseRedisURL("rediss+cluster://n1:7000")
	if err != nil || one.Cluster == nil || one.Cluster.TLSConfig == nil {
		t.Fatalf("cluster with one seed over TLS = %+v, %v", one.Cluster, err)
	}
	custom, err := ParseRedisURL("redis://localhost:6379/0?read_timeout=3s")
	if err != nil || custom.Single.ReadTimeout != 3*time.Second {
		t.Fatalf("a read_timeout in the URL was not kept: %+v, %v", custom.Single, err)
	}
	if _, err := ParseRedisURL("redis://localhost:6379/0?bogus=1"); err == nil {
		t.Fatal("unknown parameter accepted")
	}
	if _, err := ParseRedisURL("redis://:secret@local host:6379"); err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("a malformed URL must be refused without echoing its password: %v", err)
	}
	if small := single.WithPoolSize(2); small.Single.PoolSize != 2 || single.Single.PoolSize == 2 {
		t.Fatal("WithPoolSize must copy")
	}
}

func TestLoadTypedFields(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"SENDA_LOG_LEVEL": "debug", "SENDA_REDIS_URL": "redis://localhost:6379/3", "SENDA_WORKERS": "7",
		"SENDA_SUBSCRIBER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "SENDA_QUIET_HOURS": "21:00-07:00",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.LogLevel != slog.LevelDebug || c.Redis.Single == nil || c.Redis.Single.DB != 3 || c.Broadcast.Workers != 7 ||
		len(c.Broadcast.SubscriberKey) != 32 || c.Broadcast.Quiet.String() == "" {
		t.Fatalf("typed fields = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	cl, err := LoadClient(env(map[string]string{"SENDA_ADMIN_URL": " https://x.org ", "SENDA_ADMIN_TOKEN": "tok", "SENDA_WORKERS": "bad"}))
	if err != nil || cl.AdminURL != "https://x.org" || cl.AdminToken != "tok" {
		t.Fatalf("client = %+v, %v (server settings must not matter)", cl, err)
	}
	over := env(map[string]string{"SENDA_ADDR": ":1"}).Over(map[string]string{"SENDA_ADDR": ":2"})
	if c, _ := Load(over); c.Addr != ":2" {
		t.Fatalf("a flag did not override the environment: %q", c.Addr)
	}
}

func TestNormalizeAddress(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+502 4567-8123":            "+50245678123",
		"whatsapp:+50245678123":     "+50245678123",
		"WhatsApp:+502 (4567) 8123": "+50245678123",
		"whatsapp:US.1234":          "US.1234",
		" chat.local ":              "chat.local",
	} {
		if got := ident.NormalizeAddress(in); got != want {
			t.Errorf("ident.NormalizeAddress(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWorkerCountFollowsTheRate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mps     float64
		workers int
		want    int
	}{
		{1, 0, 4}, {10, 0, 5}, {50, 0, 25}, {100, 0, 50}, {1000, 0, 256}, {50, 3, 3},
	} {
		if got := (BroadcastConfig{MPS: c.mps, Workers: c.workers}).WorkerCount(); got != c.want {
			t.Errorf("MPS %v, SENDA_WORKERS %d: %d workers, want %d", c.mps, c.workers, got, c.want)
		}
	}
}

// TestTwilioSettingsInOneStruct: every Twilio setting lands in the one
// twilio.Config the app hands to bot/twilio, started from its defaults, so
// the privacy parameters are on without anyone setting them.
func TestTwilioSettingsInOneStruct(t *testing.T) {
	t.Parallel()
	c, err := Load(env(map[string]string{
		"TWILIO_ACCOUNT_SID": "AC0123", "TWILIO_AUTH_TOKEN": "tok1", "TWILIO_AUTH_TOKEN_PREVIOUS": "tok0",
		"TWILIO_API_KEY": "SK0123", "TWILIO_API_SECRET": "sec", "SENDA_TWILIO_API_BASE": "http://mock:8080",
		"SENDA_MESSAGING_SERVICE_SID": "MG0123", "SENDA_TWILIO_FROM": "+50212345678", "SENDA_WHATSAPP_FROM": "whatsapp:+50212345678",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := twilio.DefaultConfig()
	want.AccountSID, want.AuthToken, want.AuthTokenPrevious = "AC0123", "tok1", "tok0"
	want.APIKey, want.APISecret, want.APIBase = "SK0123", "sec", "http://mock:8080"
	want.MessagingServiceSID, want.SMSFrom, want.WhatsAppFrom = "MG0123", "+50212345678", "whatsapp:+50212345678"
	if c.Twilio != want {
		t.Errorf("Twilio settings = %+v,\nwant %+v", c.Twilio, want)
	}
	if !c.Twilio.REST() || !c.Twilio.Sends() || !c.Twilio.Privacy {
		t.Error("an account with credentials and senders does not count as REST and sending, with privacy on")
	}
}

// TestAuthTokenPrevious reads the old token of a rotation, from the
// environment or a file, and refuses one that cannot be right.
func TestAuthTokenPrevious(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "previous")
	if err := os.WriteFile(path, []byte("oldtoken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, want, problem string
		env                 map[string]string
	}{
		{name: "none", env: map[string]string{"TWILIO_AUTH_TOKEN": "newtoken"}},
		{name: "from the environment", env: map[string]string{"TWILIO_AUTH_TOKEN": "newtoken", "TWILIO_AUTH_TOKEN_PREVIOUS": "oldtoken"}, want: "oldtoken"},
		{name: "from a file", env: map[string]string{"TWILIO_AUTH_TOKEN": "newtoken", "TWILIO_AUTH_TOKEN_PREVIOUS_FILE": path}, want: "oldtoken"},
		{name: "without a current token", env: map[string]string{"TWILIO_AUTH_TOKEN_PREVIOUS": "oldtoken"}, want: "oldtoken", problem: "without TWILIO_AUTH_TOKEN"},
		{name: "same as the current", env: map[string]string{"TWILIO_AUTH_TOKEN": "newtoken", "TWILIO_AUTH_TOKEN_PREVIOUS": "newtoken"}, want: "newtoken", problem: "the same as TWILIO_AUTH_TOKEN"},
		{name: "a stray quote", env: map[string]string{"TWILIO_AUTH_TOKEN": "newtoken", "TWILIO_AUTH_TOKEN_PREVIOUS": `"oldtoken"`}, want: `"oldtoken"`, problem: "other than letters and digits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(env(c.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Twilio.AuthTokenPrevious != c.want {
				t.Errorf("AuthTokenPrevious = %q, want %q", cfg.Twilio.AuthTokenPrevious, c.want)
			}
			err = cfg.Validate()
			if c.problem == "" && err != nil && strings.Contains(err.Error(), "PREVIOUS") {
				t.Errorf("Validate: %v", err)
			}
			if c.problem != "" && (err == nil || !strings.Contains(err.Error(), c.problem)) {
				t.Errorf("Validate = %v, want a problem saying %q", err, c.problem)
			}
		})
	}
}

func TestTimeZoneForFiguresAndTheClient(t *testing.T) {
	cases := []struct {
		set, want string
		fails     bool
	}{
		{"", DefaultTimeZone, false},
		{"America/Mexico_City", "America/Mexico_City", false},
		{"Mars/Olympus", "", true},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			cfg, err := Load(env(map[string]string{"SENDA_TIMEZONE": c.set}))
			if err != nil {
				t.Fatal(err)
			}
			cl, err := LoadClient(env(map[string]string{"SENDA_TIMEZONE": c.set}))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []func() (*time.Location, error){cfg.Broadcast.Location, cl.Location} {
				loc, err := f()
				if (err != nil) != c.fails || (err == nil && loc.String() != c.want) {
					t.Errorf("location = %v, %v; want %q (fails %v)", loc, err, c.want, c.fails)
				}
			}
		})
	}
}

func TestEraseSetting(t *testing.T) {
	t.Parallel()
	prod := map[string]string{
		"SENDA_ENV": "production", "SENDA_REDIS_URL": "redis://localhost:6379/0", "TWILIO_AUTH_TOKEN": "t",
		"SENDA_HASH_KEY": strings.Repeat("k", 32), "SENDA_PUBLIC_URL": "https://senda.example.org",
	}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	const account = "AC00000000000000000000000000000001"
	cases := []struct {
		name    string
		env     map[string]string
		erase   bool
		problem string // in Validate's error; "" for valid
	}{
		{"development: off unless asked", with(nil, "TWILIO_ACCOUNT_SID", account, "TWILIO_AUTH_TOKEN", "t"), false, ""},
		{"development: on when asked", with(nil, "TWILIO_ACCOUNT_SID", account, "TWILIO_AUTH_TOKEN", "t", "SENDA_TWILIO_ERASE", "on"), true, ""},
		{"production without the account: off", prod, false, ""},
		{"production with credentials: on", with(prod, "TWILIO_ACCOUNT_SID", account), true, ""},
		{"production with an API key: on", with(prod, "TWILIO_ACCOUNT_SID", account, "TWILIO_API_KEY", "SK1", "TWILIO_API_SECRET", "s"), true, ""},
		{"production, off", with(prod, "TWILIO_ACCOUNT_SID", account, "SENDA_TWILIO_ERASE", "OFF"), false, ""},
		{"on without credentials", with(prod, "SENDA_TWILIO_ERASE", "on"), true, "SENDA_TWILIO_ERASE=on deletes messages through Twilio's REST API, which needs TWILIO_ACCOUNT_SID"},
		{"rate out of range", with(prod, "TWILIO_ACCOUNT_SID", account, "SENDA_TWILIO_ERASE_RPS", "500"), true, "SENDA_TWILIO_ERASE_RPS=500: use between 0.1 and 100"},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.Erase != tt.erase {
				t.Errorf("Erase = %v, want %v", c.Erase, tt.erase)
			}
			err = c.Validate()
			switch {
			case tt.problem == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.problem != "" && (err == nil || !strings.Contains(err.Error(), tt.problem)):
				t.Errorf("Validate = %v, want %q", err, tt.problem)
			}
		})
	}
	if _, err := Load(env(map[string]string{"SENDA_TWILIO_ERASE": "maybe"})); err == nil || !strings.Contains(err.Error(), "use on or off") {
		t.Errorf("SENDA_TWILIO_ERASE=maybe: %v", err)
	}
}

func TestDurabilitySettings(t *testing.T) {
	t.Parallel()
	key := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	cases := []struct {
		env  map[string]string
		want string // in Validate's error; "" for none
	}{
		{map[string]string{"SENDA_SUBSCRIBER_KEY": key}, ""},
		{map[string]string{"SENDA_SUBSCRIBER_KEY": key, "SENDA_WAIT_REPLICAS": "1", "SENDA_OPTOUT_DIR": "/tmp/x", "SENDA_OPTOUT_DAYS": "30"}, ""},
		{map[string]string{"SENDA_SUBSCRIBER_KEY": key, "SENDA_WAIT_REPLICAS": "9"}, "SENDA_WAIT_REPLICAS=9"},
		{map[string]string{"SENDA_SUBSCRIBER_KEY": key, "SENDA_OPTOUT_DIR": "/tmp/x", "SENDA_OPTOUT_DAYS": "0"}, "SENDA_OPTOUT_DAYS"},
	}
	for _, c := range cases {
		cfg, err := Load(env(c.env))
		if err != nil {
			t.Fatalf("%v: %v", c.env, err)
		}
		err = cfg.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.env, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: %v, want %q", c.env, err, c.want)
		}
	}
	cfg, _ := Load(env(map[string]string{"SENDA_OPTOUT_DIR": "/tmp/x"}))
	if cfg.Broadcast.OptOutRetention != DefaultOptOutDays*24*time.Hour || cfg.Broadcast.OptOutDir != "/tmp/x" || cfg.Broadcast.WaitReplicas != 0 {
		t.Fatalf("defaults: %+v", cfg.Broadcast)
	}
}
