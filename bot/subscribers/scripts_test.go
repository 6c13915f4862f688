package subscribers

import (
	"testing"

	"github.com/senda-org/senda/bot/internal/luatest"
)

// TestScriptsMatchGoConstants holds each script's record fields and answers
// to the Go constants for them.
func TestScriptsMatchGoConstants(t *testing.T) {
	t.Parallel()
	topicPattern := "[^" + topicSep + "]+"
	luatest.Check(t, "scripts", map[string]luatest.Script{
		"add.lua":    {Literals: []string{fieldAddress, fieldChannel, fieldLang, fieldHour, fieldTopics, fieldHashKey, topicSep, topicPattern}},
		"move.lua":   {Literals: []string{fieldAddress, fieldTopics, fieldHashKey, topicSep, topicPattern}},
		"delete.lua": {Literals: []string{fieldTopics}},
		"remove.lua": {Literals: []string{fieldTopics, topicSep, topicPattern}},
		"reseal.lua": {Literals: []string{fieldAddress}, Returns: []int{resealStale, resealDone}},
	})
}
