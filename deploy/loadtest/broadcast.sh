#!/usr/bin/env bash
# Broadcast load test, on this machine only (127.0.0.1):
#
#  1. unlimited rate: BenchmarkBroadcast10k (go test -bench, one process, the
#     fake Twilio in it): messages per second and allocations per message;
#  2. paced: `senda serve` and `senda worker` (two processes sharing the rate
#     through Redis) send a broadcast to N seeded subscribers through the fake
#     Twilio (deploy/loadtest/twiliofake) at SENDA_TWILIO_MPS=MPS. Over WINDOW
#     seconds from the first accepted message, the achieved rate must be within
#     TOLERANCE percent of MPS and no address may get the message twice. Then
#     the broadcast is cancelled and, once nothing moves, duplicates are
#     checked again over everything sent.
#
#   deploy/loadtest/broadcast.sh
#
# Settings (environment):
#   N=10000            subscribers seeded (every SMS_EVERY-th on SMS, the rest WhatsApp)
#   SMS_EVERY=10
#   MPS=50             SENDA_TWILIO_MPS
#   WINDOW=30          seconds measured, from the first accepted message
#   TOLERANCE=3        percent the achieved rate may be off MPS
#   WORKERS=           SENDA_WORKERS in each of the two processes; empty is Senda's default (MPS x 0.5 s, at least 4)
#   LATENCY=0          the fake Twilio's delay per create, e.g. 150ms (a distant Twilio)
#   BENCH=1            0 skips the benchmark
#   BENCH_COUNT=1      benchmark runs (-count); the median is reported
#   START_TIMEOUT=60   seconds to wait for the first message after the broadcast is created
#   SETTLE_TIMEOUT=120 seconds to wait, after the cancel, for the figures to stop moving
#   REDIS_PORT=6379 REDIS_DB=14 SENDA_PORT=18095
#   OUT=deploy/loadtest/out   where broadcast-results.md is appended and the last logs kept
#
# It starts redis-server if nothing answers on REDIS_PORT (and stops it
# again), FLUSHes REDIS_DB before and after (and refuses to if it holds keys
# that are not Senda's), and kills every process it started on exit. Exit
# status: 0 when both targets are met, 3 when a target is missed, 1 when a
# step fails.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

N=${N:-10000}
SMS_EVERY=${SMS_EVERY:-10}
MPS=${MPS:-50}
WINDOW=${WINDOW:-30}
TOLERANCE=${TOLERANCE:-3}
WORKERS=${WORKERS:-}
LATENCY=${LATENCY:-0}
BENCH=${BENCH:-1}
BENCH_COUNT=${BENCH_COUNT:-1}
START_TIMEOUT=${START_TIMEOUT:-60}
SETTLE_TIMEOUT=${SETTLE_TIMEOUT:-120}
REDIS_PORT=${REDIS_PORT:-6379}
REDIS_DB=${REDIS_DB:-14}
SENDA_PORT=${SENDA_PORT:-18095}
OUT=${OUT:-deploy/loadtest/out}
TOPIC=seguridad
HOST=127.0.0.1 # loopback only, by design: not a setting

NAME=broadcast.sh
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
check_int N "$N" 1 1000000
check_int SMS_EVERY "$SMS_EVERY" 0 1000000
check_num MPS "$MPS"
awk -v m="$MPS" 'BEGIN { exit !(m >= 0.01 && m <= 1000) }' || die "MPS=$MPS: want 0.01 to 1000 (Senda's range)"
check_int WINDOW "$WINDOW" 1 3600
check_num TOLERANCE "$TOLERANCE"
[[ -z $WORKERS ]] || check_int WORKERS "$WORKERS" 1 256
[[ $LATENCY =~ ^[0-9]+(ms|s)$ || $LATENCY == 0 ]] || die "LATENCY=$LATENCY: want e.g. 0, 150ms or 1s"
check_int BENCH "$BENCH" 0 1
check_int BENCH_COUNT "$BENCH_COUNT" 1 20
check_int START_TIMEOUT "$START_TIMEOUT" 1 3600
check_int SETTLE_TIMEOUT "$SETTLE_TIMEOUT" 1 3600
check_int REDIS_PORT "$REDIS_PORT" 1 65535
check_int REDIS_DB "$REDIS_DB" 0 15
check_int SENDA_PORT "$SENDA_PORT" 1 65535
awk -v n="$N" -v m="$MPS" -v w="$WINDOW" 'BEGIN { exit !(n >= m * (w + 5)) }' ||
	die "N=$N subscribers run out before the window ends at $MPS/s; want N >= MPS * (WINDOW + 5)"

# --- tools -----------------------------------------------------------------
if ! command -v redis-cli >/dev/null || ! command -v redis-server >/dev/null; then
	apt_install redis-server redis-tools
fi
command -v jq >/dev/null || apt_install jq
command -v openssl >/dev/null || apt_install openssl
command -v curl >/dev/null || die "curl is needed"
command -v go >/dev/null || die "go is needed"

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/senda-broadcast.XXXXXX)
chmod 700 "$WORK"
PIDS=()
STARTED_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)


cleanup() {
	local code=$?
	trap - EXIT INT TERM
	clean_up_run broadcast serve worker fake
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Redis -----------------------------------------------------------------
start_redis
other=$(rc -n "$REDIS_DB" --scan | grep -v -m1 -E '^(senda:|senda-test:)' || true)
[[ -z $other ]] || die "Redis database $REDIS_DB holds keys that are not Senda's (e.g. $other); choose another REDIS_DB"
rc -n "$REDIS_DB" flushdb >/dev/null
REDIS_VERSION=$(rc info server | tr -d '\r' | awk -F: '$1 == "redis_version" { print $2 }')

# --- build -----------------------------------------------------------------
say "building senda, twiliofake and seed"
go build -o "$WORK/senda" ./cmd/senda
go build -o "$WORK/twiliofake" ./deploy/loadtest/twiliofake
go build -o "$WORK/seed" ./deploy/loadtest/seed

# --- 1. unlimited rate -----------------------------------------------------
BENCH_MSGS="skipped" BENCH_ALLOCS="skipped" BENCH_BYTES="skipped" BENCH_RUNS=""
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
if ((BENCH)); then
	say "running BenchmarkBroadcast10k (unlimited rate, $BENCH_COUNT run(s))"
	SENDA_TEST_REDIS_URL="redis://$HOST:$REDIS_PORT/$REDIS_DB" \
		go test -run '^$' -bench Broadcast10k -benchtime 1x -count "$BENCH_COUNT" ./bot/app/ >"$WORK/bench.txt" 2>&1 ||
		{
			cat "$WORK/bench.txt" >&2
			die "the benchmark failed"
		}
	grep '^BenchmarkBroadcast10k' "$WORK/bench.txt" >&2 || { cat "$WORK/bench.txt" >&2; die "no benchmark result"; }
	metric() { # unit: the median of the value before it over the runs
		awk -v u="$1" '/^BenchmarkBroadcast10k/ { for (i = 2; i <= NF; i++) if ($i == u) print $(i-1) }' "$WORK/bench.txt" |
			sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2 }'
	}
	BENCH_MSGS=$(metric msgs/s) || die "no msgs/s in the benchmark output"
	BENCH_ALLOCS=$(metric allocs/msg) || die "no allocs/msg in the benchmark output"
	BENCH_BYTES=$(metric B/msg) || die "no B/msg in the benchmark output"
	BENCH_RUNS=$(awk '/^BenchmarkBroadcast10k/ { for (i = 2; i <= NF; i++) if ($i == "msgs/s") printf "%s%.0f", (n++ ? ", " : ""), $(i-1) }' "$WORK/bench.txt")
	rc -n "$REDIS_DB" flushdb >/dev/null
fi

# --- 2. paced, two processes -------------------------------------------------
alive() { kill -0 "$1" 2>/dev/null; }
tail_log() { # name
	echo "--- last lines of $1.log:" >&2
	tail -n 20 "$WORK/$1.log" >&2 || true
}

if curl -s -o /dev/null --max-time 1 "http://$HOST:$SENDA_PORT/"; then
	die "something already listens on $HOST:$SENDA_PORT; set SENDA_PORT"
fi

say "starting the fake Twilio"
"$WORK/twiliofake" -stats-addr "$HOST:0" -latency "$LATENCY" >"$WORK/fake.env" 2>"$WORK/fake.log" &
FAKE_PID=$!
PIDS+=("$FAKE_PID")
FAKE_URL="" FAKE_ACCOUNT_SID="" FAKE_AUTH_TOKEN="" FAKE_STATS_URL=""
for _ in $(seq 100); do
	[[ $(grep -c '=' "$WORK/fake.env" 2>/dev/null) -ge 4 ]] && break
	alive "$FAKE_PID" || { tail_log fake; die "the fake Twilio stopped"; }
	sleep 0.05
done
read_fake_env
stats() { # [since until]
	if (($# == 2)); then
		curl -fsS --max-time 5 -G --data-urlencode "since=$1" --data-urlencode "until=$2" "$FAKE_STATS_URL/stats"
	else
		curl -fsS --max-time 5 "$FAKE_STATS_URL/stats"
	fi
}

# Senda's environment: everything it reads, in a file only this user can
# read, so no secret is on a command line; SENDA_* and TWILIO_* of the
# caller's environment are dropped.
ADMIN_TOKEN=$(openssl rand -hex 24)
{
	printf '%s=%q\n' \
		SENDA_ENV production \
		SENDA_ADDR "$HOST:$SENDA_PORT" \
		SENDA_PUBLIC_URL "http://$HOST:$SENDA_PORT" \
		SENDA_REDIS_URL "redis://$HOST:$REDIS_PORT/$REDIS_DB" \
		TWILIO_ACCOUNT_SID "$FAKE_ACCOUNT_SID" \
		TWILIO_AUTH_TOKEN "$FAKE_AUTH_TOKEN" \
		SENDA_TWILIO_API_BASE "$FAKE_URL" \
		SENDA_WHATSAPP_FROM "whatsapp:+14155238886" \
		SENDA_TWILIO_FROM "+15005550006" \
		SENDA_HASH_KEY "$(openssl rand -base64 32)" \
		SENDA_SUBSCRIBER_KEY "$(openssl rand -base64 32)" \
		SENDA_ADMIN_TOKENS "load:$ADMIN_TOKEN" \
		SENDA_TWILIO_MPS "$MPS" \
		SENDA_WORKERS "$WORKERS" \
		SENDA_WHATSAPP_DAILY_CAP 0 \
		SENDA_LOG_LEVEL warn \
		SENDA_ADMIN_URL "http://$HOST:$SENDA_PORT" \
		SENDA_ADMIN_TOKEN "$ADMIN_TOKEN"
	echo 'SENDA_QUIET_HOURS=' # set and empty: no quiet hours
} >"$WORK/senda.env"
chmod 600 "$WORK/senda.env"


say "starting senda serve and senda worker (SENDA_TWILIO_MPS=$MPS, SENDA_WORKERS=${WORKERS:-default} each)"
exec_env "$WORK/senda" serve >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
PIDS+=("$SERVE_PID")
exec_env "$WORK/senda" worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=("$WORKER_PID")

ready=0
for _ in $(seq 300); do
	alive "$SERVE_PID" || { tail_log serve; die "senda serve stopped"; }
	alive "$WORKER_PID" || { tail_log worker; die "senda worker stopped"; }
	if curl -fs -o /dev/null --max-time 1 "http://$HOST:$SENDA_PORT/readyz"; then
		ready=1
		break
	fi
	sleep 0.1
done
((ready)) || { tail_log serve; die "senda serve is not ready after 30 s"; }

# Both processes must be reading the queue: each has one blocking
# XREADGROUP on it at a time (a consumer shows in XINFO CONSUMERS only once
# it has been served something).
QUEUE="senda:{q}:stream"
readers=0
for _ in $(seq 150); do
	alive "$WORKER_PID" || { tail_log worker; die "senda worker stopped"; }
	readers=$(rc client list | grep -c " db=$REDIS_DB .*cmd=xreadgroup" || true)
	((readers >= 2)) && break
	sleep 0.1
done
((readers >= 2)) || die "expected 2 processes reading the broadcast queue (serve and worker), found $readers"

say "seeding $N subscribers to $TOPIC"
(exec_env "$WORK/seed" -n "$N" -topic "$TOPIC" -sms-every "$SMS_EVERY") >&2

say "creating the broadcast"
senda_cli broadcast send --topic "$TOPIC" --text "Alerta de prueba" --json >"$WORK/created.json" ||
	die "senda broadcast send failed"
BID=$(jq -r .id "$WORK/created.json")
RECIPIENTS=$(jq -r .recipients "$WORK/created.json")
[[ -n $BID && $BID != null ]] || die "no broadcast id in the answer: $(cat "$WORK/created.json")"
((RECIPIENTS == N)) || die "the broadcast has $RECIPIENTS recipients, want $N"
say "broadcast $BID: $RECIPIENTS recipients"

status() { senda_cli broadcast status "$BID" --json; }
to_ns() { date -u -d "$1" +%s%N; }
from_ns() { date -u -d "@$(($1 / 1000000000)).$(printf '%09d' $(($1 % 1000000000)))" +%Y-%m-%dT%H:%M:%S.%NZ; }

FIRST=""
deadline=$((SECONDS + START_TIMEOUT))
while :; do
	FIRST=$(stats | jq -r '.first // empty')
	[[ -n $FIRST ]] && break
	((SECONDS < deadline)) || { tail_log serve; tail_log worker; die "no message reached the fake Twilio in $START_TIMEOUT s: $(status | jq -c .)"; }
	sleep 0.05
done
FIRST_NS=$(to_ns "$FIRST")
UNTIL_NS=$((FIRST_NS + WINDOW * 1000000000))
UNTIL=$(from_ns "$UNTIL_NS")
say "first message at $FIRST; measuring until $UNTIL"
while (($(date +%s%N) < UNTIL_NS + 500000000)); do
	alive "$SERVE_PID" || { tail_log serve; die "senda serve stopped during the window"; }
	alive "$WORKER_PID" || { tail_log worker; die "senda worker stopped during the window"; }
	sleep 0.5
done
stats "$FIRST" "$UNTIL" >"$WORK/window.json"
# Both processes took deliveries: two consumers in the group.
CONSUMERS=$(rc -n "$REDIS_DB" xinfo consumers "$QUEUE" senda-workers | grep -c '^name$' || true)
WIN_MSGS=$(jq .window.messages "$WORK/window.json")
WIN_DUPS=$(jq .window.duplicates "$WORK/window.json")
RATE=$(awk -v m="$WIN_MSGS" -v w="$WINDOW" 'BEGIN { printf "%.2f", m / w }')
DEV=$(awk -v r="$RATE" -v t="$MPS" 'BEGIN { printf "%+.2f", (r - t) / t * 100 }')
RATE_OK=$(awk -v d="$DEV" -v tol="$TOLERANCE" 'BEGIN { print (d <= tol && d >= -tol) ? 1 : 0 }')
# Whole seconds from the first message: the spread of the rate.
PER_SEC=$(jq -c --argjson w "$WINDOW" '.per_second[0:$w]' "$WORK/window.json")
SEC_MIN=$(jq --argjson w "$WINDOW" '.per_second[0:$w] | min' "$WORK/window.json")
SEC_MAX=$(jq --argjson w "$WINDOW" '.per_second[0:$w] | max' "$WORK/window.json")
say "window: $WIN_MSGS messages in $WINDOW s = $RATE/s ($DEV% off $MPS), $WIN_DUPS duplicates; per second $SEC_MIN-$SEC_MAX"

# --- cancel, let it settle, check everything sent ---------------------------
senda_cli broadcast cancel "$BID" --json >"$WORK/cancel.json" || die "senda broadcast cancel failed"
[[ $(jq -r .state "$WORK/cancel.json") == cancelled ]] || die "cancel answered: $(cat "$WORK/cancel.json")"
CANCEL_NS=$(date +%s%N)
prev="" stable=0
deadline=$((SECONDS + SETTLE_TIMEOUT))
while :; do
	st=$(status)
	msgs=$(stats | jq .messages)
	now="$(jq -r '[.state, .finished, .sent] | @tsv' <<<"$st") $msgs"
	if [[ $(jq -r .state <<<"$st") == cancelled && $(jq '.finished == .recipients' <<<"$st") == true && $now == "$prev" ]]; then
		((++stable >= 3)) && break
	else
		stable=0
	fi
	prev=$now
	((SECONDS < deadline)) || die "the cancelled broadcast did not settle in $SETTLE_TIMEOUT s: $(jq -c . <<<"$st")"
	sleep 1
done
alive "$SERVE_PID" || { tail_log serve; die "senda serve stopped"; }
alive "$WORKER_PID" || { tail_log worker; die "senda worker stopped"; }
stats >"$WORK/final.json"
FINAL_MSGS=$(jq .messages "$WORK/final.json")
FINAL_CREATES=$(jq .creates "$WORK/final.json")
FINAL_DUPS=$(jq .duplicates "$WORK/final.json")
LAST=$(jq -r .last "$WORK/final.json")
SENT=$(jq .sent <<<"$st")
SKIPPED=$(jq .skipped <<<"$st")
FAILED=$(jq .failed <<<"$st")
REASONS=$(jq -c .reasons <<<"$st")
AFTER_CANCEL=$(stats "$(from_ns "$CANCEL_NS")" 2100-01-01T00:00:00Z | jq .window.messages)
AFTER_CANCEL_LATE=$(stats "$(from_ns $((CANCEL_NS + 1500000000)))" 2100-01-01T00:00:00Z | jq .window.messages)
SPAN_RATE=$(awk -v m="$FINAL_MSGS" -v a="$FIRST_NS" -v b="$(to_ns "$LAST")" 'BEGIN { printf "%.2f", (b > a) ? (m - 1) / ((b - a) / 1e9) : 0 }')
QUEUE_LEFT=$(rc -n "$REDIS_DB" xlen "$QUEUE")
say "after cancel: $FINAL_MSGS messages ($FINAL_CREATES creates), $FINAL_DUPS duplicates; Senda: sent $SENT, skipped $SKIPPED, failed $FAILED"

# --- summary -----------------------------------------------------------------
pass() { if (($1)); then echo "yes"; else echo "**NO**"; fi; }
DUPS_OK=$((WIN_DUPS == 0 && FINAL_DUPS == 0))
SENT_OK=$((SENT == FINAL_MSGS && FAILED == 0))
BOTH_OK=$((CONSUMERS == 2))
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
LOAD=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
# Read-only git: GIT_OPTIONAL_LOCKS=0 keeps even the index untouched.
REV=$(GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if ! GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" diff --quiet HEAD -- cmd bot content flows go.mod go.sum 2>/dev/null; then REV="$REV (with local changes)"; fi
{
	echo "## Broadcast load test, $STARTED_AT"
	echo
	echo "Machine: $(nproc) CPUs, $CPU; $(go version | cut -d' ' -f3-4); Redis $REDIS_VERSION; load average at the start $LOAD_START, at the end $LOAD (other work on the machine skews the figures, the benchmark most); Senda $REV."
	echo
	echo "**Unlimited rate** (BenchmarkBroadcast10k: 10,000 WhatsApp subscribers, 16 workers, one process with the fake Twilio, Redis $HOST:$REDIS_PORT):"
	echo
	echo "| msgs/s | allocs/msg | B/msg | runs (msgs/s) |"
	echo "|---|---|---|---|"
	echo "| $BENCH_MSGS | $BENCH_ALLOCS | $BENCH_BYTES | ${BENCH_RUNS:-} |"
	echo
	echo "**Paced** (\`senda serve\` + \`senda worker\`, SENDA_WORKERS=${WORKERS:-default} each, SENDA_TWILIO_MPS=$MPS, $N subscribers of which every ${SMS_EVERY}th on SMS, fake Twilio latency $LATENCY):"
	echo
	echo "| figure | value | target | met |"
	echo "|---|---|---|---|"
	echo "| messages in the $WINDOW s from the first | $WIN_MSGS | | |"
	echo "| achieved rate | $RATE/s | $MPS/s ± $TOLERANCE% | $(pass "$RATE_OK") |"
	echo "| deviation | $DEV% | | |"
	echo "| messages per whole second (min–max) | $SEC_MIN–$SEC_MAX | | |"
	echo "| duplicates in the window | $WIN_DUPS | 0 | $(pass $((WIN_DUPS == 0))) |"
	echo "| duplicates over everything sent (after cancel, settled) | $FINAL_DUPS of $FINAL_MSGS | 0 | $(pass $((FINAL_DUPS == 0))) |"
	echo "| Senda's sent = fake's accepted, none failed | $SENT = $FINAL_MSGS, failed $FAILED | equal, 0 | $(pass "$SENT_OK") |"
	echo "| processes that took deliveries (consumers) | $CONSUMERS | 2 | $(pass "$BOTH_OK") |"
	echo "| rate from first to last message | $SPAN_RATE/s | | |"
	echo "| accepted after the cancel answered (sends already in flight) | $AFTER_CANCEL | | |"
	echo "| accepted more than 1.5 s after the cancel answered | $AFTER_CANCEL_LATE | | |"
	echo "| skipped (reasons) | $SKIPPED $REASONS | | |"
	echo "| left in the queue | $QUEUE_LEFT | | |"
	echo
	echo "Per second from the first message: \`$PER_SEC\`"
	echo
} >"$WORK/summary.md"
cat "$WORK/summary.md"
cat "$WORK/summary.md" >>"$OUT/broadcast-results.md"
say "appended to $OUT/broadcast-results.md"

if ! ((RATE_OK && DUPS_OK && SENT_OK && BOTH_OK)); then
	say "a target was missed"
	exit 3
fi
