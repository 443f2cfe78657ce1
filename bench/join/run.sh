#!/usr/bin/env bash
# bench/join/run.sh — issue 8 item 4: N endpoints (default 100) dialled
# OUT by mcud at the start of a meeting; how long until all are connected
# and receiving video.
#
# mcu-sim plays the N endpoints as a UAS (`mcu-sim run --answer`): every
# roster URI is sip:simNNN@127.0.0.1:P with P mcu-sim's SIP port. The
# meeting (dial: out, chaired, host tour-4x4, branches host+floor) is
# scheduled half an hour ahead, so mcud starts idle; once mcud and mcu-sim
# are up the script starts it through the API (POST .../start): t = 0.
# mcud then dials everyone, paced by its dial-out policy (mcu/dialout.c).
# Measured per endpoint, in seconds from t = 0:
#   - invite: the INVITE reached mcu-sim;
#   - connected: mcu-sim sent its 200 (mcu-sim's report), and the time the
#     API first showed all N connected (polled every 0.2 s);
#   - video: the first RTP video packet from mcud reached mcu-sim.
# Printed: p50 and max of each, also counted from the first INVITE (the
# POST's own delay left out), and the target verdict (all receiving video
# within 5 s of the start).
#
# Environment (defaults): BUILD=build  N=100  T=40 (s of mcu-sim run after
#   the start)  PRESET= (mcud x264 preset; empty: ultrafast)
#   CACHE=/tmp/mcud-bench-join  NICE= (e.g. -15: mcud and mcu-sim under nice,
#   needs root)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
N=${N:-100}
T=${T:-40}
PRESET=${PRESET:-}
CACHE=${CACHE:-/tmp/mcud-bench-join}
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
log "results in $OUT; N=$N"
# one block: mcu-sim's RTP ports, mcud's and mcu-sim's SIP ports, mcud's
# RTP ports
rtp=$(free_block $((8 * N + 60)))
sip=$((rtp + 4 * N + 8))
simsip=$((sip + 2))
API=$(free_tcp)
"$SIM" roster "$N" --sip-port "$sip" --api-port "$API" --meeting join \
	--dial out --endpoint-port "$simsip" --floor chaired \
	--logbook "$d/logbook.db" --output "$d/roster.yaml" ||
	die "mcu-sim roster failed"
# Not live yet: from 30 to 90 minutes ahead; started by the API below.
start=$(TZ=Asia/Ho_Chi_Minh date -d '+30 min' +%Y-%m-%dT%H:%M)
end=$(TZ=Asia/Ho_Chi_Minh date -d '+90 min' +%Y-%m-%dT%H:%M)
sed -i -E "s|^    start: .*|    start: $start|; s|^    end: .*|    end: $end|" "$d/roster.yaml"
api_token "$d"
with_token "$d/roster.yaml" "$d/token" "$PRESET"
mcud_rtp "$d/roster.yaml" $((rtp + 4 * N + 20)) $((rtp + 8 * N + 59))

"${nice_cmd[@]}" "$SIM" run --answer --roster "$d/roster.yaml" --meeting join \
	--sip-port "$simsip" --video 360p --seconds $((T + 120)) --log info \
	--rtp-ports "$rtp-$((rtp + 4 * N + 7))" --report "$d/sim.json" \
	>"$d/sim.out" 2>"$d/sim.err" &
sim_pid=$!
PIDS+=("$sim_pid")
for ((i = 0; i < 600; i++)); do # pre-encoding N pictures takes a while
	grep -q "answering" "$d/sim.err" 2>/dev/null && break
	kill -0 "$sim_pid" 2>/dev/null || die "mcu-sim died: $(tail -3 "$d/sim.err")"
	sleep 0.2
done
grep -q "answering" "$d/sim.err" || die "mcu-sim did not start answering"
start_mcud "$d/roster.yaml" "$d"
sleep 2 # mcud settled (idle: nothing to dial yet)
echo "$(load1)" >"$d/load"
t0=$(date +%s.%N)
api_post meetings/join/start '' >"$d/start.out" || die "POST start failed"
all=""
while :; do
	asked=$(date +%s.%N)
	c=$(connected join)
	now=$(date +%s.%N) # the API's answer is no older than this
	echo "$asked $now $c" >>"$d/connected.log"
	if [ "$c" -ge "$N" ]; then
		all=$now
		break
	fi
	python3 -c "import sys; sys.exit(0 if $now - $t0 < $T else 1)" || break
	sleep 0.2
done
sleep 5 # the last ones' first video
echo "$(load1)" >>"$d/load"
metrics >"$d/end.prom"
stop_pid "$sim_pid" INT
stop_pid "$MCUD_PID" TERM

python3 - "$d" "$N" "$t0" "${all:-}" <<'PY' | tee "$d/table"
import json, os, sys
d, n, t0, all_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = json.load(open(os.path.join(d, "sim.json")))
base = r["start_unix"] - t0  # mcu-sim's time 0 in the script's clock
eps = r["endpoints"]
def series(key):
    return sorted(base + e[key] for e in eps if key in e)
def q(xs, p):
    if not xs:
        return None
    k = min(len(xs) - 1, max(0, int(round(p * (len(xs) - 1)))))
    return xs[k]
def s(x):
    return "-" if x is None else "%.2f" % x
load = open(os.path.join(d, "load")).read().split()
print("join: %d endpoints dialled out by mcud at the meeting's start "
      "(POST start = 0 s), load %s" % (n, "-".join(load)))
fi = series("invite_s")
fi = fi[0] if fi else 0.0  # the first INVITE: mcud's dialling began
print("| measure | endpoints | p50 s | max s | p50 s from the first INVITE | max s from it |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
rows = (("INVITE received", "invite_s"), ("connected (200 sent)", "connected_s"),
        ("first video packet", "first_video_s"), ("first audio packet", "first_audio_s"))
for label, key in rows:
    xs = series(key)
    print("| %s | %d | %s | %s | %s | %s |" % (
        label, len(xs), s(q(xs, 0.5)), s(xs[-1] if xs else None),
        s(q(xs, 0.5) - fi if xs else None), s(xs[-1] - fi if xs else None)))
api_all = float(all_at) - t0 if all_at else None
print("| all %d connected (API, polled every 0.2 s; time its answer came) | | | %s | | |" % (n, s(api_all) if api_all is not None else "not within the run"))
slow = [float(l.split()[1]) - float(l.split()[0]) for l in open(os.path.join(d, "connected.log"))]
print("API participants GET: %d polls, slowest answer %.2f s" % (len(slow), max(slow) if slow else 0))
video = series("first_video_s")
ok = len(video) == n and video[-1] <= 5.0
print("target: all %d receiving video within 5 s: %s" % (
    n, ("met (%.2f s)" % video[-1]) if ok else
    ("NOT met (%d of %d receiving%s)" % (len(video), n,
     ", last at %.2f s" % video[-1] if video else ""))))
PY
