#!/usr/bin/env bash
# A real SIP video endpoint: baresip 1.0 (config in $WORK, video from an
# H.264 testsrc file, a 700 Hz tone) dials the live chaired meeting as
# sip1 while a static ffmpeg host leg sends colour and tone. Checks: sip1
# is admitted and its video decodes; *1 sent by baresip as RFC 4733 events
# (ctrl_tcp `sndcode`) queues sip1 for the floor; baresip receives the
# composite (its rtp_stats at hang-up: audio and video packets, low loss);
# after its BYE sip1 is disconnected; mcud stops cleanly.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/baresip.sh"
base=$(free_base 1)
read -r sip api ctrl ua <<<"$(bs_ports 4)"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--floor chaired --sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
# The file first: encoding it competes with mcud for the CPU.
bs_video "$WORK/sip1.mp4"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
send_leg 0 $base h264 opus 40
bs_config "$WORK/baresip" "$ua" "$ctrl" "$WORK/sip1.mp4" sip1

cd "$WORK" || exit 1
timeout 60 baresip -f "$WORK/baresip" -t 40 \
	-e "/dial sip:t@127.0.0.1:$sip" >"$WORK/baresip.out" 2>&1 </dev/null &
baresip_pid=$!
PIDS+=("$baresip_pid")

# (a) Admitted, and its video decodes in the MCU.
P=/api/v1/meetings/t/participants
out=$(api_wait 15 $P "p['sip1']['state'] == 'connected'" \
	"p['sip1']['state'] + ' ' + p['sip1']['signalling']"); rc=$?
check "sip1 connected by SIP ($out)" test $rc = 0 -a "$out" = "connected sip"
out=$(api_wait 10 $P "p['sip1']['video']['in']['frames_decoded'] >= 50 and
	p['sip1']['video']['in']['fps'] >= 10 and p['sip1']['audio']['in']['packets'] > 0" \
	"p['sip1']['video']['codec'] + ' %(frames_decoded)d frames, %(fps).1f fps, %(packets)d packets, %(width)dx%(height)d' % p['sip1']['video']['in']
	+ ', ' + p['sip1']['audio']['codec'] + ' %d packets' % p['sip1']['audio']['in']['packets']"); rc=$?
check "the MCU decodes sip1's video and gets its audio ($out)" test $rc = 0

# (c) *1 as RFC 4733 events from baresip: sip1 joins the floor queue.
check "ctrl_tcp sndcode *1" ctl sndcode "*1"
out=$(api_wait 5 /api/v1/meetings/t "j['floor']['holder'] is None and j['floor']['queue'] == ['sip1']" \
	"j['floor']"); rc=$?
check "*1 queues sip1 for the floor: $out" test $rc = 0
check "mcud logged the keys" wait_for "$WORK/mcud.log" "sip1: DTMF key 1" 5

# (b) A few more seconds of composite, then hang up: baresip's rtp_stats.
sleep 3
check "ctrl_tcp hangup" ctl hangup
check "baresip prints its RTP statistics" wait_for "$WORK/baresip.out" "^video .*Transmit" 10
sleep 0.5
ctl quit >/dev/null 2>&1
for ((i = 0; i < 50; i++)); do kill -0 "$baresip_pid" 2>/dev/null || break; sleep 0.2; done
wait "$baresip_pid"; rc=$?
check "baresip quits (rc=$rc)" test "$rc" = 0
# "packets:  TX RX" and "lost:  TX RX" in the audio and the video table.
read -r arx alost vrx vlost <<<"$(python3 - "$WORK/baresip.out" <<'EOF'
import re, sys
text = open(sys.argv[1], errors="replace").read()
vals = {}
for kind in ("audio", "video"):
    m = re.search(r"^%s\s+Transmit:\s+Receive:\s*\n(.*?)\njitter:" % kind,
                  text, re.M | re.S)
    rows = {}
    for line in (m.group(1).splitlines() if m else []):
        k, _, rest = line.partition(":")
        rows[k.strip()] = rest.split()
    vals[kind] = (rows.get("packets", ["0", "0"])[1],
                  rows.get("lost", ["0", "-1"])[1])
print(*vals["audio"], *vals["video"])
EOF
)"
# Loss under 2 %.
check "baresip received the mixed audio ($arx packets, $alost lost)" \
	test "${arx:-0}" -gt 250 -a "${alost:--1}" -ge 0 -a "$((${alost:-0} * 50))" -le "${arx:-0}"
check "baresip received the composite video ($vrx packets, $vlost lost)" \
	test "${vrx:-0}" -gt 100 -a "${vlost:--1}" -ge 0 -a "$((${vlost:-0} * 50))" -le "${vrx:-0}"
check "baresip decoded the composite at 640x360" \
	grep -q "receiving with resolution 640 x 360" "$WORK/baresip.out"

# (d) After the BYE sip1 is gone; mcud stops on SIGTERM.
out=$(api_wait 5 $P "p['sip1']['state'] == 'disconnected'" "p['sip1']['state']"); rc=$?
check "sip1 disconnected after hang-up ($out)" test $rc = 0
grep -E "sipcalls|DTMF" "$WORK/mcud.log" | tail -4
kill -TERM "$MCUD_PID"
for ((i = 0; i < 50; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.2; done
kill -0 "$MCUD_PID" 2>/dev/null && kill -KILL "$MCUD_PID"
wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
