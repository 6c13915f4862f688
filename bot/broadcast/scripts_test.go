package broadcast

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/senda-org/senda/bot/internal/luatest"
)

// delayedPattern is undelay.lua's pattern for a delayed-set member; it is
// held to delayedMember below.
const delayedPattern = "^([^|]+)|([^|]+)|([^|]+)|([^|]+)|"

// TestScriptsMatchGoConstants holds each script's fields, ledger states,
// answers and queue entry fields to the Go constants for them.
func TestScriptsMatchGoConstants(t *testing.T) {
	t.Parallel()
	ledger := []string{ledgerInFlight, ledgerWaiting, ledgerTimeSep}
	luatest.Check(t, "scripts", map[string]luatest.Script{
		"callback.lua": {Returns: []int{callbackNotCounted, callbackCounted, callbackUnknown}},
		"cap.lua":      {Returns: []int{capTaken}, Syntax: []string{"-inf"}},
		"claim.lua": {Literals: append(slices.Clone(ledger),
			string(claimNew), string(claimRetry), string(claimUnknown), string(claimOther), string(claimDone))},
		"defer.lua":   {Literals: append(slices.Clone(ledger), flagOn)},
		"due.lua":     {Syntax: []string{"-inf"}},
		"monthly.lua": {Syntax: []string{"-inf", "+inf"}},
		"fanned.lua": {Literals: []string{fState, fFanned, fRecipient, fFinished, fDoneAt, flagOn,
			string(StateSending), string(StateDone)}, Syntax: []string{"0"}},
		"finish.lua": {Literals: append(slices.Clone(ledger), fState, fFanned, fRecipient, fFinished, fDoneAt, flagOn,
			string(StateSending), string(StateDone)), Returns: []int{finishNotOurs, finishRecorded, finishLast}, Syntax: []string{"0"}},
		"start.lua":   {Literals: []string{fState, fStarted, string(StateScheduled), string(StateSending)}},
		"undelay.lua": {Literals: []string{entryBroadcast, entryRecipient, entryToken, entryAttempt}, Syntax: []string{"*", delayedPattern}},
	})
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
