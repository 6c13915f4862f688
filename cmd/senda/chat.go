package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/senda-org/senda/bot/app"
	"github.com/senda-org/senda/bot/config"
	"github.com/senda-org/senda/bot/conversation"
	"github.com/senda-org/senda/bot/httpapi"
	"github.com/senda-org/senda/content"
)

const chatUsage = "Usage: senda chat [flags]\n\nTalk to Senda in the terminal, on the same engine and content as the webhook, with an\nembedded store: nothing is installed, nothing is kept. Type HOLA to start. When standard input\nis not a terminal each line is one message, so a conversation can be scripted:\n  printf 'HOLA\\n2\\nMAS\\n' | senda chat --channel sms\n\nFlags:\n"

func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv config.Lookup) error {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	channel := fs.String("channel", "whatsapp", "sms or whatsapp: SMS shows the one-segment pages people get by SMS")
	lang := fs.String("lang", "", "language the conversation starts in (default: the pack's default language)")
	contentDir := fs.String("content-dir", "", "content pack folder to try (default $SENDA_CONTENT_DIR, or the embedded pack)")
	fs.Usage = func() {
		fmt.Fprint(stderr, chatUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return errUsage
	}
	ch, err := content.ParseChannel(*channel)
	if err != nil {
		fmt.Fprintf(stderr, "senda chat: %v\n", err)
		return errUsage
	}
	cfg := config.Config{
		Env:         config.EnvDevelopment,
		Addr:        config.DefaultAddr,
		SessionTTL:  config.DefaultSessionTTL,
		ContentDir:  config.ContentDir(getenv),
		DefaultLang: *lang,
	}
	if *contentDir != "" {
		cfg.ContentDir = *contentDir
	}
	// The simulator's own warnings (no token, embedded Redis) are expected
	// here, so only errors are shown.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	a, err := app.New(ctx, cfg, log, app.Deps{})
	if err != nil {
		return err
	}
	defer a.Close()
	interactive := false
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		interactive = true
		fmt.Fprintf(stdout, "Senda chat on %s. Type HOLA to start, AYUDA for help, Ctrl-D to quit.\n\n", ch)
	}
	return chat(ctx, a.Conversation(), stdin, stdout, ch, interactive)
}

// chatAddress is the sender the simulator uses. It is not a number, so it
// is treated as an opaque id, as a WhatsApp username would be.
const chatAddress = "chat.local"

// chat runs the conversation on the terminal: every line read from in is a
// message, and every reply is written to out as the person would see it on
// the channel. It is the webhook minus the HTTP and the signature. When
// interactive it prints a prompt before each line; otherwise each input is
// echoed before its reply, so a scripted transcript reads like a chat.
func chat(ctx context.Context, conv *conversation.Conversation, in io.Reader, out io.Writer, ch content.Channel, interactive bool) error {
	from := chatAddress
	if ch == content.WhatsApp {
		from = "whatsapp:" + chatAddress
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), httpapi.MaxWebhookBody)
	for n := 1; ; n++ {
		if interactive {
			fmt.Fprint(out, "> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimRight(sc.Text(), "\r")
		if !interactive {
			fmt.Fprintf(out, "> %s\n", line)
		}
		page := conv.Handle(ctx, conversation.Inbound{From: from, Body: line, SID: "CHAT" + strconv.Itoa(n)})
		fmt.Fprintf(out, "%s\n\n", indent(page.Text))
		if ctx.Err() != nil {
			return nil
		}
	}
	if interactive {
		fmt.Fprintln(out)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

// indent sets a reply off from the input lines.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
