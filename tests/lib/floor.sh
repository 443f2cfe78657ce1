# Floor test helpers (sourced after common.sh and media.sh): senders of
# one stream with a chosen loudness, receivers of audio alone, tone
# analysis of several frequencies in one pass, the live floor from the API.

# send_audio I BASE SECS [AMP]: Opus tone TONES[I] at amplitude AMP (full
# scale 1.0; default 0.125, the level of send_leg's sine) to leg I's audio
# port, from now on.
send_audio() {
	local i=$1 base=$2 secs=$3 amp=${4:-0.125}
	local port=$((base + 500 + 10 * i + 2))
	ffmpeg -nostdin -loglevel error -re -f lavfi \
		-i "aevalsrc=${amp}*sin(2*PI*${TONES[$i]}*t):s=48000:d=${secs}" \
		-c:a libopus -ar 48000 -payload_type 111 \
		-f rtp "rtp://127.0.0.1:$port" >"$WORK/senda$i.log" 2>&1 &
	PIDS+=($!)
}

# send_video I BASE SECS: H.264 colour I to leg I's video port.
send_video() {
	local i=$1 base=$2 secs=$3
	ffmpeg -nostdin -loglevel error -re -f lavfi \
		-i "color=${COLOURS[$i]}:s=640x360:r=25" -t "$secs" \
		-c:v libx264 -preset ultrafast -tune zerolatency \
		-profile:v baseline -g 25 -payload_type 96 \
		-f rtp "rtp://127.0.0.1:$((base + 500 + 10 * i))" \
		>"$WORK/send$i.log" 2>&1 &
	PIDS+=($!)
}

# tones FROM TO WAV...: the amplitudes of TONES[0..3] between FROM and TO
# seconds, one line of four numbers per WAV ("- - - -" when it cannot be
# read), from one python process (start-up is slow on a loaded machine).
tones() {
	local from=$1 to=$2
	shift 2
	python3 - "$TOOLS" "$from" "$to" "${TONES[0]}" "${TONES[1]}" \
		"${TONES[2]}" "${TONES[3]}" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import media_check
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
freqs = [float(f) for f in sys.argv[4:8]]
for wav in sys.argv[8:]:
    try:
        print(*media_check.tones(wav, t0, t1, freqs).values())
    except Exception:
        print("- - - -")
PY
}

# region_colour_of FILE AT COLOUR X0 Y0 X1 Y1 -> fraction of the region
region_colour_of() {
	python3 - "$TOOLS" "$@" <<'PY' 2>/dev/null || echo 0
import sys
sys.path.insert(0, sys.argv[1])
import media_check
path, at, colour = sys.argv[2], float(sys.argv[3]), sys.argv[4]
box = tuple(float(v) for v in sys.argv[5:9])
print(media_check.colours(path, at, box).get(colour, 0))
PY
}

# fge A B / fle A B: A >= B / A <= B as numbers (awk: no python start-up
# per comparison on a loaded machine)
fge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
fle() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# ratio A B -> A / B (B at least 1)
ratio() { python3 -c "print(round(float('$1') / max(1.0, float('$2')), 3))"; }

# floor_state PORT -> "holder speaker queue" of meeting t (None / -)
floor_state() {
	curl -sf --max-time 3 "http://127.0.0.1:$1/api/v1/meetings/t" |
		python3 -c "import json,sys; f=json.load(sys.stdin)['floor']
print(f['holder'], f['speaker'], ','.join(f['queue']) or '-')"
}

# role_of PORT EP -> EP's floor role in GET .../participants
role_of() {
	curl -sf --max-time 3 "http://127.0.0.1:$1/api/v1/meetings/t/participants" |
		python3 -c "import json,sys
print({p['endpoint']: p['floor'] for p in json.load(sys.stdin)}.get('$2'))"
}

# recv_phase I SECS TAG: like recv_leg, into $WORK/outTAG_I.mkv and .wav;
# the pid joins RECV (see wait_recv).
RECV=()
recv_phase() {
	local i=$1 secs=$2 tag=$3 maps=()
	grep -q '^m=video' "$WORK/run/t/leg$i.sdp" &&
		maps+=(-t "$secs" -map 0:v -c copy -y "$WORK/out${tag}_$i.mkv")
	# 8 kHz is plenty for the tones (<= 1.7 kHz) and a sixth of the work
	# for media_check.py's Goertzel.
	maps+=(-t "$secs" -map 0:a -ac 1 -ar 8000 -y "$WORK/out${tag}_$i.wav")
	ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
		-i "$WORK/run/t/leg$i.sdp" "${maps[@]}" \
		>"$WORK/recv${tag}_$i.log" 2>&1 &
	RECV+=($!)
	PIDS+=($!)
}

# wait_recv SECONDS: wait for the receivers in RECV, at most SECONDS;
# those still running then are killed. Empties RECV.
wait_recv() {
	local t=$1 p i
	for ((i = 0; i < t * 10; i++)); do
		local alive=0
		for p in "${RECV[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${RECV[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	RECV=()
}
