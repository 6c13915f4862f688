#!/usr/bin/env bash
# shellcheck disable=SC2154 # the W_* variables are set by printf -v in run_wrk
#
# Webhook load test: `senda serve` (production mode, signatures checked)
# against a bare echo handler that does one pipelined Redis GET+SET and
# answers constant TwiML (deploy/loadtest/baseline), in the same run, on this
# machine only (127.0.0.1). See docs/PERFORMANCE.md, "Webhook load test".
#
#   deploy/loadtest/run.sh
#
# Settings (environment):
#   LOADTEST_THREADS=2 LOADTEST_CONNECTIONS=64 LOADTEST_DURATION=15 (seconds per run)
#   LOADTEST_ROUNDS=3        rounds of one baseline run and one Senda run, in ABBA order
#   LOADTEST_WARMUP=3        seconds of warm-up per server, every response checked
#   LOADTEST_SENDERS=5000    distinct senders (a multiple of LOADTEST_THREADS)
#   LOADTEST_MAX_RATE=15000  req/s a request file must last at; raise it if wrk warns it ran out
#   LOADTEST_REDIS_PORT=6379 LOADTEST_REDIS_DB=9 (Senda's; the baseline uses the next one).
#                            A port where nothing answers gets a redis-server of its own.
#   LOADTEST_SENDA_PORT=18090 LOADTEST_BASELINE_PORT=18091
#   LOADTEST_QUIET_WAIT=30   before each run, wait up to this many seconds for other
#                            work on the machine to use less than a quarter of a core
#   LOADTEST_MAX_OTHER=0.5   a round in which other work used more cores than this
#                            during either run is shown but left out of the summary ...
#   LOADTEST_EXTRA_ROUNDS=   ... and replaced by an extra round, up to this many (default: ROUNDS)
#   LOADTEST_PROFILE=0       1: afterwards, profile both servers under load (perf) and
#                            bot/app's BenchmarkWebhook (go test -cpuprofile)
#   LOADTEST_REV=            a commit (e.g. HEAD): build Senda from it, not the working tree
#   LOADTEST_SESSION_KEYS=   regular expression of session keys (default: both layouts so far)
#   LOADTEST_STRICT=0        1: exit 3 when a target is missed
#   LOADTEST_OUT=deploy/loadtest/out   webhook-results.md is appended there; profiles and
#                            the servers' last logs are kept there
#
# It starts redis-server if nothing answers on the port (and stops it
# again), FLUSHes its two databases before and after (and refuses to if they
# hold other keys), and kills every process it started on exit. Exit status:
# 0 when the run completed, 1 when a step failed (a server that does not
# start, a bad response in the warm-up), 3 with LOADTEST_STRICT=1 and a
# missed target.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)

THREADS=${LOADTEST_THREADS:-2}
CONNS=${LOADTEST_CONNECTIONS:-64}
DURATION=${LOADTEST_DURATION:-15}
ROUNDS=${LOADTEST_ROUNDS:-3}
WARMUP=${LOADTEST_WARMUP:-3}
SENDERS=${LOADTEST_SENDERS:-5000}
MAX_RATE=${LOADTEST_MAX_RATE:-15000}
REDIS_PORT=${LOADTEST_REDIS_PORT:-6379}
REDIS_DB=${LOADTEST_REDIS_DB:-9}
SENDA_PORT=${LOADTEST_SENDA_PORT:-18090}
BASE_PORT=${LOADTEST_BASELINE_PORT:-18091}
QUIET_WAIT=${LOADTEST_QUIET_WAIT:-30}
MAX_OTHER=${LOADTEST_MAX_OTHER:-0.5}
EXTRA_ROUNDS=${LOADTEST_EXTRA_ROUNDS:-$ROUNDS}
PROFILE=${LOADTEST_PROFILE:-0}
REV=${LOADTEST_REV:-}
KEYS_RE=${LOADTEST_SESSION_KEYS:-'^senda:(s:[^{}]+|\{[^{}]+\}:s)$'} # senda:s:ID, or senda:{ID}:s with a hash tag
OUT=${LOADTEST_OUT:-deploy/loadtest/out}
HOST=127.0.0.1 # loopback only, by design: not a setting

NAME=loadtest
# shellcheck source=deploy/lib.sh
source deploy/lib.sh
check_int LOADTEST_THREADS "$THREADS" 1 16
check_int LOADTEST_CONNECTIONS "$CONNS" "$THREADS" 1024
check_int LOADTEST_DURATION "$DURATION" 1 120
check_int LOADTEST_ROUNDS "$ROUNDS" 1 10
check_int LOADTEST_EXTRA_ROUNDS "$EXTRA_ROUNDS" 0 10
check_int LOADTEST_WARMUP "$WARMUP" 1 30
check_int LOADTEST_SENDERS "$SENDERS" "$THREADS" 1000000
check_int LOADTEST_MAX_RATE "$MAX_RATE" 100 200000
check_int LOADTEST_REDIS_PORT "$REDIS_PORT" 1 65535
check_int LOADTEST_REDIS_DB "$REDIS_DB" 0 14
check_int LOADTEST_SENDA_PORT "$SENDA_PORT" 1 65535
check_int LOADTEST_BASELINE_PORT "$BASE_PORT" 1 65535
check_int LOADTEST_QUIET_WAIT "$QUIET_WAIT" 0 300
[[ $MAX_OTHER =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "LOADTEST_MAX_OTHER=$MAX_OTHER: want a number of cores, e.g. 0.5"
((SENDERS % THREADS == 0)) ||
	die "LOADTEST_SENDERS must be a multiple of LOADTEST_THREADS, so that each sender's messages go through one wrk thread, in order"
BASE_DB=$((REDIS_DB + 1))

# --- tools -------------------------------------------------------------------
command -v wrk >/dev/null || apt_install wrk
if ! command -v redis-cli >/dev/null || ! command -v redis-server >/dev/null; then
	apt_install redis-server redis-tools
fi
for tool in curl go awk; do
	command -v "$tool" >/dev/null || die "$tool is needed"
done

mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/senda-loadtest.XXXXXX)
PIDS=()
WRK_PID=""


cleanup() {
	local code=$?
	trap - EXIT INT TERM
	if [[ -n $WRK_PID ]]; then kill "$WRK_PID" 2>/dev/null || true; fi
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ $(rc ping 2>/dev/null) == PONG ]]; then
		rc -n "$REDIS_DB" flushdb >/dev/null 2>&1 || true
		rc -n "$BASE_DB" flushdb >/dev/null 2>&1 || true
	fi
	stop_redis
	# The servers' logs of the last run (they hold no message or number).
	for log in senda baseline; do
		if [[ -s $WORK/$log.log ]]; then cp "$WORK/$log.log" "$OUT/webhook-last-$log.log" 2>/dev/null || true; fi
	done
	rm -rf "$WORK"
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Redis -------------------------------------------------------------------
start_redis
DBS=$(rc config get databases | tail -1)
((BASE_DB < DBS)) || die "Redis has $DBS databases; LOADTEST_REDIS_DB=$REDIS_DB needs $((BASE_DB + 1))"
# Both databases are erased: refuse if they hold anything but what this
# script leaves behind when it is killed.
for db in "$REDIS_DB" "$BASE_DB"; do
	other=$(rc -n "$db" --scan | grep -v -m1 -E '^(senda:|loadtest:)' || true)
	[[ -z $other ]] || die "Redis database $db holds keys of something else (e.g. $other); pick another LOADTEST_REDIS_DB"
done
rc -n "$REDIS_DB" flushdb >/dev/null
rc -n "$BASE_DB" flushdb >/dev/null
REDIS_VERSION=$(rc info server | tr -d '\r' | awk -F: '$1=="redis_version"{print $2}')
REDIS_PID=$(rc info server | tr -d '\r' | awk -F: '$1=="process_id"{print $2}')
[[ -r /proc/$REDIS_PID/stat ]] || REDIS_PID="" # in another namespace: no CPU figures for Redis

# --- build -------------------------------------------------------------------
echo "loadtest: building senda, baseline and gen" >&2
if [[ -n $REV ]]; then
	# Senda as committed, whatever the working tree holds; the harness
	# (baseline, gen, senda.lua) comes from the working tree.
	mkdir "$WORK/src"
	git -C "$ROOT" archive "$REV" | tar -x -C "$WORK/src" || die "git archive $REV failed"
	(cd "$WORK/src" && go build -o "$WORK/senda" ./cmd/senda)
	SOURCE="commit $(git -C "$ROOT" rev-parse --short "$REV")"
else
	go build -o "$WORK/senda" ./cmd/senda
	SOURCE="working tree at $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")"
	if [[ -n $(GIT_OPTIONAL_LOCKS=0 git -C "$ROOT" status --porcelain -uno 2>/dev/null) ]]; then
		SOURCE+=" with local changes"
	fi
fi
go build -o "$WORK/baseline" ./deploy/loadtest/baseline
go build -o "$WORK/gen" ./deploy/loadtest/gen

# --- servers -----------------------------------------------------------------
for port in "$SENDA_PORT" "$BASE_PORT"; do
	if curl -s -o /dev/null --max-time 1 "http://$HOST:$port/"; then
		die "something already listens on $HOST:$port; set LOADTEST_SENDA_PORT or LOADTEST_BASELINE_PORT"
	fi
done
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
HASH_KEY=$(head -c 32 /dev/urandom | base64)
SENDA_URL="http://$HOST:$SENDA_PORT"
BASE_URL="http://$HOST:$BASE_PORT"
HOOK=/twilio/messages

"$WORK/baseline" -addr "$HOST:$BASE_PORT" -redis-url "redis://$HOST:$REDIS_PORT/$BASE_DB" >"$WORK/baseline.log" 2>&1 &
BASE_PID=$!
PIDS+=("$BASE_PID")
env SENDA_ENV=production SENDA_ADDR="$HOST:$SENDA_PORT" SENDA_PUBLIC_URL="$SENDA_URL" \
	SENDA_REDIS_URL="redis://$HOST:$REDIS_PORT/$REDIS_DB" TWILIO_AUTH_TOKEN="$TOKEN" \
	SENDA_HASH_KEY="$HASH_KEY" SENDA_LOG_LEVEL=warn "$WORK/senda" serve >"$WORK/senda.log" 2>&1 &
SENDA_PID=$!
PIDS+=("$SENDA_PID")

wait_ready() { # name pid url log
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || {
			tail -20 "$4" >&2
			die "$1 exited during start"
		}
		if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$3/readyz") == 200 ]]; then return 0; fi
		sleep 0.2
	done
	tail -20 "$4" >&2
	die "$1 was not ready within 20 s"
}
wait_ready senda "$SENDA_PID" "$SENDA_URL" "$WORK/senda.log"
wait_ready baseline "$BASE_PID" "$BASE_URL" "$WORK/baseline.log"

# --- requests ----------------------------------------------------------------
NEXT=0 # index of the next request to generate: each file carries the conversations on
gen_file() { # seconds file
	local n=$((MAX_RATE * $1))
	n=$(((n + SENDERS - 1) / SENDERS * SENDERS))
	TWILIO_AUTH_TOKEN=$TOKEN "$WORK/gen" -url "$SENDA_URL$HOOK" -n "$n" -senders "$SENDERS" -start "$NEXT" -o "$2" 2>"$WORK/gen.log" || {
		cat "$WORK/gen.log" >&2
		die "gen failed"
	}
	NEXT=$((NEXT + n))
}

gen_file "$WARMUP" "$WORK/warmup.tsv"

# A genuine request is answered with TwiML and a tampered one refused.
IFS=$'\t' read -r SIG BODY < <(head -1 "$WORK/warmup.tsv")
post() { curl -s -o "$WORK/reply" -w '%{http_code}' --max-time 5 -H 'Content-Type: application/x-www-form-urlencoded' "$@"; }
code=$(post -H "X-Twilio-Signature: $SIG" --data-binary "$BODY" "$SENDA_URL$HOOK")
if [[ $code != 200 ]] || ! grep -q '<Response>' "$WORK/reply"; then
	die "a signed request got $code from Senda: $(head -c 300 "$WORK/reply")"
fi
code=$(post -H "X-Twilio-Signature: $SIG" --data-binary "${BODY}x" "$SENDA_URL$HOOK")
[[ $code == 403 ]] || die "a tampered request got $code from Senda, not 403: is the signature checked?"
code=$(post --data-binary "$BODY" "$BASE_URL$HOOK")
if [[ $code != 200 ]] || ! grep -q '<Response>' "$WORK/reply"; then
	die "the baseline answered $code: $(head -c 300 "$WORK/reply")"
fi

# --- measuring ---------------------------------------------------------------
TCK=$(getconf CLK_TCK)
proc_ticks() { # pid: user+system clock ticks of a process, all threads
	if [[ -n $1 && -r /proc/$1/stat ]]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi
}
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
reads() { rc info stats | tr -d '\r' | awk -F: '$1=="total_reads_processed"{print $2}'; }
# children_cpu sets CHILD_CPU to the user+system seconds of this shell's
# finished children (wrk, once waited for). `times` must run in this shell,
# not in a $(…) subshell, which has children of its own.
children_cpu() {
	times >"$WORK/times"
	CHILD_CPU=$(awk 'NR==2{ for (i=1;i<=2;i++) { split($i,a,"m"); sub("s","",a[2]); s+=a[1]*60+a[2] } print s }' "$WORK/times")
}
metric_sum() { # name: a Senda counter, summed over its labels
	curl -s --max-time 5 "$SENDA_URL/metrics" | awk -v n="senda_$1" '$1==n || index($1, n"{")==1 {s+=$2} END{printf "%d\n", s}'
}
# quiet waits, up to QUIET_WAIT seconds, until the machine (our idle servers
# included) uses less than a quarter of a core over a second, so that a run
# is less likely to share the CPUs with someone's build.
quiet() {
	local a b
	for _ in $(seq "$QUIET_WAIT"); do
		a=$(busy_ticks)
		sleep 1
		b=$(busy_ticks)
		if (((b - a) * 4 < TCK)); then return 0; fi
	done
	return 0 # measure anyway: the "other CPU" column tells
}

# run_wrk name url file seconds [check]: sets W_* from wrk's LOADTEST line.
run_wrk() {
	local name=$1 url=$2 file=$3 secs=$4 mode=${5:-}
	wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 5s --latency -s "$ROOT/deploy/loadtest/senda.lua" \
		"$url$HOOK" -- "$file" "$THREADS" ${mode:+"$mode"} >"$WORK/wrk.out" 2>&1 &
	WRK_PID=$!
	wait "$WRK_PID" || {
		cat "$WORK/wrk.out" >&2
		die "wrk failed against $name"
	}
	WRK_PID=""
	local line
	line=$(grep '^LOADTEST ' "$WORK/wrk.out") || {
		cat "$WORK/wrk.out" >&2
		die "wrk printed no summary"
	}
	grep -E '^(WARNING|checked)' "$WORK/wrk.out" >&2 || true
	for kv in ${line#LOADTEST }; do printf -v "W_${kv%%=*}" '%s' "${kv#*=}"; done
}

ROWS=()
declare -A RPS CPU OTHER
SENDA_RT=() BASE_RT=()
SENDA_MSGS=0 SENDA_DUPS=0 SENDA_FORBIDDEN=0 SENDA_ERRS=0
WRAPPED=0

# measure round name pid url file: one measured run, one row of the table.
measure() {
	local round=$1 name=$2 pid=$3 url=$4 file=$5
	local rd0 rd1 srv0 srv1 red0 red1 busy0 busy1 cpu0 cpu1 m0=0 d0=0 f0=0 e0=0
	quiet
	rc info commandstats | tr -d '\r' >"$WORK/cs0"
	rd0=$(reads)
	if [[ $name == senda ]]; then
		m0=$(metric_sum messages_total) d0=$(metric_sum webhook_duplicates_total)
		f0=$(metric_sum webhook_forbidden_total) e0=$(($(metric_sum webhook_errors_total) + $(metric_sum effect_errors_total)))
	fi
	srv0=$(proc_ticks "$pid") red0=$(proc_ticks "$REDIS_PID") busy0=$(busy_ticks)
	children_cpu
	cpu0=$CHILD_CPU

	run_wrk "$name" "$url" "$file" "$DURATION"

	children_cpu
	cpu1=$CHILD_CPU
	srv1=$(proc_ticks "$pid") red1=$(proc_ticks "$REDIS_PID") busy1=$(busy_ticks)
	rd1=$(reads)
	rc info commandstats | tr -d '\r' >"$WORK/cs1"

	local n=$W_requests
	((n > 0)) || die "no request completed against $name"
	local cmds rt row cpu other
	# Commands per message by name. Redis counts the commands a script runs
	# as well as the EVALSHA that runs it, and those of every other client.
	cmds=$(awk -F'[:=,]' -v n="$n" '
		/^cmdstat_/ { name = substr($1, 9); if (FNR == NR) a[name] = $3; else b[name] = $3 }
		END { for (k in b) { d = (b[k] - a[k]) / n; if (d >= 0.005 && k != "info") out = out sprintf("%s%s %.2f", out == "" ? "" : ", ", k, d) } print out }
	' "$WORK/cs0" "$WORK/cs1")
	# Read events: about one per request-reply exchange. The snapshots' own
	# INFO calls are two of them.
	rt=$(awk -v a="$rd0" -v b="$rd1" -v n="$n" 'BEGIN{printf "%.3f", (b - a - 2) / n}')
	{
		read -r row
		read -r cpu
		read -r other
	} < <(awk -v r="$round" -v name="$name" -v rps="$W_rps" -v p50="$W_p50_ms" -v p99="$W_p99_ms" \
		-v bytes="$W_bytes_per_response" -v s="$((srv1 - srv0))" -v red="$((red1 - red0))" \
		-v busy="$((busy1 - busy0))" -v w0="$cpu0" -v w1="$cpu1" -v tck="$TCK" -v n="$n" -v secs="$W_seconds" \
		-v rt="$rt" -v cmds="$cmds" -v errs="$((W_status_errors + W_socket_errors))" -v haveredis="${REDIS_PID:+1}" 'BEGIN {
			us = 1e6 / tck / n; wrk = w1 - w0
			other = (busy / tck - s / tck - red / tck - wrk) / secs
			if (other < 0) other = 0
			printf "| %s | %s | %.0f | %.1f | %.1f | %d | %.0f | %s | %.0f | %.2f | %s | %s | %d |\n", r, name, rps, p50, p99,
				bytes, s * us, haveredis ? sprintf("%.0f", red * us) : "-", wrk * 1e6 / n, other, rt, cmds, errs
			printf "%.1f\n%.2f\n", s * us + red * us + wrk * 1e6 / n, other
		}')
	ROWS+=("$row")
	RPS[$name,$round]=$W_rps
	CPU[$name,$round]=$cpu
	OTHER[$name,$round]=$other
	((W_wraps == 0)) || WRAPPED=1
	if [[ $name == senda ]]; then
		SENDA_RT+=("$rt")
		SENDA_MSGS=$((SENDA_MSGS + $(metric_sum messages_total) - m0))
		SENDA_DUPS=$((SENDA_DUPS + $(metric_sum webhook_duplicates_total) - d0))
		SENDA_FORBIDDEN=$((SENDA_FORBIDDEN + $(metric_sum webhook_forbidden_total) - f0))
		SENDA_ERRS=$((SENDA_ERRS + $(metric_sum webhook_errors_total) + $(metric_sum effect_errors_total) - e0))
	else
		BASE_RT+=("$rt")
	fi
	echo "loadtest: round $round $name: $W_rps req/s" >&2
}

echo "loadtest: warm-up, every response checked ($WARMUP s each)" >&2
for name in baseline senda; do
	url=$BASE_URL
	if [[ $name == senda ]]; then url=$SENDA_URL; fi
	run_wrk "$name" "$url" "$WORK/warmup.tsv" "$WARMUP" check
	((W_checked_bad == 0 && W_status_errors == 0 && W_socket_errors == 0)) ||
		die "$name gave $W_checked_bad bad responses and $W_socket_errors socket errors in the warm-up"
done
rm -f "$WORK/warmup.tsv"

# Rounds in which other work used more than MAX_OTHER cores during either
# run are shown but left out of the summary, and replaced by extra rounds,
# at most EXTRA_ROUNDS of them. Odd rounds run the baseline first, even
# rounds Senda first, so that drift cancels.
CLEAN=() NOISY=()
round=0
while ((${#CLEAN[@]} < ROUNDS && round < ROUNDS + EXTRA_ROUNDS)); do
	round=$((round + 1))
	gen_file "$DURATION" "$WORK/round.tsv"
	order="baseline senda"
	if ((round % 2 == 0)); then order="senda baseline"; fi
	for name in $order; do
		if [[ $name == senda ]]; then
			measure "$round" senda "$SENDA_PID" "$SENDA_URL" "$WORK/round.tsv"
		else
			measure "$round" baseline "$BASE_PID" "$BASE_URL" "$WORK/round.tsv"
		fi
	done
	rm -f "$WORK/round.tsv"
	if awk -v a="${OTHER[baseline,$round]}" -v b="${OTHER[senda,$round]}" -v m="$MAX_OTHER" 'BEGIN{exit !(a <= m && b <= m)}'; then
		CLEAN+=("$round")
	else
		NOISY+=("$round")
		echo "loadtest: other work used the machine during round $round; it will not count" >&2
	fi
done
ROUNDS_RUN=$round
SUMMARY_ROUNDS=("${CLEAN[@]}")
if ((${#CLEAN[@]} == 0)); then SUMMARY_ROUNDS=("${NOISY[@]}"); fi

# --- Redis commands per message, exactly ------------------------------------
# INFO counters are server-wide, so on a shared Redis other clients' traffic
# enters them. MONITOR names the database and the client of every command
# ("lua" for those a script runs), so a short extra Senda run under MONITOR
# counts exactly the commands Senda's clients sent to its database.
# Commands bound round trips from above: a pipeline is several commands in
# one trip.
echo "loadtest: counting Senda's Redis commands under MONITOR (3 s)" >&2
gen_file 3 "$WORK/count.tsv"
senda_seen() { echo $(($(metric_sum messages_total) + $(metric_sum webhook_duplicates_total) + $(metric_sum webhook_errors_total))); }
quiet
c0=$(senda_seen)
# redis-cli itself, not the rc function: $! must be its pid, or killing it
# leaves a MONITOR client attached that slows Redis for everyone after.
redis-cli -h "$HOST" -p "$REDIS_PORT" monitor >"$WORK/monitor.txt" 2>/dev/null &
MON_PID=$!
PIDS+=("$MON_PID")
sleep 0.5
run_wrk senda "$SENDA_URL" "$WORK/count.tsv" 3
sleep 0.5
kill "$MON_PID" 2>/dev/null || true
wait "$MON_PID" 2>/dev/null || true
c1=$(senda_seen)
rm -f "$WORK/count.tsv"
MON_MSGS=$((c1 - c0))
read -r MON_TOP MON_PER_MSG MON_INNER MON_MIX < <(awk -v db="$REDIS_DB" -v n="$MON_MSGS" '
	$2 == "[" db && $3 == "lua]" { inner++; next }
	$2 == "[" db && $3 ~ /^127\.0\.0\.1:[0-9]+\]$/ { top++; name = tolower($4); gsub(/"/, "", name); count[name]++ }
	END {
		mix = ""
		for (k in count) mix = mix sprintf("%s%s_%.3f", mix == "" ? "" : ",_", k, count[k] / n)
		printf "%d %.3f %.2f %s\n", top, n ? top / n : 0, n ? inner / n : 0, mix == "" ? "-" : mix
	}' "$WORK/monitor.txt")
MON_MIX=${MON_MIX//_/ }
rm -f "$WORK/monitor.txt"

# --- sessions in Redis -------------------------------------------------------
rc -n "$REDIS_DB" --scan --pattern 'senda:*' | grep -E "$KEYS_RE" >"$WORK/keys" || true
SESSIONS=$(wc -l <"$WORK/keys")
KEYS_ALL=$(rc -n "$REDIS_DB" dbsize)
head -1000 "$WORK/keys" | sed 's/^/MEMORY USAGE /' >"$WORK/mem.cmds"
read -r MEM_N MEM_AVG MEM_MAX < <(rc -n "$REDIS_DB" <"$WORK/mem.cmds" |
	awk '{ s += $1; if ($1 > m) m = $1; c++ } END { if (c) printf "%d %.1f %d\n", c, s / c, m; else print "0 0 0" }')
# Everything a key costs (key, value, expiry entry, hash tables): the memory
# freed by dropping them all, read as close together as possible.
used() { rc info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}'; }
u0=$(used)
rc -n "$REDIS_DB" flushdb sync >/dev/null
u1=$(used)
ALLIN=$(awk -v a="$u0" -v b="$u1" -v n="$KEYS_ALL" 'BEGIN{ if (n > 0) printf "%.0f", (a - b) / n; else print "-" }')

# --- profile -----------------------------------------------------------------
PROFILE_TXT=""
if [[ $PROFILE == 1 ]]; then
	PROFILE_TXT="$OUT/webhook-profile-$(date -u +%Y%m%dT%H%M%SZ).txt"
	: >"$PROFILE_TXT"
	if command -v perf >/dev/null; then
		# Both servers under the same load, one after the other, each under
		# perf record; then each one's CPU per request, split by what its
		# stacks were doing (perfsplit.awk).
		gen_file "$DURATION" "$WORK/profile.tsv"
		declare -A PROF_RPS
		for name in baseline senda; do
			pid=$BASE_PID url=$BASE_URL
			if [[ $name == senda ]]; then pid=$SENDA_PID url=$SENDA_URL; fi
			echo "loadtest: profiling $name under load (perf record, $DURATION s)" >&2
			quiet
			perf record -q -F 999 -g -p "$pid" -o "$WORK/perf.$name" -- sleep "$((DURATION + 1))" >/dev/null 2>&1 &
			PERF_PID=$!
			PIDS+=("$PERF_PID")
			run_wrk "$name" "$url" "$WORK/profile.tsv" "$DURATION"
			wait "$PERF_PID" || true
			PROF_RPS[$name]=$W_rps
			perf script -i "$WORK/perf.$name" -F ip,sym 2>/dev/null |
				awk -v requests="$W_requests" -v hz=999 -f "$ROOT/deploy/loadtest/perfsplit.awk" >"$WORK/split.$name" || true
		done
		rm -f "$WORK/profile.tsv"
		{
			echo "# perf record -F 999 -g; wrk -t$THREADS -c$CONNS -d${DURATION}s: baseline ${PROF_RPS[baseline]} req/s, Senda ${PROF_RPS[senda]} req/s"
			echo
			echo "## Server CPU per request (µs), by what the stacks were doing"
			echo
			echo "| | baseline | Senda |"
			echo "|---|---|---|"
			awk -F'\t' 'FNR == NR { b[$1] = $2; keys[$1]; next } { s[$1] = $2; keys[$1] }
				END { for (k in keys) if (k != "total") printf "| %s | %s | %s |\n", k, (k in b) ? b[k] : "-", (k in s) ? s[k] : "-" }' \
				"$WORK/split.baseline" "$WORK/split.senda" | sort -t'|' -k4 -rn
			awk -F'\t' 'FNR == NR { if ($1 == "total") b = $2; next } $1 == "total" { printf "| **total** | **%s** | **%s** |\n", b, $2 }' \
				"$WORK/split.baseline" "$WORK/split.senda"
			echo
			echo "## Senda: top 15 symbols (self)"
			perf report -i "$WORK/perf.senda" --no-children --sort sym -g none --stdio 2>/dev/null |
				grep -v -e '^#' -e '^$' | head -15 || true
			echo
			echo "## Senda: by binary (self)"
			perf report -i "$WORK/perf.senda" --no-children --sort dso -g none --stdio 2>/dev/null |
				grep -v -e '^#' -e '^$' | head -5 || true
			echo
		} >>"$PROFILE_TXT"
	else
		echo "loadtest: perf is not installed; no profile of the servers" >&2
	fi
	# The handler alone, without HTTP server or load generator, in Go's
	# profiler: BenchmarkWebhook on the same Redis, when it exists (in
	# bot/app since issue 6, in bot before).
	src=$ROOT
	if [[ -n $REV ]]; then src=$WORK/src; fi
	benchpkg=./bot/app/
	[[ -d $src/bot/app ]] || benchpkg=./bot/
	if grep -qs 'func BenchmarkWebhook(' "$src"/bot/*_test.go "$src"/bot/app/*_test.go; then
		echo "loadtest: profiling bot's BenchmarkWebhook (go test -cpuprofile)" >&2
		{
			echo "# go test -bench 'BenchmarkWebhook\$' -benchtime 50000x -cpuprofile $benchpkg (Redis $HOST:$REDIS_PORT/$REDIS_DB)"
			echo "The handler alone, called in-process (no HTTP server, no wrk)."
			if (cd "$src" && SENDA_TEST_REDIS_URL="redis://$HOST:$REDIS_PORT/$REDIS_DB" go test -run '^$' -bench 'BenchmarkWebhook$' \
				-benchtime 50000x -benchmem -count 1 -cpuprofile "$WORK/cpu.out" -o "$WORK/bot.test" "$benchpkg") >"$WORK/bench.txt" 2>&1; then
				grep '^BenchmarkWebhook' "$WORK/bench.txt" || true
				echo
				echo "## top 15 (flat)"
				go tool pprof -top -nodecount=15 "$WORK/bot.test" "$WORK/cpu.out" 2>/dev/null | sed -n '/flat%/,$p' || true
				echo
				echo "## Senda's functions and the Redis call (cumulative)"
				go tool pprof -top -cum -nodecount=300 "$WORK/bot.test" "$WORK/cpu.out" 2>/dev/null |
					grep -E 'senda-org/senda/(bot|content|flows)|go-redis/v9\.\(\*baseClient\)\._process$' |
					grep -v -E 'Benchmark|benchRequests|twilioSignature|redistest|NewService|app\.New|LoadPack|content\.(Default|Load)|loader' |
					head -25 || true
			else
				echo "(the benchmark did not run:)"
				tail -5 "$WORK/bench.txt"
			fi
		} >>"$PROFILE_TXT"
		rc -n "$REDIS_DB" flushdb >/dev/null
	fi
fi

# --- report ------------------------------------------------------------------
ratios="" s_sum=0 b_sum=0 s_cpu=0 b_cpu=0
add() { awk -v a="$1" -v b="$2" 'BEGIN{print a + b}'; }
for r in "${SUMMARY_ROUNDS[@]}"; do
	ratios+="$(awk -v s="${RPS[senda,$r]}" -v b="${RPS[baseline,$r]}" 'BEGIN{printf "%.3f", s / b}') "
	s_sum=$(add "$s_sum" "${RPS[senda,$r]}") b_sum=$(add "$b_sum" "${RPS[baseline,$r]}")
	s_cpu=$(add "$s_cpu" "${CPU[senda,$r]}") b_cpu=$(add "$b_cpu" "${CPU[baseline,$r]}")
done
NSUM=${#SUMMARY_ROUNDS[@]}
RATIO=$(awk -v s="$s_sum" -v b="$b_sum" 'BEGIN{printf "%.3f", s / b}')
S_MEAN=$(awk -v s="$s_sum" -v n="$NSUM" 'BEGIN{printf "%.0f", s / n}')
B_MEAN=$(awk -v s="$b_sum" -v n="$NSUM" 'BEGIN{printf "%.0f", s / n}')
S_CPU=$(awk -v s="$s_cpu" -v n="$NSUM" 'BEGIN{printf "%.0f", s / n}')
B_CPU=$(awk -v s="$b_cpu" -v n="$NSUM" 'BEGIN{printf "%.0f", s / n}')
CPU_RATIO=$(awk -v s="$s_cpu" -v b="$b_cpu" 'BEGIN{printf "%.3f", b / s}')
if ((${#CLEAN[@]})); then
	COUNTED="round(s) ${CLEAN[*]}, in which other work used at most $MAX_OTHER cores"
else
	COUNTED="all rounds, though other work used more than $MAX_OTHER cores in each: unreliable"
fi
verdict() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN{ ok = (op == ">=") ? v >= t : v <= t; print ok ? "pass" : "FAIL" }'; }
LOG_ERRORS=$(grep -c '"level":"ERROR"' "$WORK/senda.log" || true)
LOG_CANCELED=$(grep '"level":"ERROR"' "$WORK/senda.log" | grep -c 'context canceled' || true)
CPU_MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)

REPORT=$(
	cat <<EOF
### Webhook load test, $(date -u '+%Y-%m-%d %H:%M UTC')

\`deploy/loadtest/run.sh\`: wrk -t$THREADS -c$CONNS -d${DURATION}s per run, $ROUNDS_RUN round(s) in ABBA order, $SENDERS senders;
Senda from the $SOURCE; Redis $REDIS_VERSION on $HOST:$REDIS_PORT$( ((REDIS_STARTED)) && echo " (its own)" || echo " (shared)"), databases $REDIS_DB and $BASE_DB;
$(nproc) × $CPU_MODEL, Linux $(uname -r), $(go env GOVERSION), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}').

| round | server | req/s | p50 ms | p99 ms | response bytes | server CPU µs/req | Redis CPU µs/req | wrk CPU µs/req | other CPU (cores) | Redis reads/msg | Redis commands/msg | errors |
|---|---|---|---|---|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${ROWS[@]}")

- **Senda / baseline throughput: $RATIO** (Senda $S_MEAN req/s, baseline $B_MEAN req/s on average over $COUNTED; per round: ${ratios% }). Target ≥ 0.85: **$(verdict "$RATIO" 0.85 ">=")**.
- **Redis commands per Senda message: $MON_PER_MSG** ($MON_TOP commands from Senda's clients to database $REDIS_DB for $MON_MSGS messages, counted under MONITOR: $MON_MIX; its script ran $MON_INNER commands per message inside Redis). Commands bound round trips from above, so for ≤ 1 round trip per message: **$(verdict "$MON_PER_MSG" 1.005 "<=")**. Server-wide read events per message in the measured runs (other clients of this Redis included): ${SENDA_RT[*]} for Senda, ${BASE_RT[*]} for the baseline.
- **Redis memory per idle session (MEMORY USAGE): average $MEM_AVG B, largest $MEM_MAX B** over $MEM_N of $SESSIONS sessions ($KEYS_ALL keys in its database). Target ≤ 200: **$(verdict "$MEM_MAX" 200 "<=")**. All-in, expiry entry and hash tables included (used_memory freed by FLUSHDB, per key): $ALLIN B.
- CPU per request (server + Redis + wrk, same rounds): Senda $S_CPU µs, baseline $B_CPU µs; their ratio, $CPU_RATIO, estimates the throughput ratio with less noise from other work on the machine.
- Senda in the measured rounds: $SENDA_MSGS messages stepped, $SENDA_DUPS duplicates, $SENDA_FORBIDDEN refused signatures, $SENDA_ERRS errors. Its log over the whole run has $LOG_ERRORS errors, $LOG_CANCELED of them "context canceled" (requests in flight when wrk closed its connections at the end of a run).
EOF
)
if ((${#NOISY[@]})); then
	REPORT+=$'\n'"- Left out of the summary: round(s) ${NOISY[*]}, in which other work on the machine used more than $MAX_OTHER cores during a run (column \"other CPU\")."
fi
if ((WRAPPED)); then
	REPORT+=$'\n'"- WARNING: wrk ran out of requests and resent some; raise LOADTEST_MAX_RATE."
fi
if [[ -n $PROFILE_TXT ]]; then
	REPORT+=$'\n'"- Profiles: $PROFILE_TXT"
fi
echo
echo "$REPORT"
printf '%s\n\n' "$REPORT" >>"$OUT/webhook-results.md"
echo >&2
echo "loadtest: appended to $OUT/webhook-results.md" >&2
if [[ ${LOADTEST_STRICT:-0} == 1 && $REPORT == *"**FAIL**"* ]]; then
	exit 3
fi
