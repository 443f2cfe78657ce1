#!/usr/bin/env bash
# Issue 6 item 4: recording. Host + three branches over static RTP legs
# with real ffmpeg peers (H.264 + Opus), open floor.
#  1. A meeting with record: true records from its start: after ~10 s it
#     is stopped; the file (named <meeting>-YYYYMMDDTHHMM.mkv in
#     mcu.recordings) has one video and one audio stream lasting the
#     recorded time (+-1 s), shows the branches' view (the host's red
#     largest) and carries every leg's tone (the full mix); GET meeting
#     showed recording {on, file, seconds, bytes}; the logbook links it.
#  2. A meeting without record: true, recording started by the API
#     (mcuctl record t on); after 8 s mcud is killed with SIGKILL: the file
#     decodes without an error and lasts at least 5 s.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
MCUCTL=$BUILD/tools/mcuctl/mcuctl
if [ ! -x "$MCUCTL" ] || [ ! -x "$MCUD" ]; then
	echo "SKIP: mcud or mcuctl not built"
	exit 0
fi
head -c 32 /dev/urandom | base64 >"$WORK/api.token"
chmod 600 "$WORK/api.token"

# roster BASE RECORD: the 4-leg meeting, recordings under $WORK/rec.
roster() {
	python3 "$TOOLS/mkroster.py" --base "$1" --token-file "$WORK/api.token" \
		--legs h264/opus,h264/opus,h264/opus,h264/opus |
		sed -e "s|^  logbook: .*|&\n  recordings: \"$WORK/rec\"|" \
		    -e "s|^    dial: in|&\n    record: $2|" >"$WORK/roster.yaml"
}

# start RECORD: a free base, the roster, mcud running the meeting; another
# test may take a port between free_base and the bind (then a new base),
# and a loaded machine may take more than start_mcud's 10 s.
start() {
	local try
	for try in 1 2 3; do
		base=$(free_base 4)
		roster "$base" "$1"
		rm -rf "$WORK/run"
		start_mcud "$WORK/roster.yaml" && return 0
		if kill -0 "$MCUD_PID" 2>/dev/null; then
			wait_for "$WORK/mcud.log" "media started" 30 && return 0
			kill "$MCUD_PID"
		fi
		wait "$MCUD_PID" 2>/dev/null
		echo "# mcud did not start (try $try): $(grep -m1 ERROR "$WORK/mcud.log")"
	done
	return 1
}

json_field() { # JSON-on-stdin PYTHON-EXPRESSION-OF-j
	python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# ---- 1: record: true, from the meeting's start, stopped cleanly --------
check "mcud starts the meeting" start true
grep -q "record: true" "$WORK/roster.yaml" || fail "roster has record: true"
t0=$(date +%s.%N)
for i in 0 1 2 3; do send_leg $i $base h264 opus 30; done
C=("$MCUCTL" -c "$WORK/roster.yaml")
sleep 5
curl -sf "http://127.0.0.1:$((base + 901))/api/v1/meetings/t" >"$WORK/meeting.json"
on=$(json_field 'j["recording"]["on"]' <"$WORK/meeting.json")
file=$(json_field 'j["recording"]["file"]' <"$WORK/meeting.json")
secs=$(json_field 'j["recording"]["seconds"]' <"$WORK/meeting.json")
bytes=$(json_field 'j["recording"]["bytes"]' <"$WORK/meeting.json")
check "GET meeting: recording on ($on)" test "$on" = True
# host+floor: the recording sees what the branches that do not hold the
# floor see, so it takes their encoder's packets instead of encoding again.
shared=$(json_field 'j["recording"]["shared_encoder"]' <"$WORK/meeting.json")
check "the recording reuses the branches' encoder ($shared)" test "$shared" = True
check "file named after the meeting and minute ($file)" \
	bash -c "[[ '$file' =~ ^$WORK/rec/t-[0-9]{8}T[0-9]{4}\.mkv$ ]]"
check "GET meeting: seconds ($secs) >= 3" ge "$secs" 3
check "GET meeting: bytes ($bytes) > 10000" test "$bytes" -gt 10000
"${C[@]}" show t >"$WORK/show.txt" 2>&1
check "mcuctl show names the file" grep -qF "$file" "$WORK/show.txt"
"${C[@]}" record t on >"$WORK/again.txt" 2>&1
rc=$?
check "record on while recording is refused (rc=$rc)" test "$rc" != 0
sleep 5
"${C[@]}" stop t >"$WORK/stop.txt" 2>&1
t1=$(date +%s.%N)
wait_for "$WORK/mcud.log" "recording .* closed" 10
want=$(python3 -c "print(round($t1 - $t0, 2))")
grep -E "recording (starts|.* closed)|meeting t:" "$WORK/mcud.log"
probe() {
	ffprobe -v error -show_entries "$1" -of csv=p=0 "$file"
}
nv=$(probe stream=codec_type | grep -c video)
na=$(probe stream=codec_type | grep -c audio)
check "one video stream ($nv) and one audio stream ($na)" test "$nv:$na" = 1:1
dur=$(probe format=duration)
check "duration $dur s = recorded time $want s +- 1" \
	python3 -c "import sys; sys.exit(abs($dur - $want) > 1)"
c=$(colour_of "$file" -1.5 red)
check "the recording shows the branches' view: host largest (red $c)" ge "$c" 0.6
# (8 kHz is plenty for tones below 1 kHz and keeps the scan short)
ffmpeg -nostdin -v error -i "$file" -map 0:a -ac 1 -ar 8000 -y "$WORK/rec.wav"
# The full mix carries every leg's tone: the 2 s window of the file where
# the weakest of the four tones is strongest (a loaded machine may take
# seconds to start the senders), each tone there >= 800.
python3 - "$TOOLS" "$WORK/rec.wav" "${TONES[@]:0:4}" >"$WORK/tones.txt" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import media_check
wav, freqs = sys.argv[2], [float(f) for f in sys.argv[3:]]
best = None
for k in range(0, 40, 2):
    amp = media_check.tones(wav, k, k + 2, freqs)
    vals = list(amp.values())
    if not vals:
        break
    if best is None or min(vals) > min(best[1]):
        best = (k, vals)
print(best[0] if best else 0, *(round(v, 1) for v in (best[1] if best else [0] * 4)))
PY
read -r at t0a t1a t2a t3a <"$WORK/tones.txt"
amps=("$t0a" "$t1a" "$t2a" "$t3a")
for j in 0 1 2 3; do
	check "the recording carries leg $j's tone (${TONES[$j]} Hz at $at-$((at + 2)) s: ${amps[$j]})" \
		ge "${amps[$j]:-0}" 800
done
curl -sf "http://127.0.0.1:$((base + 901))/api/v1/logbook?format=json" >"$WORK/logbook.json"
check "the logbook links the file" grep -qF "$(basename "$file")" "$WORK/logbook.json"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

# ---- 2: started by the API, then kill -9 -------------------------------
check "mcud starts the meeting again" start false
C=("$MCUCTL" -c "$WORK/roster.yaml")
for i in 0 1 2 3; do send_leg $i $base h264 opus 14; done
sleep 1
curl -sf "http://127.0.0.1:$((base + 901))/api/v1/meetings/t" >"$WORK/meeting2.json"
check "record: false does not record" \
	test "$(json_field 'j["recording"]["on"]' <"$WORK/meeting2.json")" = False
"${C[@]}" record t on >"$WORK/on.txt" 2>&1
rc=$?
check "mcuctl record t on (rc=$rc)" test "$rc" = 0
sleep 8
curl -sf "http://127.0.0.1:$((base + 901))/api/v1/meetings/t" >"$WORK/meeting3.json"
file=$(json_field 'j["recording"]["file"]' <"$WORK/meeting3.json")
kill -KILL "$MCUD_PID"; wait "$MCUD_PID" 2>/dev/null
errs=$(ffmpeg -nostdin -v error -i "$file" -f null - 2>&1 | head -5)
check "after kill -9 the file decodes without error [$errs]" test -z "$errs"
last=$(ffprobe -v error -select_streams v -show_entries packet=pts_time \
	-of csv=p=0 "$file" | sort -g | tail -1)
lasta=$(ffprobe -v error -select_streams a -show_entries packet=pts_time \
	-of csv=p=0 "$file" | sort -g | tail -1)
check "after kill -9 the file lasts >= 5 s (video ${last:-0} s)" ge "${last:-0}" 5
check "after kill -9 the sound lasts >= 5 s (${lasta:-0} s)" ge "${lasta:-0}" 5
finish
