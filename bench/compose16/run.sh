#!/usr/bin/env bash
# bench/compose16/run.sh — issue 3's benchmark: 16 H.264 640x360 30 fps legs
# composed into one 1280x720 4x4 view and encoded with libx264, in mcud and
# in a side-by-side `ffmpeg -filter_complex xstack` over the same 16 clips,
# plus the pure codec floor (bench_pure_codec: the same decodes and encode
# alone), also with the decoders' loop filter skipped on non-key pictures
# (-L: what mcud does for sources it shows at half size or less, so that
# gain is reported apart). Prints CPU seconds per output frame of each and
# the ratios.
# Targets: mcud <= 0.6 x ffmpeg, mcud <= 1.2 x pure codec.
#
# Environment (defaults): BUILD=build  RUNS=3  WARM=5 (s)  T=20 (s)
#   PRESET=veryfast  CACHE=/tmp/mcud-bench-compose16  BASE=47000 (ports
#   BASE..BASE+999)  PERF=0 (1: perf record mcud during the first window)
#   ONLY= (mcud: only the mcud runs and their median, for A/B comparisons
#   of two builds run back to back)
# Output: the table on stdout; everything else in $CACHE/runs/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
RUNS=${RUNS:-3}
WARM=${WARM:-5}
T=${T:-20}
PRESET=${PRESET:-veryfast}
CACHE=${CACHE:-/tmp/mcud-bench-compose16}
BASE=${BASE:-47000}
PERF=${PERF:-0}
ONLY=${ONLY:-}
FPS=30
BITRATE=1800000 # mcud's 720p tier (endpoint bandwidth >= 2000 kbit/s)
KEYINT=90       # mcud: fps x keyframe_interval_s (default 3)
MCUD=$BUILD/mcu/mcud
PURE=$BUILD/bench/compose16/bench_pure_codec
FONT=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
HZ=$(getconf CLK_TCK)
OUT=$CACHE/runs/$(date +%Y%m%d-%H%M%S)
PIDS=()

die() { echo "run.sh: $*" >&2; exit 1; }
log() { echo "[$(date +%T)] $*" >&2; }
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

for x in "$MCUD" "$PURE"; do
	[ -x "$x" ] || die "$x missing: cmake --build $BUILD --target mcud bench_pure_codec"
done
for c in ffmpeg ffprobe python3; do
	command -v $c >/dev/null || die "$c not installed"
done
mkdir -p "$CACHE/clips" "$OUT" || die "cannot create $CACHE"

# --- 1. sixteen distinct clips, encoded once ---------------------------------
# Each: its own colour, mild temporal noise (camera-like, so decoding costs
# what real pictures cost), a moving box and its number; 20 s, constrained
# baseline, 600 kbit/s (mcud's 360p tier), GOP 60, SPS/PPS before each IDR
# so `-c copy` to RTP carries them in band.
colors=(0x1f77b4 0xff7f0e 0x2ca02c 0xd62728 0x9467bd 0x8c564b 0xe377c2 0x7f7f7f
	0xbcbd22 0x17becf 0x393b79 0x637939 0x8c6d31 0x843c39 0x7b4173 0x3182bd)
CLIPS=()
for i in $(seq 1 16); do
	f=$CACHE/clips/clip$(printf %02d "$i").mp4
	CLIPS+=("$f")
	[ -s "$f" ] && continue
	log "encoding $f"
	ffmpeg -nostdin -hide_banner -loglevel error -y \
		-f lavfi -i "color=c=${colors[i-1]}:s=640x360:r=$FPS:d=20" \
		-vf "noise=alls=10:allf=t,drawbox=x='mod(t*140+$i*37,560)':y='mod(t*70+$i*19,280)':w=80:h=80:c=white@0.9:t=fill,drawtext=fontfile=$FONT:text=$i:fontsize=120:fontcolor=white:x=40:y=40" \
		-c:v libx264 -preset veryfast -profile:v baseline -pix_fmt yuv420p \
		-b:v 600k -maxrate 600k -bufsize 600k -g 60 -keyint_min 60 \
		-x264-params repeat-headers=1:scenecut=0 -an "$f.tmp.mp4" &&
		mv "$f.tmp.mp4" "$f" || die "cannot encode $f"
done

# --- 2. the roster: 16 sending branches, one receiving host ------------------
# The host (bandwidth 4096 -> 1280x720 at 1.8 Mbit/s) sees grid-4x4 of the
# 16 branches and sends nothing. Branches see the host alone (a "no video"
# card): they share one 320x180 encoder group, the only extra encode.
# Video only on every leg: the comparison is about pictures.
roster() {
	local start end ann
	start=$(TZ=Asia/Ho_Chi_Minh date -d '-5 min' +%Y-%m-%dT%H:%M)
	end=$(TZ=Asia/Ho_Chi_Minh date -d '+120 min' +%Y-%m-%dT%H:%M)
	ann=$(TZ=Asia/Ho_Chi_Minh date -d '-10 days' +%Y-%m-%d)
	cat <<Y
mcu:
  name: bench
  timezone: Asia/Ho_Chi_Minh
  sip: {listen: ["udp:127.0.0.1:$((BASE + 900))"]}
  api: {listen: "127.0.0.1:$((BASE + 901))"}
  media: {fps: $FPS, x264_preset: $PRESET}
endpoints:
Y
	for i in $(seq 0 16); do
		cat <<Y
  - id: leg$i
    name: "Điểm cầu $i"
    tier: $([ "$i" = 0 ] && echo city || echo district)
    bandwidth_kbps: $([ "$i" = 0 ] && echo 4096 || echo 500)
    rtp:
      remote: 127.0.0.1:$((BASE + 10 * i))
      local: 127.0.0.1:$((BASE + 500 + 10 * i))
      video: {codec: h264, payload_type: 96}
Y
	done
	cat <<Y
meetings:
  - id: c16
    title: "compose16"
    host: leg0
    branches: [$(seq -s, -f 'leg%g' 1 16)]
    start: $start
    end: $end
    announced: $ann
    floor: open
    layout: {host: grid-4x4, branches: host}
Y
}

cpu_ticks() { # utime + stime of PID, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
load1() { cut -d' ' -f1 /proc/loadavg; }

# --- 3. one mcud run: warm up, then CPU and frames over T seconds -----------
mcud_run() {
	local n=$1 d=$OUT/mcud$1 pid rpid t0 t1
	mkdir -p "$d/run"
	roster >"$d/roster.yaml"
	"$MCUD" --check "$d/roster.yaml" >"$d/check.out" 2>&1 ||
		die "roster refused: $(cat "$d/check.out")"
	python3 "$HERE/rtpcount.py" "$BASE" "$d/out.h264" $((WARM + T + 600)) \
		>"$d/recv.json" 2>"$d/recv.err" &
	rpid=$!
	PIDS+=("$rpid")
	for ((i = 0; i < 300; i++)); do # python starts slowly on a busy machine
		grep -q ready "$d/recv.err" 2>/dev/null && break
		sleep 0.1
	done
	grep -q ready "$d/recv.err" || die "rtpcount.py did not start: $(cat "$d/recv.err")"
	"$MCUD" -c "$d/roster.yaml" --run-dir "$d/run" --log-level info \
		2>"$d/mcud.log" &
	pid=$!
	PIDS+=("$pid")
	sleep 1
	kill -0 "$pid" 2>/dev/null || die "mcud did not start: $(tail -5 "$d/mcud.log")"
	local spids=()
	for i in $(seq 1 16); do
		ffmpeg -nostdin -hide_banner -loglevel error -re -stream_loop -1 \
			-i "${CLIPS[i-1]}" -map 0:v -c copy -payload_type 96 \
			-f rtp "rtp://127.0.0.1:$((BASE + 500 + 10 * i))?localrtcpport=$((BASE + 300 + 10 * i))" \
			>/dev/null 2>"$d/send$i.err" &
		spids+=($!)
		PIDS+=($!)
	done
	sleep "$WARM"
	echo "load before window: $(load1)" >"$d/load"
	t0=$(cpu_ticks "$pid")
	kill -USR1 "$rpid"
	if [ "$PERF" = 1 ] && [ "$n" = 1 ] && command -v perf >/dev/null; then
		perf record -g -o "$d/perf.data" -p "$pid" -- sleep "$T" \
			>/dev/null 2>"$d/perf.err"
	else
		sleep "$T"
	fi
	t1=$(cpu_ticks "$pid")
	kill -USR1 "$rpid"
	echo "load after window: $(load1)" >>"$d/load"
	grep -E "c16: [0-9]+/[0-9]+ connected" "$d/mcud.log" | tail -1 >"$d/stats"
	kill "${spids[@]}" 2>/dev/null
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	kill -TERM "$rpid"
	wait "$rpid" 2>/dev/null
	wait "${spids[@]}" 2>/dev/null
	python3 - "$d/recv.json" "$((t1 - t0))" "$HZ" "$n" <<'PY' >"$d/result" || die "mcud run $n: no frame count"
import json, sys
r = json.load(open(sys.argv[1]))
ticks, hz, n = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if len(r["marks"]) < 2:
    sys.exit("rtpcount.py ended before the window closed")
(ta, fa), (tb, fb) = r["marks"][0], r["marks"][1]
frames = fb - fa
cpu = ticks / hz
print("%.6f %d %.3f %.2f %d" % (cpu / frames if frames else 0, frames, cpu,
                                frames / (tb - ta), r["lost"]))
PY
	read -r spf frames cpu fps lost <"$d/result"
	log "mcud run $n: $cpu s CPU for $frames frames ($fps fps received, $lost seq gaps) -> $spf s/frame; $(tr '\n' ' ' <"$d/load")"
	log "  $(sed 's/.*c16: //' "$d/stats")"
	echo "$spf" >>"$OUT/mcud.spf"
}

# --- 4. ffmpeg xstack over the same clips, same encoder settings -------------
ffmpeg_run() {
	local n=$1 frames=$2 d=$OUT/ffmpeg$1 inputs=() fc="" layout="" i
	mkdir -p "$d"
	for i in $(seq 0 15); do
		inputs+=(-threads 1 -stream_loop -1 -i "${CLIPS[i]}")
		fc+="[$i:v]scale=320:180:flags=bilinear[v$i];"
		layout+="$(( (i % 4) * 320 ))_$(( (i / 4) * 180 ))|"
	done
	fc+="$(for i in $(seq 0 15); do printf '[v%d]' "$i"; done)"
	fc+="xstack=inputs=16:layout=${layout%|}[out]"
	echo "load before: $(load1)" >"$d/load"
	ffmpeg -nostdin -hide_banner -benchmark -y "${inputs[@]}" \
		-filter_threads 1 -filter_complex_threads 1 -filter_complex "$fc" \
		-map '[out]' -frames:v "$frames" -r $FPS \
		-c:v libx264 -threads 1 -preset "$PRESET" -tune zerolatency \
		-profile:v baseline -bf 0 -refs 1 -g $KEYINT \
		-b:v $BITRATE -maxrate $BITRATE -bufsize $((BITRATE / 2)) \
		-x264-params repeat-headers=1:scenecut=0:nal-hrd=none \
		-f h264 "$d/out.h264" >"$d/ffmpeg.out" 2>"$d/ffmpeg.err" ||
		die "ffmpeg xstack failed: $(tail -3 "$d/ffmpeg.err")"
	echo "load after: $(load1)" >>"$d/load"
	local line ut st
	line=$(grep -E '^bench: utime=' "$d/ffmpeg.err" | tail -1)
	ut=$(sed -E 's/.*utime=([0-9.]+)s.*/\1/' <<<"$line")
	st=$(sed -E 's/.*stime=([0-9.]+)s.*/\1/' <<<"$line")
	local spf
	spf=$(python3 -c "print('%.6f' % (($ut + $st) / $frames))")
	log "ffmpeg run $n: utime $ut s + stime $st s for $frames frames -> $spf s/frame; $(tr '\n' ' ' <"$d/load")"
	echo "$spf" >>"$OUT/ffmpeg.spf"
}

pure_run() { # run frames [name flags...]
	local n=$1 frames=$2 name=${3:-pure} d spf
	shift 3 2>/dev/null || shift 2
	d=$OUT/$name$n
	mkdir -p "$d"
	echo "load before: $(load1)" >"$d/load"
	"$PURE" -n "$frames" -p "$PRESET" -b $BITRATE -r $FPS -g $KEYINT "$@" \
		"${CLIPS[@]}" >"$d/out" 2>"$d/err" || die "bench_pure_codec failed: $(cat "$d/err")"
	spf=$(sed -E 's/.*codec CPU per output frame ([0-9.]+) s.*/\1/' "$d/out")
	log "$name codec run $n: $(sed 's/.*CPU; //' "$d/out"); $(tr '\n' ' ' <"$d/load")"
	echo "$spf" >>"$OUT/$name.spf"
}

median() { sort -g "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(uptime | sed 's/.*load/load/')"
log "results in $OUT"
for r in $(seq 1 "$RUNS"); do
	mcud_run "$r"
done
# Check once that what mcud sent is a 1280x720 H.264 stream.
geom=$(ffprobe -v error -f h264 -select_streams v:0 -show_entries stream=width,height \
	-of csv=p=0 "$OUT/mcud1/out.h264")
log "mcud output stream: ${geom:-undecodable}"
[ "$geom" = "1280,720" ] || die "mcud's output is not 1280x720 H.264 ($geom)"
if [ "$ONLY" = mcud ]; then
	log "mcud median of $RUNS runs: $(median "$OUT/mcud.spf") s/frame"
	exit 0
fi
FRAMES=$((T * FPS))
for r in $(seq 1 "$RUNS"); do
	ffmpeg_run "$r" "$FRAMES"
	pure_run "$r" "$FRAMES"
	pure_run "$r" "$FRAMES" purelf -L
done

M=$(median "$OUT/mcud.spf")
F=$(median "$OUT/ffmpeg.spf")
P=$(median "$OUT/pure.spf")
L=$(median "$OUT/purelf.spf")
python3 - "$M" "$F" "$P" "$L" "$RUNS" "$PRESET" <<'PY' | tee "$OUT/table"
import sys
m, f, p, l = (float(x) for x in sys.argv[1:5])
runs, preset = sys.argv[5], sys.argv[6]
print("compose16: 16 x 640x360 H.264 30 fps -> 4x4 1280x720 libx264 %s 1.8 Mbit/s"
      % preset)
print("median of %s runs, CPU seconds per output frame" % runs)
print("| measure | CPU s/frame | ratio | target |")
print("| --- | ---: | ---: | --- |")
print("| mcud | %.5f | | |" % m)
print("| ffmpeg xstack | %.5f | | |" % f)
print("| pure codec (decodes + encode) | %.5f | | |" % p)
print("| pure codec, decoders without loop filter (-L) | %.5f | | |" % l)
print("| mcud / ffmpeg | | %.2f | <= 0.60 %s |" % (m / f, "met" if m / f <= 0.6 else "MISSED"))
print("| mcud / pure codec | | %.2f | <= 1.20 %s |" % (m / p, "met" if m / p <= 1.2 else "MISSED"))
print("| mcud / pure codec -L (overhead with the same decode work) | | %.2f | |" % (m / l))
PY
