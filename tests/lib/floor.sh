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

# recv_audio I SECS: what mcud sends leg I (an audio-only leg) decoded
# into $WORK/outI.wav.
recv_audio() {
	local i=$1 secs=$2
	ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
		-i "$WORK/run/t/leg$i.sdp" -t "$secs" -map 0:a -ac 1 -ar 48000 \
		-y "$WORK/out$i.wav" >"$WORK/recv$i.log" 2>&1 &
	PIDS+=($!)
}

# tones WAV FROM TO: the amplitudes of TONES[0..3] between FROM and TO
# seconds, as four numbers on one line (one Goertzel pass per tone).
tones() {
	python3 "$TOOLS/media_check.py" tones "$1" "$2" "$3" \
		"${TONES[0]}" "${TONES[1]}" "${TONES[2]}" "${TONES[3]}" |
		python3 -c "import json,sys; print(*json.load(sys.stdin).values())"
}

# region_colour_of FILE AT COLOUR X0 Y0 X1 Y1 -> fraction of the region
region_colour_of() {
	python3 "$TOOLS/media_check.py" colours "$1" "$2" "$4" "$5" "$6" "$7" |
		python3 -c "import json,sys; print(json.load(sys.stdin).get('$3', 0))"
}

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
