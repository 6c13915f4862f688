package twilio

import (
	"maps"
	"slices"
)

// TableCodes lists every code in the table, for tests that must cover them
// all.
func TableCodes() []int { return slices.Sorted(maps.Keys(codes)) }

// ContentBase is where ContentTemplates lists templates for cfg.
func ContentBase(cfg Config) string {
	b, _ := contentBase(cfg.APIBase)
	return b
}
