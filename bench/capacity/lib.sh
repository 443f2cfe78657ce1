# bench/capacity/lib.sh — shell helpers of the mcu-sim benchmarks
# (bench/capacity, bench/latency, bench/join); sourced, not run.
# The caller sets SRC, BUILD (absolute), OUT and PIDS=() before sourcing.

MCUD=$BUILD/mcu/mcud
SIM=$BUILD/tools/mcu-sim/mcu-sim
LIB=$SRC/bench/capacity
HZ=$(getconf CLK_TCK)

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}

need_tools() {
	local x
	for x in "$MCUD" "$SIM"; do
		[ -x "$x" ] || die "$x missing: cmake --build $BUILD --target mcud mcu-sim"
	done
	for x in python3 curl; do
		command -v $x >/dev/null || die "$x not installed"
	done
}

# free_block N: the first of N consecutive loopback UDP ports free now,
# below the kernel's ephemeral range.
free_block() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(2000):
    base = random.randrange(20000, 32000 - n, 2)
    held = []
    try:
        for p in range(base, base + n):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(u)
            u.bind(("127.0.0.1", p))
        print(base)
        break
    except OSError:
        pass
    finally:
        for u in held:
            u.close()
PY
}

# free_tcp: one free loopback TCP port (the API).
free_tcp() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# api_token DIR: a token file for the API writes; sets TOKEN.
api_token() {
	head -c 24 /dev/urandom | base64 | tr -d '/+=' >"$1/token"
	chmod 600 "$1/token"
	TOKEN=$(cat "$1/token")
}

# with_token ROSTER TOKENFILE [PRESET]: give the roster's API the token
# file (writes need it) and optionally another x264 preset.
with_token() {
	sed -i -E "s|^  api: \\{listen: (\"[^\"]*\")\\}|  api: {listen: \\1, token_file: \"$2\"}|" "$1"
	[ -n "${3:-}" ] && sed -i -E "s|x264_preset: [a-z]+|x264_preset: $3|" "$1"
	grep -q token_file "$1" || die "cannot set the API token in $1"
}

# mcud_rtp ROSTER LO HI: mcud's RTP port range (the roster's default,
# 40000-49999, is shared with every other mcud on the machine).
mcud_rtp() {
	sed -i -E "s|rtp: \{ports: [0-9]+-[0-9]+\}|rtp: {ports: $2-$3}|" "$1"
	grep -q "ports: $2-$3" "$1" || die "cannot set mcud's RTP ports in $1"
}

api_get() { curl -sf --max-time 10 "http://127.0.0.1:$API/api/v1/$1"; }
api_post() {
	curl -sf --max-time 10 -X POST -H "Authorization: Bearer $TOKEN" \
		-H 'Content-Type: application/json' -d "$2" \
		"http://127.0.0.1:$API/api/v1/$1"
}
metrics() { curl -sf --max-time 10 "http://127.0.0.1:$API/metrics"; }

# start_mcud ROSTER DIR: mcud on it, waits for the API; sets MCUD_PID.
start_mcud() {
	mkdir -p "$2/run"
	"$MCUD" --check "$1" >"$2/check.out" 2>&1 ||
		die "roster refused: $(grep -i error "$2/check.out" | head -3)"
	# NICE (e.g. -15, needs root): mcud and all its threads under nice
	# (renice after the start would miss the threads already made).
	# MCUD_WRAP: a command mcud runs under, split on spaces (e.g. "env
	# LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2" to try
	# another allocator, or "perf record -g -o FILE --")
	local wrap=()
	[ -n "${NICE:-}" ] && wrap=(nice -n "$NICE")
	# shellcheck disable=SC2206
	[ -n "${MCUD_WRAP:-}" ] && wrap+=($MCUD_WRAP)
	"${wrap[@]}" "$MCUD" ${MCUD_ARGS:-} -c "$1" --run-dir "$2/run" --log-level info \
		2>"$2/mcud.log" &
	MCUD_PID=$!
	PIDS+=("$MCUD_PID")
	local i
	for ((i = 0; i < 300; i++)); do
		api_get health >/dev/null 2>&1 && return 0
		kill -0 "$MCUD_PID" 2>/dev/null || die "mcud died: $(tail -3 "$2/mcud.log")"
		sleep 0.1
	done
	die "mcud's API did not answer in 30 s"
}

stop_pid() { # PID [SIGNAL]: signal it and wait (at most 20 s, then KILL)
	local i
	kill -"${2:-TERM}" "$1" 2>/dev/null || return 0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# connected MEETING: how many participants the API shows connected.
connected() {
	api_get "meetings/$1/participants" | python3 -c '
import json, sys
try:
    print(sum(p["state"] == "connected" for p in json.load(sys.stdin)))
except Exception:
    print(0)'
}

# wait_connected MEETING N SECONDS: 0 once N are connected.
wait_connected() {
	local i end=$((SECONDS + $3))
	while ((SECONDS < end)); do
		[ "$(connected "$1")" -ge "$2" ] && return 0
		sleep 0.5
	done
	return 1
}

# snapshot MEETING DIR NAME PID...: /metrics, the meeting, its
# participants, /proc stat+status of each PID and the time, into DIR/NAME.*
snapshot() {
	local m=$1 d=$2 n=$3 p
	shift 3
	date +%s.%N >"$d/$n.time"
	for p in "$@"; do
		cat "/proc/$p/stat" >"$d/$n.stat.$p" 2>/dev/null
		cat "/proc/$p/status" >"$d/$n.status.$p" 2>/dev/null
	done
	metrics >"$d/$n.prom"
	api_get "meetings/$m" >"$d/$n.meeting.json"
	api_get "meetings/$m/participants" >"$d/$n.participants.json"
}
load1() { cut -d' ' -f1 /proc/loadavg; }
