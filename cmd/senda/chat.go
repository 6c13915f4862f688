package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"golang.org/x/term"

	"github.com/senda-org/senda/bot"
	"github.com/senda-org/senda/content"
)

func runChat(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv bot.Getenv) int {
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	channel := fs.String("channel", "whatsapp", "sms or whatsapp: SMS shows the one-segment pages people get by SMS")
	lang := fs.String("lang", "", "language the conversation starts in (default: the pack's default language)")
	contentDir := fs.String("content-dir", "", "content pack folder to try (default $SENDA_CONTENT_DIR, or the embedded pack)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: senda chat [flags]\n\nTalk to Senda in the terminal, on the same engine and content as the webhook, with an\nembedded store: nothing is installed, nothing is kept. Type HOLA to start. When standard input\nis not a terminal each line is one message, so a conversation can be scripted:\n  printf 'HOLA\\n2\\nMAS\\n' | senda chat --channel sms\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	ch, err := content.ParseChannel(*channel)
	if err != nil {
		fmt.Fprintf(stderr, "senda chat: %v\n", err)
		return exitUsage
	}
	cfg := bot.Config{
		Env:         bot.EnvDevelopment,
		Addr:        bot.DefaultAddr,
		SessionTTL:  bot.DefaultSessionTTL,
		ContentDir:  getenv.Plain()("SENDA_CONTENT_DIR"),
		DefaultLang: *lang,
		HashKey:     "",
	}
	if *contentDir != "" {
		cfg.ContentDir = *contentDir
	}
	// The simulator's own warnings (no token, embedded Redis) are expected
	// here, so only errors are shown.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	svc, err := bot.NewService(ctx, cfg, log, bot.Deps{})
	if err != nil {
		fmt.Fprintf(stderr, "senda chat: %v\n", err)
		return exitError
	}
	defer svc.Close()
	interactive := false
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		interactive = true
		fmt.Fprintf(stdout, "Senda chat on %s. Type HOLA to start, AYUDA for help, Ctrl-D to quit.\n\n", ch)
	}
	if err := svc.Chat(ctx, stdin, stdout, bot.ChatOptions{Channel: ch, Interactive: interactive}); err != nil {
		fmt.Fprintf(stderr, "senda chat: %v\n", err)
		return exitError
	}
	return exitOK
}
