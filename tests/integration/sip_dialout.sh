#!/usr/bin/env bash
# SIP dial-out (issue 4): a `dial: out` meeting that is live when mcud
# starts calls its three SIP endpoints, sipp UAS instances on loopback
# ports. Two answer at once; the third answers 486 Busy Here first and is
# called again after the back-off, then answers. The operator hangs one
# endpoint up (BYE, not redialled) and dials it again (mcuctl); at the end
# of the daemon every call gets its BYE.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port) p2=$(free_port) p3=$(free_port)
head -c 32 /dev/urandom | base64 >"$WORK/token"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 3 \
	--sip-ports "$p1,$p2,$p3" --dial out --sip-port "$sip" --api-port "$api" \
	--token-file "$WORK/token" >"$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
cd "$WORK" || exit 1

# wait_state EP STATE SECONDS (meeting t)
wait_state() { wait_part t "$@"; }

uas sip1 "$p1" uas_answer.xml; s1=$UAS
uas sip2 "$p2" uas_answer.xml; s2=$UAS
uas sip3 "$p3" uas_486.xml 30; busy=$UAS
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
check "sip1 answers and is connected" wait_state sip1 connected 10
check "sip2 answers and is connected" wait_state sip2 connected 5
wait "$busy"; rc=$?
check "sip3 was called and answered 486 (sipp rc=$rc)" test "$rc" = 0
check "mcud logs the 486 of sip3" wait_for "$WORK/mcud.log" "call to sip3 failed: 486" 5
uas sip3 "$p3" uas_answer.xml; s3=$UAS
check "sip3 is called again after the back-off and connected" wait_state sip3 connected 40
n=$(grep -c "calling sip3 at" "$WORK/mcud.log")
check "sip3 was called again after its 486 ($n calls)" test "$n" -ge 2
dial=$(curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
	python3 -c "import json,sys
p={x['endpoint']:x for x in json.load(sys.stdin)}
d=p['sip3']['dial']; print(d['state'], d['attempts'] >= 2)")
check "the API shows sip3's dial-out ($dial)" test "$dial" = "connected True"
order=$(grep -o "calling sip[12] at" "$WORK/mcud.log" | head -2 | tr '\n' ' ')
check "branches are called in roster order ($order)" test "$order" = "calling sip1 at calling sip2 at "

before=$(grep -c "calling sip1 at" "$WORK/mcud.log")
"${MCUCTL[@]}" hangup t sip1 >"$WORK/hangup.out" 2>&1; rc=$?
check "mcuctl hangup t sip1 (rc=$rc)" test "$rc" = 0
wait "$s1"; rc=$?
check "sip1 got its BYE (sipp rc=$rc)" test "$rc" = 0
check "sip1 shows disconnected" wait_state sip1 disconnected 3
sleep 2
n=$(grep -c "calling sip1 at" "$WORK/mcud.log")
check "a hung-up endpoint is not redialled ($before, $n calls)" test "$n" = "$before"
"${MCUCTL[@]}" hangup t sip1 >"$WORK/hangup2.out" 2>&1; rc=$?
check "a second hangup is refused (rc=$rc)" test "$rc" != 0
uas sip1 "$p1" uas_answer.xml; s1=$UAS
"${MCUCTL[@]}" dial t sip1 >"$WORK/dial.out" 2>&1; rc=$?
check "mcuctl dial t sip1 (rc=$rc)" test "$rc" = 0
check "sip1 is connected again" wait_state sip1 connected 8
"${MCUCTL[@]}" dial t sip2 >"$WORK/dial2.out" 2>&1; rc=$?
check "dialling a connected endpoint is refused (rc=$rc)" test "$rc" != 0

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
for p in "$s1" "$s2" "$s3"; do
	wait "$p"; rc=$?
	check "an endpoint got its BYE at shutdown (sipp rc=$rc)" test "$rc" = 0
done
grep -E "dialer|sipcalls" "$WORK/mcud.log" | tail -12
finish
