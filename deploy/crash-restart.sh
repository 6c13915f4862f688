#!/usr/bin/env bash
# Crash and restart, RUNS times: `senda serve` (production mode, status
# callbacks on, erasure at Twilio on) sends a broadcast to N seeded
# subscribers through the fake Twilio (deploy/loadtest/twiliofake, answering
# in LATENCY like the real one, so sends are in flight); a random moment
# into the broadcast it gets SIGKILL and is started again at once. With
# CUT=1 (the default) the sends the kill cuts off never become messages, as
# when Twilio had not created them yet: Senda then holds lost attempts it
# must resend, with no status callback to wait for. With CUT=0 the fake
# creates every message whose request arrived, and Senda finds them in the
# fake's message list. Each run
# reports how many seconds after the restart the broadcast was done, and
# whether every subscriber got the message exactly once (the fake counts
# what it accepted per address). On this machine only (127.0.0.1).
#
#   deploy/crash-restart.sh                  # 20 runs
#   RUNS=5 LATENCY=500ms deploy/crash-restart.sh
#
# Settings (environment):
#   RUNS=20            crash-and-restart runs
#   N=200              subscribers seeded per run (every SMS_EVERY-th on SMS, the rest WhatsApp)
#   SMS_EVERY=10
#   MPS=20             SENDA_TWILIO_MPS: N/MPS seconds of sending without a crash
#   LATENCY=250ms      the fake Twilio's delay per create
#   CUT=1              1: a send cut off by the kill leaves no message; 0: the fake creates it anyway
#   KILL_MIN_MS=500 KILL_MAX_MS=4000   the kill comes this long after the first accepted message
#   TARGET=15          seconds after the restart a run must be done within
#   DONE_TIMEOUT=180   seconds after the restart to give up on a run
#   REDIS_PORT=16395 REDIS_DB=0 APP_PORT=18097
#                      a port where nothing answers gets a redis-server of its own (the default);
#                      on a shared one REDIS_DB is FLUSHed, and refused if it holds other keys
#   OUT=deploy/loadtest/out  crash-restart-results.md is appended there; the last run's logs are kept
#
# Exit status: 0 when every run was done within TARGET seconds with every
# subscriber served exactly once, 3 when a run missed that, 1 when a step
# failed. Every process it started is stopped on exit.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=${RUNS:-20}
N=${N:-200}
SMS_EVERY=${SMS_EVERY:-10}
MPS=${MPS:-20}
LATENCY=${LATENCY:-250ms}
CUT=${CUT:-1}
KILL_MIN_MS=${KILL_MIN_MS:-500}
KILL_MAX_MS=${KILL_MAX_MS:-4000}
TARGET=${TARGET:-15}
DONE_TIMEOUT=${DONE_TIMEOUT:-180}
REDIS_PORT=${REDIS_PORT:-16395}
REDIS_DB=${REDIS_DB:-0}
APP_PORT=${APP_PORT:-18097}
OUT=${OUT:-deploy/loadtest/out}
TOPIC=seguridad
HOST=127.0.0.1 # loopback only, by design: not a setting

NAME=crash-restart
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
check_int RUNS "$RUNS" 1 1000
check_int N "$N" 1 100000
check_int SMS_EVERY "$SMS_EVERY" 0 100000
check_int MPS "$MPS" 1 1000
check_int KILL_MIN_MS "$KILL_MIN_MS" 0 600000
check_int KILL_MAX_MS "$KILL_MAX_MS" "$KILL_MIN_MS" 600000
check_int TARGET "$TARGET" 1 3600
check_int DONE_TIMEOUT "$DONE_TIMEOUT" "$TARGET" 3600
check_int CUT "$CUT" 0 1
check_int REDIS_PORT "$REDIS_PORT" 1 65535
check_int REDIS_DB "$REDIS_DB" 0 15
check_int APP_PORT "$APP_PORT" 1 65535
[[ $LATENCY =~ ^[0-9]+(ms|s)$ || $LATENCY == 0 ]] || die "LATENCY=$LATENCY: want e.g. 0, 250ms or 1s"

for tool in redis-server redis-cli jq openssl curl go awk; do
	command -v "$tool" >/dev/null || die "$tool is needed (apt-get install redis-server redis-tools jq openssl curl)"
done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/senda-crash.XXXXXX)
chmod 700 "$WORK"
PIDS=()
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)

alive() { kill -0 "$1" 2>/dev/null; }
now_ms() { date +%s%3N; }

stop_pid() { # pid: SIGTERM, then wait for it
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	local code=$?
	trap - EXIT INT TERM
	clean_up_run crash before after fake
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Redis -------------------------------------------------------------------
start_redis
fresh_db() {
	local other
	other=$(rc -n "$REDIS_DB" --scan | grep -v -m1 -E '^senda:' || true)
	[[ -z $other ]] || die "Redis database $REDIS_DB holds keys that are not Senda's (e.g. $other); choose another REDIS_DB"
	rc -n "$REDIS_DB" flushdb >/dev/null
}
fresh_db

# --- build -------------------------------------------------------------------
say "building senda, twiliofake and seed"
go build -o "$WORK/senda" ./cmd/senda
go build -o "$WORK/twiliofake" ./deploy/loadtest/twiliofake
go build -o "$WORK/seed" ./deploy/loadtest/seed
REV=$(GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" diff --quiet HEAD -- cmd bot content flows go.mod go.sum 2>/dev/null; then REV="$REV (with local changes)"; fi

if curl -s -o /dev/null --max-time 1 "http://$HOST:$APP_PORT/"; then
	die "something already listens on $HOST:$APP_PORT; set APP_PORT"
fi

# --- one run -------------------------------------------------------------------
FAKE_PID="" FAKE_STATS_URL="" APP_PID=""

start_fake() {
	local cut=()
	((CUT)) && cut=(-cut)
	"$WORK/twiliofake" -stats-addr "$HOST:0" -latency "$LATENCY" "${cut[@]}" >"$WORK/fake.env" 2>"$WORK/fake.log" &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	for _ in $(seq 100); do
		[[ $(grep -c '=' "$WORK/fake.env" 2>/dev/null) -ge 4 ]] && break
		alive "$FAKE_PID" || die "the fake Twilio stopped: $(tail -5 "$WORK/fake.log")"
		sleep 0.05
	done
	read_fake_env
}
stats() { curl -fsS --max-time 5 "$FAKE_STATS_URL/stats"; }

# Senda's environment, in a file only this user can read, so no secret is on
# a command line; SENDA_* and TWILIO_* of the caller's environment are dropped.
write_env() {
	local admin=$1
	{
		printf '%s=%q\n' \
			SENDA_ENV production \
			SENDA_ADDR "$HOST:$APP_PORT" \
			SENDA_PUBLIC_URL "http://$HOST:$APP_PORT" \
			SENDA_REDIS_URL "redis://$HOST:$REDIS_PORT/$REDIS_DB" \
			TWILIO_ACCOUNT_SID "$FAKE_ACCOUNT_SID" \
			TWILIO_AUTH_TOKEN "$FAKE_AUTH_TOKEN" \
			SENDA_TWILIO_API_BASE "$FAKE_URL" \
			SENDA_WHATSAPP_FROM "whatsapp:+14155238886" \
			SENDA_TWILIO_FROM "+15005550006" \
			SENDA_TWILIO_ERASE on \
			SENDA_HASH_KEY "$(openssl rand -base64 32)" \
			SENDA_SUBSCRIBER_KEY "$(openssl rand -base64 32)" \
			SENDA_ADMIN_TOKENS "crash:$admin" \
			SENDA_TWILIO_MPS "$MPS" \
			SENDA_WHATSAPP_DAILY_CAP 0 \
			SENDA_LOG_LEVEL info \
			SENDA_ADMIN_URL "http://$HOST:$APP_PORT" \
			SENDA_ADMIN_TOKEN "$admin"
		echo 'SENDA_QUIET_HOURS=' # set and empty: no quiet hours
	} >"$WORK/senda.env"
	chmod 600 "$WORK/senda.env"
}


start_senda() { # log
	exec_env "$WORK/senda" serve >"$WORK/$1.log" 2>&1 &
	APP_PID=$!
	PIDS+=("$APP_PID")
}
wait_ready() { # log
	for _ in $(seq 300); do
		alive "$APP_PID" || die "senda serve stopped: $(tail -5 "$WORK/$1.log")"
		curl -fs -o /dev/null --max-time 1 "http://$HOST:$APP_PORT/readyz" && return 0
		sleep 0.05
	done
	die "senda serve is not ready after 15 s: $(tail -5 "$WORK/$1.log")"
}

ROWS=()
PASSED=0
AFTER=()

run_once() { # run number
	local i=$1
	fresh_db
	start_fake
	write_env "$(openssl rand -hex 24)"
	start_senda before
	wait_ready before
	(exec_env "$WORK/seed" -n "$N" -topic "$TOPIC" -sms-every "$SMS_EVERY" -concurrency 8) >"$WORK/seed.log" 2>&1 ||
		die "seed failed: $(tail -5 "$WORK/seed.log")"
	senda_cli broadcast send --topic "$TOPIC" --text "Aviso de prueba" --json >"$WORK/created.json" ||
		die "senda broadcast send failed"
	local bid
	bid=$(jq -r .id "$WORK/created.json")
	[[ -n $bid && $bid != null ]] || die "no broadcast id: $(cat "$WORK/created.json")"

	local deadline=$((SECONDS + 60))
	until [[ $(stats | jq .messages) -gt 0 ]]; do
		((SECONDS < deadline)) || die "run $i: no message reached the fake Twilio in 60 s"
		sleep 0.02
	done
	local wait_ms=$((KILL_MIN_MS + (RANDOM * 32768 + RANDOM) % (KILL_MAX_MS - KILL_MIN_MS + 1)))
	sleep "$(awk -v m="$wait_ms" 'BEGIN { printf "%.3f", m / 1000 }')"

	local at_kill creates_kill final
	at_kill=$(stats)
	kill -KILL "$APP_PID"
	wait "$APP_PID" 2>/dev/null || true
	creates_kill=$(stats | jq .creates)
	local restart_ms
	restart_ms=$(now_ms)
	start_senda after
	wait_ready after
	local ready_ms state="" done_ms=""
	ready_ms=$(now_ms)
	while :; do
		state=$(senda_cli broadcast status "$bid" --json 2>/dev/null | jq -r .state || true)
		if [[ $state == done ]]; then
			done_ms=$(now_ms)
			break
		fi
		(($(now_ms) - restart_ms < DONE_TIMEOUT * 1000)) || break
		alive "$APP_PID" || die "run $i: senda serve stopped after the restart: $(tail -5 "$WORK/after.log")"
		sleep 0.1
	done
	final=$(stats)
	local msgs distinct dups secs ok
	msgs=$(jq .messages <<<"$final")
	distinct=$(jq .distinct_to <<<"$final")
	dups=$(jq .duplicates <<<"$final")
	# Sends on their way when the process died: with CUT=1 the requests the
	# kill cut off (never created); else those the fake had received and not
	# answered (held for LATENCY), created after the kill.
	local inflight
	if ((CUT)); then
		inflight=$(jq .cut <<<"$final")
	else
		inflight=$((creates_kill - $(jq .messages <<<"$at_kill")))
	fi
	if [[ -n $done_ms ]]; then
		secs=$(awk -v a="$restart_ms" -v b="$done_ms" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
	else
		secs="not done in ${DONE_TIMEOUT}"
	fi
	ok=0
	if [[ -n $done_ms ]] && ((done_ms - restart_ms <= TARGET * 1000 && distinct == N && dups == 0)); then
		ok=1
		PASSED=$((PASSED + 1))
	fi
	[[ -n $done_ms ]] && AFTER+=("$secs")
	local once="yes"
	((distinct == N && dups == 0)) || once="**NO** ($distinct of $N reached, $dups duplicates)"
	ROWS+=("| $i | $wait_ms | $(jq .messages <<<"$at_kill") | $inflight | $(awk -v a="$restart_ms" -v b="$ready_ms" 'BEGIN { printf "%.1f", (b - a) / 1000 }') | $secs | $msgs | $once | $( ((ok)) && echo yes || echo "**NO**") |")
	say "run $i/$RUNS: killed ${wait_ms} ms after the first message ($inflight sends in flight); done $secs s after the restart; $msgs messages to $distinct of $N, $dups duplicates"
	stop_pid "$APP_PID"
	stop_pid "$FAKE_PID"
}

say "$RUNS runs: $N subscribers, SENDA_TWILIO_MPS=$MPS, fake Twilio latency $LATENCY, CUT=$CUT, SIGKILL ${KILL_MIN_MS}-${KILL_MAX_MS} ms after the first message"
for i in $(seq "$RUNS"); do
	run_once "$i"
done

# --- summary -------------------------------------------------------------------
SORTED=$(printf '%s\n' "${AFTER[@]}" | sort -g)
MEDIAN=$(awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }' <<<"$SORTED")
WORST=$(tail -1 <<<"$SORTED")
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
{
	echo "## Crash and restart, $STARTED_AT"
	echo
	echo "Senda $REV, \`senda serve\` in production mode (status callbacks and erasure on), $N subscribers (every ${SMS_EVERY}th on SMS), SENDA_TWILIO_MPS=$MPS, fake Twilio latency $LATENCY, sends cut off by the kill $( ((CUT)) && echo "never created (CUT=1)" || echo "created anyway (CUT=0)"); SIGKILL ${KILL_MIN_MS}–${KILL_MAX_MS} ms after the first accepted message, restarted at once. Machine: $(nproc) CPUs, $CPU; load average at the end $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)."
	echo
	echo "| run | kill after first (ms) | accepted before the kill | sends in flight at the kill ($( ((CUT)) && echo "cut off" || echo "created after it")) | ready after restart (s) | done after restart (s) | messages accepted | each subscriber exactly once | within ${TARGET} s and once |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "$PASSED of $RUNS runs done within $TARGET s of the restart with every subscriber served exactly once; done after restart: median $MEDIAN s, worst $WORST s."
	echo
} >"$WORK/summary.md"
cat "$WORK/summary.md"
cat "$WORK/summary.md" >>"$OUT/crash-restart-results.md"
say "appended to $OUT/crash-restart-results.md"
((PASSED == RUNS)) || exit 3
