#!/usr/bin/env bash
# Issue 3: 5 % random loss on one sender's path (through the project's UDP
# relay: the kernel has no netem). Its tile recovers (ffmpeg ignores RTCP
# feedback, so at the latest with the sender's next key frame), the other
# tiles and the mix are undisturbed, nothing crashes, and mcud is seen
# asking for the lost packets (NACK) and a key frame (PLI) for that source.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 4)
relay=$((base - 50)) # free_base keeps base-50..-47 free for a relay
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus,h264/opus \
	--api-port "$(free_port)" >"$WORK/roster.yaml"
api=$(sed -nE 's/.*listen: "127.0.0.1:([0-9]+)".*/\1/p' "$WORK/roster.yaml")
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"

# Leg 1 sends through the relay, which loses 5 % towards mcud.
lp=$((base + 510))
python3 "$TOOLS/udprelay.py" --duration 30 --seed 7 --loss 5/0 \
	--map "127.0.0.1:$relay=127.0.0.1:$lp" \
	--map "127.0.0.1:$((relay + 1))=127.0.0.1:$((lp + 1))" \
	--map "127.0.0.1:$((relay + 2))=127.0.0.1:$((lp + 2))" \
	--map "127.0.0.1:$((relay + 3))=127.0.0.1:$((lp + 3))" \
	>"$WORK/relay.json" 2>"$WORK/relay.log" &
PIDS+=($!)
sleep 0.5
for i in 0 2 3; do send_leg $i $base h264 opus 16; done
# send_leg sends to base+500+10*i; leg 1 goes to the relay instead.
send_leg 1 $((relay - 510)) h264 opus 16
sleep 2
for i in 0 1 2; do recv_leg $i 10; done
sleep 12
c=$(colour_of "$WORK/out0.mkv" -1 green)
check "the lossy branch's tile is there at the end (green $c)" ge "$c" 0.08
for j in 2 3; do
	c=$(colour_of "$WORK/out0.mkv" -1 "${COLOURS[$j]}")
	check "branch $j's tile is undisturbed (${COLOURS[$j]} $c)" ge "$c" 0.08
	t=$(tone_of "$WORK/out0.wav" 3 8 "${TONES[$j]}")
	check "the host hears branch $j steadily (${TONES[$j]} Hz: $t)" ge "$t" 2000
done
t=$(tone_of "$WORK/out2.wav" 3 8 "${TONES[0]}")
check "branch 2 hears the host steadily (${TONES[0]} Hz: $t)" ge "$t" 2000
curl -sf "http://127.0.0.1:$api/api/v1/meetings/t/participants" >"$WORK/parts.json"
read -r lost nack pli < <(python3 - "$WORK/parts.json" <<'PY'
import json, sys
p = {x["endpoint"]: x for x in json.load(open(sys.argv[1]))}["leg1"]["video"]
print(p["in"]["lost"], p["feedback"]["nack_sent"], p["feedback"]["pli_sent"])
PY
)
check "mcud counted the loss on leg 1 ($lost packets)" test "${lost:-0}" -gt 0
check "mcud sent NACKs for leg 1 ($nack)" test "${nack:-0}" -gt 0
check "mcud sent PLIs for leg 1 ($pli)" test "${pli:-0}" -gt 0
check "mcud is still running" kill -0 "$MCUD_PID"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
