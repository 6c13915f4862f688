package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `senda chat` shows the golden transcripts of flows/testdata/transcripts
// word for word: the same engine and pack, through the bot's own steps.
func TestChatShowsTranscripts(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../flows/testdata/transcripts/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			var inputs []string
			channel := "whatsapp"
			for _, line := range strings.SplitAfter(string(data), "\n") {
				if c, ok := strings.CutPrefix(strings.TrimSpace(line), "# channel: "); ok {
					channel = c
				}
				if strings.HasPrefix(line, "#") {
					continue
				}
				if in, ok := strings.CutPrefix(line, "> "); ok {
					inputs = append(inputs, strings.TrimSuffix(in, "\n"))
				}
				want.WriteString(line)
			}
			code, got, stderr := runCmd(t, nil, strings.Join(inputs, "\n")+"\n", "chat", "--channel", channel)
			if code != exitOK {
				t.Fatalf("chat: exit %d: %s", code, stderr)
			}
			if got != want.String() {
				t.Errorf("senda chat --channel %s differs from %s:\n%s", channel, file, got)
			}
		})
	}
}
