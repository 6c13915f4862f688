package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/senda-org/senda/bot"
	"github.com/senda-org/senda/bot/broadcast"
	"github.com/senda-org/senda/bot/twilio"
)

// `senda broadcast` is a thin client of the admin API of a running `senda
// serve`: it builds requests, shows answers, and keeps nothing.

const broadcastEnvHelp = `Environment:
  SENDA_ADMIN_URL         the admin API's base URL, where senda serve listens
                          (default ` + defaultAdminURL + `); --admin-url overrides it
  SENDA_ADMIN_TOKEN       a token from the server's SENDA_ADMIN_TOKENS. Only from the
                          environment: a command line is visible to every user
  SENDA_ADMIN_TOKEN_FILE  or the path of a file whose content is the token
`

const broadcastUsage = `Usage: senda broadcast COMMAND [flags]

Sends updates to the people who opted in to a topic (ALTA), and follows them,
through the admin API of a running senda serve.

Commands:
  send       send or schedule a broadcast to a topic
  list       the latest broadcasts and their figures
  status ID  one broadcast: figures, why messages were not sent, what waits
  cancel ID  stop a broadcast; what was sent stays sent
  topics     the topics people can subscribe to, with subscriber counts

` + broadcastEnvHelp + `
Run "senda broadcast COMMAND -h" for a command's flags. See docs/BROADCASTS.md.
`

const (
	defaultAdminURL = "http://localhost:8080"
	// adminRequestTimeout bounds one request to the admin API. Creating a
	// broadcast fans it out before answering, which for many thousands of
	// subscribers takes a few seconds.
	adminRequestTimeout = 30 * time.Second
	// maxAdminAnswer bounds what is read of an answer (a list of 100
	// broadcasts is about 50 KiB).
	maxAdminAnswer = 4 << 20
	// maxTextFile bounds a --file; the admin API takes 64 KiB bodies.
	maxTextFile = 64 << 10
	// waitGiveUp is how long --wait keeps polling an admin API it cannot
	// reach before it gives up.
	waitGiveUp = time.Minute
	// progressEvery is how often --wait prints a line when stderr is not a
	// terminal (a log, a CI job).
	progressEvery = 10 * time.Second
	// defaultSendLang is the language of a --text or --file without a
	// "lang=" prefix: the default pack's default language.
	defaultSendLang = "es"
)

func runBroadcast(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv bot.Getenv) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, broadcastUsage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "send":
		return broadcastSend(ctx, rest, stdin, stdout, stderr, getenv)
	case "list":
		return broadcastList(ctx, rest, stdout, stderr, getenv)
	case "status":
		return broadcastStatus(ctx, rest, stdout, stderr, getenv)
	case "cancel":
		return broadcastCancel(ctx, rest, stdout, stderr, getenv)
	case "topics":
		return broadcastTopics(ctx, rest, stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, broadcastUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "senda broadcast: unknown command %q\n\n%s", cmd, broadcastUsage)
	return exitUsage
}

// ---------------------------------------------------------------------------
// Flags

// subcommand is a broadcast subcommand's flag set and the flags they share.
type subcommand struct {
	fs       *flag.FlagSet
	adminURL *string
	asJSON   *bool
	stderr   io.Writer
}

func newSubcommand(name, synopsis, about string, stderr io.Writer) *subcommand {
	fs := flag.NewFlagSet("broadcast "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &subcommand{fs: fs, stderr: stderr}
	s.adminURL = fs.String("admin-url", "", "the admin API's base URL (SENDA_ADMIN_URL, default "+defaultAdminURL+")")
	s.asJSON = fs.Bool("json", false, "print the admin API's JSON answer as it is")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: senda broadcast %s\n\n%s\n%s\nFlags:\n", synopsis, about, broadcastEnvHelp)
		fs.PrintDefaults()
	}
	return s
}

// parse parses flags wherever they are among the arguments (so `status ID
// --wait` works as well as `status --wait ID`) and checks the number of
// positional arguments. It returns the exit code to end with, or -1.
func (s *subcommand) parse(args []string, positional int) ([]string, int) {
	var pos []string
	for {
		if err := s.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK
			}
			return nil, exitUsage
		}
		if s.fs.NArg() == 0 {
			break
		}
		// A "--" ends the flags: everything after it is positional.
		rest := s.fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != positional {
		switch {
		case positional == 0:
			fmt.Fprintf(s.stderr, "senda %s: unexpected argument %q (put a text with spaces in quotes)\n", s.fs.Name(), pos[0])
		case len(pos) == 0:
			fmt.Fprintf(s.stderr, "senda %s: give the broadcast id (senda broadcast list shows them)\n", s.fs.Name())
		default:
			fmt.Fprintf(s.stderr, "senda %s: give one broadcast id, not %d arguments\n", s.fs.Name(), len(pos))
		}
		s.fs.Usage()
		return nil, exitUsage
	}
	return pos, -1
}

// usageError reports a command line the user must fix.
func (s *subcommand) usageError(format string, args ...any) int {
	fmt.Fprintf(s.stderr, "senda %s: %s\n", s.fs.Name(), fmt.Sprintf(format, args...))
	return exitUsage
}

// listFlag collects a flag given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ", ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// waitFlags are the flags of commands that can follow a broadcast.
type waitFlags struct {
	wait     *bool
	interval *time.Duration
	timeout  *time.Duration
}

func addWaitFlags(fs *flag.FlagSet) waitFlags {
	return waitFlags{
		wait:     fs.Bool("wait", false, "follow the broadcast until it is done or cancelled (Ctrl-C stops watching; the broadcast goes on)"),
		interval: fs.Duration("interval", time.Second, "with --wait: how often to ask for the figures"),
		timeout:  fs.Duration("timeout", 0, "with --wait: stop watching after this long, and exit 1 if it is not done (default: no limit)"),
	}
}

func (w waitFlags) check(s *subcommand) int {
	if *w.interval < 100*time.Millisecond {
		return s.usageError("--interval %s is too short; use 100ms or more", *w.interval)
	}
	if *w.timeout < 0 {
		return s.usageError("--timeout must not be negative")
	}
	return -1
}

// ---------------------------------------------------------------------------
// The admin API client

// adminClient calls the admin API of a running senda serve.
type adminClient struct {
	base  string // scheme://host[:port][/prefix], without a trailing slash
	token string
	http  *http.Client
}

// newAdminClient reads the URL and the token. It fails, before any request,
// when either is missing or wrong.
func newAdminClient(getenv bot.Getenv, flagURL string, stderr io.Writer) (*adminClient, error) {
	raw := strings.TrimSpace(flagURL)
	source := "--admin-url"
	if raw == "" {
		raw, source = getenv.Plain()("SENDA_ADMIN_URL"), "SENDA_ADMIN_URL"
	}
	if raw == "" {
		raw, source = defaultAdminURL, "the default admin URL"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s %q is not a base URL like https://senda.example.org or http://localhost:8080", source, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s must not hold a user or password; the token goes in SENDA_ADMIN_TOKEN", source)
	}
	token, err := adminToken(getenv)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		fmt.Fprintf(stderr, "senda broadcast: warning: %s is plain http, so the admin token crosses the network unencrypted; use https\n", u.Redacted())
	}
	return &adminClient{
		base:  strings.TrimSuffix(u.String(), "/"),
		token: token,
		http: &http.Client{
			Timeout: adminRequestTimeout,
			// A redirect would turn a POST into a GET, or take the token to
			// another host: say where it points instead of following it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// adminToken reads SENDA_ADMIN_TOKEN, or the file SENDA_ADMIN_TOKEN_FILE
// names, as the server reads its secrets.
func adminToken(getenv bot.Getenv) (string, error) {
	get := getenv.Plain()
	token, path := get("SENDA_ADMIN_TOKEN"), get("SENDA_ADMIN_TOKEN_FILE")
	switch {
	case token != "" && path != "":
		return "", errors.New("both SENDA_ADMIN_TOKEN and SENDA_ADMIN_TOKEN_FILE are set: keep one")
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("SENDA_ADMIN_TOKEN_FILE: %w", err)
		}
		if token = strings.TrimSpace(string(b)); token == "" {
			return "", fmt.Errorf("SENDA_ADMIN_TOKEN_FILE: %s is empty", path)
		}
	case token == "":
		return "", errors.New("no admin token: set SENDA_ADMIN_TOKEN (or SENDA_ADMIN_TOKEN_FILE) to one of the tokens in the server's SENDA_ADMIN_TOKENS; the operator gives it to you")
	}
	if strings.ContainsAny(token, " \t\r\n") {
		return "", errors.New("the admin token has spaces or line breaks in it; check SENDA_ADMIN_TOKEN")
	}
	return token, nil
}

func loopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiError is an error answer of the admin API.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// connError means the admin API could not be reached, or did not answer.
type connError struct {
	base string
	err  error
}

func (e *connError) Error() string {
	var ne net.Error
	if errors.As(e.err, &ne) && ne.Timeout() {
		return fmt.Sprintf("no answer from the admin API at %s within %s. Is senda serve running there and healthy? Is SENDA_ADMIN_URL (or --admin-url) right?", e.base, adminRequestTimeout)
	}
	return fmt.Sprintf("cannot reach the admin API at %s (%v). Is senda serve running there? Is SENDA_ADMIN_URL (or --admin-url) right?", e.base, e.err)
}

func (e *connError) Unwrap() error { return e.err }

// answer is a successful answer.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call makes one request. Errors are *apiError, *connError, or the
// context's error when ctx ended first.
func (c *adminClient) call(ctx context.Context, method, path string, body []byte, header http.Header) (*answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	maps.Copy(req.Header, header)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "senda-cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// url.Error repeats the method and URL; keep what went wrong.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &connError{base: c.base, err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminAnswer))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connError{base: c.base, err: fmt.Errorf("reading the answer: %w", err)}
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, &apiError{status: resp.StatusCode, msg: fmt.Sprintf(
			"the admin API at %s redirects to %s; set SENDA_ADMIN_URL to the address it should be reached at",
			c.base, resp.Header.Get("Location"))}
	case resp.StatusCode >= 400:
		return nil, c.errorAnswer(resp, data)
	}
	if !json.Valid(data) {
		return nil, &apiError{status: resp.StatusCode, msg: fmt.Sprintf(
			"%s answered %s with something other than JSON; is SENDA_ADMIN_URL the address of senda serve?", c.base, path)}
	}
	return &answer{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// errorAnswer turns an error answer into an apiError with the API's own
// message, and a hint where the user's side needs fixing.
func (c *adminClient) errorAnswer(resp *http.Response, data []byte) *apiError {
	var body struct {
		Error string `json:"error"`
	}
	msg := ""
	if json.Unmarshal(data, &body) == nil && body.Error != "" {
		msg = body.Error
	} else {
		// Not Senda's JSON: a proxy, or something else at that address.
		msg = fmt.Sprintf("%s answered %s; is SENDA_ADMIN_URL the address of senda serve?", c.base, resp.Status)
	}
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		msg += " (check SENDA_ADMIN_TOKEN: it must be one of the tokens in the server's SENDA_ADMIN_TOKENS)"
	case http.StatusTooManyRequests:
		if ra := resp.Header.Get("Retry-After"); ra != "" && !strings.Contains(msg, "try again") {
			msg += " (try again in " + ra + " seconds)"
		}
	}
	return &apiError{status: resp.StatusCode, msg: msg}
}

// temporary reports whether a failed request is worth making again.
func temporary(err error) bool {
	var ce *connError
	var ae *apiError
	switch {
	case errors.As(err, &ce):
		return true
	case errors.As(err, &ae):
		return ae.status == http.StatusBadGateway || ae.status == http.StatusServiceUnavailable || ae.status == http.StatusGatewayTimeout
	}
	return false
}

// get fetches one broadcast's status.
func (c *adminClient) get(ctx context.Context, id string) (broadcast.Status, []byte, error) {
	a, err := c.call(ctx, http.MethodGet, "/admin/broadcasts/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return broadcast.Status{}, nil, err
	}
	st, err := decodeStatus(a.body)
	return st, a.body, err
}

func decodeStatus(data []byte) (broadcast.Status, error) {
	var st broadcast.Status
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("the admin API's answer is not a broadcast: %w", err)
	}
	return st, nil
}

// fail prints an error the way every broadcast command does and returns the
// exit code.
func fail(stderr io.Writer, err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "senda broadcast: interrupted")
	default:
		fmt.Fprintf(stderr, "senda broadcast: %v\n", err)
	}
	return exitError
}

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

func broadcastSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv bot.Getenv) int {
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
	if _, code := s.parse(args, 0); code >= 0 {
		return code
	}
	if code := wf.check(s); code >= 0 {
		return code
	}
	if *topic == "" {
		return s.usageError("--topic is required (senda broadcast topics lists the topics)")
	}
	if !langPattern.MatchString(*lang) {
		return s.usageError("--lang %q is not a language code like es, en or cak", *lang)
	}
	req := broadcast.Request{Topic: *topic, Text: map[string]string{}, SendAt: *at, Urgent: *urgent}
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
		req.Template = &broadcast.Template{ContentSID: strings.TrimSpace(*template)}
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

	client, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return fail(stderr, err)
	}
	header := http.Header{"Idempotency-Key": {key}}
	a, err := client.call(ctx, http.MethodPost, "/admin/broadcasts", body, header)
	if err != nil && temporary(err) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "senda broadcast: %v\nTrying once more (the idempotency key keeps it from being sent twice)...\n", err)
		if sleepCtx(ctx, time.Second) {
			a, err = client.call(ctx, http.MethodPost, "/admin/broadcasts", body, header)
		} else {
			err = ctx.Err()
		}
	}
	if err != nil {
		code := fail(stderr, err)
		if temporary(err) || errors.Is(err, context.Canceled) {
			fmt.Fprintf(stderr, "The broadcast may or may not have been created: senda broadcast list shows it. To try again without sending twice, run the same command with --idempotency-key %s (within 24 hours).\n", key)
		}
		return code
	}
	st, err := decodeStatus(a.body)
	if err != nil {
		return fail(stderr, err)
	}
	replayed := a.header.Get("Idempotent-Replayed") == "true"
	if replayed {
		fmt.Fprintf(stderr, "senda broadcast: idempotency key %q was already used in the last 24 hours: this is the broadcast it created then, and nothing new was sent\n", key)
	}
	if !*wf.wait {
		if *s.asJSON {
			writeJSON(stdout, a.body)
			return exitOK
		}
		verb := "created"
		if replayed {
			verb = "already created"
		}
		fmt.Fprintf(stdout, "Broadcast %s %s: topic %s, %s, %s.\n", st.ID, verb, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st))
		if !st.Settled() {
			fmt.Fprintf(stdout, "Follow it with: senda broadcast status %s --wait\n", st.ID)
		}
		return exitOK
	}
	if !*s.asJSON {
		fmt.Fprintf(stderr, "Broadcast %s: topic %s, %s, %s.\n", st.ID, st.Topic, plural(st.Recipients, "recipient"), stateSentence(st))
	}
	return client.follow(ctx, st, a.body, wf, *s.asJSON, stdout, stderr)
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

// ---------------------------------------------------------------------------
// list

func broadcastList(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	s := newSubcommand("list", "list [--limit N] [--json]", "Shows the latest broadcasts, newest first, with their figures (see senda broadcast status).", stderr)
	limit := s.fs.Int("limit", 20, "how many broadcasts to show, 1 to 100")
	if _, code := s.parse(args, 0); code >= 0 {
		return code
	}
	if *limit < 1 || *limit > 100 {
		return s.usageError("--limit must be from 1 to 100")
	}
	client, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	a, err := client.call(ctx, http.MethodGet, "/admin/broadcasts?limit="+strconv.Itoa(*limit), nil, nil)
	if err != nil {
		return fail(stderr, err)
	}
	if *s.asJSON {
		writeJSON(stdout, a.body)
		return exitOK
	}
	var list struct {
		Broadcasts []broadcast.Status `json:"broadcasts"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil {
		return fail(stderr, fmt.Errorf("the admin API's answer is not a list of broadcasts: %w", err))
	}
	if len(list.Broadcasts) == 0 {
		fmt.Fprintln(stdout, "No broadcasts yet. Send one with: senda broadcast send --topic TOPIC --text TEXT")
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTOPIC\tSTATE\tRECIPIENTS\tSENT\tDELIVERED\tFAILED\tSKIPPED\tCREATED")
	for _, b := range list.Broadcasts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", b.ID, b.Topic, b.State,
			b.Recipients, b.Sent, b.Delivered, b.Failed, b.Skipped, localTime(b.CreatedAt))
	}
	tw.Flush()
	return exitOK
}

// ---------------------------------------------------------------------------
// status

const statusAbout = `Shows one broadcast: its state, its figures, why messages were not sent or
not delivered, and what is waiting (for quiet hours to end, for tomorrow's
WhatsApp allowance, for a retry). With --wait, follows it until it is done.`

func broadcastStatus(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	s := newSubcommand("status", "status ID [--wait] [--json]", statusAbout, stderr)
	wf := addWaitFlags(s.fs)
	pos, code := s.parse(args, 1)
	if code >= 0 {
		return code
	}
	if code := wf.check(s); code >= 0 {
		return code
	}
	client, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	st, raw, err := client.get(ctx, pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	if *wf.wait && !st.Settled() {
		return client.follow(ctx, st, raw, wf, *s.asJSON, stdout, stderr)
	}
	if *s.asJSON {
		writeJSON(stdout, raw)
	} else {
		printStatus(stdout, st)
	}
	return exitOK
}

// ---------------------------------------------------------------------------
// cancel

func broadcastCancel(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	s := newSubcommand("cancel", "cancel ID [--json]", "Stops a broadcast: what was not sent yet will not be (counted as skipped, \"cancelled\").\nWhat was already sent cannot be called back.", stderr)
	pos, code := s.parse(args, 1)
	if code >= 0 {
		return code
	}
	client, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	a, err := client.call(ctx, http.MethodPost, "/admin/broadcasts/"+url.PathEscape(pos[0])+"/cancel", nil, nil)
	if err != nil {
		return fail(stderr, err)
	}
	if *s.asJSON {
		writeJSON(stdout, a.body)
		return exitOK
	}
	st, err := decodeStatus(a.body)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "Broadcast %s cancelled: %d of %s had been sent; the rest will not be.\n", st.ID, st.Sent, plural(st.Recipients, "recipient"))
	return exitOK
}

// ---------------------------------------------------------------------------
// topics

func broadcastTopics(ctx context.Context, args []string, stdout, stderr io.Writer, getenv bot.Getenv) int {
	s := newSubcommand("topics", "topics [--json]", "Lists the topics of the content pack (content/pack/topics.yaml) and how many people\nsubscribe to each.", stderr)
	if _, code := s.parse(args, 0); code >= 0 {
		return code
	}
	client, err := newAdminClient(getenv, *s.adminURL, stderr)
	if err != nil {
		return fail(stderr, err)
	}
	a, err := client.call(ctx, http.MethodGet, "/admin/topics", nil, nil)
	if err != nil {
		return fail(stderr, err)
	}
	if *s.asJSON {
		writeJSON(stdout, a.body)
		return exitOK
	}
	var list struct {
		Topics []struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Subscribers int64  `json:"subscribers"`
		} `json:"topics"`
	}
	if err := json.Unmarshal(a.body, &list); err != nil {
		return fail(stderr, fmt.Errorf("the admin API's answer is not a list of topics: %w", err))
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tNAME\tSUBSCRIBERS")
	for _, t := range list.Topics {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", t.ID, t.Name, t.Subscribers)
	}
	tw.Flush()
	return exitOK
}

// ---------------------------------------------------------------------------
// Following a broadcast (--wait)

// follow polls a broadcast until it settles, ctx ends (Ctrl-C: the figures
// so far, exit 0) or --timeout passes (the figures so far, exit 1). It
// draws a progress line on stderr: redrawn in place on a terminal, a line
// every progressEvery otherwise.
func (c *adminClient) follow(ctx context.Context, st broadcast.Status, raw []byte, wf waitFlags, asJSON bool, stdout, stderr io.Writer) int {
	wctx := ctx
	if *wf.timeout > 0 {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(ctx, *wf.timeout)
		defer cancel()
	}
	tty, cols := terminal(stderr)
	var printed time.Time
	draw := func(st broadcast.Status) {
		line := progressLine(st)
		switch {
		case tty:
			// A line wider than the terminal would wrap, and the next
			// redraw would start on the wrapped part.
			if r := []rune(line); cols > 1 && len(r) >= cols {
				line = string(r[:cols-2]) + "…"
			}
			fmt.Fprintf(stderr, "\r\x1b[K%s", line)
		case printed.IsZero() || time.Since(printed) >= progressEvery || st.Settled():
			fmt.Fprintln(stderr, line)
			printed = time.Now()
		}
	}
	finish := func() {
		if tty {
			fmt.Fprintln(stderr)
		}
		if asJSON {
			writeJSON(stdout, raw)
		} else {
			printStatus(stdout, st)
		}
	}
	draw(st)
	var failingSince time.Time
	for !st.Settled() {
		if !sleepCtx(wctx, *wf.interval) {
			break
		}
		next, body, err := c.get(wctx, st.ID)
		switch {
		case err == nil:
			st, raw, failingSince = next, body, time.Time{}
			draw(st)
		case wctx.Err() != nil:
			// Interrupted or timed out: handled below.
		case temporary(err):
			if failingSince.IsZero() {
				failingSince = time.Now()
				if tty {
					fmt.Fprintln(stderr)
				}
				fmt.Fprintf(stderr, "senda broadcast: %v\nStill trying...\n", err)
			} else if time.Since(failingSince) > waitGiveUp {
				fmt.Fprintf(stderr, "senda broadcast: gave up after %s without an answer; the broadcast goes on. Figures so far:\n", waitGiveUp)
				finish()
				return exitError
			}
		default:
			if tty {
				fmt.Fprintln(stderr)
			}
			return fail(stderr, err)
		}
	}
	switch {
	case st.Settled():
		finish()
		return exitOK
	case ctx.Err() != nil:
		if tty {
			fmt.Fprintln(stderr)
			tty = false
		}
		fmt.Fprintf(stderr, "Stopped watching; broadcast %s goes on. Watch it again with: senda broadcast status %s --wait\n", st.ID, st.ID)
		finish()
		return exitOK
	default:
		if tty {
			fmt.Fprintln(stderr)
			tty = false
		}
		fmt.Fprintf(stderr, "senda broadcast: broadcast %s is still %s after %s; it goes on. Figures so far:\n", st.ID, st.State, *wf.timeout)
		finish()
		return exitError
	}
}

// sleepCtx waits d, and reports false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// terminal reports whether w is a terminal, and its width (0 if unknown).
func terminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	cols, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return true, 0
	}
	return true, cols
}

// progressLine is one line of figures:
// [#####.....] 312/1000 sent 3 failed 12 skipped · waiting: quiet hours 400
func progressLine(st broadcast.Status) string {
	const width = 20
	done := min(st.Sent+st.Failed+st.Skipped, st.Recipients)
	filled := width
	if st.Recipients > 0 {
		filled = int(done * width / st.Recipients)
	}
	if !st.Settled() && filled == width && done < st.Recipients {
		filled = width - 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%s%s] %d/%d sent %d failed %d skipped", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		st.Sent, st.Recipients, st.Failed, st.Skipped)
	if st.Delivered > 0 {
		fmt.Fprintf(&b, " %d delivered", st.Delivered)
	}
	if len(st.Waiting) > 0 {
		b.WriteString(" · waiting:")
		for _, k := range slices.Sorted(maps.Keys(st.Waiting)) {
			fmt.Fprintf(&b, " %s %d", strings.ReplaceAll(k, "_", " "), st.Waiting[k])
		}
	}
	switch st.State {
	case broadcast.StateScheduled:
		fmt.Fprintf(&b, " · scheduled for %s", localTime(st.SendAt))
	case broadcast.StateDone, broadcast.StateCancelled:
		fmt.Fprintf(&b, " · %s", st.State)
	}
	return b.String()
}

// ---------------------------------------------------------------------------
// Showing a broadcast

// printStatus shows a broadcast for people.
func printStatus(w io.Writer, st broadcast.Status) {
	var flags []string
	if st.Urgent {
		flags = append(flags, "urgent")
	}
	if st.Template {
		flags = append(flags, "with a WhatsApp template")
	}
	fmt.Fprintf(w, "Broadcast %s: topic %s, %s", st.ID, st.Topic, st.State)
	if len(flags) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(flags, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "Created %s by %s; ", localTime(st.CreatedAt), st.CreatedBy)
	switch {
	case st.State == broadcast.StateScheduled:
		fmt.Fprintf(w, "to be sent %s.\n", localTime(st.SendAt))
	case st.DoneAt != nil:
		fmt.Fprintf(w, "sending from %s, %s %s.\n", localTime(st.SendAt), st.State, localTime(*st.DoneAt))
	default:
		fmt.Fprintf(w, "sending since %s.\n", localTime(st.SendAt))
	}
	fmt.Fprintln(w)
	width := len(strconv.FormatInt(max(st.Recipients, st.Sent, st.Delivered, st.Failed, st.Skipped), 10))
	row := func(name string, n int64, meaning string) {
		fmt.Fprintf(w, "  %-10s  %*d  %s\n", name, width, n, meaning)
	}
	row("recipients", st.Recipients, "subscribed to "+st.Topic+" when it was created")
	row("sent", st.Sent, "accepted by Twilio")
	row("delivered", st.Delivered, "confirmed on the phone (needs Twilio's status callbacks)")
	row("failed", st.Failed, "refused by Twilio, or not delivered")
	row("skipped", st.Skipped, "not sent; why below")
	if len(st.Reasons) > 0 {
		fmt.Fprintln(w, "\nWhy not sent or not delivered:")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		keys := slices.SortedFunc(maps.Keys(st.Reasons), func(a, b string) int {
			if c := st.Reasons[b] - st.Reasons[a]; c != 0 {
				return int(max(-1, min(1, c)))
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", st.Reasons[k], k, explainReason(k))
		}
		tw.Flush()
	}
	if len(st.Waiting) > 0 {
		fmt.Fprintln(w, "\nWaiting now:")
		for _, k := range slices.Sorted(maps.Keys(st.Waiting)) {
			fmt.Fprintf(w, "  %s\n", waitingSentence(k, st.Waiting[k]))
		}
	}
}

// reasonTexts explain the reasons Senda itself names; Twilio's numeric
// codes are explained by twilio.Describe.
var reasonTexts = map[string]string{
	"unsubscribed":        "left (BAJA/STOP) before it was sent",
	"no_template":         "WhatsApp, outside the 24-hour window, and the broadcast has no template",
	"outside_window":      "WhatsApp refused the text: outside the 24-hour window",
	"templates_suspended": "WhatsApp recently declined a template for them; templates pause for 7 days",
	"cancelled":           "not sent because the broadcast was cancelled",
	"retries_exhausted":   "gave up after repeated temporary errors",
	"undelivered":         "the carrier or WhatsApp did not deliver it, without a reason",
}

func explainReason(k string) string {
	if t, ok := reasonTexts[k]; ok {
		return t
	}
	if status, ok := strings.CutPrefix(k, "http_"); ok {
		return "Twilio answered HTTP " + status + " without an error code"
	}
	code, err := strconv.Atoi(k)
	if err != nil {
		return ""
	}
	desc := twilio.Describe(code)
	switch twilio.Classify(code, 0) {
	case twilio.KindOptedOut, twilio.KindBlocked, twilio.KindInvalidAddress:
		desc += "; their subscription was deleted"
	case twilio.KindConfig:
		desc += "; the operator must fix Senda's Twilio settings"
	}
	return desc + " (twilio.com/docs/api/errors/" + k + ")"
}

func waitingSentence(k string, n int64) string {
	switch k {
	case "quiet_hours":
		return fmt.Sprintf("%d waiting for quiet hours to end (SENDA_QUIET_HOURS)", n)
	case "daily_cap":
		return fmt.Sprintf("%d waiting for tomorrow's WhatsApp template allowance (SENDA_WHATSAPP_DAILY_CAP)", n)
	case "retry":
		return fmt.Sprintf("%d waiting to be tried again after a temporary error", n)
	}
	return fmt.Sprintf("%d waiting (%s)", n, k)
}

// stateSentence says where a new broadcast stands.
func stateSentence(st broadcast.Status) string {
	switch st.State {
	case broadcast.StateScheduled:
		if st.SendAt.After(time.Now()) {
			return "scheduled for " + localTime(st.SendAt)
		}
		return "starting"
	case broadcast.StateSending:
		return "sending"
	}
	return string(st.State)
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04 MST")
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.FormatInt(n, 10) + " " + word + "s"
}

// writeJSON prints the admin API's answer, one document per line.
func writeJSON(w io.Writer, body []byte) {
	w.Write(bytes.TrimSpace(body))
	io.WriteString(w, "\n")
}
