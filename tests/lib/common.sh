# Shared helpers for the integration tests (sourced).
#   MCU_SOURCE_DIR, MCU_BUILD_DIR are set by ctest; defaults work by hand.
#   MCU_KEEP_WORK=1 keeps the work directory of a test that passed.
set -uo pipefail
SRC=${MCU_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${MCU_BUILD_DIR:-$SRC/build}
MCUD=$BUILD/mcu/mcud
WORK=$(mktemp -d /tmp/mcu-test.XXXXXX)
export WORK # tests/tools/mkroster.py puts the logbook there
FAILS=0
PASSES=0
PIDS=()

cleanup() {
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$FAILS" = 0 ] && [ -z "${MCU_KEEP_WORK:-}" ]; then
		rm -rf "$WORK"
	else
		echo "work dir kept: $WORK"
	fi
}
trap cleanup EXIT

ok()   { PASSES=$((PASSES + 1)); echo "ok   - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "FAIL - $*"; }
check() { # description, command...
	local d=$1; shift
	if "$@"; then ok "$d"; else fail "$d"; fi
}

# wait_for FILE PATTERN SECONDS: until grep finds PATTERN in FILE.
wait_for() {
	local f=$1 pat=$2 t=${3:-10} i
	for ((i = 0; i < t * 10; i++)); do
		grep -q -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" = 0 ]
}

# small_fs DIR SIZE: a tmpfs of SIZE (mount's size=, e.g. 1m) at DIR for a
# disk-full test, unmounted at exit. Without the right to mount (not root;
# CI runs as root) the test says skip and ends here: a read-only path or
# `ulimit -f` would test another error (EROFS/EFBIG at open) than a disk
# that fills while a meeting runs.
small_fs() {
	mkdir -p "$1"
	if ! mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" 2>/dev/null; then
		echo "skip - no tmpfs mount possible here (not root?): disk-full not tested"
		finish
		exit
	fi
	SMALL_FS=$1
	trap 'umount "$SMALL_FS" 2>/dev/null; cleanup' EXIT
}

free_port() { # a free loopback port (UDP and TCP)
	python3 -c 'import socket
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass'
}

# local_roster SRC DST: a copy of SRC whose SIP and API listen on free
# loopback ports (so tests can run side by side); sets SIP_PORT, API_PORT.
local_roster() {
	SIP_PORT=$(free_port)
	API_PORT=$(free_port)
	sed -e "s|127.0.0.1:5060|127.0.0.1:$SIP_PORT|g" \
	    -e "s|^\(\s*listen:\s*\)127.0.0.1:8080|\1127.0.0.1:$API_PORT|" \
	    -e "s|\./run/|$WORK/run/|g" \
	    "$1" >"$2"
}
