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
#     descriptors (/proc/PID/fd), and the connected count (API); the CPU
#     over the interval of mcud, of the mcu-sim processes and of the
#     kernel's kdamond, and the machine's idle share (summed by five-minute
#     window next to the audio deadlines skipped); each mcud thread's CPU
#     (threads.csv);
#   - the largest RSS by five-minute window and the RSS slope over the
#     second half (does it level off?);
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
#     number of gaps over 100 ms; also the largest gap including joins;
#   - a wakeup probe (SCHED_FIFO 12, every 5 ms, probe.log): each late
#     audio tick is shown with the probe's lateness at that moment (late
#     too: the machine, not mcud);
#   - attribution of audio gaps (docs/reliability.md "Attributing an audio
#     gap"): mcud's "audio tick late" warnings (> 40 ms, with their cause)
#     and its worst lateness over the run, the meeting's audio start
#     lateness and skipped ticks per sample, /metrics at the end;
#     mcu-sim's own receive stalls (report "receiver") and each
#     endpoint's gap events with the kernel's arrival times; every moment
#     of a gap > 100 ms next to these and the churn/floor events, with a
#     verdict (mcud late, sender side, or mcu-sim's receive loop);
#   - after every endpoint left: glibc's heap in use and taken from the
#     system (malloc_stats through gdb) and RSS after malloc_trim(0)
#     (MALLOC_STATS=0: skipped; gdb stops mcud for a moment, so only then).
#
# Environment (defaults): BUILD=build  DURATION=1800  SIM_GROUPS=5  PER=19
#   CHURN_S=120  AWAY_S=10  FLOOR_S=15  LOSS=1  SAMPLE_S=10  WARM=120
#   FPS=30  PRESET= (x264 preset; empty: the mcu-sim roster's ultrafast)
#   CACHE=/tmp/mcud-bench-soak  SEED= (random choices; default: the time)
#   MALLOC_STATS=1
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
# heap_stats: after every endpoint left, glibc's malloc_stats() of mcud
# (into mcud.log), then malloc_trim(0) and RSS again, through gdb (it
# stops mcud for a second or more: only after the run, whose late ticks
# and worst lateness are counted until T_END). With jemalloc (mcud links
# it when libjemalloc-dev is there): its stats.allocated / stats.resident
# as "in use" / "system", then a purge of every arena. MALLOC_STATS=0: off.
heap_stats() {
	[ "${MALLOC_STATS:-1}" = 1 ] && command -v gdb >/dev/null || return 0
	awk '/^VmRSS:/ {print "rss_kib " $2}' "/proc/$MCUD_PID/status" >>"$OUT/heap.log"
	if grep -q libjemalloc "/proc/$MCUD_PID/maps"; then
		timeout 120 gdb -batch \
			-ex 'set $v = (unsigned long *)malloc(16)' \
			-ex 'set $n = (unsigned long *)malloc(8)' \
			-ex 'set *$n = 8' \
			-ex 'call (int)mallctl("epoch", 0, 0, $v, 8)' \
			-ex 'call (int)mallctl("stats.allocated", $v, $n, 0, 0)' \
			-ex 'printf "in use bytes = %lu\n", *$v' \
			-ex 'call (int)mallctl("stats.resident", $v, $n, 0, 0)' \
			-ex 'printf "system bytes = %lu\n", *$v' \
			-ex 'call (int)mallctl("arena.4096.purge", 0, 0, 0, 0)' \
			"/proc/$MCUD_PID/exe" "$MCUD_PID" 2>/dev/null |
			grep -E '^(in use|system) bytes' >>"$OUT/heap.log"
		sleep 0.5
		awk '/^VmRSS:/ {print "rss_trimmed_kib " $2}' "/proc/$MCUD_PID/status" >>"$OUT/heap.log"
		return 0
	fi
	timeout 120 gdb -batch -ex 'call (void)malloc_stats()' \
		-ex 'call (int)malloc_trim(0)' \
		"/proc/$MCUD_PID/exe" "$MCUD_PID" >/dev/null 2>&1
	sleep 0.5
	grep -A2 '^Total (incl. mmap):' "$OUT/mcud.log" | tail -2 >>"$OUT/heap.log"
	awk '/^VmRSS:/ {print "rss_trimmed_kib " $2}' "/proc/$MCUD_PID/status" >>"$OUT/heap.log"
}
log "mcud $MCUD_PID on SIP $sip, API $API; $N endpoints in $SIM_GROUPS groups, ${DURATION}s, seed $SEED"
T0=$SECONDS
T0_UNIX=$(date +%s.%N)
echo "$T0_UNIX" >"$OUT/t0_unix"
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

# ---- a wakeup probe: is it mcud or the machine? ----
# An independent thread at SCHED_FIFO 12 (above mcud's clock, 11) wakes
# every 5 ms and logs each wakeup more than 2 ms late (unix time, ms) in
# probe.log. A late audio tick whose clock woke late while the probe was
# late too is the machine's (the VM's vCPU not running, or kernel work that
# cannot be preempted), not mcud's. Without real-time permission the probe
# runs at normal priority and says so in the log's first line.
python3 - "$OUT/probe.log" "$((DURATION + 120))" <<'PY' &
import os, sys, time
out = open(sys.argv[1], "w")
try:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(12))
    out.write("# SCHED_FIFO 12\n")
except OSError as e:
    out.write("# normal priority (%s)\n" % e)
out.flush()
period, end = 0.005, time.monotonic() + float(sys.argv[2])
due = time.monotonic() + period
while due < end:
    d = due - time.monotonic()
    if d > 0:
        time.sleep(d)
    now = time.monotonic()
    late = now - due
    if late > 0.002:
        out.write("%.3f %.1f\n" % (time.time(), late * 1000))
        out.flush()
    due += period
    if due < now:
        due = now + period
PY
PIDS+=($!)

# ---- the run: samples, churn ----
echo "t_s,rss_kib,fds,connected,away,audio_late_max_ms,audio_skipped,mcud_cpu_pct,sims_cpu_pct,idle_pct,kdamond_cpu_pct,steal_pct,mcud_majflt" >"$OUT/samples.csv"
# the meeting's audio tick: the largest start lateness so far (ms) and
# the deadlines skipped so far (GET /meetings/soak "media")
tick_stats() {
	api_get meetings/soak | python3 -c '
import json, sys
try:
    m = json.load(sys.stdin)["media"]
    print("%s,%s" % (m["audio_late_ms_max"], m["audio_ticks_skipped"]))
except Exception:
    print(",")'
}
# CPU over the last sample interval, in % of one core: mcud, the mcu-sim
# processes together (a group started in the interval counts from its
# start), the machine's idle share of all its cores and the share the
# hypervisor took from them ("steal", /proc/stat: a virtual machine's
# vCPU descheduled by its host; nothing inside runs, real-time or not),
# and mcud's major page faults so far (a page read back from disk inside
# whichever thread touched it: the kernel's DAMON reclaims cold pages).  If
# the late audio grows with run time, these say whose CPU grew.  Each
# mcud thread's cumulative CPU ticks go to threads.csv (t_s,tid,name,ticks).
declare -A CPU_PREV
CLK=$(getconf CLK_TCK)
# the kernel's DAMON monitor, where it runs (seen taking 2-4 ms slices here)
KDAMOND_PID=$(pgrep -x 'kdamond\.0' | head -1)
cpu_ticks() { # PID: utime+stime in clock ticks (the name holds no space)
	awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null
}
cpu_stats() { # sets CPU_LINE; not in a subshell (CPU_PREV must stay)
	local now t d mcud_pct sims=0 pid idle total steal
	now=$(date +%s%N)
	t=$(cpu_ticks "$MCUD_PID")
	mcud_pct=$(((${t:-0} - ${CPU_PREV[mcud]:-0}) * 100))
	CPU_PREV[mcud]=${t:-0}
	for pid in "${GPID[@]}"; do
		t=$(cpu_ticks "$pid") || continue
		[ -n "$t" ] || continue
		sims=$((sims + t - ${CPU_PREV[$pid]:-0}))
		CPU_PREV[$pid]=$t
	done
	read -r idle total steal < <(awk '/^cpu /{print $5 + $6, $2+$3+$4+$5+$6+$7+$8+$9, $9}' /proc/stat)
	local kd=0
	if [ -n "$KDAMOND_PID" ] && t=$(cpu_ticks "$KDAMOND_PID") && [ -n "$t" ]; then
		kd=$((t - ${CPU_PREV[kd]:-$t}))
		CPU_PREV[kd]=$t
	fi
	d=$(((now - ${CPU_PREV[now]:-$now}) / 1000000)) # ms
	if ((d > 0)); then
		local pm=$(((steal - ${CPU_PREV[steal]:-$steal}) * 1000 / (total - CPU_PREV[total] + 1)))
		printf -v CPU_LINE '%d,%d,%d,%d,%d.%d' $((mcud_pct * 1000 / (CLK * d))) \
			$((sims * 100 * 1000 / (CLK * d))) \
			$(((idle - CPU_PREV[idle]) * 100 / (total - CPU_PREV[total] + 1))) \
			$((kd * 100 * 1000 / (CLK * d))) $((pm / 10)) $((pm % 10))
	else
		CPU_LINE=,,,,
	fi
	CPU_LINE+=,$(awk '{print $12}' "/proc/$MCUD_PID/stat" 2>/dev/null)
	CPU_PREV[now]=$now CPU_PREV[idle]=$idle CPU_PREV[total]=$total CPU_PREV[steal]=$steal
	awk -v t="$((SECONDS - T0))" '{n = $2; sub(/^\(/, "", n); sub(/\)$/, "", n);
		print t "," $1 "," n "," $14 + $15}' /proc/"$MCUD_PID"/task/*/stat \
		>>"$OUT/threads.csv" 2>/dev/null
}
sample() {
	local rss fds
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$MCUD_PID/status" 2>/dev/null)
	fds=$(ls "/proc/$MCUD_PID/fd" 2>/dev/null | wc -l)
	[ -n "$rss" ] || return 1
	cpu_stats
	echo "$((SECONDS - T0)),$rss,$fds,$(connected soak),$away,$(tick_stats),$CPU_LINE" >>"$OUT/samples.csv"
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
[ -z "$died" ] && metrics >"$OUT/metrics-end.prom" 2>/dev/null
date +%s.%N >"$OUT/t_end_unix"
kill "$FLOOR_PID" 2>/dev/null
wait "$FLOOR_PID" 2>/dev/null
for ((g = 1; g <= SIM_GROUPS; g++)); do
	[ "$away" = "$g" ] || stop_group "$g"
done
alive=0
kill -0 "$MCUD_PID" 2>/dev/null && alive=1
# everyone left: what mcud still holds (in use: memory kept; system - in
# use: the allocator's cache). Encoder groups unused for 60 s are freed
# first (mcu/room_video.c GROUP_IDLE_S).
if [ "$alive" = 1 ]; then sleep 65; heap_stats; fi
rc=none
if [ "$alive" = 1 ]; then
	kill -TERM "$MCUD_PID"
	for ((i = 0; i < 300; i++)); do kill -0 "$MCUD_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$MCUD_PID"; rc=$?
fi
load=$(cut -d' ' -f1-3 /proc/loadavg)

python3 - "$OUT" "$WARM" "$alive" "$rc" "$died" "$DURATION" "$N" "$load" "$LOSS" "$MCUD" <<'PY' | tee "$OUT/summary.txt"
import glob, json, os, sys
out, warm, alive, rc, died, dur, n, load, loss, mcud = sys.argv[1:11]
warm = float(warm)
rows = []
for line in open(os.path.join(out, "samples.csv")).read().splitlines()[1:]:
    f = line.split(",")
    t, rss, fds, conn, away = f[:5]
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
# A slope fitted over the whole run includes the heap's approach to its
# working set (every branch held the floor, was on a tour page, was
# decoded at each tile size): the largest RSS by five-minute window and
# the slope over the second half show whether it levels off.
win = {}
for r in steady:
    w = int(r[0] // 300)
    win[w] = max(win.get(w, 0), r[1])
res["rss_max_mib_by_5min"] = [round(win[w] / 1024, 1) for w in sorted(win)]
s = slope([(r[0], r[1] / 1024) for r in steady if r[0] >= float(dur) / 2])
res["rss_slope_second_half_mib_per_h"] = None if s is None else round(s, 2)
s = slope([(r[0], r[2]) for r in steady])
res["fds_slope_per_h"] = None if s is None else round(s, 2)
s = slope([(r[0], r[3]) for r in steady])
res["connected_min_after_warm"] = min(r[3] for r in steady) if steady else None

PROBE = []  # (unix, late ms) of the wakeup probe's late wakeups
try:
    for line in open(os.path.join(out, "probe.log")):
        if not line.startswith("#"):
            a, b = line.split()
            PROBE.append((float(a), float(b)))
except (OSError, ValueError):
    pass

def probe_max(t_from, t_to):  # the probe's worst lateness around a moment
    v = [l for t, l in PROBE if t_from - 0.01 <= t <= t_to + 0.01]
    return max(v) if v else 0.0

def probe_summary():
    try:
        head = open(os.path.join(out, "probe.log")).readline().strip("# \n")
    except OSError:
        return None
    return {"priority": head, "late_over_5ms": sum(l > 5 for _, l in PROBE),
            "late_over_20ms": sum(l > 20 for _, l in PROBE),
            "max_ms": max((l for _, l in PROBE), default=0.0)}

def attribute(out, reports):
    """Each moment an endpoint's audio stopped > 100 ms, next to what
    mcud's audio tick and mcu-sim's receive loop said at that time."""
    import re, subprocess
    try:
        t0 = float(open(os.path.join(out, "t0_unix")).read())
    except (OSError, ValueError):
        t0 = 0.0
    try:
        t_end = float(open(os.path.join(out, "t_end_unix")).read())
    except (OSError, ValueError):
        t_end = float("inf")
    # mcud: late audio ticks (> 40 ms, rate-limited 1/s) and the worst
    late, worst = [], 0.0
    syms = {}
    def name_jobs(text):  # "mcud+0x44550" -> "drain_job (mcud+0x44550)"
        def one(m):
            off = m.group(1)
            if off not in syms:
                try:
                    syms[off] = subprocess.run(
                        ["addr2line", "-f", "-e", mcud, off], capture_output=True,
                        text=True, timeout=10).stdout.split("\n")[0]
                except (OSError, subprocess.SubprocessError):
                    syms[off] = "?"
            return "%s (%s)" % (syms[off], m.group(0))
        return re.sub(r"mcud\+(0x[0-9a-f]+)", one, text)
    rl = re.compile(r"audio tick late: frame sent ([\d.]+) ms after its "
                    r"deadline at unix ([\d.]+) (.*)$")
    rw = re.compile(r"worst audio tick lateness so far ([\d.]+) ms at unix ([\d.]+)")
    try:
        for line in open(os.path.join(out, "mcud.log"), errors="replace"):
            m = rl.search(line)
            if m and t0 <= float(m.group(2)) <= t_end:
                late.append((float(m.group(2)), float(m.group(1)),
                             name_jobs(m.group(3))))
            m = rw.search(line)
            if m and t0 <= float(m.group(2)) <= t_end:
                worst = max(worst, float(m.group(1)))
    except OSError:
        pass
    # the tick's start lateness (API, sampled) and the histogram at the end
    start_late = None
    for line in open(os.path.join(out, "samples.csv")).read().splitlines()[1:]:
        f = line.split(",")
        if len(f) > 5 and f[5]:
            start_late = max(start_late or 0.0, float(f[5]))
    hist = {}
    try:
        for line in open(os.path.join(out, "metrics-end.prom")):
            m = re.match(r'mcu_tick_lateness_seconds_bucket\{kind="audio",le="([^"]+)"\} (\d+)', line)
            if m:
                hist[m.group(1)] = int(m.group(2))
    except OSError:
        pass
    # mcu-sim: per endpoint gap events, per process stalls
    gaps, stalls, rxmax = [], [], {}
    for p in reports:
        try:
            rep = json.load(open(p))
        except (OSError, ValueError):
            continue
        tag = os.path.basename(p)[4:-5]
        rv = rep.get("receiver") or {}
        rxmax[tag] = (rv.get("max_rx_delay_ms"), rv.get("max_loop_busy_ms"),
                      rv.get("max_loop_gap_ms"))
        for st in rv.get("stalls", []):
            stalls.append((st["at_unix"], tag, st))
        for e in rep.get("endpoints", []):
            for g in e.get("audio_gap_events") or []:
                gaps.append((g["at_unix"], tag, e.get("id"), g["gap_ms"],
                             g["kernel_gap_ms"]))
    events = []
    for name in ("events.log", "floor.log"):
        try:
            for line in open(os.path.join(out, name)):
                t, _, what = line.strip().partition(" ")
                events.append((t0 + float(t), what))
        except (OSError, ValueError):
            pass
    # moments: gap ends within 0.5 s of each other
    gaps.sort()
    moments = []
    for g in gaps:
        if moments and g[0] - moments[-1][-1][0] <= 0.5:
            moments[-1].append(g)
        else:
            moments.append([g])
    rows = []
    for mo in moments:
        at = mo[0][0]
        big = [g for g in mo if max(g[3], g[4]) > 100]
        if not big:
            continue
        gmax = max(g[3] for g in mo)
        kmax = max(g[4] for g in mo)
        near_late = [l for l in late if -1.0 <= l[0] - at <= 1.0]
        near_stall = [s_ for s_ in stalls if -1.0 <= s_[0] - at <= 0.5]
        near_ev = [e for e in events if -3.0 <= e[0] - at <= 1.0]
        # the kernel saw the same gap: the packets were not sent (mcud or
        # the path); only we saw it: our receive loop stalled
        if kmax > 80 and near_late:
            verdict = "mcud audio tick late"
        elif kmax > 80:
            verdict = "sender side (packets not sent in time), no late tick logged"
        elif near_stall:
            verdict = "mcu-sim receive loop stalled"
        else:
            verdict = "receiver side (kernel saw no gap)"
        rows.append({
            "at_unix": round(at, 3), "t_s": round(at - t0, 1) if t0 else None,
            "endpoints": len({(g[1], g[2]) for g in mo}),
            "processes": sorted({g[1] for g in mo}),
            "max_gap_ms": round(gmax, 1), "max_kernel_gap_ms": round(kmax, 1),
            "verdict": verdict,
            "mcud_late_ticks": [{"at_unix": l[0], "late_ms": l[1], "detail": l[2]}
                                for l in near_late],
            "sim_stalls": [dict(s_[2], process=s_[1]) for s_ in near_stall],
            "run_events": ["%.1f %s" % (e[0] - t0, e[1]) for e in near_ev],
        })
    return {
        "audio_tick_worst_late_ms": worst or None,
        "audio_tick_start_late_max_ms": start_late,
        "audio_tick_lateness_histogram": hist or None,
        "audio_ticks_late_over_40ms": [{"at_unix": l[0], "t_s": round(l[0] - t0, 1),
                                        "late_ms": l[1], "detail": l[2],
                                        "probe_late_ms": probe_max(l[0] - l[1] / 1000, l[0])}
                                       for l in late],
        "probe": probe_summary(),
        "sim_receiver_max": {k: {"rx_delay_ms": v[0], "loop_busy_ms": v[1],
                                 "loop_gap_ms": v[2]} for k, v in rxmax.items()},
        "sim_stalls": len(stalls),
        "gap_moments": rows,
    }

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
res.update(attribute(out, reports))
heap = {}
try:
    for line in open(os.path.join(out, "heap.log")):
        f = line.split()
        if f[0] == "rss_kib":
            heap["rss_mib"] = round(int(f[1]) / 1024, 1)
        elif f[0] == "rss_trimmed_kib":
            heap["rss_after_malloc_trim_mib"] = round(int(f[1]) / 1024, 1)
        elif f[0] == "system":
            heap["malloc_system_mib"] = round(int(f[-1]) / 1048576, 1)
        elif f[0] == "in" and f[1] == "use":
            heap["malloc_in_use_mib"] = round(int(f[-1]) / 1048576, 1)
except (OSError, ValueError, IndexError):
    pass
res["heap_after_all_left"] = heap or None
# CPU by five-minute window (% of one core; idle % of the machine) and the
# audio deadlines skipped per second in it: does the late audio follow
# mcud's CPU, the simulators' or the machine's idle?
cpu = []
prev_skip = None
for line in open(os.path.join(out, "samples.csv")).read().splitlines()[1:]:
    f = line.split(",")
    if len(f) < 11 or not f[7]:
        continue
    t, skip = float(f[0]), float(f[6] or 0)
    w = int(t // 300)
    while len(cpu) <= w:
        cpu.append({"from_s": len(cpu) * 300, "n": 0, "mcud": 0, "sims": 0,
                    "idle": 0, "kd": 0, "steal": 0.0, "steal_max": 0.0,
                    "majflt0": None, "majflt1": None,
                    "skip0": None, "skip1": None, "t0": None, "t1": None})
    c = cpu[w]
    c["n"] += 1
    c["mcud"] += int(f[7]); c["sims"] += int(f[8]); c["idle"] += int(f[9]); c["kd"] += int(f[10])
    st = float(f[11]) if len(f) > 11 and f[11] else 0.0
    c["steal"] += st
    c["steal_max"] = max(c["steal_max"], st)
    if len(f) > 12 and f[12]:
        if c["majflt0"] is None:
            c["majflt0"] = int(f[12])
        c["majflt1"] = int(f[12])
    if c["skip0"] is None:
        c["skip0"], c["t0"] = skip, t
    c["skip1"], c["t1"] = skip, t
res["cpu_windows"] = [
    {"from_s": c["from_s"], "mcud_cpu_pct": round(c["mcud"] / c["n"]),
     "sims_cpu_pct": round(c["sims"] / c["n"]), "idle_pct": round(c["idle"] / c["n"]),
     "kdamond_cpu_pct": round(c["kd"] / c["n"], 1),
     "steal_pct": round(c["steal"] / c["n"], 1), "steal_pct_max": c["steal_max"],
     "mcud_major_faults": (c["majflt1"] - c["majflt0"]) if c["majflt0"] is not None else None,
     "audio_skipped_per_s": round((c["skip1"] - c["skip0"]) / (c["t1"] - c["t0"]), 2)
     if c["t1"] > c["t0"] else None}
    for c in cpu if c["n"]]
json.dump(res, open(os.path.join(out, "summary.json"), "w"), indent=1)
print("soak: %s s, %s endpoints, %.1f %% tx loss, %d samples (load at end %s)"
      % (dur, n, float(loss), len(rows), load))
print("  mcud alive at end: %s, exit status after SIGTERM: %s%s"
      % (res["mcud_alive_at_end"], rc, ("; " + died) if died else ""))
print("  RSS %s -> %s MiB (max %s); slope after %ds (%d samples, all in): %s MiB/h (all samples: %s)"
      % (res["rss_mib_first"], res["rss_mib_last"], res["rss_mib_max"], warm, len(steady),
         res["rss_slope_mib_per_h"], res["rss_slope_mib_per_h_all"]))
print("  RSS largest by five-minute window (all in): %s MiB; slope over the second half: %s MiB/h"
      % (", ".join("%.0f" % x for x in res["rss_max_mib_by_5min"]),
         res["rss_slope_second_half_mib_per_h"]))
print("  fds %s -> %s (max %s); slope after %ds: %s per h"
      % (res["fds_first"], res["fds_last"], res["fds_max"], warm,
         res["fds_slope_per_h"]))
print("  connected after warm-up: min %s of %s" % (res["connected_min_after_warm"], n))
h = res["heap_after_all_left"]
if h:
    print("  heap after all endpoints left: RSS %s MiB; malloc: %s MiB from the system, %s MiB in use; "
          "RSS after malloc_trim(0) %s MiB"
          % (h.get("rss_mib"), h.get("malloc_system_mib"), h.get("malloc_in_use_mib"),
             h.get("rss_after_malloc_trim_mib")))
print("  audio at endpoints: max steady gap %.0f ms (%s), max incl. join %.0f ms, "
      "%d gaps > 100 ms over %d endpoint runs in %d reports"
      % (gap, gap_at, gap_all, over100, eps, len(reports)))
print("  mcud audio tick: worst lateness %s ms (frame due -> sent; an endpoint's "
      "gap is about this + 20 ms), worst start lateness %s ms; %d late ticks > 40 ms logged"
      % (res["audio_tick_worst_late_ms"], res["audio_tick_start_late_max_ms"],
         len(res["audio_ticks_late_over_40ms"])))
for l in res["audio_ticks_late_over_40ms"][:20]:
    print("    late tick at %s s (unix %.3f): %.1f ms %s; wakeup probe %s"
          % (l["t_s"], l["at_unix"], l["late_ms"], l["detail"],
             "late %.1f ms then" % l["probe_late_ms"] if l["probe_late_ms"]
             else "on time then"))
pr = res.get("probe")
if pr:
    print("  wakeup probe (%s, every 5 ms): %d wakeups > 5 ms late, %d > 20 ms, worst %.1f ms"
          % (pr["priority"], pr["late_over_5ms"], pr["late_over_20ms"], pr["max_ms"]))
rx = res["sim_receiver_max"]
print("  mcu-sim receive loops: max packet wait in socket %s ms, max busy %s ms; %d stalls listed"
      % (max((v["rx_delay_ms"] or 0 for v in rx.values()), default=None),
         max((v["loop_busy_ms"] or 0 for v in rx.values()), default=None), res["sim_stalls"]))
print("  audio gap moments (> 100 ms at any endpoint): %d" % len(res["gap_moments"]))
for m in res["gap_moments"][:30]:
    print("    %s s (unix %.3f): %d endpoints in %s, gap %.0f ms (kernel %.0f ms) -> %s"
          % (m["t_s"], m["at_unix"], m["endpoints"], ",".join(m["processes"]),
             m["max_gap_ms"], m["max_kernel_gap_ms"], m["verdict"]))
    for l in m["mcud_late_ticks"]:
        print("      mcud: %.1f ms %s" % (l["late_ms"], l["detail"]))
    for st in m["sim_stalls"]:
        print("      mcu-sim %s: loop gap %.0f ms, busy %.0f ms, rx wait %.0f ms"
              % (st["process"], st["loop_gap_ms"], st["busy_ms"], st["rx_delay_ms"]))
    for e in m["run_events"]:
        print("      event %s" % e)
for c in res["cpu_windows"]:
    print("  from %4d s: mcud %3d %%, mcu-sims %3d %%, kdamond %.1f %% of a core; machine idle "
          "%2d %%, stolen by the hypervisor %.1f %% (10-s max %.1f); mcud major faults %s; "
          "audio deadlines skipped %s/s"
          % (c["from_s"], c["mcud_cpu_pct"], c["sims_cpu_pct"], c["kdamond_cpu_pct"],
             c["idle_pct"], c["steal_pct"], c["steal_pct_max"], c["mcud_major_faults"],
             c["audio_skipped_per_s"]))
print("  output: %s" % out)
PY
[ "$alive" = 1 ] && [ "$rc" = 0 ]
