#!/usr/bin/env bash
# SIP dial-in (issue 4 groundwork): a roster endpoint dials the live
# meeting with sipp, gets 200 with an answer for audio and video, shows as
# connected with media ports while the call lasts, and as disconnected
# after its BYE; an unknown caller gets 403, a caller into a meeting that
# does not exist 404.
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
sipp -sf "$SRC/tests/data/sip/dialin.xml" -s t -key from_user sip1 \
	-i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 20s \
	"127.0.0.1:$sip" >"$WORK/sipp.out" 2>&1 </dev/null &
sipp_pid=$!
# sipp may be slow to start on a loaded machine: poll during its 4 s call.
check "the SIP endpoint is connected during the call" wait_part t sip1 connected 10
curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/during.json"
state=$(python3 -c "import json,sys; p={x['endpoint']:x for x in json.load(open('$WORK/during.json'))}; print(p['sip1']['signalling'])")
check "its signalling is sip ($state)" test "$state" = "sip"
wait $sipp_pid; rc=$?
check "sipp: INVITE answered 200 with audio and video, BYE 200 (rc=$rc)" test "$rc" = 0
sleep 0.5
curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/after.json"
state=$(python3 -c "import json,sys; p={x['endpoint']:x for x in json.load(open('$WORK/after.json'))}; print(p['sip1']['state'])")
check "disconnected after BYE ($state)" test "$state" = disconnected
for case in "stranger t 403" "sip1 no-such-meeting 404"; do
	read -r from svc expect <<<"$case"
	sed "s/EXPECT_CODE/$expect/" "$SRC/tests/data/sip/dialin_reject.xml" >"$WORK/reject$expect.xml"
	sipp -sf "$WORK/reject$expect.xml" -s "$svc" -key from_user "$from" \
		-i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 10s \
		"127.0.0.1:$sip" >"$WORK/sipp-$expect.out" 2>&1 </dev/null; rc=$?
	check "INVITE from $from to $svc: $expect (rc=$rc)" test "$rc" = 0
done
grep -E "sipcalls" "$WORK/mcud.log" | tail -4
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
