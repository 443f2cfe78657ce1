#!/usr/bin/env bash
# Issue 9 item 4: an endpoint that reboots and dials in again replaces its
# old leg. sip1 dials into the live meeting (sipp, tests/data/sip/dialin.xml
# held for a minute) and is "rebooted": sipp is killed with SIGKILL, so no
# BYE. It dials in again from a new port with a new Call-ID: the new call
# is answered, replaces the old one (mcud logs it and sends the old call a
# BYE), sip1 is one participant, connected; the logbook ends the first attendance and opens a second. A
# BYE on the new call then disconnects it as usual.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
"$PY" "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
cd "$WORK" || exit 1
# The first boot stays in the call for a minute; the second for 8 s.
sed 's/<pause milliseconds="4000"\/>/<pause milliseconds="60000"\/>/' \
	"$SRC/tests/data/sip/dialin.xml" >"$WORK/dialin_long.xml"
sed 's/<pause milliseconds="4000"\/>/<pause milliseconds="8000"\/>/' \
	"$SRC/tests/data/sip/dialin.xml" >"$WORK/dialin_8s.xml"
check "the scenarios were made" grep -q 60000 "$WORK/dialin_long.xml"
# sip1's entries in the participants list, one state per line
sip1() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
		"$PY" -c "import json,sys
for x in json.load(sys.stdin):
    if x['endpoint'] == 'sip1':
        print(x['state'])"
}

mp1=$(free_block 4)
sipp -sf "$WORK/dialin_long.xml" -s t -key from_user sip1 -i 127.0.0.1 \
	-p "$(free_port)" -mp "$mp1" -m 1 -timeout 90s "127.0.0.1:$sip" \
	>"$WORK/sipp1.out" 2>&1 </dev/null &
first=$!
PIDS+=("$first")
check "first boot: sip1 is connected" wait_part t sip1 connected 10
kill -KILL "$first"
wait "$first" 2>/dev/null
check "the killed endpoint is still counted connected (no BYE came)" \
	test "$(part_state t sip1)" = connected

mp2=$(free_block 4)
while [ "$mp2" = "$mp1" ]; do mp2=$(free_block 4); done
sipp -sf "$WORK/dialin_8s.xml" -s t -key from_user sip1 -i 127.0.0.1 \
	-p "$(free_port)" -mp "$mp2" -m 1 -timeout 30s "127.0.0.1:$sip" \
	>"$WORK/sipp2.out" 2>&1 </dev/null &
second=$!
PIDS+=("$second")
check "mcud logs that the old call is replaced" \
	wait_for "$WORK/mcud.log" "sip1 called again: the old call is replaced" 10
sleep 1
s=$(sip1)
echo "    sip1 now: $s"
check "sip1 is one participant ($(echo "$s" | grep -c .) entries)" test "$(echo "$s" | grep -c .)" = 1
check "sip1 is connected on the second call" test "$(part_state t sip1)" = connected
wait "$second"; rc=$?
check "the second call: 200, ACK, BYE 200 (sipp rc=$rc)" test "$rc" = 0
check "after its BYE sip1 is disconnected" wait_part t sip1 disconnected 5
n=$(grep -c "dead leg\|no answer to OPTIONS" "$WORK/mcud.log")
check "no dead-leg alarm was needed ($n)" test "$n" = 0
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
"$PY" - "$WORK/logbook.db" >"$WORK/lb.txt" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for r in db.execute("SELECT endpoint, joined_at IS NOT NULL, left_at IS NOT NULL,"
                    " reason FROM participation WHERE endpoint = 'sip1'"
                    " ORDER BY id"):
    print(*r)
PY
cat "$WORK/lb.txt"
check "logbook: two attendances of sip1, both closed ($(wc -l <"$WORK/lb.txt"))" \
	test "$(wc -l <"$WORK/lb.txt")" = 2 -a "$(awk '$3 == 1' "$WORK/lb.txt" | wc -l)" = 2
check "logbook: the first ended with reason rejoined ($(head -1 "$WORK/lb.txt"))" \
	test "$(head -1 "$WORK/lb.txt" | awk '{print $4}')" = rejoined
grep sipcalls "$WORK/mcud.log" | tail -5
finish
