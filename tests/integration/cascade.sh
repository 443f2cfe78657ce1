#!/usr/bin/env bash
# Cascading (issue 8 item 7): two mcud on loopback, meeting "city" on MCU A
# with a cascade link (direction out) to meeting "district" on MCU B, whose
# roster has the link the other way (direction in, identified by its From
# URI and allow list). Static RTP legs with real ffmpeg peers (H.264 +
# Opus):
#   MCU A: leg0 = host, a receiver; leg1 = a sender (green, 500 Hz)
#   MCU B: leg0 = host, a sender (red, 300 Hz); leg1 = a receiver
# A's host sees B's sender (its red, in the link's tile) and hears its
# tone; B's receiver hears A's sender. Both APIs show the link connected
# with kind "cascade"; A's logbook has the link's participation.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
baseA=$(free_base 2)
baseB=$(free_base 2)
while [ "$baseB" = "$baseA" ]; do baseB=$(free_base 2); done
sipB=$((baseB + 900)) apiA=$((baseA + 901)) apiB=$((baseB + 901))

# mkroster's meeting t renamed; each MCU its own logbook and RTP range.
python3 "$TOOLS/mkroster.py" --base "$baseA" --legs h264/opus,h264/opus \
	--host-layout grid-2x2 --rtp-ports 40000-44999 --dial in |
	sed -e 's/^  - id: t$/  - id: city/' -e 's|logbook.db|logbookA.db|' \
	>"$WORK/a-nolink.yaml"
cp "$WORK/a-nolink.yaml" "$WORK/a.yaml"
cat >>"$WORK/a.yaml" <<EOF
    cascade:
      - id: mcu-b
        name: "MCU quận Ninh Kiều"
        uri: "sip:district@127.0.0.1:$sipB"
        direction: out
        bandwidth_kbps: 1000
EOF
python3 "$TOOLS/mkroster.py" --base "$baseB" --legs h264/opus,h264/opus \
	--rtp-ports 45000-49999 --dial in |
	sed -e 's/^  - id: t$/  - id: district/' -e 's|logbook.db|logbookB.db|' \
	>"$WORK/b.yaml"
cat >>"$WORK/b.yaml" <<EOF
    cascade:
      - id: mcu-a
        name: "MCU thành phố"
        uri: "sip:city@127.0.0.1"
        direction: in
        allow: [127.0.0.1/32]
        bandwidth_kbps: 1000
EOF

check "mcud --check accepts roster A" "$MCUD" --check "$WORK/a.yaml"
check "mcud --check accepts roster B" "$MCUD" --check "$WORK/b.yaml"
# A cascade entry without its uri is refused with a clear message.
sed -e '/uri: "sip:district/d' "$WORK/a.yaml" >"$WORK/bad.yaml"
"$MCUD" --check "$WORK/bad.yaml" >"$WORK/bad.out" 2>&1; rc=$?
check "--check refuses a link without uri (rc=$rc)" test "$rc" = 1
check "--check says what is missing" grep -q \
	"cascade link 'mcu-b': uri is required" "$WORK/bad.out"

# start NAME ROSTER: mcud with run dir $WORK/runNAME, log $WORK/mcudNAME.log
start() {
	"$MCUD" -c "$2" --run-dir "$WORK/run$1" --workers 2 --io-threads 1 \
		>"$WORK/mcud$1.log" 2>&1 &
	PIDS+=($!)
	eval "PID$1=$!"
	wait_for "$WORK/mcud$1.log" "media started" 10
}
check "MCU B starts meeting district" start B "$WORK/b.yaml"
check "MCU A starts meeting city" start A "$WORK/a.yaml"

# part API MEETING EP FIELD...: a field of a participant (python expr)
part() {
	curl -sf "http://127.0.0.1:$1/api/v1/meetings/$2/participants" |
		python3 -c "import json,sys
p={x['endpoint']:x for x in json.load(sys.stdin)}
x=p['$3']; print($4)" 2>/dev/null
}
wait_connected() { # API MEETING EP SECONDS
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(part "$1" "$2" "$3" "x['state']")" = connected ] && return 0
		sleep 0.1
	done
	return 1
}
check "A shows the link mcu-b connected" wait_connected "$apiA" city mcu-b 20
check "B shows the link mcu-a connected" wait_connected "$apiB" district mcu-a 5
k=$(part "$apiA" city mcu-b "x['kind'], x['cascade']['direction'], x['signalling']")
check "A's link is a cascade, out, over SIP ($k)" test "$k" = "cascade out sip"
k=$(part "$apiB" district mcu-a "x['kind'], x['cascade']['direction']")
check "B's link is a cascade, in ($k)" test "$k" = "cascade in"
k=$(part "$apiA" city leg1 "x['kind']")
check "a static leg is an endpoint ($k)" test "$k" = endpoint

# Senders run long enough for receivers that start late on a loaded
# machine; they are stopped once both receivers are done.
n0=${#PIDS[@]}
send_leg 1 "$baseA" h264 opus 60 # green, 500 Hz into A
send_leg 0 "$baseB" h264 opus 60 # red, 300 Hz into B
senders=("${PIDS[@]:$n0}")
sleep 2
# receivers: A's host (leg0), B's leg1
timeout 60 ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
	-i "$WORK/runA/city/leg0.sdp" -t 10 -map 0:v -c copy -y "$WORK/a0.mkv" \
	-t 10 -map 0:a -ac 1 -ar 48000 -y "$WORK/a0.wav" >"$WORK/recvA.log" 2>&1 &
recvA=$!
PIDS+=($!)
timeout 60 ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
	-i "$WORK/runB/district/leg1.sdp" -t 10 -map 0:v -c copy -y "$WORK/b1.mkv" \
	-t 10 -map 0:a -ac 1 -ar 48000 -y "$WORK/b1.wav" >"$WORK/recvB.log" 2>&1 &
recvB=$!
PIDS+=($!)
wait "$recvA" "$recvB"
kill "${senders[@]}" 2>/dev/null

c=$(colour_of "$WORK/a0.mkv" -1.5 red)
check "A's host sees B's sender in the link's tile (red $c)" ge "$c" 0.08
c=$(colour_of "$WORK/a0.mkv" -1.5 green)
check "A's host sees its own branch (green $c)" ge "$c" 0.08
t=$(tone_of "$WORK/a0.wav" 4 8 300)
check "A's host hears B's sender through the link (300 Hz: $t)" ge "$t" 400
t=$(tone_of "$WORK/a0.wav" 4 8 500)
check "A's host hears its own branch (500 Hz: $t)" ge "$t" 400
t=$(tone_of "$WORK/b1.wav" 4 8 500)
check "B's receiver hears A's sender through the link (500 Hz: $t)" ge "$t" 400
t=$(tone_of "$WORK/b1.wav" 4 8 300)
check "B's receiver hears its host (300 Hz: $t)" ge "$t" 400
c=$(colour_of "$WORK/b1.mkv" -1.5 red)
check "B's receiver sees its host largest (red $c)" ge "$c" 0.5
n=$(part "$apiA" city mcu-b "x['video']['in']['frames_decoded']")
check "A decodes the link's picture ($n frames)" test "${n:-0}" -gt 10

# Reloads: the link taken out of A's roster ends the call on both sides;
# put back, A calls again.
wait_gone() { # API MEETING EP SECONDS
	local i
	for ((i = 0; i < $4 * 10; i++)); do
		[ "$(part "$1" "$2" "$3" "x['state']")" != connected ] && return 0
		sleep 0.1
	done
	return 1
}
cp "$WORK/a.yaml" "$WORK/a-link.yaml"
cp "$WORK/a-nolink.yaml" "$WORK/a.yaml"
kill -HUP "$PIDA"
check "a reload without the link ends it on B" wait_gone "$apiB" district mcu-a 10
cp "$WORK/a-link.yaml" "$WORK/a.yaml"
kill -HUP "$PIDA"
check "a reload with the link calls it again" wait_connected "$apiA" city mcu-b 20
check "B shows the link connected again" wait_connected "$apiB" district mcu-a 5

kill -TERM "$PIDA"; wait "$PIDA"; rc=$?
check "MCU A stops cleanly (rc=$rc)" test "$rc" = 0
check "B sees the link leave" wait_gone "$apiB" district mcu-a 5
kill -TERM "$PIDB"; wait "$PIDB"; rc=$?
check "MCU B stops cleanly (rc=$rc)" test "$rc" = 0
n=$(sqlite3 "$WORK/logbookA.db" \
	"SELECT count(*) FROM participation WHERE endpoint = 'mcu-b'" 2>/dev/null)
check "A's logbook has the link's participation ($n)" test "${n:-0}" -ge 1
n=$(sqlite3 "$WORK/logbookB.db" \
	"SELECT count(*) FROM participation WHERE endpoint = 'mcu-a'" 2>/dev/null)
check "B's logbook has the link's participation ($n)" test "${n:-0}" -ge 1
grep -E "cascade|mcu-b|mcu-a" "$WORK/mcudA.log" "$WORK/mcudB.log" | tail -8
finish
