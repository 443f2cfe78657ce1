#!/usr/bin/env bash
# bench/latency/run.sh — issue 8 item 3: the time mcud adds between a
# packet's arrival and the output packet that carries it, for video and
# audio, p50 / p99 / max.
#
# Method (docs/benchmarks.md "latency"): mcud measures it itself, behind
# the /metrics histogram mcu_media_latency_seconds{kind}:
#   video: for every picture that is new in a tick and shown in an encoder
#          group's view, (time the group's encoded frame has been handed
#          to every receiver's socket) - (arrival of the last RTP packet of
#          that picture's access unit, as the I/O thread read it);
#   audio: for every audible participant's 20 ms packet in a tick's mixes,
#          (time the last mix of the tick was sent) - (that packet's
#          arrival).
# This script runs a meeting of N mcu-sim endpoints (host + N-1 branches,
# 360p30 + Opus in, host grid / tour at 720p, branches host+floor, floor
# granted to sim002 so two sources are audible), waits WARM seconds after
# all are connected, and takes the histogram's bucket deltas over T
# seconds: p50 and p99 interpolated inside the bucket (as PromQL's
# histogram_quantile), max as the upper bound of the highest non-empty
# bucket, mean from _sum/_count.
#
# Environment (defaults): BUILD=build  N=10  T=30 (s)  WARM=5 (s)
#   PRESET= (mcud x264 preset; empty: ultrafast from mcu-sim roster)
#   CACHE=/tmp/mcud-bench-latency  NICE= (e.g. -15: mcud and mcu-sim under
#   nice, needs root)
# Targets (issue 8): video p99 <= 50 ms, audio p99 <= 30 ms.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
N=${N:-10}
T=${T:-30}
WARM=${WARM:-5}
PRESET=${PRESET:-}
CACHE=${CACHE:-/tmp/mcud-bench-latency}
NICE=${NICE:-}
OUT=$CACHE/runs/$(date +%Y%m%d-%H%M%S)
PIDS=()
. "$SRC/bench/capacity/lib.sh"
trap cleanup EXIT
need_tools
mkdir -p "$OUT" || die "cannot create $OUT"
nice_cmd=()
[ -n "$NICE" ] && nice_cmd=(nice -n "$NICE")
d=$OUT

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(uptime | sed 's/.*load/load/')"
log "results in $OUT; N=$N, T=$T s"
# one block: mcu-sim's RTP ports, mcud's SIP port, mcud's RTP ports
rtp=$(free_block $((8 * N + 60)))
sip=$((rtp + 4 * N + 8))
API=$(free_tcp)
"$SIM" roster "$N" --sip-port "$sip" --api-port "$API" --meeting lat \
	--floor chaired --branch-layout host+floor --host-bandwidth 4096 \
	--bandwidth 2048,1000 --logbook "$d/logbook.db" \
	--output "$d/roster.yaml" || die "mcu-sim roster failed"
api_token "$d"
with_token "$d/roster.yaml" "$d/token" "$PRESET"
mcud_rtp "$d/roster.yaml" $((rtp + 4 * N + 20)) $((rtp + 8 * N + 59))
start_mcud "$d/roster.yaml" "$d"
"${nice_cmd[@]}" "$SIM" run --roster "$d/roster.yaml" --meeting lat --mcu "sip:127.0.0.1:$sip" \
	--video 360p --roster-bandwidth --seconds $((60 + WARM + T + 30)) \
	--rtp-ports "$rtp-$((rtp + 4 * N + 7))" --report "$d/sim.json" \
	>"$d/sim.out" 2>"$d/sim.err" &
sim_pid=$!
PIDS+=("$sim_pid")
wait_connected lat "$N" 60 || log "only $(connected lat) of $N connected after 60 s"
api_post meetings/lat/floor '{"action":"grant","endpoint":"sim002"}' >"$d/floor.out" ||
	log "floor grant failed"
sleep "$WARM"
echo "$(load1)" >"$d/load"
snapshot lat "$d" a "$MCUD_PID"
sleep "$T"
snapshot lat "$d" b "$MCUD_PID"
echo "$(load1)" >>"$d/load"
stop_pid "$sim_pid" INT
stop_pid "$MCUD_PID" TERM

export LIB
python3 - "$d" "$N" "$T" <<'PY' | tee "$d/table"
import json, os, sys
d, n, t = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, os.environ["LIB"])
import benchlib
a, b = os.path.join(d, "a.prom"), os.path.join(d, "b.prom")
load = open(os.path.join(d, "load")).read().split()
try:
    sim = json.load(open(os.path.join(d, "sim.json")))
    lost = sim["totals"]["lost"]
except (OSError, ValueError, KeyError):
    lost = None
mb = json.load(open(os.path.join(d, "b.meeting.json")))
media = mb.get("media") or {}
print("latency added by mcud: %d endpoints (360p30 + Opus in), window %s s, "
      "load %s, mcu-sim loss %s, video ticks skipped %s, audio clock moves %s"
      % (n, t, "-".join(load), lost, media.get("video_ticks_skipped"),
         media.get("audio_clock_moves", "-")))
print("| kind | samples | p50 ms | p99 ms | max ms (bucket bound) | mean ms | target p99 |")
print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
# video_decode: video's first share (arrival to decoded), no target
for kind, target in (("video", 0.050), ("audio", 0.030), ("video_decode", None)):
    h = benchlib.hist_delta(a, b, "mcu_media_latency_seconds", {"kind": kind})
    if target is None:
        goal = "(part of video)"
    else:
        goal = "<= %.0f %s" % (1000 * target, "-" if h["p99"] is None else (
            "met" if h["p99"] <= target and not h["p99_over"] else "MISSED"))
    print("| %s | %d | %s | %s | %s | %s | %s |" % (
        kind, h["count"], benchlib.ms(h["p50"], h["p50_over"]),
        benchlib.ms(h["p99"], h["p99_over"]),
        "> 1000" if h["max_le"] == "+Inf" else "<= " + benchlib.ms(h["max_le"]),
        benchlib.ms(h["mean"]), goal))
# the audio jitter buffers' delay (audio.in.buffer_ms) and RTP jitter at
# the end of the window: the heard legs' first, then all legs' spread
try:
    parts = json.load(open(os.path.join(d, "b.participants.json")))
    parts = parts.get("participants", parts) if isinstance(parts, dict) else parts
    ain = {p["endpoint"]: ((p.get("audio") or {}).get("in") or {}) for p in parts}
    heard = ", ".join("%s %s ms (jitter %s, concealed %s, trimmed %s, gaps %s)" % (
                          e, ain[e].get("buffer_ms"), ain[e].get("jitter_ms"),
                          ain[e].get("concealed"), ain[e].get("trimmed", "-"),
                          ain[e].get("gaps", "-"))
                      for e in ("sim001", "sim002") if e in ain)
    bufs = sorted(v["buffer_ms"] for v in ain.values() if "buffer_ms" in v)
    if bufs:
        print("audio jitter buffer delay: heard %s; all legs median %.1f, max %.1f ms"
              % (heard, bufs[len(bufs) // 2], bufs[-1]))
except (OSError, ValueError, KeyError, TypeError):
    pass
PY
