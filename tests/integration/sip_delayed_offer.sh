#!/usr/bin/env bash
# SIP delayed offer (RFC 3261 13.2.1): a roster endpoint dials the live
# meeting with an INVITE without SDP (as Cisco CUCM trunks do). mcud
# answers 200 with its own offer (PCMU and H.264 mode 1 among it), takes
# the answer from the ACK, shows the participant connected and sends RTP
# to the ports the ACK's answer named; disconnected after the BYE. An ACK
# without SDP gets the call ended by mcud's BYE, the reason logged; so
# does a 200 never acknowledged, after 32 s.
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
media=$(free_block 4)
aport=$media vport=$((media + 2))
# Count the UDP datagrams arriving on the answered ports for 9 s.
python3 - "$aport" "$vport" >"$WORK/rtp.txt" 2>&1 <<'PYEOF' &
import select, socket, sys, time
socks = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(p)))
    socks.append(s)
counts = [0] * len(socks)
end = time.monotonic() + 9
while time.monotonic() < end:
    r, _, _ = select.select(socks, [], [], 0.2)
    for s in r:
        data = s.recv(65536)
        if len(data) >= 12 and data[0] >> 6 == 2:  # RTP version 2
            counts[socks.index(s)] += 1
print(*counts)
PYEOF
rtp_pid=$!
PIDS+=("$rtp_pid")
listening "$vport"
sipp -sf "$SRC/tests/data/sip/dialin_delayed.xml" -s t -key from_user sip1 \
	-key aport "$aport" -key vport "$vport" \
	-i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 20s \
	"127.0.0.1:$sip" >"$WORK/sipp.out" 2>&1 </dev/null &
sipp_pid=$!
PIDS+=("$sipp_pid")
check "the delayed-offer endpoint is connected once the ACK answered" \
	wait_part t sip1 connected 10
curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/during.json"
sig=$(python3 -c "import json; p={x['endpoint']:x for x in json.load(open('$WORK/during.json'))}; print(p['sip1']['signalling'])")
check "its signalling is sip ($sig)" test "$sig" = sip
wait $sipp_pid; rc=$?
check "sipp: INVITE without SDP answered 200 with an offer (PCMU, H.264/96), ACK with the answer, BYE 200 (rc=$rc)" test "$rc" = 0
wait $rtp_pid
read -r na nv <"$WORK/rtp.txt"
check "mcud sent RTP to the answered audio port ($na packets)" test "${na:-0}" -gt 20
check "mcud sent RTP to the answered video port ($nv packets)" test "${nv:-0}" -gt 5
check "disconnected after BYE" wait_part t sip1 disconnected 5
check "the join is logged as a delayed offer" \
	wait_for "$WORK/mcud.log" "sip1 joins by SIP, delayed offer" 5
sipp -sf "$SRC/tests/data/sip/dialin_delayed_noanswer.xml" -s t \
	-key from_user sip1 -i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 20s \
	"127.0.0.1:$sip" >"$WORK/sipp-noanswer.out" 2>&1 </dev/null; rc=$?
check "ACK without SDP: mcud hangs up with BYE (rc=$rc)" test "$rc" = 0
check "the reason is logged" \
	wait_for "$WORK/mcud.log" "delayed offer: the ACK carries no SDP answer: hanging up" 5
joins=$(grep -c "sip1 joins by SIP" "$WORK/mcud.log")
check "the unanswered call never joined ($joins join in the log)" test "$joins" = 1
check "disconnected after the BYE" wait_part t sip1 disconnected 5
# An ACK whose answer accepts nothing offered (G.729 only, video refused).
python3 - "$SRC/tests/data/sip/dialin_delayed_noanswer.xml" >"$WORK/badanswer.xml" <<'PYEOF'
import sys
s = open(sys.argv[1]).read()
ack = s.index("CSeq: 1 ACK")
end = s.index("Content-Length: 0", ack)
body = ("Content-Type: application/sdp\n      Content-Length: [len]\n\n"
        "      v=0\n      o=user1 1 1 IN IP4 [local_ip]\n      s=-\n"
        "      c=IN IP4 [media_ip]\n      t=0 0\n"
        "      m=audio [media_port] RTP/AVP 18\n      a=rtpmap:18 G729/8000\n"
        "      m=video 0 RTP/AVP 96")
sys.stdout.write(s[:end] + body + s[end + len("Content-Length: 0"):])
PYEOF
sipp -sf "$WORK/badanswer.xml" -s t -key from_user sip1 -i 127.0.0.1 \
	-p "$(free_port)" -mp "$(free_block 4)" -m 1 -timeout 20s \
	"127.0.0.1:$sip" >"$WORK/sipp-badanswer.out" 2>&1 </dev/null; rc=$?
check "ACK with an answer of no offered codec: BYE (rc=$rc)" test "$rc" = 0
check "that reason is logged" \
	wait_for "$WORK/mcud.log" "delayed offer: the ACK's answer accepts none of our codecs: hanging up" 5
# No ACK at all: the 200's transaction times out (64*T1 = 32 s) and the
# stack ends the call with BYE; the offer's ports are freed with it.
t0=$(date +%s)
sipp -sf "$SRC/tests/data/sip/dialin_delayed_noack.xml" -s t \
	-key from_user sip1 -i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 60s \
	"127.0.0.1:$sip" >"$WORK/sipp-noack.out" 2>&1 </dev/null; rc=$?
check "no ACK: mcud gives the call up with BYE after $(($(date +%s) - t0)) s (rc=$rc)" test "$rc" = 0
joins=$(grep -c "sip1 joins by SIP" "$WORK/mcud.log")
check "the unacknowledged call never joined ($joins join in the log)" test "$joins" = 1
grep -E "sipcalls" "$WORK/mcud.log" | tail -6
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
