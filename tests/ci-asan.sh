#!/usr/bin/env bash
# The sanitizer stage of CI (.ci/run runs it unless MCU_CI_ASAN=0):
# a clean clone on a fresh Debian 12 machine (2 cores, 90 minutes). First
# the normal suite (make test, ~12 min), then the AddressSanitizer + UndefinedBehaviorSanitizer suite as `make test-asan`
# builds it, on the subset that fits the time left: every unit test and
# every fuzz corpus replay, and the integration tests that exercise
# parsing and signalling (SIP, SDP, API, roster, logbook, daemon life
# cycle). The real-time media tests (media_*, floor_open/chaired/lecture,
# record, content, tour_paging, net_faults, ...) are left to
# `make test-asan` by hand: under ASan on 2 cores they miss their frame
# deadlines and take far longer. docs/reliability.md, "Sanitizers", has
# the measured times and the reasons.
#
# Sanitizer reports go to files (log_path), so that a report from a
# daemon in a test that passed anyway (its log is deleted with the test's
# work directory) still fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."

make test

asan=${MCU_ASAN_BUILD:-build-asan}
jobs=$(nproc)
reports=$(mktemp -d /tmp/mcu-asan-reports.XXXXXX)
# Integration tests under ASan: the ones that parse what peers and
# operators send and drive signalling, not real-time media.
integration=(
	cli_check daemon_lifecycle daemon_restart mcuctl dashboard overrides
	logbook_diskfull meeting_adhoc meeting_reload meeting_schedule
	test_run_window floor_dtmf incidents sim_sip
	sip_auth sip_baresip sip_cancel sip_deadleg sip_dialin sip_dialout
	sip_hold sip_limits sip_load sip_malformed sip_rejoin_replace sip_srtp
	sip_tls sip_delayed_offer
)
regex="^integration\\.($(IFS='|'; echo "${integration[*]}"))\$"

make deps
cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=Debug \
	-DMCU_SANITIZE=address,undefined >/dev/null
cmake --build "$asan" -j "$jobs"
export ASAN_OPTIONS="detect_leaks=1:log_path=$reports/asan"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
status=0
start=$(date +%s)
(cd "$asan" && ctest --output-on-failure -j "$jobs" -L 'unit|fuzz' \
	-E '^fuzz\.brief$') || status=1
(cd "$asan" && ctest --output-on-failure -j "$jobs" -R "$regex") || status=1
echo "ASan suite: $(($(date +%s) - start)) s"
# A report file holds an error; "suppressions used" notes are not one.
found=$(grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
	"$reports"/* 2>/dev/null || true)
if [ -n "$found" ]; then
	echo "sanitizer reports:"
	for f in $found; do
		echo "== $f"
		head -60 "$f"
	done
	status=1
fi
rm -rf "$reports"
exit $status
