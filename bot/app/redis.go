package app

import (
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// embeddedRedis is an in-process Redis-compatible server for development and
// for trying Senda with nothing installed. It keeps everything in memory.
type embeddedRedis struct {
	srv  *miniredis.Miniredis
	stop chan struct{}
	done chan struct{}
}

// startEmbeddedRedis starts an embedded server on a free loopback port.
func startEmbeddedRedis() (*embeddedRedis, error) {
	srv := miniredis.NewMiniRedis()
	if err := srv.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	e := &embeddedRedis{srv: srv, stop: make(chan struct{}), done: make(chan struct{})}
	go e.tick()
	return e, nil
}

// tick moves the embedded server's clock with the wall clock: miniredis only
// expires keys when told time has passed, and sessions must expire here too.
func (e *embeddedRedis) tick() {
	defer close(e.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			e.srv.FastForward(now.Sub(last))
			last = now
		}
	}
}

// URL is the address clients connect to.
func (e *embeddedRedis) URL() string { return "redis://" + e.srv.Addr() + "/0" }

// Close stops the server; what it held is gone.
func (e *embeddedRedis) Close() {
	close(e.stop)
	<-e.done
	e.srv.Close()
}
