#!/usr/bin/env bash
# Tour paging with real pictures (issue 5 "Tour"): the host sees tour-2x2
# over 8 branches of distinct colours, turning every 4 s: two full pages.
# The next page's sources are asked for a key frame and decoded before the
# turn (room_video.c, PREFETCH_US), so every picture the host receives
# from the first full page on shows four branch colours in roster order:
# no grey "no video" card, no empty or mixed tile, right after each turn
# included (with PREFETCH_US 0 this test fails: 14 grey pictures after the
# first turn). Senders send a key frame every second and ignore PLI (ffmpeg
# replaying a clip). Then a pin keeps a branch in its tile on every page.
# About 100 s on a loaded 2-core machine.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
BR=(red green blue magenta cyan orange purple yellow)
n=9
base=$(free_base $n)
api=$(free_port)
legs=$(python3 -c "print(','.join(['h264/'] * $n))")
head -c 32 /dev/urandom | base64 >"$WORK/token"
# keyframe_interval_s 1: the receiver (which sends no PLI) can decode
# within a second of joining.
python3 "$TOOLS/mkroster.py" --base $base --legs "$legs" --host-layout host \
	--tour-seconds 4 --api-port "$api" --token-file "$WORK/token" |
	sed 's/x264_preset: ultrafast}/x264_preset: ultrafast, keyframe_interval_s: 1}/' >"$WORK/roster.yaml"
check "roster with 1 s key frames" grep -q "keyframe_interval_s: 1" "$WORK/roster.yaml"
# One clip per colour, made by one ffmpeg (a loaded machine starts
# processes slowly).
args=()
for ((i = 1; i < n; i++)); do
	args+=(-f lavfi -i "color=${BR[$((i - 1))]}:s=320x180:r=25")
done
for ((i = 1; i < n; i++)); do
	args+=(-map $((i - 1)):v -t 4 -pix_fmt yuv420p -c:v libx264 -preset ultrafast
		-profile:v baseline -g 25 -x264-params repeat-headers=1 -y "$WORK/clip$i.mp4")
done
ffmpeg -nostdin -loglevel error "${args[@]}" || fail "clips"
echo "[$SECONDS s] clips made"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
for ((i = 1; i < n; i++)); do
	ffmpeg -nostdin -loglevel error -re -stream_loop -1 -i "$WORK/clip$i.mp4" -t 40 \
		-c copy -payload_type 96 -f rtp "rtp://127.0.0.1:$((base + 500 + 10 * i))" \
		>"$WORK/send$i.log" 2>&1 &
	PIDS+=($!)
done
echo "[$SECONDS s] receiving"
tok=$(cat "$WORK/token")
post() { curl -s -o "$WORK/post.out" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
	-d "$2" "http://127.0.0.1:$api/api/v1/meetings/t$1"; }
# What the host receives, 14 s. The host first sees `host` (nobody: it
# is the host), so no branch is ever decoded; then its layout becomes
# tour-2x2 and a tour step restarts the tour clock: the page shown then
# is a warm-up (grey until its senders' key frames), the turn 4 s later
# shows the other page for the first time: without the prefetch its tiles
# would be grey "no video" cards until their next key frame.
ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
	-i "$WORK/run/t/leg0.sdp" -t 14 -map 0:v -c copy -y "$WORK/host.mkv" \
	>"$WORK/recv.log" 2>&1 &
recv=$!
PIDS+=($recv)
sleep 1.5
dec=$(curl -sf "http://127.0.0.1:$api/api/v1/meetings/t" |
	python3 -c "import json, sys; print(json.load(sys.stdin)['decoders'])")
check "no branch decoded while the host sees none ($dec)" test "${dec:-9}" -le 1
check "host layout tour-2x2" test "$(post /layout '{"role":"host","layout":"tour-2x2"}')" = 200
check "tour step (restarts the tour clock)" test "$(post /layout '{"role":"host","tour":"next"}')" = 200
wait $recv
echo "[$SECONDS s] received"
page1="${BR[0]},${BR[1]},${BR[2]},${BR[3]}"
page2="${BR[4]},${BR[5]},${BR[6]},${BR[7]}"
python3 "$TOOLS/tour_check.py" "$WORK/host.mkv" 25 "$page1" "$page2" >"$WORK/tour.json"
echo "[$SECONDS s] judged"
read -r pics judged bad turns pages first < <(python3 -c "
import json; s = json.load(open('$WORK/tour.json'))
print(s['pictures'], s['judged'], s['bad_total'], len(s['turns']), len(s['pages_seen']),
      s['pages_seen'][0] if s['pages_seen'] else -1)")
echo "pictures $pics, judged $judged, bad $bad, turns at $(python3 -c "
import json; print(json.load(open('$WORK/tour.json'))['turns'])")"
check "the host received pictures ($pics)" test "${pics:-0}" -ge 250
check "most of them judged after the warm-up ($judged of $pics)" test "${judged:-0}" -ge $((pics * 3 / 4))
check "both pages shown ($pages)" test "${pages:-0}" = 2
check "the page turned at least twice in 14 s ($turns)" test "${turns:-0}" -ge 2
check "every picture shows 4 branch colours in order, right after each turn too ($bad bad)" \
	test "${bad:-1}" = 0
[ "${bad:-1}" = 0 ] || python3 -c "
import json; s = json.load(open('$WORK/tour.json')); print('bad:', s['bad'][:8])"

# Pin leg7 (purple, page 2) to tile 1 of the host's view: it stays there
# on both pages; the other 7 branches page through the 3 other tiles.
echo "[$SECONDS s] pin"
check "pin leg7 to tile 1" test "$(post /participants/leg7/pin '{"role":"host","tile":1}')" = 200
check "a tile the layout lacks: 409" test "$(post /participants/leg7/pin '{"tile":5}')" = 409
check "a bad tile: 400" test "$(post /participants/leg7/pin '{"tile":"x"}')" = 400
pins=$(curl -sf "http://127.0.0.1:$api/api/v1/meetings/t" | python3 -c "
import json, sys; print(json.load(sys.stdin)['pins'])")
check "GET meeting shows the pin ($pins)" test "$pins" = "{'host': [{'endpoint': 'leg7', 'tile': 1}], 'branches': []}"
echo "[$SECONDS s] pinned"
sleep 1.5
ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
	-i "$WORK/run/t/leg0.sdp" -t 4 -map 0:v -c copy -y "$WORK/pinned.mkv" \
	>"$WORK/recv2.log" 2>&1
echo "[$SECONDS s] received pinned"
# purple in tile 1 on every page; the 7 others page through 3 tiles (the
# third page: yellow and two empty, black, tiles).
python3 "$TOOLS/tour_check.py" "$WORK/pinned.mkv" 25 "purple,red,green,blue" \
	"purple,magenta,cyan,orange" "purple,yellow,black,black" >"$WORK/pinned.json"
read -r pics bad pages < <(python3 -c "
import json; s = json.load(open('$WORK/pinned.json'))
print(s['pictures'], s['bad_total'], len(s['pages_seen']))")
check "pinned: pictures received ($pics)" test "${pics:-0}" -ge 75
check "pinned: purple stays in tile 1 on every page, 3 pages of 3 tiles ($bad bad)" \
	test "${bad:-1}" = 0
check "pinned: at least two of the three pages seen in 4 s ($pages)" test "${pages:-0}" -ge 2
echo "[$SECONDS s] checked pinned"
check "unpin" test "$(post /participants/leg7/pin '{"tile":0}')" = 200
check "unpin again: 409" test "$(post /participants/leg7/pin '{"tile":0}')" = 409

check "tour with a bad word: 400" test "$(post /layout '{"role":"host","tour":"up"}')" = 400
grep -E "pinned|unpinned|video encoders" "$WORK/mcud.log" | tail -3
echo "[$SECONDS s] stopping"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
echo "[$SECONDS s] done"
finish
