#!/usr/bin/env bash
# A dead leg (issues 4 and 9): the MCU dials out to baresip (auto-answer)
# in a `dial: out` meeting; baresip is killed with SIGKILL, so no BYE. The
# MCU notices the silence, pings with OPTIONS, gets no answer and ends the
# call within 5 s; the participant is no longer connected; baresip is
# started again and the MCU's redial (with back-off) brings it back.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/baresip.sh"
base=$(free_base 1)
read -r sip api ctrl ua <<<"$(bs_ports 4)"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-ports "$ua" --dial out --sip-port "$sip" --api-port "$api" \
	>"$WORK/roster.yaml"
bs_video "$WORK/sip1.mp4"
bs_config "$WORK/baresip" "$ua" "$ctrl" "$WORK/sip1.mp4" sip1 ";answermode=auto"
cd "$WORK" || exit 1

start_baresip() { # $1: output file
	baresip -f "$WORK/baresip" -t 90 >"$1" 2>&1 </dev/null &
	baresip_pid=$!
	PIDS+=("$baresip_pid")
	local i
	for ((i = 0; i < 100; i++)); do
		ss -Hlun "sport = :$ua" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

check "baresip listens" start_baresip "$WORK/baresip1.out"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
P=/api/v1/meetings/t/participants
out=$(api_wait 20 $P "p['sip1']['state'] == 'connected' and
	p['sip1']['audio']['in']['packets'] > 100" \
	"p['sip1']['state'] + ' %d audio packets' % p['sip1']['audio']['in']['packets']"); rc=$?
check "the MCU called baresip and gets its media ($out)" test $rc = 0

# The host's picture (GET .../views/host.jpg): sip1's tile, one of the
# host layout's four, in the card's background colour (layout/compose.c
# card_bg, rgb 40 44 52) once the call is gone. The card's words (its
# name, "Mất kết nối") are the layout unit tests' to check.
view() { # FILE
	curl -sf -o "$1" "http://127.0.0.1:$api/api/v1/meetings/t/views/host.jpg"
}
card_share() { # FILE: share of the picture in the card's colour
	python3 "$TOOLS/media_check.py" near "$1" 0 40 44 52 12
}
view "$WORK/live.jpg"
live_card=$(card_share "$WORK/live.jpg")
echo "    host's picture while sip1 is live: card colour $live_card"

kill -KILL "$baresip_pid"
t0=$(date +%s%N)
out=$(api_wait 10 $P "p['sip1']['state'] != 'connected'" "p['sip1']['state']"); rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "the dead leg is ended ($out after $ms ms)" test $rc = 0
check "within 5 s of the kill ($ms ms)" test "$ms" -le 5500
# The card is drawn by the next video tick (40 ms); the JPEG is cached for
# 500 ms: ask after both.
sleep 0.6
view "$WORK/dead.jpg"
dead_card=$(card_share "$WORK/dead.jpg")
check "sip1's tile shows a card, not its last picture (card colour $live_card -> $dead_card)" \
	bash -c "python3 -c 'import sys; sys.exit(not ($dead_card >= 0.2 and $live_card < 0.05))'"
check "mcud pinged it and logged why" wait_for "$WORK/mcud.log" "no answer to OPTIONS" 5

check "baresip starts again" start_baresip "$WORK/baresip2.out"
out=$(api_wait 40 $P "p['sip1']['state'] == 'connected' and
	p['sip1']['audio']['in']['packets'] > 0" \
	"p['sip1']['state'] + ' ' + str(p['sip1'].get('dial'))"); rc=$?
check "the MCU redials and sip1 is back ($out)" test $rc = 0
n=$(grep -c "calling sip1 at" "$WORK/mcud.log")
check "sip1 was called more than once ($n)" test "$n" -ge 2
grep -E "dialer|sipcalls" "$WORK/mcud.log" | tail -8
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
kill "$baresip_pid" 2>/dev/null
finish
