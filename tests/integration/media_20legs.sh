#!/usr/bin/env bash
# Issue 3: 20 legs in one meeting. The host sees a 4x4 tour, branches see
# host+floor, one branch speaks: the engine runs at most 3 video encoders
# (host view; branches' view; the speaker's own view without itself) and
# decodes exactly the sources some view shows: not the 3 branches off the
# tour page. Senders replay one pre-encoded clip (-c copy), so 20 peers
# cost almost nothing.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 20)
n=20
legs=$(python3 -c "print(','.join(['h264/opus'] * $n))")
python3 "$TOOLS/mkroster.py" --base $base --legs "$legs" --host-layout tour-4x4 \
	--tour-seconds 600 --api-port "$(free_port)" >"$WORK/roster.yaml"
api=$(sed -nE 's/.*listen: "127.0.0.1:([0-9]+)".*/\1/p' "$WORK/roster.yaml")
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc=s=320x180:r=25" -t 8 \
	-pix_fmt yuv420p -c:v libx264 -preset ultrafast -profile:v baseline -g 25 \
	-x264-params repeat-headers=1 -y "$WORK/clip.mp4"
check "clip made" test -s "$WORK/clip.mp4"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
for ((i = 0; i < n; i++)); do
	ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$WORK/clip.mp4" -t 14 \
		-c copy -payload_type 96 -f rtp "rtp://127.0.0.1:$((base + 500 + 10 * i))" \
		>"$WORK/send$i.log" 2>&1 &
	PIDS+=($!)
done
# Branch 1 speaks; it becomes the floor speaker after the hold time.
ffmpeg -nostdin -loglevel error -re -f lavfi -i "sine=frequency=500:sample_rate=48000" \
	-t 14 -c:a libopus -payload_type 111 -f rtp "rtp://127.0.0.1:$((base + 512))" \
	>"$WORK/senda1.log" 2>&1 &
PIDS+=($!)
sleep 9
curl -sf "http://127.0.0.1:$api/api/v1/meetings/t" >"$WORK/meeting.json"
read -r conn enc dec decoding holder < <(python3 - "$WORK/meeting.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
parts = m["participants"]
conn = sum(p["state"] == "connected" for p in parts)
decoding = sum(bool(p.get("video") and p["video"].get("decoding")) for p in parts)
print(conn, m["encoders"], m["decoders"], decoding, m["floor"]["holder"])
PY
)
check "all $n legs connected ($conn)" test "${conn:-0}" = $n
check "the floor speaker is branch 1 ($holder)" test "$holder" = leg1
check "at most 3 video encoders ($enc)" test "${enc:-99}" -le 3
check "decoders = sources being decoded ($dec = $decoding)" test "${dec:-0}" = "${decoding:-1}"
# Visible: the 16 branches of the tour page, plus the host (shown to the
# branches); the 3 branches of the next page are not decoded.
check "decoders = visible sources, 17 of 20 ($dec)" test "${dec:-0}" = 17
grep -E "video encoders" "$WORK/mcud.log" | tail -1
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
