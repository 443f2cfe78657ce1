#!/usr/bin/env bash
# re-INVITE (issue 4): a SIP participant puts the MCU on hold (sendonly
# offer → recvonly answer; its state becomes on-hold and the MCU stops
# sending it media), then resumes from another media port (sendrecv →
# connected again), without ever leaving the meeting; then BYE.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
cd "$WORK" || exit 1

state() {
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
		python3 -c "import json,sys
p={x['endpoint']:x for x in json.load(sys.stdin)}
print(p['$1']['state'])" 2>/dev/null
}
wait_state() { # EP STATE SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

sipp -sf "$SRC/tests/data/sip/dialin_hold.xml" -s t -key from_user sip1 \
	-i 127.0.0.1 -p "$(free_port)" -mp "$(free_block 4)" -m 1 -timeout 30s \
	"127.0.0.1:$sip" >"$WORK/sipp.out" 2>&1 </dev/null &
sipp_pid=$!
PIDS+=("$sipp_pid")
check "sip1 is connected" wait_state sip1 connected 5
check "after the sendonly re-INVITE sip1 is on hold" wait_state sip1 on-hold 6
check "after the sendrecv re-INVITE sip1 is connected again" wait_state sip1 connected 6
wait $sipp_pid; rc=$?
check "sipp: hold answered recvonly, resume sendrecv, BYE 200 (rc=$rc)" test "$rc" = 0
check "disconnected after BYE" wait_state sip1 disconnected 3
n=$(grep -c "sip1 left" "$WORK/mcud.log")
check "sip1 left the meeting once, at its BYE ($n)" test "$n" = 1
check "mcud logs the hold" wait_for "$WORK/mcud.log" "sip1 re-INVITE: on hold" 5
check "mcud logs the new media address" wait_for "$WORK/mcud.log" "sip1 re-INVITE: media updated" 5
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
