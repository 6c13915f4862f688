package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/senda-org/senda/content"
)

// ChatOptions configure the terminal simulator.
type ChatOptions struct {
	Channel content.Channel
	// Interactive prints a prompt before each line; otherwise each input is
	// echoed before its reply, so a scripted transcript reads like a chat.
	Interactive bool
}

// chatAddress is the sender the simulator uses. It is not a number, so it
// is treated as an opaque id, as a WhatsApp username would be.
const chatAddress = "chat.local"

// Chat runs the conversation on the terminal: every line read from in is a
// message, and every reply is written to out as the person would see it on
// the chosen channel. It goes through the same steps as the webhook, minus
// the HTTP and the signature.
func (s *Service) Chat(ctx context.Context, in io.Reader, out io.Writer, opts ChatOptions) error {
	from := chatAddress
	if opts.Channel == content.WhatsApp {
		from = "whatsapp:" + chatAddress
	}
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), MaxWebhookBody)
	for n := 1; ; n++ {
		if opts.Interactive {
			fmt.Fprint(out, "> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimRight(sc.Text(), "\r")
		if !opts.Interactive {
			fmt.Fprintf(out, "> %s\n", line)
		}
		page := s.process(ctx, inbound{from: from, body: line, sid: "CHAT" + strconv.Itoa(n)})
		fmt.Fprintf(out, "%s\n\n", indent(page.Text))
		if err := ctx.Err(); err != nil {
			return nil
		}
	}
	if opts.Interactive {
		fmt.Fprintln(out)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("chat: read input: %w", err)
	}
	return nil
}

// indent sets a reply off from the input lines.
func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
