package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/senda-org/senda/bot/adminapi"
	"github.com/senda-org/senda/bot/adminapi/client"
	"github.com/senda-org/senda/bot/config"
)

// `senda broadcast send`: build the request from flags and files, create
// it once (idempotency key, one retry), then show or follow it.

// ---------------------------------------------------------------------------
// send

const sendAbout = `Sends a text to everyone subscribed to a topic, now or at a set time.

  senda broadcast send --topic salud --text "Jornada de salud el lunes 9:00 en el Centro de Salud"
  senda broadcast send --topic salud --text es="Jornada de salud..." --text en="Health day..."
  senda broadcast send --topic talleres --file es=aviso.txt --at 2026-12-01T09:00:00-06:00

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

func broadcastSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	s := newSubcommand("send", "send --topic TOPIC --text TEXT [flags]", sendAbout, stderr)
	fs := s.fs
	topic := fs.String("topic", "", "the topic to send to, e.g. salud (senda broadcast topics lists them)")
	var texts, files, vars listFlag
	fs.Var(&texts, "text", "the message `[LANG=]TEXT`, once per language")
	fs.Var(&files, "file", "read the message from a file `[LANG=]PATH` (- for standard input), trimmed")
	lang := fs.String("lang", defaultSendLang, "the language of a --text or --file without a LANG= prefix")
	template := fs.String("template", "", "WhatsApp template (Content SID HX…) for people outside the 24-hour window")
	fs.Var(&vars, "var", "a template variable `N=VALUE`, once per variable: --var 1=lunes --var 2=9:00")
	at := fs.String("at", "", "send at this time, RFC 3339 with its UTC offset, e.g. 2026-12-01T09:00:00-06:00 (default: now)")
	urgent := fs.Bool("urgent", false, "may go out during quiet hours (WhatsApp only; SMS still waits)")
	idemKey := fs.String("idempotency-key", "", "reuse the key of an earlier attempt, so the broadcast is created once (default: a new random key)")
	wf := addWaitFlags(fs)
	if _, err := s.parse(args, 0); err != nil {
		return err
	}
	if err := wf.check(s); err != nil {
		return err
	}
	if *topic == "" {
		return s.usageError("--topic is required (senda broadcast topics lists the topics)")
	}
	if !langPattern.MatchString(*lang) {
		return s.usageError("--lang %q is not a language code like es, en or cak", *lang)
	}
	req := adminapi.BroadcastRequest{Topic: *topic, Text: map[string]string{}, SendAt: *at, Urgent: *urgent}
	add := func(l, text, from string) error {
		if _, dup := req.Text[l]; dup {
			return fmt.Errorf("the %s text is given twice (%s); give one --text or --file per language", l, from)
		}
		if text == "" {
			return fmt.Errorf("the %s text is empty (%s)", l, from)
		}
		req.Text[l] = text
		return nil
	}
	for _, v := range texts {
		l, text := splitLang(v, *lang)
		if err := add(l, strings.TrimSpace(text), "--text"); err != nil {
			return s.usageError("%v", err)
		}
	}
	stdinUsed := false
	for _, v := range files {
		l, path := splitLang(v, *lang)
		if path == "-" {
			if stdinUsed {
				return s.usageError("only one --file can read standard input")
			}
			stdinUsed = true
		}
		text, err := readTextFile(path, stdin)
		if err != nil {
			return s.usageError("--file %s: %v", v, err)
		}
		if err := add(l, text, "--file "+path); err != nil {
			return s.usageError("%v", err)
		}
	}
	if len(req.Text) == 0 {
		return s.usageError("give the message with --text or --file")
	}
	if *template != "" {
		req.Template = &adminapi.Template{ContentSID: strings.TrimSpace(*template)}
		for _, v := range vars {
			k, val, ok := strings.Cut(v, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return s.usageError("--var %q: write it as N=VALUE, e.g. --var 1=lunes", v)
			}
			if req.Template.Variables == nil {
				req.Template.Variables = map[string]string{}
			}
			if _, dup := req.Template.Variables[k]; dup {
				return s.usageError("--var %s is given twice", k)
			}
			req.Template.Variables[k] = val
		}
	} else if len(vars) > 0 {
		return s.usageError("--var needs --template: variables fill in a WhatsApp template")
	}
	key := *idemKey
	if key == "" {
		key = randomKey()
	}

	c, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
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
		return failed
	}
	st := created.Broadcast
	if replayed {
		fmt.Fprintf(stderr, "senda broadcast: idempotency key %q was already used in the last 24 hours: this is the broadcast it created then, and nothing new was sent\n", key)
	}
	if !*wf.wait {
		if *s.asJSON {
			writeJSON(stdout, raw)
			return nil
		}
		verb := "created"
		if replayed {
			verb = "already created"
		}
		fmt.Fprintf(stdout, "Broadcast %s %s: topic %s, %s, %s.\n", st.ID, verb, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st))
		if !st.Settled() {
			fmt.Fprintf(stdout, "Follow it with: senda broadcast status %s --wait\n", st.ID)
		}
		return nil
	}
	if !*s.asJSON {
		fmt.Fprintf(stderr, "Broadcast %s: topic %s, %s, %s.\n", st.ID, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st))
	}
	return follow(ctx, c, st, raw, wf, *s.asJSON, stdout, stderr)
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

func randomKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
