# Shared helpers for the integration tests (sourced).
#   MCU_SOURCE_DIR, MCU_BUILD_DIR are set by ctest; defaults work by hand.
set -uo pipefail
SRC=${MCU_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${MCU_BUILD_DIR:-$SRC/build}
MCUD=$BUILD/mcu/mcud
WORK=$(mktemp -d /tmp/mcu-test.XXXXXX)
FAILS=0
PASSES=0
PIDS=()

cleanup() {
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$FAILS" = 0 ]; then rm -rf "$WORK"; else echo "work dir kept: $WORK"; fi
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
