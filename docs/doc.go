// Package docs holds Senda's documentation. Its test is the docs check: the
// settings the docs name exist, every setting is documented once, the files
// they cite exist, the shell blocks marked runnable run, and the operator's
// settings step starts Senda in production (see docs_test.go).
package docs
