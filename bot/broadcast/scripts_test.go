package broadcast

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// scriptLiterals is every string literal each Lua script may hold besides
// Redis command names and Lua syntax, as the Go constants the Go side uses
// for the same field, state or answer. A literal renamed on one side only
// fails TestScriptsMatchGoConstants.
var scriptLiterals = map[string][]string{
	"cap.lua": nil,
	"claim.lua": {ledgerInFlight, ledgerWaiting, ledgerTimeSep,
		string(claimNew), string(claimRetry), string(claimUnknown), string(claimOther), string(claimDone)},
	"defer.lua": {ledgerInFlight, ledgerWaiting, ledgerTimeSep, flagOn},
	"due.lua":   nil,
	"fanned.lua": {fState, fFanned, fRecipient, fFinished, fDoneAt, flagOn,
		string(StateSending), string(StateDone)},
	"finish.lua": {ledgerInFlight, ledgerWaiting, ledgerTimeSep, fState, fFanned, fRecipient, fFinished, fDoneAt, flagOn,
		string(StateSending), string(StateDone)},
	"pace.lua":    nil,
	"start.lua":   {fState, fStarted, string(StateScheduled), string(StateSending)},
	"undelay.lua": {entryBroadcast, entryRecipient, entryToken, entryAttempt},
}

// scriptReturns is every literal number a script returns, as Go constants.
var scriptReturns = map[string][]int{
	"cap.lua":    {capFull, capTaken},
	"finish.lua": {finishNotOurs, finishRecorded, finishLast},
}

// luaSyntax is literals that are Lua or Redis syntax, not data: empty
// strings, number defaults, score bounds, XADD's automatic id, a format.
var luaSyntax = []string{"", "0", "-inf", "*", "%.0f"}

// delayedPattern is undelay.lua's pattern for a delayed-set member; it is
// held to delayedMember below.
const delayedPattern = "^([^|]+)|([^|]+)|([^|]+)|([^|]+)|"

var (
	luaString  = regexp.MustCompile(`'([^']*)'`)
	luaCommand = regexp.MustCompile(`^[A-Z]+$`)
	luaReturn  = regexp.MustCompile(`\breturn (\d+)\b`)
)

func TestScriptsMatchGoConstants(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("scripts/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts found: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := scriptLiterals[name]
			if !ok {
				t.Fatalf("%s is not in scriptLiterals: list the Go constants for its literals", name)
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			code := stripLuaComments(string(src))
			var got []string
			for _, m := range luaString.FindAllStringSubmatch(code, -1) {
				lit := m[1]
				if luaCommand.MatchString(lit) || slices.Contains(luaSyntax, lit) || (name == "undelay.lua" && lit == delayedPattern) {
					continue
				}
				got = append(got, lit)
			}
			if g, w := set(got), set(want); !slices.Equal(g, w) {
				t.Errorf("%s string literals = %q, Go constants = %q", name, g, w)
			}
			var rets []string
			for _, m := range luaReturn.FindAllStringSubmatch(code, -1) {
				rets = append(rets, m[1])
			}
			var wantRets []string
			for _, n := range scriptReturns[name] {
				wantRets = append(wantRets, strconv.Itoa(n))
			}
			if g, w := set(rets), set(wantRets); !slices.Equal(g, w) {
				t.Errorf("%s returns %q, Go constants = %q", name, g, w)
			}
		})
	}
}

// TestDelayedMemberGrammar holds undelay.lua's pattern to the members Go
// writes: it must find broadcast, recipient, token and attempt in order.
func TestDelayedMemberGrammar(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("scripts/undelay.lua")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "'"+delayedPattern+"'") {
		t.Fatalf("undelay.lua no longer uses the pattern %q", delayedPattern)
	}
	// In a Lua pattern '|' is literal; in Go's regexp it must be escaped.
	re := regexp.MustCompile(strings.ReplaceAll(delayedPattern, "|", `\|`))
	d := delivery{bid: "0190abcdef012345a", rid: "r1d", token: "tok", attempt: 3}
	m := re.FindStringSubmatch(delayedMember(d, fWaitQuiet))
	if want := []string{d.bid, d.rid, d.token, "3"}; m == nil || !slices.Equal(m[1:], want) {
		t.Errorf("pattern on %q = %q, want %q", delayedMember(d, fWaitQuiet), m, want)
	}
}

// TestEntryRoundTrip holds parseEntry to entryValues.
func TestEntryRoundTrip(t *testing.T) {
	t.Parallel()
	v := entryValues("b1", "r1", "t1")
	values := map[string]any{}
	for i := 0; i+1 < len(v); i += 2 {
		values[v[i].(string)] = v[i+1]
	}
	d, ok := parseEntryValues("1-0", values)
	if !ok || d.bid != "b1" || d.rid != "r1" || d.token != "t1" || d.attempt != 0 {
		t.Errorf("parseEntry(entryValues) = %+v, %v", d, ok)
	}
}

// stripLuaComments drops -- comments, which quote fields in prose.
func stripLuaComments(src string) string {
	var b strings.Builder
	for line := range strings.Lines(src) {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i] + "\n"
		}
		b.WriteString(line)
	}
	return b.String()
}

func set(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
