#!/usr/bin/env bash
# CANCEL before the answer: mcud admits a dial-in at once, so a CANCEL
# sent after a separate INVITE races the 200. Sent in the same TCP
# segment as the INVITE it reaches sofia before mcud's answer can, which
# makes the outcome fixed: 200 for the CANCEL, 487 for the INVITE, and the
# media leg attached for the INVITE is taken out again. Over UDP the two
# datagrams race; either order must leave the endpoint disconnected. A
# CANCEL or BYE that matches nothing gets 481.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
PROBE=$SRC/tests/tools/siprobe.py
sip=$(free_port)
api=$(free_port)
python3 "$TOOLS/mkroster.py" --base 48100 --legs h264/opus --sip-branches 1 \
	--sip-port "$sip" --sip-tcp --api-port "$api" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
state_of() { # ENDPOINT -> state in meeting t
	curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" |
		python3 -c "import json,sys; print({x['endpoint']: x['state'] for x in json.load(sys.stdin)}.get('$1'))"
}
for i in 1 2 3 4 5; do
	r=$(python3 "$PROBE" cancel --proto tcp --target "127.0.0.1:$sip" --from sip1)
	check "TCP INVITE+CANCEL #$i: CANCEL 200, INVITE 487 ($r)" \
		test "$r" = "cancel=200 invite=487"
done
sleep 0.3
s=$(state_of sip1)
check "sip1 not left connected after the cancelled calls ($s)" test "$s" = disconnected
n=$(grep -c "sip1 hung up (Request Terminated)" "$WORK/mcud.log")
check "each cancelled call took its leg out again ($n of 5)" test "$n" = 5

# UDP: CANCEL right after INVITE. Either CANCEL wins (200/487) or mcud's
# 200 does (CANCEL 481 or 200, then the probe ACKs and BYEs).
for i in 1 2 3 4 5; do
	r=$(python3 "$PROBE" cancel --proto udp --target "127.0.0.1:$sip" --from sip1)
	case $r in
	"cancel=200 invite=487" | "cancel=481 invite=200" | "cancel=200 invite=200")
		ok "UDP INVITE then CANCEL #$i: consistent outcome ($r)" ;;
	*) fail "UDP INVITE then CANCEL #$i: unexpected ($r)" ;;
	esac
done
sleep 0.3
s=$(state_of sip1)
check "sip1 not left connected after the UDP races ($s)" test "$s" = disconnected

for proto in udp tcp; do
	r=$(python3 "$PROBE" unknown --proto $proto --target "127.0.0.1:$sip")
	check "$proto: CANCEL and BYE of an unknown dialog get 481 ($r)" \
		test "$r" = "cancel=481 bye=481"
done
# and a normal call still works after all that
cd "$WORK" || exit 1
sipp -sf "$SRC/tests/data/sip/dialin.xml" -s t -key from_user sip1 \
	-i 127.0.0.1 -p "$(free_port)" -m 1 -timeout 20s \
	"127.0.0.1:$sip" >"$WORK/sipp.out" 2>&1 </dev/null; rc=$?
check "a normal dial-in afterwards: 200, BYE 200 (rc=$rc)" test "$rc" = 0
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
