// Package deploy holds Senda's deployment files (Dockerfile, compose.yaml,
// Caddyfile, systemd unit, Prometheus rules) and, in its tests, the checks
// that they keep their promises: a durable Redis with a password, non-root
// containers with health checks, secrets from files, and /metrics never
// exposed to the internet.
package deploy
