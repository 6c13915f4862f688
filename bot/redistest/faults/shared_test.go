package faults

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/senda-org/senda/bot/config/osenv"
	"github.com/senda-org/senda/bot/redistest"
)

// TestMain checks that nothing this package does touches the shared test
// server: it has the same process, configuration and users after every
// test as before.
func TestMain(m *testing.M) {
	c := sharedClient()
	var before string
	if c != nil {
		var err error
		if before, err = sharedState(c); err != nil {
			fmt.Fprintf(os.Stderr, "faults: read the shared server's state: %v\n", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	if c != nil {
		after, err := sharedState(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "faults: the shared server does not answer after the tests: %v\n", err)
			code = 1
		} else if after != before {
			fmt.Fprintf(os.Stderr, "faults: the tests changed the shared server:\nbefore: %s\nafter:  %s\n", before, after)
			code = 1
		}
		c.Close()
	}
	os.Exit(code)
}

// sharedClient returns a client of the real shared server, or nil when the
// tests run without one.
func sharedClient() *redis.Client {
	u := osenv.Get(redistest.EnvURL)
	if u == "embedded" {
		return nil
	}
	if u == "" {
		u = redistest.DefaultURL
	}
	opts, err := redis.ParseURL(u)
	if err != nil {
		return nil
	}
	c := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if c.Ping(ctx).Err() != nil {
		c.Close()
		return nil
	}
	return c
}

// sharedState describes what a fault test could change on the shared
// server by mistake: its process (kill, restart, shutdown), persistence and
// memory settings, and users. It only reads.
func sharedState(c *redis.Client) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	f := infoFields(info)
	cfg, err := c.ConfigGet(ctx, "*").Result()
	if err != nil {
		return "", err
	}
	var conf []string
	for _, k := range []string{"appendonly", "save", "maxmemory", "maxmemory-policy", "requirepass", "port", "dir"} {
		conf = append(conf, k+"="+cfg[k])
	}
	users, err := c.Do(ctx, "ACL", "USERS").StringSlice()
	if err != nil {
		return "", err
	}
	slices.Sort(users)
	return fmt.Sprintf("run_id=%s pid=%s %s users=%v", f["run_id"], f["process_id"], strings.Join(conf, " "), users), nil
}

// Private servers never take the shared server's port, and what is done to
// them (writes, ACL users) never shows on the shared server.
func TestPrivateServerIsNotShared(t *testing.T) {
	ctx := context.Background()
	shared, prefix := redistest.Client(t)
	s := StartServer(t, ServerOptions{})
	if s.Port() == sharedPort() || s.Port() == 0 {
		t.Fatalf("private server on port %d, shared on %d", s.Port(), sharedPort())
	}
	if _, err := newProc(t.TempDir(), sharedPort(), "", nil); err == nil {
		t.Fatal("a private server may be configured on the shared port")
	}
	ports, err := freePorts(50)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(ports, sharedPort()) {
		t.Fatalf("freePorts returned the shared port %d", sharedPort())
	}
	marker := prefix + "private-" + strconv.Itoa(s.Port())
	if err := s.NewClient().Set(ctx, marker, "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n := shared.Exists(ctx, marker).Val(); n != 0 {
		t.Fatalf("a write to the private server shows on the shared one")
	}
	d, err := s.Deny("hdel")
	if err != nil {
		t.Fatal(err)
	}
	if !redistest.Embedded() {
		users, err := shared.Do(ctx, "ACL", "USERS").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(users, d.User) {
			t.Fatalf("ACL user %s made on the private server exists on the shared one", d.User)
		}
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := shared.Ping(ctx).Err(); err != nil {
		t.Fatalf("the shared server stopped answering when a private one was killed: %v", err)
	}
}
