#!/usr/bin/env bash
# A four-endpoint meeting on this machine: mcud with four static RTP legs
# (host + three branches), each fed by an ffmpeg test source with its own
# colour and tone. Watch what any endpoint receives with ffplay.
#   tools/demo/four-legs.sh [SECONDS]      (default 300; Ctrl-C stops)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$src/build}
secs=${1:-300}
base=${BASE:-41000}
work=${WORK:-$src/run/demo}
mkdir -p "$work"
colours=(red green blue magenta)
tones=(300 500 700 900)
pids=()
stop() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; exit 0; }
trap stop INT TERM

python3 "$src/tests/tools/mkroster.py" --base "$base" \
	--legs h264/opus,h264/opus,h264/opus,h264/opus --preset veryfast \
	--host-layout grid-2x2 >"$work/roster.yaml"
"$build/mcu/mcud" -c "$work/roster.yaml" --run-dir "$work" &
pids+=($!)
sleep 1
for i in 0 1 2 3; do
	port=$((base + 500 + 10 * i))
	ffmpeg -nostdin -loglevel error -re -f lavfi \
		-i "testsrc2=s=640x360:r=25,drawbox=c=${colours[$i]}@0.6:t=fill" \
		-t "$secs" -c:v libx264 -preset ultrafast -tune zerolatency \
		-profile:v baseline -g 50 -payload_type 96 -f rtp "rtp://127.0.0.1:$port" &
	pids+=($!)
	ffmpeg -nostdin -loglevel error -re -f lavfi \
		-i "sine=frequency=${tones[$i]}:sample_rate=48000" -t "$secs" \
		-c:a libopus -payload_type 111 -f rtp "rtp://127.0.0.1:$((port + 2))" &
	pids+=($!)
done
cat <<MSG

mcud runs meeting "t": leg0 is the host (red), leg1..3 are branches.
Watch what an endpoint receives (host: the three branches in a 2x2 grid;
a branch: the host large, the speaker small; each hears the others):

  ffplay -protocol_whitelist file,udp,rtp $work/t/leg0.sdp
  ffplay -protocol_whitelist file,udp,rtp $work/t/leg1.sdp

(one ffplay per leg at a time: it listens on that leg's ports)
Live statistics: curl -s http://127.0.0.1:$((base + 901))/api/v1/meetings/t
Ctrl-C stops everything.
MSG
wait "${pids[0]}"
stop
