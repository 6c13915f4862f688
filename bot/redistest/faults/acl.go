package faults

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Denial is a Redis user on a private server that may run every command
// but the denied ones, also on connections opened before the denial. Redis 7
// refuses a denied command with "NOPERM ..." when called directly, with
// "ERR The user executing the script can't run this command ..." when a Lua
// script calls it, and with EXECABORT for a MULTI/EXEC that queued it.
type Denial struct {
	s        *Server
	User     string // the ACL user name
	password string
	denied   []string
}

// Deny creates a user on s that is denied the given commands (e.g. "hdel",
// "srem", "evalsha", or "client|kill") and allowed everything else.
// The user's connections keep working while Lift and Apply switch the
// denial off and on. HELLO and AUTH cannot be denied: clients need them to
// log in.
func (s *Server) Deny(commands ...string) (*Denial, error) {
	if len(commands) == 0 {
		return nil, fmt.Errorf("deny: no commands given")
	}
	for _, c := range commands {
		if strings.ContainsAny(c, " \t\r\n") || c == "" {
			return nil, fmt.Errorf("deny: %q is not a command name", c)
		}
		switch strings.ToLower(c) {
		case "hello", "auth":
			return nil, fmt.Errorf("deny: %s is needed to log in and cannot be denied", c)
		}
	}
	d := &Denial{s: s, User: "senda-fault-" + randomHex(4), password: randomHex(16), denied: commands}
	if err := d.Apply(); err != nil {
		return nil, err
	}
	return d, nil
}

// Options returns client options that log in as the restricted user.
func (d *Denial) Options() *redis.Options {
	o := d.s.Options()
	o.Username, o.Password = d.User, d.password
	return o
}

// NewClient returns a client logged in as the restricted user, closed when
// the test ends.
func (d *Denial) NewClient() *redis.Client {
	c := redis.NewClient(d.Options())
	d.s.t.Cleanup(func() { c.Close() })
	return c
}

// Apply denies the commands (again): what Deny did.
func (d *Denial) Apply() error {
	rules := []any{"ACL", "SETUSER", d.User, "on", ">" + d.password, "~*", "&*", "+@all"}
	for _, c := range d.denied {
		rules = append(rules, "-"+strings.ToLower(c))
	}
	if err := d.admin(rules...); err != nil {
		return fmt.Errorf("deny %s to %s: %w", strings.Join(d.denied, " "), d.User, err)
	}
	return nil
}

// Lift allows the denied commands again; open connections keep working.
func (d *Denial) Lift() error {
	if err := d.admin("ACL", "SETUSER", d.User, "+@all"); err != nil {
		return fmt.Errorf("lift denial of %s for %s: %w", strings.Join(d.denied, " "), d.User, err)
	}
	return nil
}

// admin runs one command as the server's default user.
func (d *Denial) admin(args ...any) error {
	c := redis.NewClient(d.s.Options())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.Do(ctx, args...).Err()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
