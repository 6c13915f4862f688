package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/adminapi/client"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/localtime"
)

// `senda broadcast send`: build the request from flags and files, create
// it once (idempotency key, one retry), then show or follow it.

// ---------------------------------------------------------------------------
// send

const sendAbout = `Sends a text to everyone subscribed to a topic, now or at a set time.

  senda broadcast send --topic salud --text "Jornada de salud el lunes 9:00 en el Centro de Salud"
  senda broadcast send --topic salud --text es="Jornada de salud..." --text en="Health day..."
  senda broadcast send --topic talleres --file es=aviso.txt --at "2026-12-01 09:00"
  senda broadcast send --topic salud --text "..." --at "lunes 9:00"

A --text or --file without a LANG= prefix is in --lang (default es); the pack's
default language (es in the default pack) is required, and subscribers whose
language has no text get that one. On SMS the text must fit in one message
with the "Senda" line before it (about 150 characters); the admin API says by
how much to shorten it. WhatsApp subscribers who have not written in the last
24 hours get the --template instead, or nothing ("no_template").

Every run sends an Idempotency-Key (random unless --idempotency-key is
given), and the request is tried once more after a network error: a broadcast
is never created twice by one command. To repeat a command safely after it
failed, give it the key it printed.
`

// sendFlags are the flags of send.
type sendFlags struct {
	topic, lang, template, at, idemKey *string
	urgent                             *bool
	texts, files, vars                 listFlag
	wait                               waitFlags
}

func addSendFlags(fs *flag.FlagSet) *sendFlags {
	f := &sendFlags{}
	f.topic = fs.String("topic", "", "the topic to send to, e.g. salud (senda broadcast topics lists them)")
	fs.Var(&f.texts, "text", "the message `[LANG=]TEXT`, once per language")
	fs.Var(&f.files, "file", "read the message from a file `[LANG=]PATH` (- for standard input), trimmed")
	f.lang = fs.String("lang", defaultSendLang, "the language of a --text or --file without a LANG= prefix")
	f.template = fs.String("template", "", "WhatsApp template (Content SID HX…) for people outside the 24-hour window")
	fs.Var(&f.vars, "var", "a template variable `N=VALUE`, once per variable: --var 1=lunes --var 2=9:00")
	f.at = fs.String("at", "", `send at this local time (SENDA_TIMEZONE): "2026-12-01 09:00", "30/11/2026 9:00", "lunes 9:00", "mañana 8:30" or RFC 3339; it says which date it understood (default: now)`)
	f.urgent = fs.Bool("urgent", false, "may go out during quiet hours (WhatsApp only; SMS still waits)")
	f.idemKey = fs.String("idempotency-key", "", "reuse the key of an earlier attempt, so the broadcast is created once (default: a new random key)")
	f.wait = addWaitFlags(fs)
	return f
}

func broadcastSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("send", "send --topic TOPIC --text TEXT [flags]", sendAbout, stderr)
	f := addSendFlags(s.fs)
	if _, err := s.parse(args, 0); err != nil {
		return err
	}
	if err := f.wait.check(s); err != nil {
		return err
	}
	loc, err := clientZone(getenv)
	if err != nil {
		return fail(stderr, err)
	}
	req, err := f.request(s, stdin, loc, time.Now())
	if err != nil {
		return err
	}
	key := *f.idemKey
	if key == "" {
		key = randomKey()
	}
	c, _, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	created, raw, replayed, err := createOnce(ctx, c, req, key, stderr)
	if err != nil {
		return err
	}
	st := created.Broadcast
	if replayed {
		fmt.Fprintf(stderr, "senda broadcast: idempotency key %q was already used in the last 24 hours: this is the broadcast it created then, and nothing new was sent\n", key)
	}
	switch {
	case !*f.wait.wait && *s.asJSON:
		writeJSON(stdout, raw)
		return nil
	case !*f.wait.wait:
		printCreated(stdout, st, replayed, loc)
		return nil
	case !*s.asJSON:
		fmt.Fprintf(stderr, "Broadcast %s: topic %s, %s, %s.\n", st.ID, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st, loc))
	}
	return follow(ctx, c, loc, st, raw, f.wait, *s.asJSON, stdout, stderr)
}

// createOnce creates the broadcast, trying once more after a temporary
// error: the idempotency key keeps it from being created twice. A failure
// is reported, with the key to try again with when the outcome is unknown.
func createOnce(ctx context.Context, c *client.Client, req adminapi.BroadcastRequest, key string, stderr io.Writer) (adminapi.Created, []byte, bool, error) {
	created, raw, replayed, err := c.Create(ctx, req, key)
	if err != nil && client.Temporary(err) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "senda broadcast: %v\nTrying once more (the idempotency key keeps it from being sent twice)...\n", err)
		if sleepCtx(ctx, time.Second) {
			created, raw, replayed, err = c.Create(ctx, req, key)
		} else {
			err = ctx.Err()
		}
	}
	if err != nil {
		failed := fail(stderr, err)
		if client.Temporary(err) || errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "The broadcast may or may not have been created: senda broadcast list shows it. To try again without sending twice, run the same command with --idempotency-key %s (within 24 hours).\n", key)
		}
		return created, raw, replayed, failed
	}
	return created, raw, replayed, nil
}

// printCreated says what was created and how to follow it.
func printCreated(w io.Writer, st adminapi.Broadcast, replayed bool, loc *time.Location) {
	verb := "created"
	if replayed {
		verb = "already created"
	}
	fmt.Fprintf(w, "Broadcast %s %s: topic %s, %s, %s.\n", st.ID, verb, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st, loc))
	if !st.Settled() {
		fmt.Fprintf(w, "Follow it with: senda broadcast status %s --wait\n", st.ID)
	}
}

// request builds the admin API request from the flags; a mistake is a
// usage error, reported. --at is read in loc at now.
func (f *sendFlags) request(s *subcommand, stdin io.Reader, loc *time.Location, now time.Time) (adminapi.BroadcastRequest, error) {
	if *f.topic == "" {
		return adminapi.BroadcastRequest{}, s.usageError("--topic is required (senda broadcast topics lists the topics)")
	}
	if !langPattern.MatchString(*f.lang) {
		return adminapi.BroadcastRequest{}, s.usageError("--lang %q is not a language code like es, en or cak", *f.lang)
	}
	req := adminapi.BroadcastRequest{Topic: *f.topic, Urgent: *f.urgent}
	if strings.TrimSpace(*f.at) != "" {
		at, understood, err := parseAt(*f.at, now, loc)
		if err != nil {
			return req, s.usageError("--at: %v", err)
		}
		fmt.Fprintln(s.stderr, understood)
		req.SendAt = at
	}
	text, err := f.messages(s, stdin)
	if err != nil {
		return req, err
	}
	req.Text = text
	if req.Template, err = f.whatsappTemplate(s); err != nil {
		return req, err
	}
	return req, nil
}

// messages collects the --text and --file messages by language.
func (f *sendFlags) messages(s *subcommand, stdin io.Reader) (map[string]string, error) {
	text := map[string]string{}
	add := func(l, t, from string) error {
		if _, dup := text[l]; dup {
			return s.usageError("the %s text is given twice (%s); give one --text or --file per language", l, from)
		}
		if t == "" {
			return s.usageError("the %s text is empty (%s)", l, from)
		}
		text[l] = t
		return nil
	}
	for _, v := range f.texts {
		l, t := splitLang(v, *f.lang)
		if err := add(l, strings.TrimSpace(t), "--text"); err != nil {
			return nil, err
		}
	}
	stdinUsed := false
	for _, v := range f.files {
		l, path := splitLang(v, *f.lang)
		if path == "-" {
			if stdinUsed {
				return nil, s.usageError("only one --file can read standard input")
			}
			stdinUsed = true
		}
		t, err := readTextFile(path, stdin)
		if err != nil {
			return nil, s.usageError("--file %s: %v", v, err)
		}
		if err := add(l, t, "--file "+path); err != nil {
			return nil, err
		}
	}
	if len(text) == 0 {
		return nil, s.usageError("give the message with --text or --file")
	}
	return text, nil
}

// whatsappTemplate builds the WhatsApp template from --template and --var.
func (f *sendFlags) whatsappTemplate(s *subcommand) (*adminapi.Template, error) {
	if *f.template == "" {
		if len(f.vars) > 0 {
			return nil, s.usageError("--var needs --template: variables fill in a WhatsApp template")
		}
		return nil, nil
	}
	t := &adminapi.Template{ContentSID: strings.TrimSpace(*f.template)}
	for _, v := range f.vars {
		k, val, ok := strings.Cut(v, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, s.usageError("--var %q: write it as N=VALUE, e.g. --var 1=lunes", v)
		}
		if t.Variables == nil {
			t.Variables = map[string]string{}
		}
		if _, dup := t.Variables[k]; dup {
			return nil, s.usageError("--var %s is given twice", k)
		}
		t.Variables[k] = val
	}
	return t, nil
}

// langPattern is a content pack's language code (content/load.go).
var langPattern = regexp.MustCompile(`^[a-z]{2,8}$`)

// splitLang splits "en=Health day" into its language and text. Without a
// language code before the first "=" it is all text, in def.
func splitLang(v, def string) (string, string) {
	if l, rest, ok := strings.Cut(v, "="); ok && langPattern.MatchString(l) {
		return l, rest
	}
	return def, v
}

func readTextFile(path string, stdin io.Reader) (string, error) {
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxTextFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxTextFile {
		return "", fmt.Errorf("longer than %d KiB; a broadcast is one short message", maxTextFile>>10)
	}
	return strings.TrimSpace(string(b)), nil
}

// parseAt reads --at as staff write it, in loc (SENDA_TIMEZONE): "2026-11-30
// 09:00", "30/11/2026 9:00", "lunes 9:00", "mañana 8:30" or RFC 3339. It
// returns the time for the admin API (RFC 3339) and a sentence, Spanish
// first, saying which date it understood.
func parseAt(at string, now time.Time, loc *time.Location) (string, string, error) {
	t, sentence, err := localtime.Parse(at, now, loc)
	if err != nil {
		return "", "", err
	}
	return t.Format(time.RFC3339), sentence + " / Understood: " + localTime(t, loc) + ".", nil
}

// clientZone is SENDA_TIMEZONE for commands that have not built a client yet.
func clientZone(getenv config.Lookup) (*time.Location, error) {
	cfg, err := config.LoadClient(getenv)
	if err != nil {
		return nil, err
	}
	return cfg.Location()
}

func randomKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
