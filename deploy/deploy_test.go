package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/senda-org/senda/bot/config"
)

// compose is the part of a Compose file these tests look at.
type compose struct {
	Services map[string]service `yaml:"services"`
	Secrets  map[string]struct {
		File        string `yaml:"file"`
		Environment string `yaml:"environment"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	User        string            `yaml:"user"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Secrets     []string          `yaml:"secrets"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	ReadOnly    bool              `yaml:"read_only"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"senda", "redis", "caddy"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("compose.yaml: no service %q", name)
		}
	}
	return c
}

func TestComposeRedisIsDurableAndHasAPassword(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	redis := c.Services["redis"]
	cmd := strings.Join(redis.Command, " ")
	for _, want := range []string{
		"--appendonly yes",                    // every write in the AOF: opt-outs survive a restart
		"--maxmemory-policy noeviction",       // never drop a subscription or an opt-out to make room
		"--maxmemory ",                        // ... which applies only under a memory limit
		"requirepass",                         // a password ...
		"$$(cat /run/secrets/redis_password)", // ... read from the secret file, not written here
	} {
		if !strings.Contains(cmd, want) {
			t.Errorf("redis command lacks %q:\n%s", want, cmd)
		}
	}
	if strings.Contains(cmd, "--requirepass") {
		t.Errorf("redis command passes the password as an argument (visible in ps): %s", cmd)
	}
	if !slices.Contains(redis.Secrets, "redis_password") {
		t.Errorf("redis does not mount the redis_password secret: %v", redis.Secrets)
	}
	if !slices.ContainsFunc(redis.Volumes, func(v string) bool {
		return strings.HasSuffix(v, ":/data") && !strings.HasPrefix(v, ".") && !strings.HasPrefix(v, "/")
	}) {
		t.Errorf("redis /data is not a named volume: %v", redis.Volumes)
	}
	if len(redis.Ports) != 0 {
		t.Errorf("redis publishes ports %v: it must be reachable only by Senda", redis.Ports)
	}
}

func TestComposeServices(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for name, s := range c.Services {
		t.Run(name, func(t *testing.T) {
			if len(s.Healthcheck.Test) == 0 || s.Healthcheck.Test[0] == "NONE" {
				t.Errorf("%s has no health check", name)
			}
			for _, sec := range s.Secrets {
				if c.Secrets[sec].File == "" {
					t.Errorf("%s: secret %s is not read from a file", name, sec)
				}
			}
		})
	}

	senda := c.Services["senda"]
	if u := senda.User; u == "" || u == "0" || u == "root" || strings.HasPrefix(u, "0:") {
		t.Errorf("senda runs as %q; want a non-root user", u)
	}
	if redisUser := c.Services["redis"].User; redisUser == "" || redisUser == "root" || redisUser == "0" {
		t.Errorf("redis runs as %q; want a non-root user", redisUser)
	}
	if !senda.ReadOnly {
		t.Error("senda's root filesystem is writable: Senda writes only its opt-out journal, to a volume")
	}
	if got := senda.Healthcheck.Test; !slices.Contains(got, "healthcheck") {
		t.Errorf("senda's health check %v does not run `senda healthcheck`", got)
	}
	for _, p := range senda.Ports {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("senda publishes %q beyond the host's loopback: /metrics would be reachable", p)
		}
	}
	// Every secret Senda reads comes from a file: NAME empty, NAME_FILE a mounted secret.
	for _, s := range config.Settings() {
		if !s.Secret || s.Client {
			continue
		}
		name := s.Name
		v, set := senda.Environment[name]
		if !set || v != "" {
			t.Errorf("senda: %s must be set empty so that senda.env cannot give it (got %q, set %v)", name, v, set)
		}
		path := senda.Environment[name+"_FILE"]
		sec, ok := strings.CutPrefix(path, "/run/secrets/")
		if !ok || !slices.Contains(senda.Secrets, sec) {
			t.Errorf("senda: %s_FILE=%q is not a mounted secret (%v)", name, path, senda.Secrets)
		}
	}
	if senda.Environment["SENDA_ENV"] != "production" {
		t.Errorf("senda: SENDA_ENV=%q, want production", senda.Environment["SENDA_ENV"])
	}

	caddy := c.Services["caddy"]
	if !slices.Contains(caddy.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy does not use deploy/Caddyfile: %v", caddy.Volumes)
	}
	for _, v := range caddy.Volumes {
		if strings.HasSuffix(v, ":/data") && (strings.HasPrefix(v, ".") || strings.HasPrefix(v, "/")) {
			t.Errorf("caddy's certificates are not in a named volume: %s", v)
		}
	}
}

// TestMakeSecrets runs deploy/make-secrets.sh in a copy of the folder: it
// creates every secret file compose.yaml names, and the Redis URL carries the
// Redis password.
func TestMakeSecrets(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	c := loadCompose(t)
	dir := t.TempDir()
	script, err := os.ReadFile("make-secrets.sh")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "make-secrets.sh"), script, 0o755)
	for range 2 { // the second run must keep what the first made
		if out, err := exec.Command("bash", filepath.Join(dir, "make-secrets.sh")).CombinedOutput(); err != nil {
			t.Fatalf("make-secrets.sh: %v\n%s", err, out)
		}
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	for name, s := range c.Secrets {
		if _, err := os.Stat(filepath.Join(dir, s.File)); err != nil {
			t.Errorf("secret %s: %v", name, err)
		}
	}
	if pw, url := read("redis_password"), read("redis_url"); len(pw) < 32 || url != "redis://:"+pw+"@redis:6379/0" {
		t.Errorf("redis_url %q does not carry redis_password %q", url, pw)
	}
	if fi, err := os.Stat(filepath.Join(dir, "secrets")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("secrets folder: %v, mode %v; want 0700", err, fi.Mode().Perm())
	}
}

// TestCaddyfilesNeverExposeMetrics reads every Caddyfile under deploy/: only
// the public paths are proxied, everything else is answered 404.
func TestCaddyfilesNeverExposeMetrics(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("Caddyfile*")
	more, _ := filepath.Glob("*/Caddyfile*")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no Caddyfile in deploy/")
	}
	want := []string{"/admin", "/admin/*", "/healthz", "/twilio/*"}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			lines := caddyLines(t, f)
			var matcher []string
			proxies, inPublic, catchAll := 0, false, false
			depth := 0
			for _, l := range lines {
				if strings.Contains(l, "/metrics") || strings.Contains(l, "/readyz") {
					t.Errorf("%s exposes an internal path: %s", f, l)
				}
				fields := strings.Fields(l)
				switch {
				case len(fields) > 2 && fields[0] == "@public" && fields[1] == "path":
					matcher = fields[2:]
				case l == "handle @public {":
					inPublic = true
				case l == "handle {":
					catchAll = true
				case strings.HasPrefix(l, "reverse_proxy"):
					proxies++
					if !inPublic {
						t.Errorf("%s proxies outside `handle @public`: %s", f, l)
					}
				}
				depth += strings.Count(l, "{") - strings.Count(l, "}")
				if inPublic && depth == 1 {
					inPublic = false
				}
			}
			slices.Sort(matcher)
			if !slices.Equal(matcher, want) {
				t.Errorf("%s: @public paths %v, want exactly %v", f, matcher, want)
			}
			if proxies == 0 || !catchAll {
				t.Errorf("%s: want a reverse_proxy in handle @public and a catch-all handle (proxies %d, catch-all %v)", f, proxies, catchAll)
			}
		})
	}
}

// caddyLines returns a Caddyfile's lines, trimmed, without comments and blanks.
func caddyLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if i := strings.Index(l, "#"); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// TestDockerfileFinalStage checks that the image holds only the static
// binary, certificates and a user: FROM scratch, no RUN (there is no shell),
// a non-root USER, exec-form ENTRYPOINT and HEALTHCHECK.
func TestDockerfileFinalStage(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(strings.ToUpper(l), "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], l)
		}
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage Dockerfile, got %d stages", len(stages))
	}
	build, final := strings.Join(stages[0], "\n"), stages[len(stages)-1]
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X github.com/senda-org/senda/bot/buildinfo.version="} {
		if !strings.Contains(build, want) {
			t.Errorf("build stage lacks %q", want)
		}
	}
	if final[0] != "FROM scratch" {
		t.Errorf("final stage starts %q, want FROM scratch", final[0])
	}
	var user, entry, health string
	for _, l := range final[1:] {
		instr, rest, _ := strings.Cut(l, " ")
		switch strings.ToUpper(instr) {
		case "RUN", "SHELL":
			t.Errorf("final stage has %q: there is no shell in it", l)
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entry = rest
		case "HEALTHCHECK":
			health = rest
		case "COPY":
			if !strings.HasPrefix(rest, "--from=") {
				t.Errorf("final stage copies from the build context: %q", l)
			}
		}
	}
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
		t.Errorf("final stage USER %q, want a non-root user", user)
	}
	if !strings.HasPrefix(entry, "[") {
		t.Errorf("ENTRYPOINT %q is not in exec form (shell form needs /bin/sh)", entry)
	}
	if !strings.Contains(health, `CMD ["`) || !strings.Contains(health, `"healthcheck"`) {
		t.Errorf("HEALTHCHECK %q: want exec form running `senda healthcheck`", health)
	}
}

// TestAlertRules checks that the example rules parse and name what
// docs/OPERATIONS.md promises.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert  string            `yaml:"alert"`
				Expr   string            `yaml:"expr"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	got := map[string]string{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Expr == "" || r.Labels["severity"] == "" {
				t.Errorf("alert %s: needs an expr and a severity", r.Alert)
			}
			got[r.Alert] = r.Expr
		}
	}
	for alert, metric := range map[string]string{
		"SendaNotReady":                 `job="senda-readyz"`,
		"SendaWebhookErrors":            "senda_webhook_errors_total",
		"SendaBroadcastFailures":        "senda_broadcast_messages_total",
		"SendaTwilioCannotReachWebhook": `job="senda-public"`,
		"SendaEraseFailures":            "senda_erase_total",
	} {
		if !strings.Contains(got[alert], metric) {
			t.Errorf("alert %s missing or not on %s: %q", alert, metric, got[alert])
		}
	}
	p, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var prom map[string]any
	if err := yaml.Unmarshal(p, &prom); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
}
