#!/usr/bin/env bash
# SIP load: 200 dial-ins at 20 calls/s (each INVITE/200/ACK, 500 ms,
# BYE/200) from 40 roster endpoints in turn, all answered; afterwards
# every endpoint is disconnected, no file descriptor is left open and
# mcud's resident memory is within a bound of where it stood after a
# 50-call warm-up. The bound is not zero: sofia keeps each finished
# transaction for its 32 s timers (J, H), some 9 KiB a call, so 200 calls
# in 10 s hold about 2 MiB when measured; a leaked media leg (sockets,
# buffers, codec state) would cost far more per call.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
N_EP=40
RSS_BOUND_KIB=${RSS_BOUND_KIB:-6144}
sip=$(free_port)
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base 48300 --legs h264/opus --sip-branches $N_EP \
	--sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
cd "$WORK" || exit 1
{
	echo SEQUENTIAL
	for ((k = 1; k <= N_EP; k++)); do echo "sip$k;"; done
} >"$WORK/users.csv"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$MCUD_PID/status"; }
fds() { find "/proc/$MCUD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
batch() { # NAME CALLS: sipp at 20 calls/s, at most 30 at a time
	timeout 60 sipp -sf "$SRC/tests/data/sip/load.xml" -s t \
		-inf "$WORK/users.csv" -i 127.0.0.1 -p "$(free_port)" \
		-r 20 -l 30 -m "$2" -timeout 40s -max_recv_loops 1000 \
		-trace_stat -stf "$WORK/$1.csv" -fd 1 \
		"127.0.0.1:$sip" >"$WORK/sipp-$1.out" 2>&1 </dev/null
}
counts() { # NAME -> "successful failed" from the last line of the stats
	python3 - "$WORK/$1.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=";"))
h, last = rows[0], rows[-1]
print(last[h.index("SuccessfulCall(C)")], last[h.index("FailedCall(C)")])
PY
}
rss0=$(rss)
batch warmup 50; rc=$?
read -r okc failc < <(counts warmup)
check "warm-up: 50 calls, $okc successful, $failc failed (rc=$rc)" \
	test "$rc" = 0 -a "$okc" = 50 -a "$failc" = 0
sleep 1
rss1=$(rss)
fd1=$(fds)
t0=$(date +%s.%N)
batch load 200; rc=$?
t1=$(date +%s.%N)
read -r okc failc < <(counts load)
check "load: 200 calls at 20/s, $okc successful, $failc failed (rc=$rc)" \
	test "$rc" = 0 -a "$okc" = 200 -a "$failc" = 0
sleep 1
rss2=$(rss)
fd2=$(fds)
echo "# calls took $(python3 -c "print(round($t1 - $t0, 1))") s;" \
	"VmRSS start $rss0 KiB, after warm-up $rss1 KiB, after 200 calls $rss2 KiB" \
	"(growth $((rss2 - rss1)) KiB, bound $RSS_BOUND_KIB KiB); open fds $fd1 -> $fd2"
# A sanitizer build keeps freed memory in quarantine: no bound there.
# (Read from the running process's maps, not `ldd | grep -q`: under
# pipefail grep's early exit can kill ldd with SIGPIPE and fail the test.)
if grep -q libasan "/proc/$MCUD_PID/maps"; then
	echo "# ASan build: RSS figures only, the bound is not checked"
else
	check "RSS after 200 calls within $RSS_BOUND_KIB KiB of the warm-up figure ($((rss2 - rss1)) KiB)" \
		test $((rss2 - rss1)) -lt "$RSS_BOUND_KIB"
fi
check "no file descriptor left behind by 200 calls ($fd1 -> $fd2)" test "$fd2" -le "$fd1"
left=$(curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
	python3 -c "import json,sys; print(sum(1 for x in json.load(sys.stdin) if x['endpoint'].startswith('sip') and x['state'] != 'disconnected'))")
check "no SIP endpoint left connected ($left)" test "$left" = 0
n=$(grep -c "joins by SIP" "$WORK/mcud.log")
check "mcud logged 250 joins ($n)" test "$n" = 250
n=$(grep -c "called again" "$WORK/mcud.log")
check "no call replaced another of the same endpoint ($n)" test "$n" = 0
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
