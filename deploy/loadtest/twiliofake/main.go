// Command twiliofake serves the fake Twilio Messages API
// (bot/twilio/twiliofake) as a process, for the broadcast load test
// (deploy/loadtest/broadcast.sh), and counts what it accepted.
//
//	twiliofake [-stats-addr 127.0.0.1:0] [-latency 0] [-cut]
//
// With -cut the latency is spent in front of the fake, after the request
// arrived and before it is handled: a client that goes away meanwhile (a
// process killed mid-send) leaves no message, as if Twilio never created
// it. Without it the fake creates every message whose request arrived,
// whoever is left to read the answer (deploy/crash-restart.sh uses both).
//
// On start it prints, one KEY=VALUE a line on standard output:
//
//	FAKE_URL=http://127.0.0.1:PORT        the API base (SENDA_TWILIO_API_BASE)
//	FAKE_ACCOUNT_SID=AC…                  TWILIO_ACCOUNT_SID
//	FAKE_AUTH_TOKEN=…                     TWILIO_AUTH_TOKEN
//	FAKE_STATS_URL=http://127.0.0.1:PORT  the stats listener
//
// GET /stats on the stats listener answers JSON: every create request (and
// with -cut those dropped as their client went away), the
// accepted messages, how many distinct To they went to, the duplicates
// (messages minus distinct To), the first and last acceptance time, and the
// accepted messages in each second from the first. With
// ?since=RFC3339Nano&until=RFC3339Nano it also counts the messages accepted
// in [since, until) and their distinct To.
//
// Both listeners are on loopback only. It exits on SIGINT or SIGTERM.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/senda-org/senda/bot/twilio/twiliofake"
)

func main() {
	statsAddr := flag.String("stats-addr", "127.0.0.1:0", "loopback address of the stats listener (GET /stats)")
	latency := flag.Duration("latency", 0, "delay every create by this much, as a distant Twilio would (e.g. 150ms)")
	cut := flag.Bool("cut", false, "spend the latency before handling, and drop a request whose client went away meanwhile")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), "Usage: twiliofake [flags]\n\nServes the fake Twilio Messages API on a random loopback port and prints\nFAKE_URL, FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN and FAKE_STATS_URL as KEY=VALUE lines.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*statsAddr, *latency, *cut); err != nil {
		fmt.Fprintf(os.Stderr, "twiliofake: %v\n", err)
		os.Exit(1)
	}
}

func run(statsAddr string, latency time.Duration, cut bool) error {
	if err := checkLoopback(statsAddr); err != nil {
		return err
	}
	if latency < 0 || latency > time.Minute {
		return fmt.Errorf("-latency %s: use 0 to 1m", latency)
	}
	ln, err := net.Listen("tcp", statsAddr)
	if err != nil {
		return fmt.Errorf("stats listener: %w", err)
	}
	fake := twiliofake.New() // httptest: a random port on 127.0.0.1
	defer fake.Close()
	apiURL := fake.URL
	var dropped atomic.Int64
	if cut {
		front, err := startFront(fake.URL, latency, &dropped)
		if err != nil {
			return err
		}
		defer front.Close()
		apiURL = front.URL
	} else {
		fake.SetLatency(latency)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) { serveStats(w, r, fake, dropped.Load()) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	fmt.Printf("FAKE_URL=%s\nFAKE_ACCOUNT_SID=%s\nFAKE_AUTH_TOKEN=%s\nFAKE_STATS_URL=http://%s\n",
		apiURL, fake.AccountSID, fake.AuthToken, ln.Addr())
	os.Stdout.Sync()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		return fmt.Errorf("stats listener: %w", err)
	}
	shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// startFront serves the fake's API through a front that reads each
// request whole, holds it for latency and passes it on only if its client
// is still there: net/http notices a closed connection once the body is
// read, so a request cut off by the client's death never reaches the fake.
func startFront(fakeURL string, latency time.Duration, dropped *atomic.Int64) (*httptest.Server, error) {
	target, err := url.Parse(fakeURL)
	if err != nil {
		return nil, fmt.Errorf("fake URL: %w", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			dropped.Add(1)
			return // the client went away: Twilio never got it
		}
		proxy.ServeHTTP(w, r)
	})), nil
}

// checkLoopback refuses listen addresses that are not a loopback IP: the
// fake has no authentication on /stats and must not be reachable.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-stats-addr %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-stats-addr %q: only a loopback IP is allowed, e.g. 127.0.0.1:0", addr)
	}
	return nil
}

// Stats is the answer of GET /stats.
type Stats struct {
	Creates    int        `json:"creates"`     // create requests, refused ones included
	Cut        int64      `json:"cut"`         // with -cut: requests dropped because their client went away
	Messages   int        `json:"messages"`    // accepted messages
	DistinctTo int        `json:"distinct_to"` // distinct To among them
	Duplicates int        `json:"duplicates"`  // messages - distinct_to
	First      *time.Time `json:"first,omitempty"`
	Last       *time.Time `json:"last,omitempty"`
	// PerSecond[i] counts the messages accepted in [first+i s, first+i+1 s).
	PerSecond []int   `json:"per_second"`
	Window    *Window `json:"window,omitempty"`
}

// Window counts the messages accepted in [Since, Until).
type Window struct {
	Since      time.Time `json:"since"`
	Until      time.Time `json:"until"`
	Messages   int       `json:"messages"`
	DistinctTo int       `json:"distinct_to"`
	Duplicates int       `json:"duplicates"`
}

func serveStats(w http.ResponseWriter, r *http.Request, fake *twiliofake.Server, cut int64) {
	q := r.URL.Query()
	var win *Window
	if q.Has("since") || q.Has("until") {
		since, err1 := time.Parse(time.RFC3339Nano, q.Get("since"))
		until, err2 := time.Parse(time.RFC3339Nano, q.Get("until"))
		if err1 != nil || err2 != nil || !until.After(since) {
			http.Error(w, "since and until must both be RFC 3339 times, until after since", http.StatusBadRequest)
			return
		}
		win = &Window{Since: since, Until: until}
	}
	// Requests is read first: a create counted there may be accepted before
	// Messages is read, never the other way round.
	st := Stats{Creates: fake.Requests(), Cut: cut, Window: win}
	msgs := fake.Messages()
	st.Messages = len(msgs)
	seen := make(map[string]struct{}, len(msgs))
	var winSeen map[string]struct{}
	if win != nil {
		winSeen = map[string]struct{}{}
	}
	for _, m := range msgs {
		to := m.Form.Get("To")
		seen[to] = struct{}{}
		if st.First == nil || m.At.Before(*st.First) {
			at := m.At
			st.First = &at
		}
		if st.Last == nil || m.At.After(*st.Last) {
			at := m.At
			st.Last = &at
		}
		if win != nil && !m.At.Before(win.Since) && m.At.Before(win.Until) {
			win.Messages++
			winSeen[to] = struct{}{}
		}
	}
	st.DistinctTo = len(seen)
	st.Duplicates = st.Messages - st.DistinctTo
	if win != nil {
		win.DistinctTo = len(winSeen)
		win.Duplicates = win.Messages - win.DistinctTo
	}
	st.PerSecond = []int{}
	if st.First != nil {
		st.PerSecond = make([]int, int(st.Last.Sub(*st.First)/time.Second)+1)
		for _, m := range msgs {
			st.PerSecond[int(m.At.Sub(*st.First)/time.Second)]++
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(st)
}
