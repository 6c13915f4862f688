#!/usr/bin/env bash
# Checks what can be checked of a release without Docker:
#  1. the binary built with deploy/Dockerfile's own build command is static
#     and answers `senda version`, `--version`, and `-h` on every command and
#     subcommand with exit 0; served (development mode), its /metrics has
#     # HELP and # TYPE for every series, senda_build_info with the version,
#     and nothing of the message sent to it;
#  2. `make release` builds every target and its SHA256SUMS verify; with
#     promtool, the Prometheus example configuration and alert rules pass;
#  3. when podman is installed, the Dockerfile's final FROM scratch stage is
#     built offline around that binary, and the image is checked: non-root
#     user, no shell, only the binary, certificates and the user files.
# Run by .ci/run. Usage: deploy/release-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
VERSION=v0.0.0-check
fail() { echo "release-check: $*" >&2; exit 1; }

# 1. The Dockerfile's build line, as written, with /out in a temporary folder.
build=$(grep -A1 '^# release-check: build' deploy/Dockerfile | sed -n 2p)
case "$build" in RUN\ *) ;; *) fail "no build line after '# release-check: build' in deploy/Dockerfile";; esac
build=${build#RUN }
echo "release-check: $build"
VERSION=$VERSION OUT="$tmp/out" sh -c "${build//\/out\//\$OUT/}"
bin="$tmp/out/senda"
file "$bin" | grep -q 'statically linked' || fail "$(file "$bin")"
if ldd "$bin" >/dev/null 2>&1; then fail "ldd finds dynamic libraries in $bin"; fi
"$bin" version | grep -q "^senda $VERSION " || fail "senda version: $("$bin" version)"
"$bin" --version | grep -q "^senda $VERSION " || fail "senda --version: $("$bin" --version)"
for cmd in "" help version healthcheck serve chat worker content "content check" "content export" "content import" \
  broadcast "broadcast send" "broadcast list" "broadcast status" "broadcast cancel" "broadcast topics" \
  subscribers "subscribers rotate-key"; do
  # shellcheck disable=SC2086 # the subcommand's words are meant to split
  env -i "$bin" $cmd -h >/dev/null 2>&1 || fail "senda $cmd -h exits $?, want 0"
done
echo "release-check: static binary, $("$bin" version); -h exits 0 on every command"

# 1b. The binary serving (development mode, embedded Redis): /metrics after one message has # HELP and # TYPE
# for every series, says which build it is, and does not hold the sender's number or words.
port=$((20000 + RANDOM % 20000))
env -i SENDA_ADDR=127.0.0.1:$port SENDA_LOG_LEVEL=warn "$bin" serve >"$tmp/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 1 50); do "$bin" healthcheck --url "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
"$bin" healthcheck --url "http://127.0.0.1:$port/readyz" >/dev/null || fail "senda serve did not get ready: $(cat "$tmp/serve.log")"
curl -fsS -o /dev/null --data-urlencode From=+50255577123 --data-urlencode To=+50220000000 \
  --data-urlencode "Body=HOLA zorzalito" --data-urlencode MessageSid=SM00000000000000000000000000000001 \
  "http://127.0.0.1:$port/twilio/messages" || fail "the webhook did not answer"
curl -fsS "http://127.0.0.1:$port/metrics" >"$tmp/metrics" || fail "/metrics did not answer"
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true
awk '
  /^# HELP / { help[$3] = 1; next }
  /^# TYPE / { type[$3] = $4; next }
  /^#/ || /^$/ { print "unexpected line: " $0; bad = 1; next }
  {
    name = $1; sub(/\{.*/, "", name); base = name
    if (!(base in type)) { sub(/_(bucket|sum|count)$/, "", base); if (type[base] != "histogram") base = name }
    if (!(base in help) || !(base in type)) { print "no # HELP or # TYPE for " name; bad = 1 }
    n++
  }
  END { if (n == 0) { print "no samples"; bad = 1 }; exit bad }
' "$tmp/metrics" || fail "/metrics metadata"
grep -q "^senda_build_info{.*version=\"$VERSION\"} 1$" "$tmp/metrics" || fail "/metrics has no senda_build_info for $VERSION"
grep -q '^senda_webhook_duration_seconds_count 1$' "$tmp/metrics" || fail "/metrics did not time the webhook call"
if grep -qi -e 55577123 -e zorzalito "$tmp/metrics"; then fail "/metrics holds the sender's number or words"; fi
echo "release-check: /metrics of the running binary: $(grep -c '^# TYPE' "$tmp/metrics") families, each with # HELP and # TYPE"

# 2. Every release target, and the checksums.
make -s release VERSION=$VERSION >/dev/null
for t in linux-amd64 linux-arm64 windows-amd64.exe darwin-arm64; do
  [ -s "dist/senda-$VERSION-$t" ] || fail "make release did not build dist/senda-$VERSION-$t"
done
(cd dist && sha256sum --quiet -c SHA256SUMS) || fail "dist/SHA256SUMS does not verify"
[ "$(wc -l < dist/SHA256SUMS)" -eq 4 ] || fail "dist/SHA256SUMS should list 4 binaries"
file "dist/senda-$VERSION-linux-arm64" | grep -q 'ARM aarch64.*statically linked' || fail "linux/arm64 binary is not a static arm64 ELF"
echo "release-check: make release built 4 targets; SHA256SUMS verify"

# The example Prometheus configuration and alert rules, with their unit tests.
if command -v promtool >/dev/null 2>&1; then
  (cd deploy/prometheus && promtool check config prometheus.yml >/dev/null && promtool test rules alerts_test.yml >/dev/null) \
    || fail "deploy/prometheus: promtool check config / test rules failed"
  echo "release-check: promtool: prometheus.yml valid, alert rule tests pass"
else
  echo "release-check: promtool not installed: alert rules not tested (apt-get install prometheus)"
fi

# deploy/Caddyfile, live: Senda (development mode, embedded store) behind
# Caddy on free local ports; the public paths answer, /metrics and /readyz do not.
if command -v caddy >/dev/null 2>&1 && command -v curl >/dev/null 2>&1; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  sport=$(free_port); cport=$(free_port); aport=$(free_port)
  SENDA_ADDR=127.0.0.1:$sport "$bin" serve >"$tmp/serve.log" 2>&1 & spid=$!
  (cd deploy && SENDA_DOMAIN=http://127.0.0.1:$cport SENDA_UPSTREAM=127.0.0.1:$sport CADDY_ADMIN=127.0.0.1:$aport \
    exec caddy run --config Caddyfile --adapter caddyfile) >"$tmp/caddy.log" 2>&1 & cpid=$!
  code() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$cport$1"; }
  for _ in $(seq 1 50); do [ "$(code /healthz)" = 200 ] && break; sleep 0.1; done
  got="/healthz $(code /healthz) /twilio/messages $(code /twilio/messages) /metrics $(code /metrics) /readyz $(code /readyz) /x $(code /x)"
  kill "$cpid" "$spid"; wait "$cpid" "$spid" 2>/dev/null || true
  # 405: GET reached Senda's webhook, which takes only POST.
  [ "$got" = "/healthz 200 /twilio/messages 405 /metrics 404 /readyz 404 /x 404" ] || fail "through deploy/Caddyfile: $got (caddy log: $tmp/caddy.log)"
  echo "release-check: caddy $(caddy version | cut -d' ' -f1) with deploy/Caddyfile: $got"
else
  echo "release-check: caddy not installed: deploy/Caddyfile not tried live"
fi

# 3. The final image stage, offline: FROM scratch needs no download.
if ! command -v podman >/dev/null 2>&1 || [ -n "${SENDA_SKIP_PODMAN:-}" ]; then
  echo "release-check: podman not installed (or SENDA_SKIP_PODMAN set): image stage not built"
  exit 0
fi
ctx="$tmp/ctx"
mkdir -p "$ctx"
# The user files, made by the Dockerfile's own RUN line.
# The RUN instruction and its continuation lines (each ending in a backslash).
users=$(awk '/^RUN mkdir -p \/out\/etc/ {on = 1} on {print; if ($0 !~ /\\$/) exit}' deploy/Dockerfile | tr -d '\\' | tr '\n' ' ')
users=${users#RUN }
[ -n "$users" ] || fail "no user-creating RUN line in deploy/Dockerfile"
OUT="$tmp/out" sh -c "${users//\/out\//\$OUT/}"
cp -r "$tmp/out" "$ctx/out"
mkdir -p "$ctx/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/etc/ssl/certs/"
# The final stage as written, copying from the context instead of the build stage.
sed -n '/^FROM scratch/,$p' deploy/Dockerfile | sed -E 's#^COPY --from=build (--chown=[^ ]+ )?/#COPY \1#' > "$ctx/Containerfile"
tag=localhost/senda-release-check:$$
podman build -q --format docker --network none -f "$ctx/Containerfile" -t "$tag" "$ctx" >/dev/null
trap 'podman rmi -f "$tag" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
user=$(podman image inspect --format '{{.Config.User}}' "$tag")
[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "$user" != root ] || fail "image runs as '$user'"
health=$(podman image inspect --format '{{.HealthCheck.Test}}' "$tag")
case "$health" in *healthcheck*) ;; *) fail "image health check is '$health'";; esac
cid=$(podman create "$tag")
listing=$(podman export "$cid" | tar -tv --numeric-owner)
files=$(printf '%s\n' "$listing" | awk '{print $NF}' | grep -v '/$' | sort | tr '\n' ' ')
# The opt-out journal's directory (SENDA_OPTOUT_DIR) belongs to the user, so a volume there starts writable.
printf '%s\n' "$listing" | grep -Eq '^d.* 10001/10001 .* var/lib/senda/optouts/?$' || fail "image has no var/lib/senda/optouts owned by 10001"
podman rm "$cid" >/dev/null 2>&1 || true  # podman warns about systemd health timers on hosts without systemd
want="etc/group etc/passwd etc/ssl/certs/ca-certificates.crt usr/local/bin/senda "
[ "$files" = "$want" ] || fail "image holds [$files], want [$want]"
echo "release-check: podman built the FROM scratch stage: user $user, files: $files"
