#!/usr/bin/env bash
# A reload changes a running meeting (issue 5): a `dial: out` meeting runs
# with sip1; SIGHUP with sip2 added calls sip2 while sip1's call goes on
# untouched; SIGHUP with sip1 removed hangs sip1 up and takes it out of the
# participant list while sip2 stays connected.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port) p2=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 2 \
	--sip-ports "$p1,$p2" --dial out --sip-port "$sip" --api-port "$api" \
	>"$WORK/full.yaml"
# roster FILE BRANCHES: the generated roster with meeting t's branches.
roster() { sed "s/^    branches: .*/    branches: [$2]/" "$WORK/full.yaml" >"$1"; }
roster "$WORK/roster.yaml" sip1
cd "$WORK" || exit 1

members() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
		python3 -c "import json,sys; print(' '.join(p['endpoint'] for p in json.load(sys.stdin)))"
}

uas sip1 "$p1" uas_answer.xml 120; s1=$UAS
uas sip2 "$p2" uas_answer.xml 120; s2=$UAS
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
check "sip1 is called and connected" wait_part t sip1 connected 10
check "participants: leg0 sip1 ($(members))" test "$(members)" = "leg0 sip1"
n1=$(grep -c "calling sip1 at" "$WORK/mcud.log")

roster "$WORK/roster.yaml" "sip1, sip2"
kill -HUP "$MCUD_PID"
check "the reload says what changed" wait_for "$WORK/mcud.log" "1 branches added \[sip2\], 0 removed" 5
check "sip2 is called and connected" wait_part t sip2 connected 10
check "participants: leg0 sip1 sip2 ($(members))" test "$(members)" = "leg0 sip1 sip2"
check "sip1 is still connected" test "$(part_state t sip1)" = connected
check "sip1's call was not touched" kill -0 "$s1"
n=$(grep -c "calling sip1 at" "$WORK/mcud.log")
check "sip1 was not called again ($n1, $n)" test "$n" = "$n1"

roster "$WORK/roster.yaml" "sip2"
kill -HUP "$MCUD_PID"
check "the reload says what changed" wait_for "$WORK/mcud.log" "0 branches added \[\], 1 removed \[sip1\]" 5
wait "$s1"; rc=$?
check "sip1 got its BYE (sipp rc=$rc)" test "$rc" = 0
check "participants: leg0 sip2 ($(members))" test "$(members)" = "leg0 sip2"
check "sip2 is still connected" test "$(part_state t sip2)" = connected

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
wait "$s2"; rc=$?
check "sip2 got its BYE at shutdown (sipp rc=$rc)" test "$rc" = 0
finish
