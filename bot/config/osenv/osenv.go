// Package osenv is the process environment as a config.Lookup, for programs
// other than cmd/senda (load-test tools, the test Redis helper) that read a
// setting: the one place beside cmd/senda/main.go that calls os.LookupEnv.
// It is a package of its own so that test helpers can use it without
// importing config and what config imports.
package osenv

import "os"

// Lookup is os.LookupEnv.
func Lookup(name string) (string, bool) { return os.LookupEnv(name) }

// Get is a setting, or "" when it is unset.
func Get(name string) string {
	v, _ := os.LookupEnv(name)
	return v
}
