# Media test helpers (sourced after common.sh): static RTP legs driven by
# real ffmpeg senders and receivers.
TOOLS=$SRC/tests/tools
# Not yellow or white: the speaker border is yellow, the labels white.
COLOURS=(red green blue magenta cyan orange purple gray)
TONES=(300 500 700 900 1100 1300 1500 1700)

# free_base NLEGS: a base port for mkroster.py --base whose leg ports
# (base+10*i.. and base+500+10*i.., four each), base-50..base-47 (for a
# relay) and base+900/901 (mkroster's default SIP and API) are free now, chosen at random below the kernel's ephemeral
# range (32768-), so that neither the peers' own sockets nor a second run
# of the same test (two build trees run make test at once) take them.
free_base() {
	python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    b = random.randrange(20000, 31000, 10)
    ports = [b - 50 + k for k in range(4)]
    ports += [b + off + 10 * i + k for off in (0, 500)
              for i in range(n) for k in range(4)]
    ports += [b + 900, b + 901]  # mkroster's default SIP and API ports
    if all(free(p) for p in ports):
        print(b)
        break
else:
    sys.exit("no free base")
PY
}

# start_mcud ROSTER [PATTERN]: runs mcud on ROSTER with run dir
# $WORK/run; waits for PATTERN in its log (default: a meeting's media
# started).
start_mcud() {
	"$MCUD" -c "$1" --run-dir "$WORK/run" --workers 2 --io-threads 1 \
		>"$WORK/mcud.log" 2>&1 &
	MCUD_PID=$!
	PIDS+=("$MCUD_PID")
	wait_for "$WORK/mcud.log" "${2:-media started}" 10
}

# send_leg I BASE VCODEC ACODEC SECONDS: ffmpeg sends colour I and tone I.
# Video and audio come from two processes so that a slow video encoder
# (libvpx on a loaded machine) cannot make the sound bursty.
send_leg() {
	local i=$1 base=$2 v=$3 a=$4 secs=$5
	local port=$((base + 500 + 10 * i)) vargs=() aargs=()
	vargs=(-nostdin -loglevel error -re
		-f lavfi -i "color=${COLOURS[$i]}:s=640x360:r=25" -t "$secs")
	case $v in
	h264) vargs+=(-c:v libx264 -preset ultrafast -tune zerolatency
		-profile:v baseline -g 25 -payload_type 96) ;;
	vp8) vargs+=(-c:v libvpx -deadline realtime -cpu-used 8 -g 25
		-b:v 400k -payload_type 97 -strict experimental) ;;
	esac
	vargs+=(-f rtp "rtp://127.0.0.1:$port")
	aargs=(-nostdin -loglevel error -re
		-f lavfi -i "sine=frequency=${TONES[$i]}:sample_rate=48000" -t "$secs")
	case $a in
	opus) aargs+=(-c:a libopus -ar 48000 -payload_type 111) ;;
	g722) aargs+=(-c:a g722 -ar 16000 -ac 1 -payload_type 9) ;;
	# 20 ms packets as terminals send them. ffmpeg's PCM encoders take
	# the filter's frames whole (1024 samples at 48 kHz: 21.33 ms, 170 or
	# 171 bytes a packet), and a late packet dropped after its 20 ms were
	# concealed then shifts the tone's phase, which the checks' 3 s
	# Goertzel reads as a quiet tone (CI: 441 where 4000 is heard).
	pcmu) aargs+=(-af aresample=8000,asetnsamples=n=160:p=0
		-c:a pcm_mulaw -ar 8000 -ac 1 -payload_type 0) ;;
	pcma) aargs+=(-af aresample=8000,asetnsamples=n=160:p=0
		-c:a pcm_alaw -ar 8000 -ac 1 -payload_type 8) ;;
	esac
	aargs+=(-f rtp "rtp://127.0.0.1:$((port + 2))")
	ffmpeg "${vargs[@]}" >"$WORK/send$i.log" 2>&1 &
	PIDS+=($!)
	ffmpeg "${aargs[@]}" >"$WORK/senda$i.log" 2>&1 &
	PIDS+=($!)
}

# recv_leg I SECONDS: ffmpeg receives what mcud sends leg I into
# $WORK/outI.mkv (video, copied) and $WORK/outI.wav (audio, decoded).
recv_leg() {
	local i=$1 secs=$2
	ffmpeg -nostdin -loglevel error -protocol_whitelist file,udp,rtp \
		-i "$WORK/run/t/leg$i.sdp" \
		-t "$secs" -map 0:v -c copy -y "$WORK/out$i.mkv" \
		-t "$secs" -map 0:a -ac 1 -ar 48000 -y "$WORK/out$i.wav" \
		>"$WORK/recv$i.log" 2>&1 &
	PIDS+=($!)
}

colour_of() { # FILE AT COLOUR -> fraction of the picture
	python3 "$TOOLS/media_check.py" colours "$1" "$2" |
		python3 -c "import json,sys; print(json.load(sys.stdin).get('$3', 0))"
}

tone_of() { # WAV FROM TO FREQ -> amplitude
	python3 "$TOOLS/media_check.py" tones "$1" "$2" "$3" "$4" |
		python3 -c "import json,sys; print(list(json.load(sys.stdin).values())[0])"
}

ge() { python3 -c "import sys; sys.exit(0 if float('$1') >= float('$2') else 1)"; }
le() { python3 -c "import sys; sys.exit(0 if float('$1') <= float('$2') else 1)"; }

# check_meeting N: the checks of the media issue for N legs (leg 0 host).
check_meeting() {
	local n=$1 i j at=-1.5
	for ((i = 0; i < n; i++)); do
		local f="$WORK/out$i.mkv" own=${COLOURS[$i]} c
		if [ "$i" = 0 ]; then
			for ((j = 1; j < n; j++)); do
				c=$(colour_of "$f" $at "${COLOURS[$j]}")
				check "host sees branch $j (${COLOURS[$j]} $c)" ge "$c" 0.08
			done
		else
			c=$(colour_of "$f" $at red)
			check "branch $i sees the host largest (red $c)" ge "$c" 0.6
		fi
		c=$(colour_of "$f" $at "$own")
		check "leg $i does not see itself ($own $c)" le "$c" 0.01
		for ((j = 0; j < n; j++)); do
			local t
			t=$(tone_of "$WORK/out$i.wav" 3 6 "${TONES[$j]}")
			if [ "$i" = "$j" ]; then
				check "leg $i does not hear itself (${TONES[$j]} Hz: $t)" le "$t" 150
			else
				check "leg $i hears leg $j (${TONES[$j]} Hz: $t)" ge "$t" 800
			fi
		done
	done
}
