# shellcheck shell=bash
# Helpers shared by deploy/crash-restart.sh and deploy/loadtest/{run,broadcast}.sh.
# Source it from the repository's root after setting NAME (the prefix of
# every message); rc, start_redis and stop_redis read HOST, REDIS_PORT and
# WORK when they are called.

REDIS_STARTED=0

die() {
	echo "$NAME: $*" >&2
	exit 1
}

say() { echo "$NAME: $*" >&2; }

check_int() { # name value min max
	if ! [[ $2 =~ ^[0-9]+$ ]] || (($2 < $3 || $2 > $4)); then
		die "$1=$2: want an integer from $3 to $4"
	fi
}

check_num() { # name value
	[[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$1=$2: want a number"
}

apt_install() { # packages...
	say "installing $* (apt-get)"
	apt-get install -y "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y "$@" >/dev/null; } ||
		die "$* missing and apt-get could not install them"
}

rc() { redis-cli -h "$HOST" -p "$REDIS_PORT" "$@"; }

# start_redis starts a redis-server of its own on HOST:REDIS_PORT, without
# persistence, when nothing answers there, and sets REDIS_STARTED.
start_redis() {
	[[ $(rc ping 2>/dev/null) == PONG ]] && return
	say "starting redis-server on $HOST:$REDIS_PORT"
	redis-server --bind "$HOST" --port "$REDIS_PORT" --save "" --appendonly no \
		--daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" >/dev/null
	REDIS_STARTED=1
	for _ in $(seq 50); do
		[[ $(rc ping 2>/dev/null) == PONG ]] && break
		sleep 0.1
	done
	[[ $(rc ping 2>/dev/null) == PONG ]] || die "redis-server did not start on $HOST:$REDIS_PORT"
}

# stop_redis stops the redis-server start_redis started, if it did, and
# waits until it is gone: a run started right after this one would
# otherwise find it still answering, then lose the connection.
stop_redis() {
	((REDIS_STARTED)) || return 0
	local pid=""
	[[ -s $WORK/redis.pid ]] && pid=$(cat "$WORK/redis.pid")
	rc shutdown nosave >/dev/null 2>&1 || true
	[[ -n $pid ]] || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
}

# clean_up_run ends a run: it stops every process in PIDS, empties REDIS_DB,
# stops the redis-server start_redis started, keeps the named logs of WORK
# in OUT as <prefix>-last-<name>.log (made-up numbers at most, no secret)
# and removes WORK.
clean_up_run() { # prefix log-names...
	local prefix=$1 pid log
	shift
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	if [[ $(rc ping 2>/dev/null) == PONG ]]; then
		rc -n "$REDIS_DB" flushdb >/dev/null 2>&1 || true
	fi
	stop_redis
	for log in "$@"; do
		rm -f "$OUT/$prefix-last-$log.log"
		if [[ -s $WORK/$log.log ]]; then cp "$WORK/$log.log" "$OUT/$prefix-last-$log.log" 2>/dev/null || true; fi
	done
	rm -rf "$WORK"
}

# read_fake_env reads the addresses and credentials the fake Twilio
# (deploy/loadtest/twiliofake) printed to WORK/fake.env into FAKE_URL,
# FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN and FAKE_STATS_URL.
read_fake_env() {
	FAKE_URL="" FAKE_ACCOUNT_SID="" FAKE_AUTH_TOKEN="" FAKE_STATS_URL=""
	local k v
	while IFS='=' read -r k v; do
		case $k in
		FAKE_URL) FAKE_URL=$v ;;
		FAKE_ACCOUNT_SID) FAKE_ACCOUNT_SID=$v ;;
		FAKE_AUTH_TOKEN) FAKE_AUTH_TOKEN=$v ;;
		FAKE_STATS_URL) FAKE_STATS_URL=$v ;;
		esac
	done <"$WORK/fake.env"
	for v in FAKE_URL FAKE_ACCOUNT_SID FAKE_AUTH_TOKEN FAKE_STATS_URL; do
		[[ -n ${!v} ]] || die "the fake Twilio did not print $v"
	done
	[[ $FAKE_URL == "http://$HOST:"* && $FAKE_STATS_URL == "http://$HOST:"* ]] || die "the fake Twilio is not on $HOST"
}

# exec_env replaces the current (sub)shell with a command that gets Senda's
# environment (WORK/senda.env) only: started with &, $! is then the
# command's own pid.
exec_env() { # command...
	while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SENDA_|TWILIO_)' || true)
	set -a
	# shellcheck disable=SC1091
	. "$WORK/senda.env"
	set +a
	exec "$@"
}

# senda_cli runs the senda binary built into WORK with Senda's environment.
senda_cli() { (exec_env "$WORK/senda" "$@"); }
