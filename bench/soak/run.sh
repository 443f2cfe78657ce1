#!/usr/bin/env bash
# bench/soak/run.sh — issue 9: 95 simulated endpoints for DURATION seconds
# (default 1800) with random floor changes, endpoints leaving and joining
# again, and 1 % packet loss. Not part of `make test`.
#
# Setup: one live meeting "soak" of SIM_GROUPS*PER endpoints (default 5 x 19 =
# 95: host sim001 + 94 branches), chaired, host tour-4x4, branches
# host+floor, dial-in. The endpoints are SIM_GROUPS mcu-sim processes of PER
# endpoints each (mcu-sim has no way to leave and rejoin one endpoint
# mid-run, so a group is the unit): group 1 holds the host and stays; every
# CHURN_S seconds (default 120) one other group, chosen at random, is
# stopped with SIGINT (each of its endpoints sends BYE), stays away
# AWAY_S seconds (default 10) and dials in again for the rest of the run.
# Every endpoint drops 1 % of the RTP it sends (mcu-sim --tx-loss LOSS,
# default 1): the MCU's receive path (jitter buffers, NACK/PLI, decoder
# recovery, concealment) sees 1 % random loss on every leg for the whole
# run. Every FLOOR_S seconds (default 15, randomised 0.5x-1.5x) the floor
# is granted to a random branch, or (one time in four) revoked, through
# the API.
#
# Measured:
#   - every SAMPLE_S (default 10) s: mcud's VmRSS and its open file
#     descriptors (/proc/PID/fd), and the connected count (API);
#   - the least-squares slope of RSS (MiB per hour) and of fds (per hour)
#     over the samples after WARM seconds (default 120: joins, encoder and
#     pool warm-up) taken while all N were connected (a group away is a
#     saw-tooth, not a leak), and of RSS over all samples;
#   - crashes: mcud alive at the end and its exit status after SIGTERM (0:
#     a clean stop); the "mcud died" line if it died during the run;
#   - the audio received by every endpoint from each mcu-sim report (one
#     report per group segment): the largest steady-state gap between two
#     audio packets (max_audio_gap_steady_ms: gaps more than 2 s after the
#     endpoint's first packet, so a join's warm-up is not counted) and the
#     number of gaps over 100 ms; also the largest gap including joins.
#
# Environment (defaults): BUILD=build  DURATION=1800  SIM_GROUPS=5  PER=19
#   CHURN_S=120  AWAY_S=10  FLOOR_S=15  LOSS=1  SAMPLE_S=10  WARM=120
#   FPS=30  PRESET= (x264 preset; empty: the mcu-sim roster's ultrafast)
#   CACHE=/tmp/mcud-bench-soak  SEED= (random choices; default: the time)
# Output: a summary on stdout and in $OUT/summary.json; samples in
# $OUT/samples.csv; reports, logs and the roster under
# $CACHE/runs/<date>/. Exit status 0 when mcud survived and stopped
# cleanly, 1 otherwise.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
DURATION=${DURATION:-1800}
SIM_GROUPS=${SIM_GROUPS:-5}
PER=${PER:-19}
CHURN_S=${CHURN_S:-120}
AWAY_S=${AWAY_S:-10}
FLOOR_S=${FLOOR_S:-15}
LOSS=${LOSS:-1}
SAMPLE_S=${SAMPLE_S:-10}
WARM=${WARM:-120}
FPS=${FPS:-30}
PRESET=${PRESET:-}
CACHE=${CACHE:-/tmp/mcud-bench-soak}
SEED=${SEED:-$(date +%s)}
OUT=$CACHE/runs/$(date +%Y%m%d-%H%M%S)
PIDS=()
. "$SRC/bench/capacity/lib.sh"
trap cleanup EXIT
need_tools
mkdir -p "$OUT" || die "cannot create $OUT"
RANDOM=$SEED
N=$((SIM_GROUPS * PER))
[ "$SIM_GROUPS" -ge 2 ] && [ "$PER" -ge 2 ] || die "SIM_GROUPS and PER must be >= 2"

# ---- roster: mcud's, and one per group for mcu-sim ----
# one block: each group's RTP ports (4 per endpoint + 16 spare), mcud's
# SIP port, mcud's RTP ports (the roster's default range is shared with
# every other mcud on the machine)
GBLK=$((4 * PER + 16))
blk=$(free_block $((SIM_GROUPS * GBLK + 8 + 4 * N + 40)))
sip=$((blk + SIM_GROUPS * GBLK + 2))
mrtp=$((blk + SIM_GROUPS * GBLK + 8))
API=$(free_tcp)
"$SIM" roster "$N" --sip-port "$sip" --api-port "$API" --meeting soak \
	--fps "$FPS" --host-layout tour-4x4 --branch-layout host+floor \
	--floor chaired --minutes $((DURATION / 60 + 30)) \
	--logbook "$OUT/logbook.db" --output "$OUT/roster.yaml" ||
	die "mcu-sim roster failed"
api_token "$OUT"
with_token "$OUT/roster.yaml" "$OUT/token" "$PRESET"
mcud_rtp "$OUT/roster.yaml" "$mrtp" $((mrtp + 4 * N + 39))
# group g (1-based): endpoints (g-1)*PER+1 .. g*PER. mcu-sim dials the
# meeting's host and branches of ITS roster, so each group gets a copy
# whose meeting lists only its endpoints (mcud's roster decides roles).
for ((g = 1; g <= SIM_GROUPS; g++)); do
	python3 - "$OUT/roster.yaml" "$OUT/roster-g$g.yaml" "$(((g - 1) * PER + 1))" "$PER" <<'PY' ||
import re, sys
src, dst, first, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ids = ["sim%03d" % i for i in range(first, first + per)]
text = open(src).read()
text = re.sub(r"(?m)^    host: sim\d+$", "    host: " + ids[0], text, count=1)
text = re.sub(r"(?m)^    branches: \[.*\]$", "    branches: [" + ", ".join(ids[1:]) + "]", text, count=1)
open(dst, "w").write(text)
PY
		die "cannot write the roster of group $g"
done

start_mcud "$OUT/roster.yaml" "$OUT"
log "mcud $MCUD_PID on SIP $sip, API $API; $N endpoints in $SIM_GROUPS groups, ${DURATION}s, seed $SEED"
T0=$SECONDS
END=$((T0 + DURATION))

# ---- groups ----
declare -A GPID GSEG
start_group() { # G: its mcu-sim for the rest of the run
	local g=$1 left=$((END - SECONDS)) try lo tag
	for ((try = 0; try < 3; try++)); do
		[ "$left" -gt 5 ] || return 0
		GSEG[$g]=$((${GSEG[$g]:-0} + 1))
		tag="g$g-s${GSEG[$g]}"
		# the group's share of the block; after a failure a fresh
		# block (other programs on the machine take ports too)
		lo=$((blk + (g - 1) * GBLK))
		((try)) && lo=$(free_block "$GBLK")
		start_sim "$g" "$tag" "$lo" "$left"
		sleep 3
		kill -0 "${GPID[$g]}" 2>/dev/null && return 0
		echo "$((SECONDS - T0)) failed $tag: $(tail -1 "$OUT/sim-$tag.err")" >>"$OUT/events.log"
		left=$((END - SECONDS))
	done
}
start_sim() { # G TAG LO SECONDS
	local g=$1 tag=$2 lo=$3 left=$4
	"$SIM" run --roster "$OUT/roster-g$g.yaml" --meeting soak \
		--mcu "sip:127.0.0.1:$sip" --video 360p --fps "$FPS" \
		--seconds "$left" --tx-loss "$LOSS" \
		--rtp-ports "$lo-$((lo + GBLK - 1))" \
		--report "$OUT/sim-$tag.json" >"$OUT/sim-$tag.out" \
		2>"$OUT/sim-$tag.err" &
	GPID[$g]=$!
	PIDS+=("${GPID[$g]}")
	echo "$((SECONDS - T0)) start $tag" >>"$OUT/events.log"
}
stop_group() { # G: SIGINT (BYE from each endpoint), wait for its report
	local g=$1
	stop_pid "${GPID[$g]}" INT
	echo "$((SECONDS - T0)) stop g$g-s${GSEG[$g]}" >>"$OUT/events.log"
}
for ((g = 1; g <= SIM_GROUPS; g++)); do start_group "$g"; done

# ---- floor changes ----
floor_post() { # BODY: POST it, print "HTTP-STATUS BODY"
	curl -s --max-time 10 -o - -w ' %{http_code}' -X POST \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		-d "$1" "http://127.0.0.1:$API/api/v1/meetings/soak/floor" | tr -d '\n'
}
floor_loop() {
	local ep
	while :; do
		sleep $(((FLOOR_S * (50 + RANDOM % 101)) / 100))
		if ((RANDOM % 4 == 0)); then
			echo "$((SECONDS - T0)) revoke $(floor_post '{"action":"revoke"}')" \
				>>"$OUT/floor.log"
		else
			ep=$(printf 'sim%03d' $((2 + RANDOM % (N - 1))))
			echo "$((SECONDS - T0)) grant $ep $(floor_post \
				"{\"action\":\"grant\",\"endpoint\":\"$ep\"}")" \
				>>"$OUT/floor.log"
		fi
	done
}
floor_loop &
FLOOR_PID=$!
PIDS+=("$FLOOR_PID")

# ---- the run: samples, churn ----
echo "t_s,rss_kib,fds,connected,away" >"$OUT/samples.csv"
sample() {
	local rss fds
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$MCUD_PID/status" 2>/dev/null)
	fds=$(ls "/proc/$MCUD_PID/fd" 2>/dev/null | wc -l)
	[ -n "$rss" ] || return 1
	echo "$((SECONDS - T0)),$rss,$fds,$(connected soak),$away" >>"$OUT/samples.csv"
}
died=""
away=0 back_at=0
next_sample=$SECONDS
next_churn=$((SECONDS + CHURN_S))
while ((SECONDS < END)); do
	if ! kill -0 "$MCUD_PID" 2>/dev/null; then
		died="mcud died at $((SECONDS - T0)) s: $(tail -3 "$OUT/mcud.log" | tr '\n' ' ')"
		log "$died"
		break
	fi
	if ((SECONDS >= next_sample)); then
		sample
		next_sample=$((next_sample + SAMPLE_S))
	fi
	if ((away && SECONDS >= back_at)); then
		start_group "$away"
		away=0
	fi
	if ((!away && SECONDS >= next_churn && END - SECONDS > AWAY_S + 30)); then
		away=$((2 + RANDOM % (SIM_GROUPS - 1)))
		stop_group "$away"
		back_at=$((SECONDS + AWAY_S))
		next_churn=$((SECONDS + CHURN_S))
	fi
	sleep 1
done
[ -z "$died" ] && sample
kill "$FLOOR_PID" 2>/dev/null
wait "$FLOOR_PID" 2>/dev/null
for ((g = 1; g <= SIM_GROUPS; g++)); do
	[ "$away" = "$g" ] || stop_group "$g"
done
alive=0
kill -0 "$MCUD_PID" 2>/dev/null && alive=1
rc=none
if [ "$alive" = 1 ]; then
	kill -TERM "$MCUD_PID"
	for ((i = 0; i < 300; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$MCUD_PID"; rc=$?
fi
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT" "$WARM" "$alive" "$rc" "$died" "$DURATION" "$N" "$load" "$LOSS" <<'PY' | tee "$OUT/summary.txt"
import glob, json, os, sys
out, warm, alive, rc, died, dur, n, load, loss = sys.argv[1:10]
warm = float(warm)
rows = []
for line in open(os.path.join(out, "samples.csv")).read().splitlines()[1:]:
    t, rss, fds, conn, away = line.split(",")
    rows.append((float(t), int(rss), int(fds), int(conn or 0), away != "0"))

def slope(pts):  # least squares, per hour
    if len(pts) < 3:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    if sxx == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / sxx * 3600

# the steady window: after WARM, and only while all N are connected (a
# group away takes its legs' memory and sockets with it: a saw-tooth that
# says nothing about leaks); fewer than 3 such samples: while no group is
# stopped
full = [r for r in rows if r[0] >= warm and r[3] == int(n)]
steady = full if len(full) >= 3 else (
    [r for r in rows if r[0] >= warm and not r[4]] or rows)
res = {
    "duration_s": int(dur), "endpoints": int(n), "tx_loss_pct": float(loss),
    "samples": len(rows), "steady_samples": len(steady), "warm_s": warm, "load_at_end": load,
    "mcud_alive_at_end": alive == "1", "mcud_exit_status": rc,
    "died": died or None,
    "rss_mib_first": round(rows[0][1] / 1024, 1) if rows else None,
    "rss_mib_last": round(rows[-1][1] / 1024, 1) if rows else None,
    "rss_mib_max": round(max(r[1] for r in rows) / 1024, 1) if rows else None,
    "fds_first": rows[0][2] if rows else None,
    "fds_last": rows[-1][2] if rows else None,
    "fds_max": max(r[2] for r in rows) if rows else None,
}
s = slope([(r[0], r[1] / 1024) for r in steady])
res["rss_slope_mib_per_h"] = None if s is None else round(s, 2)
s = slope([(r[0], r[1] / 1024) for r in rows])
res["rss_slope_mib_per_h_all"] = None if s is None else round(s, 2)
s = slope([(r[0], r[2]) for r in steady])
res["fds_slope_per_h"] = None if s is None else round(s, 2)
s = slope([(r[0], r[3]) for r in steady])
res["connected_min_after_warm"] = min(r[3] for r in steady) if steady else None

gap = gap_all = 0.0
gap_at = gap_all_at = None
over100 = 0
eps = states = 0
bad = {}
reports = sorted(glob.glob(os.path.join(out, "sim-*.json")))
for p in reports:
    try:
        rep = json.load(open(p))
    except (OSError, ValueError):
        bad[os.path.basename(p)] = "unreadable"
        continue
    for e in rep.get("endpoints", []):
        eps += 1
        if e.get("state") != "connected":
            states += 1
            bad.setdefault(os.path.basename(p), []).append(
                "%s %s %s" % (e.get("id"), e.get("state"), e.get("reason", "")))
        g = e.get("max_audio_gap_steady_ms") or 0
        if g > gap:
            gap, gap_at = g, "%s %s" % (os.path.basename(p), e.get("id"))
        g = e.get("max_audio_gap_ms") or 0
        if g > gap_all:
            gap_all, gap_all_at = g, "%s %s" % (os.path.basename(p), e.get("id"))
        over100 += e.get("audio_gaps_over_100ms") or 0
res.update({
    "sim_reports": len(reports), "endpoint_runs": eps,
    "endpoint_runs_not_connected_at_end": states,
    "max_audio_gap_steady_ms": gap, "max_audio_gap_steady_where": gap_at,
    "max_audio_gap_ms_incl_join": gap_all, "max_audio_gap_where": gap_all_at,
    "audio_gaps_over_100ms": over100,
    "problems": bad or None,
})
json.dump(res, open(os.path.join(out, "summary.json"), "w"), indent=1)
print("soak: %s s, %s endpoints, %.1f %% tx loss, %d samples (load at end %s)"
      % (dur, n, float(loss), len(rows), load))
print("  mcud alive at end: %s, exit status after SIGTERM: %s%s"
      % (res["mcud_alive_at_end"], rc, ("; " + died) if died else ""))
print("  RSS %s -> %s MiB (max %s); slope after %ds (%d samples, all in): %s MiB/h (all samples: %s)"
      % (res["rss_mib_first"], res["rss_mib_last"], res["rss_mib_max"], warm, len(steady),
         res["rss_slope_mib_per_h"], res["rss_slope_mib_per_h_all"]))
print("  fds %s -> %s (max %s); slope after %ds: %s per h"
      % (res["fds_first"], res["fds_last"], res["fds_max"], warm,
         res["fds_slope_per_h"]))
print("  connected after warm-up: min %s of %s" % (res["connected_min_after_warm"], n))
print("  audio at endpoints: max steady gap %.0f ms (%s), max incl. join %.0f ms, "
      "%d gaps > 100 ms over %d endpoint runs in %d reports"
      % (gap, gap_at, gap_all, over100, eps, len(reports)))
print("  output: %s" % out)
PY
[ "$alive" = 1 ] && [ "$rc" = 0 ]
