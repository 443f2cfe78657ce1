#!/usr/bin/env bash
# bench/capacity/run.sh — issue 8 item 2: how many endpoints one meeting
# holds in real time on this machine.
#
# One meeting per N: host sim001 + N-1 branches, all simulated by mcu-sim
# over SIP (360p30 H.264 + Opus in from each). The host sees tour-4x4 at
# 720p (bandwidth 4096); branches see host+floor, alternately at 720p
# (2048 kbit/s) and 360p (1000 kbit/s), so two bitrate tiers exist.
# Chaired floor; the floor is granted to the next branch every FLOOR_S
# seconds through the API. After all N are connected and WARM seconds
# more, a window of T seconds is measured:
#   - output frames per encoder group (API: participants' video.out.fps,
#     grouped by role, floor and size) and the video ticks run / skipped
#     / run late (after an overrunning tick, not skipped) over the window
#     (API media counters);
#   - tick lateness p50/p99 from the bucket deltas of /metrics
#     mcu_tick_lateness_seconds{kind="video"} (and the audio ticks' apart);
#   - CPU of mcud (utime+stime from /proc/PID/stat) in % of one core, total
#     and per endpoint; RSS (VmRSS) total and per endpoint;
#   - video encoders, decoders, audio encoders (API);
#   - mcu-sim's own CPU over the window, and the loss it saw (its report).
# Real time = every endpoint connected, no video tick skipped in the
# window, tick p99 lateness < one frame interval. The largest such N is
# printed as the capacity figure.
#
# Environment (defaults): BUILD=build  NS="20 40 60 80 100 120"  T=60 (s)
#   WARM=10 (s)  SETTLE=90 (s to wait for all N connected)  FLOOR_S=20
#   FPS=30  PRESET= (x264 preset of mcud; empty: mcu-sim roster's
#   ultrafast)  STOP_AFTER_FAIL=1 (stop after the first N not in real time)
#   CACHE=/tmp/mcud-bench-capacity  NICE= (e.g. -15: run mcud and mcu-sim
#   under nice, needs root)
# Output: the table on stdout; everything else under $CACHE/runs/<date>/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
NS=${NS:-20 40 60 80 100 120}
T=${T:-60}
WARM=${WARM:-10}
SETTLE=${SETTLE:-90}
FLOOR_S=${FLOOR_S:-20}
FPS=${FPS:-30}
PRESET=${PRESET:-}
STOP_AFTER_FAIL=${STOP_AFTER_FAIL:-1}
CACHE=${CACHE:-/tmp/mcud-bench-capacity}
NICE=${NICE:-}
OUT=$CACHE/runs/$(date +%Y%m%d-%H%M%S)
PIDS=()
. "$HERE/lib.sh"
trap cleanup EXIT
need_tools
mkdir -p "$OUT" || die "cannot create $OUT"
nice_cmd=()
[ -n "$NICE" ] && nice_cmd=(nice -n "$NICE")

# floor_loop MEETING N: grant the floor to sim002, sim003, ... in turn,
# one every FLOOR_S seconds, until killed; logs to $d/floor.log.
floor_loop() {
	local i=2 ep
	while :; do
		ep=$(printf 'sim%03d' "$i")
		echo "$(date +%s.%N) grant $ep $(api_post "meetings/$1/floor" \
			"{\"action\":\"grant\",\"endpoint\":\"$ep\"}" || echo FAILED)" \
			>>"$d/floor.log"
		i=$((i + 1))
		[ "$i" -gt "$2" ] && i=2
		sleep "$FLOOR_S"
	done
}

# skip_log MEETING: once a second, the meeting's video/audio ticks and
# skips (API media counters) with the time, until killed; to $d/ticks.log,
# so skipped ticks can be set against floor changes (floor.log) and tour
# page turns (every tour_seconds). One Python process on one kept-alive
# connection: a curl | grep | tr | date pipeline each second cost ~12 % of
# a core in bursts of 10-20 ms (perf sched), which delayed mcud's ticks.
skip_log() {
	exec python3 - "$API" "$1" "$d/ticks.log" <<'PY'
import http.client, json, sys, time
port, meeting, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
keys = ("video_ticks", "video_ticks_skipped", "video_ticks_late", "audio_ticks",
        "audio_ticks_skipped")
conn = None
with open(path, "a") as out:
    while True:
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/v1/meetings/" + meeting)
            m = json.loads(conn.getresponse().read())["media"]
            out.write("%.9f %s \n" % (time.time(), " ".join(
                "%s:%s" % (k, m[k]) for k in keys)))
        except Exception:
            conn = None
            out.write("%.9f \n" % time.time())
        out.flush()
        time.sleep(1)
PY
}

run_n() {
	local n=$1 sip rtp sim_pid floor_pid skip_pid
	d=$OUT/n$n
	mkdir -p "$d"
	# one block: mcu-sim's RTP ports, mcud's SIP port, mcud's RTP ports
	rtp=$(free_block $((8 * n + 60)))
	sip=$((rtp + 4 * n + 8))
	API=$(free_tcp)
	"$SIM" roster "$n" --sip-port "$sip" --api-port "$API" --meeting cap \
		--fps "$FPS" --host-layout tour-4x4 --branch-layout host+floor \
		--floor chaired --host-bandwidth 4096 --bandwidth 2048,1000 \
		--logbook "$d/logbook.db" --output "$d/roster.yaml" ||
		die "mcu-sim roster failed"
	api_token "$d"
	with_token "$d/roster.yaml" "$d/token" "$PRESET"
	mcud_rtp "$d/roster.yaml" $((rtp + 4 * n + 20)) $((rtp + 8 * n + 59))
	start_mcud "$d/roster.yaml" "$d"
	"${nice_cmd[@]}" "$SIM" run --roster "$d/roster.yaml" --meeting cap \
		--mcu "sip:127.0.0.1:$sip" --video 360p --fps 30 --roster-bandwidth \
		--seconds $((SETTLE + WARM + T + 60)) \
		--rtp-ports "$rtp-$((rtp + 4 * n + 7))" --report "$d/sim.json" \
		>"$d/sim.out" 2>"$d/sim.err" &
	sim_pid=$!
	PIDS+=("$sim_pid")
	local t0=$SECONDS
	if ! wait_connected cap "$n" "$SETTLE"; then
		log "N=$n: only $(connected cap) of $n connected after $SETTLE s"
	fi
	echo $((SECONDS - t0)) >"$d/join_s"
	floor_loop cap "$n" &
	floor_pid=$!
	PIDS+=("$floor_pid")
	skip_log cap &
	skip_pid=$!
	PIDS+=("$skip_pid")
	sleep "$WARM"
	echo "$(load1)" >"$d/load"
	snapshot cap "$d" a "$MCUD_PID" "$sim_pid"
	sleep "$T"
	snapshot cap "$d" b "$MCUD_PID" "$sim_pid"
	echo "$(load1)" >>"$d/load"
	kill "$floor_pid" "$skip_pid" 2>/dev/null
	wait "$floor_pid" "$skip_pid" 2>/dev/null
	stop_pid "$sim_pid" INT
	stop_pid "$MCUD_PID" TERM
	python3 - "$d" "$n" "$MCUD_PID" "$sim_pid" "$HZ" "$FPS" <<'PY' >"$d/row.json" ||
import json, os, sys
d, n, mpid, spid, hz, fps = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
sys.path.insert(0, os.environ["LIB"])
import benchlib
def rd(p):
    with open(os.path.join(d, p)) as f:
        return f.read()
ta, tb = float(rd("a.time")), float(rd("b.time"))
win = tb - ta
def cpu(pid):
    try:
        return (benchlib.cpu_seconds(rd("b.stat." + pid), hz) -
                benchlib.cpu_seconds(rd("a.stat." + pid), hz))
    except (OSError, IndexError):
        return None
def rss_kib(pid):
    for line in rd("b.status." + pid).splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None
ma, mb = json.loads(rd("a.meeting.json")), json.loads(rd("b.meeting.json"))
parts = json.loads(rd("b.participants.json"))
media_a, media_b = ma.get("media") or {}, mb.get("media") or {}
ticks = media_b.get("video_ticks", 0) - media_a.get("video_ticks", 0)
skipped = media_b.get("video_ticks_skipped", 0) - media_a.get("video_ticks_skipped", 0)
vlate = media_b.get("video_ticks_late", 0) - media_a.get("video_ticks_late", 0)
askipped = media_b.get("audio_ticks_skipped", 0) - media_a.get("audio_ticks_skipped", 0)
late = benchlib.hist_delta(os.path.join(d, "a.prom"), os.path.join(d, "b.prom"),
                           "mcu_tick_lateness_seconds", {"kind": "video"})
alate = benchlib.hist_delta(os.path.join(d, "a.prom"), os.path.join(d, "b.prom"),
                            "mcu_tick_lateness_seconds", {"kind": "audio"})
groups = {}
for p in parts:
    v = p.get("video") or {}
    out = v.get("out") or {}
    if p.get("state") != "connected" or not out:
        continue
    key = "%s%s %dp" % (p["role"], "(floor)" if p.get("floor") == "holder" else "",
                        out.get("height", 0))
    groups.setdefault(key, []).append(out.get("fps", 0.0))
enc_fps = {k: {"n": len(v), "fps_min": min(v), "fps_mean": sum(v) / len(v)}
           for k, v in sorted(groups.items())}
try:
    sim = json.loads(rd("sim.json"))
    sim_lost = sim["totals"]["lost"]
    sim_conn = sum(e["state"] == "connected" for e in sim["endpoints"])
    sim_rx_min_fps = min(e["fps"] for e in sim["endpoints"])
except (OSError, ValueError, KeyError):
    sim_lost, sim_conn, sim_rx_min_fps = None, None, None
mc, sc, rss = cpu(mpid), cpu(spid), rss_kib(mpid)
connected = sum(p.get("state") == "connected" for p in parts)
rt = (connected == n and skipped == 0 and late["p99"] is not None
      and not late["p99_over"] and late["p99"] < 1.0 / fps)
print(json.dumps({
    "n": n, "window_s": win, "connected": connected,
    "join_s": int(rd("join_s")), "load": rd("load").split(),
    "encoders": mb.get("encoders"), "decoders": mb.get("decoders"),
    "audio_encoders": media_b.get("audio_encoders"), "views": media_b.get("views"),
    "video_ticks": ticks, "video_ticks_skipped": skipped,
    "video_ticks_late": vlate,
    "audio_ticks_skipped": askipped,
    "out_fps_from_ticks": ticks / win if win > 0 else None,
    "encoder_fps": enc_fps, "tick_late": late, "audio_tick_late": alate,
    "mix_ms": media_b.get("mix_ms"),
    "compose_ms": media_b.get("compose_ms"), "encode_ms": media_b.get("encode_ms"),
    "mcud_cpu_pct": 100 * mc / win if mc is not None else None,
    "mcud_cpu_pct_per_ep": 100 * mc / win / n if mc is not None else None,
    "rss_mib": rss / 1024 if rss else None,
    "rss_mib_per_ep": rss / 1024 / n if rss else None,
    "sim_cpu_pct": 100 * sc / win if sc is not None else None,
    "sim_lost": sim_lost, "sim_connected": sim_conn,
    "sim_min_rx_fps": sim_rx_min_fps, "realtime": rt}))
PY
		die "N=$n: no figures (see $d)"
	python3 - "$d/row.json" <<'PY' >&2
import json, sys
r = json.load(open(sys.argv[1]))
print("[N=%d] %s: %d connected, %d ticks (%d skipped, %d run late), late p50 %s p99 %s, "
      "mcud %.0f %% CPU, RSS %.0f MiB, %s enc / %s dec, sim lost %s, load %s"
      % (r["n"], "REAL TIME" if r["realtime"] else "not real time",
         r["connected"], r["video_ticks"], r["video_ticks_skipped"],
         r.get("video_ticks_late", 0),
         r["tick_late"]["p50"], r["tick_late"]["p99"],
         r["mcud_cpu_pct"] or 0, r["rss_mib"] or 0, r["encoders"],
         r["decoders"], r["sim_lost"], "-".join(r["load"])))
PY
	python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["realtime"] else 1)' "$d/row.json"
}

export LIB
log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(uptime | sed 's/.*load/load/')"
log "results in $OUT; N in: $NS; T=$T s, WARM=$WARM s, floor every $FLOOR_S s"
for n in $NS; do
	log "N=$n: starting"
	if ! run_n "$n" && [ "$STOP_AFTER_FAIL" = 1 ]; then
		log "N=$n is not real time: stopping (STOP_AFTER_FAIL=0 runs every N)"
		break
	fi
done

python3 "$LIB/benchlib.py" captable "$OUT" "$FPS" "$T" "${PRESET:-ultrafast}" |
	tee "$OUT/table"
