package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/senda-org/senda/bot/config"
)

// healthcheckTimeout bounds the whole probe: container runtimes kill a
// health check that hangs, and a check that hangs says nothing.
const healthcheckTimeout = 3 * time.Second

// runHealthcheck asks a running `senda serve` whether it is ready (GET
// /readyz) and exits 0 when it answers 200. It exists for container health
// checks: the image built by deploy/Dockerfile has no shell and no curl.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv config.Lookup) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "the URL to probe (default http://127.0.0.1:PORT/readyz, PORT from SENDA_ADDR)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: senda healthcheck [--url URL]\n\nExits 0 when the local senda serve answers /readyz with 200 (Redis answers, content loaded),\n1 otherwise. For container health checks.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *url == "" {
		addr := config.Addr(getenv)
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			fmt.Fprintf(stderr, "senda healthcheck: SENDA_ADDR %q: %v\n", addr, err)
			return errUsage
		}
		*url = "http://" + net.JoinHostPort("127.0.0.1", port) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	client := &http.Client{Timeout: healthcheckTimeout}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", *url, resp.Status)
	}
	fmt.Fprintf(stdout, "ok: %s\n", *url)
	return nil
}
