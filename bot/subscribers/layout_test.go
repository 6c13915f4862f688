package subscribers

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// TestOtherScriptsWriteOnlyTheFieldsGivenThem holds the scripts outside
// this package that touch a subscriber record in the same round trip as
// their own work to this package's field constants: the conversation's
// step writes the hour of the person's last message, and nothing else.
func TestOtherScriptsWriteOnlyTheFieldsGivenThem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		path   string
		record string   // how the script names the record: KEYS[n]
		fields []string // the fields it may touch
	}{
		{path: "../conversation/scripts/session_step.lua", record: `KEYS\[2\]`, fields: []string{fieldHour}},
	} {
		src, err := os.ReadFile(c.path)
		if err != nil {
			t.Fatal(err)
		}
		touch := regexp.MustCompile(`redis\.call\('H[A-Z]+', ` + c.record + `, '([^']*)'`)
		var got []string
		for _, m := range touch.FindAllStringSubmatch(stripLuaComments(string(src)), -1) {
			got = append(got, m[1])
		}
		if len(got) == 0 {
			t.Errorf("%s no longer touches the subscriber record: drop it from this test", c.path)
		}
		for _, f := range got {
			if !slices.Contains(c.fields, f) {
				t.Errorf("%s touches subscriber field %q; it may touch %q (bot/subscribers owns the layout)", c.path, f, c.fields)
			}
		}
	}
}

var luaComment = regexp.MustCompile(`--[^\n]*`)

func stripLuaComments(src string) string { return luaComment.ReplaceAllString(src, "") }
