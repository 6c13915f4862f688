package flows_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/senda-org/senda/content"
	"github.com/senda-org/senda/flows"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts from the engine")

// Golden transcripts of the main journeys, in the form `senda chat` prints:
// "> message" and then the reply, indented. The first line of each file
// names the channel ("# channel: sms"); comment lines start with #. Run
// `go test ./flows/ -run Transcripts -update` after changing the pack, read
// the diff, and commit it. `senda chat --channel sms < <(grep '^> ' FILE |
// cut -c3-)` shows the same conversation.
func TestTranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	if err != nil || len(files) < 4 {
		t.Fatalf("transcripts: %v, %d files", err, len(files))
	}
	e := flows.New(defaultPack(t), flows.Options{Subscriptions: true})
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			head, inputs, ch := parseTranscript(t, string(data))
			got := head + Transcript(e, ch, inputs)
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(data) {
				t.Errorf("%s differs from the engine's conversation (rerun with -update and read the diff):\n%s", file, got)
			}
		})
	}
}

// parseTranscript returns a transcript's comment lines, its messages and
// its channel.
func parseTranscript(t *testing.T, s string) (string, []string, content.Channel) {
	t.Helper()
	var head strings.Builder
	var inputs []string
	ch := content.WhatsApp
	for _, line := range strings.Split(s, "\n") {
		switch {
		case strings.HasPrefix(line, "#") && len(inputs) == 0:
			head.WriteString(line + "\n")
			if c, ok := strings.CutPrefix(line, "# channel: "); ok {
				var err error
				if ch, err = content.ParseChannel(c); err != nil {
					t.Fatal(err)
				}
			}
		case strings.HasPrefix(line, "> "):
			inputs = append(inputs, line[2:])
		case line == ">":
			inputs = append(inputs, "")
		}
	}
	return head.String(), inputs, ch
}

// Transcript plays messages through the engine as the bot does (a new
// conversation at first and after SALIR, the state stored between
// messages) and writes them and the replies as `senda chat` prints them.
func Transcript(e *flows.Engine, ch content.Channel, inputs []string) string {
	var b strings.Builder
	var st flows.State
	isNew := true
	for _, in := range inputs {
		res := e.Step(st, flows.Input{Text: in, Channel: ch, New: isNew})
		st, isNew = res.State, res.Effect.Kind == flows.EffectErase
		if res.Effect.Kind == flows.EffectShowMyTopics {
			st = e.MyTopics(st, 0)
		}
		if !isNew {
			decoded, err := e.Decode(e.Encode(nil, st))
			if err != nil {
				panic(err)
			}
			st = decoded
		}
		b.WriteString("> " + in + "\n")
		b.WriteString("  " + strings.ReplaceAll(e.Reply(st, ch).Text, "\n", "\n  ") + "\n\n")
	}
	return b.String()
}
