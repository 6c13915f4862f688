// Package testlog is a log sink for tests: a buffer that handlers may write
// to from many goroutines while the test reads it.
package testlog

import (
	"bytes"
	"sync"
)

// Buffer collects what a logger writes; it is safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
