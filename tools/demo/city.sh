#!/usr/bin/env bash
# The whole city in one meeting, live on this machine: what `make run`
# starts (DEMO=0 make run runs mcud alone). docs/mcu-sim.md, "The demo of
# make run".
#
#   1. mcud on a copy of the example roster (conf/examples/cantho.yaml)
#      that differs only by an API token file (the example's API is
#      read-only: creating a meeting needs a token) and, when asked for,
#      other ports and another run directory;
#   2. POST /api/v1/meetings: an ad-hoc meeting "demo" from now for 30
#      minutes, host the People's Committee office (ubnd-tp), branches the
#      roster's other SIP endpoints (the static RTP test source is left
#      out), dial-in, chaired floor, the host touring the branches 16 at a
#      time;
#   3. mcu-sim dials them all in, each sending its own numbered colour
#      picture and tone (pre-encoded once: 360p at DEMO_FPS);
#   4. prints the dashboard's address and the token.
# Ctrl-C reaches mcu-sim and mcud as well (they block SIGINT and read it):
# mcu-sim hangs up its calls, mcud ends its meetings; the script waits for
# both (SIGTERM to one still there, mcu-sim first, SIGKILL after a
# timeout). A SIGTERM to the script alone stops them in that order. A
# second run while one runs stops at once, starting nothing: its ports
# (or its run directory) are in use.
#
# Environment, all optional:
#   BUILD (build), CONFIG (conf/examples/cantho.yaml), DEMO_RUN_DIR
#   (run/city: the copy, token, logbook, mcu-sim's log and report),
#   DEMO_HOST (ubnd-tp), DEMO_COUNT (endpoints in the meeting and played
#   by mcu-sim, host included; default: every SIP endpoint), DEMO_FPS
#   (mcu-sim's frame rate, 15), DEMO_VIDEO (360p | 720p), DEMO_MINUTES
#   (30), DEMO_SIP_PORT, DEMO_API_PORT, DEMO_RTP_PORTS (mcud's; default:
#   the roster's), DEMO_SIM_RTP_PORTS (mcu-sim's, 50000-59999),
#   DEMO_WAIT (seconds to wait for every call, 90).
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$src/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
config=${CONFIG:-$src/conf/examples/cantho.yaml}
run=${DEMO_RUN_DIR:-$src/run/city}
host=${DEMO_HOST:-ubnd-tp}
count=${DEMO_COUNT:-0}
fps=${DEMO_FPS:-15}
video=${DEMO_VIDEO:-360p}
minutes=${DEMO_MINUTES:-30}
sim_rtp=${DEMO_SIM_RTP_PORTS:-50000-59999}
wait_s=${DEMO_WAIT:-90}
MCUD=$build/mcu/mcud
SIM=$build/tools/mcu-sim/mcu-sim
me="make run (demo)"

die() { echo "$me: $*" >&2; exit 1; }

for b in "$MCUD" "$SIM"; do
	[ -x "$b" ] || die "$b is missing: build it first (make run builds it)"
done
[ -r "$config" ] || die "cannot read $config"
[[ $count =~ ^[0-9]+$ ]] && [ "$count" != 1 ] ||
	die "DEMO_COUNT: a number of endpoints, at least 2 (0: all)"
[[ $fps =~ ^[0-9]+$ ]] && [ "$fps" -ge 1 ] && [ "$fps" -le 60 ] ||
	die "DEMO_FPS: 1..60"
[[ $minutes =~ ^[0-9]+$ ]] && [ "$minutes" -ge 1 ] && [ "$minutes" -le 1440 ] ||
	die "DEMO_MINUTES: 1..1440"
case $video in 360p | 720p) ;; *) die "DEMO_VIDEO: 360p or 720p" ;; esac

mkdir -p "$run" || die "cannot make $run"
run=$(cd "$run" && pwd)

# One demo per run directory: the lock is held (fd 9) until we exit.
exec 9>"$run/lock" || die "cannot write $run/lock"
flock -n 9 || die "another demo runs in $run (pid $(cat "$run/pid" 2>/dev/null || echo ?)): stop it first (Ctrl-C in its terminal)"

# The copy of the roster: token file, ports, run directory. It prints the
# SIP host and port, the API host and port and the token file it uses.
mkroster() {
	python3 - "$config" "$run" "${DEMO_SIP_PORT:-}" "${DEMO_API_PORT:-}" \
		"${DEMO_RTP_PORTS:-}" <<'PY'
import re, sys
path, run, sip_port, api_port, rtp_ports = sys.argv[1:6]
lines = open(path, encoding="utf-8").read().split("\n")
def die(msg):
    sys.exit("%s: %s: the demo needs the example's mcu: section (DEMO=0 runs mcud alone)" % (path, msg))
# The sections of mcu: that we touch, by their two-space keys.
section, sub = None, None
found = {"sip": None, "api": None, "rtp": None, "token": None}
for i, l in enumerate(lines):
    if re.match(r"^\s*#", l):
        continue
    if re.match(r"^\S", l):
        section, sub = l.split(":")[0], None
        continue
    m = re.match(r"^  (\w+):", l)
    if section == "mcu" and m:
        sub = m.group(1)
    if section != "mcu":
        continue
    if sub == "sip" and re.match(r"^    listen:", l) and found["sip"] is None:
        found["sip"] = i
    elif sub == "api" and re.match(r"^    listen:", l):
        found["api"] = i
    elif sub == "api" and re.match(r"^    token_file:", l):
        found["token"] = i
    elif sub == "rtp" and re.match(r"^    ports:", l):
        found["rtp"] = i
for k in ("sip", "api"):
    if found[k] is None:
        die("no mcu.%s.listen line" % k)
sipl = lines[found["sip"]]
addrs = re.findall(r"(?:udp|tcp|tls):([0-9.]+):(\d+)", sipl)
if not addrs:
    die("mcu.sip.listen names no udp:HOST:PORT")
if sip_port:
    sipl = re.sub(r"((?:udp|tcp):[0-9.]+:)\d+", r"\g<1>" + sip_port, sipl)
    lines[found["sip"]] = sipl
    addrs = re.findall(r"(?:udp|tcp|tls):([0-9.]+):(\d+)", sipl)
m = re.match(r"^(    listen:\s*)([0-9.]+):(\d+)\s*$", lines[found["api"]])
if not m:
    die("mcu.api.listen is not HOST:PORT")
api_host, api = m.group(2), m.group(3)
if api_port:
    api = api_port
    lines[found["api"]] = "%s%s:%s" % (m.group(1), api_host, api)
if rtp_ports:
    if found["rtp"] is None:
        die("no mcu.rtp.ports line")
    lines[found["rtp"]] = "    ports: " + rtp_ports
if found["token"] is not None:
    token = lines[found["token"]].split(":", 1)[1].strip().strip('"')
else:
    token = run + "/api.token"
    lines.insert(found["api"] + 1,
                 "    token_file: %s   # added by tools/demo/city.sh" % token)
    lines = [l for l in lines if not l.startswith("    # token_file absent")]
# The example's files under ./run/ go to the demo's run directory.
text = "\n".join(lines).replace("./run/", run + "/")
open(run + "/roster.yaml", "w", encoding="utf-8").write(text)
print(addrs[0][0], " ".join(sorted({p for _, p in addrs})), api_host, api, token)
PY
}

# inuse HOST udp,tcp PORT...: the ports that cannot be bound on HOST.
inuse() {
	python3 - "$@" <<'PY'
import socket, sys
host, kinds, bad = sys.argv[1], sys.argv[2].split(","), []
for p in sys.argv[3:]:
    for name in kinds:
        kind = socket.SOCK_DGRAM if name == "udp" else socket.SOCK_STREAM
        s = socket.socket(socket.AF_INET, kind)
        if name == "tcp":  # as a server binds: a TIME_WAIT is no user
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(p)))
        except OSError:
            bad.append("%s/%s" % (p, name))
        finally:
            s.close()
print(" ".join(bad))
PY
}

read -r sip_host sip_ports api_host api_port token_file < <(mkroster) ||
	exit 1
[ -n "${token_file:-}" ] || exit 1
busy=$(inuse "$sip_host" udp,tcp $sip_ports; inuse "$api_host" tcp "$api_port")
busy=$(echo $busy)
if [ -n "$busy" ]; then
	echo "$me: port(s) in use: $busy (SIP ${sip_ports// /,}, API $api_port)." >&2
	echo "  VI: Đã có một mcud (make run?) đang chạy trên các cổng này: dừng nó (Ctrl-C) rồi chạy lại." >&2
	echo "  EN: Another mcud (make run?) is running on these ports: stop it (Ctrl-C) and try again," >&2
	echo "      or choose others: DEMO_SIP_PORT=5070 DEMO_API_PORT=8090 make run" >&2
	exit 1
fi

# A fresh demo: no meeting or operator change of an earlier run comes back.
rm -f "$run/adhoc.yaml" "$run/overrides.json" "$run/mcu-sim.json" \
	"$run/mcu-sim.log"
rm -rf "${run:?}/demo"
echo $$ >"$run/pid"
if [ ! -s "$token_file" ]; then
	(umask 077 && head -c 24 /dev/urandom | base64 >"$token_file") ||
		die "cannot write $token_file"
fi
token=$(head -1 "$token_file")
api="http://$api_host:$api_port"

mcud_pid="" sim_pid="" stopping=0
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
# end PID NAME SECONDS: SIGTERM, wait, SIGKILL when it does not go.
end() {
	local pid=$1 name=$2 t=$3 i rc
	alive "$pid" || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < t * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "$me: $name did not stop in $t s: SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return "$rc"
}
stop() {
	local rc=$1
	[ "$stopping" = 1 ] && return
	stopping=1
	trap '' INT TERM
	if [ -n "$sim_pid" ]; then
		echo "$me: stopping mcu-sim (its calls hang up)…" >&2
		end "$sim_pid" mcu-sim 15
		tail -1 "$run/mcu-sim.log" >&2 # its summary line
	fi
	if alive "$mcud_pid"; then
		echo "$me: stopping mcud…" >&2
		end "$mcud_pid" mcud 30 || rc=1
	elif [ -n "$mcud_pid" ]; then
		# Ctrl-C reached mcud too and it is done already: its status.
		local m=0
		wait "$mcud_pid" 2>/dev/null || m=$?
		echo "$me: mcud stopped (exit $m)" >&2
		[ "$m" = 0 ] || rc=1
	fi
	rm -f "$run/pid"
	exit "$rc"
}
# Ctrl-C or SIGTERM: a clean stop is a success, as for mcud itself.
trap 'stop 0' INT TERM
trap 'stop $?' EXIT

"$MCUD" -c "$run/roster.yaml" --run-dir "$run" 9>&- &
mcud_pid=$!

# The API answers: mcud is up (ours: it is alive and the ports were free).
for ((i = 0; ; i++)); do
	if ! alive "$mcud_pid"; then
		wait "$mcud_pid"
		echo "$me: mcud did not start (exit $?): see its messages above" >&2
		mcud_pid=""
		exit 1
	fi
	curl -sf -o /dev/null "$api/api/v1/health" && break
	[ "$i" -lt 300 ] || die "mcud's API did not answer on $api in 60 s"
	sleep 0.2
done

# Host first, then the roster's other SIP endpoints in roster order.
list=$(curl -sf "$api/api/v1/endpoints" | python3 -c '
import json, sys
host, count = sys.argv[1], int(sys.argv[2])
eps = [e["id"] for e in json.load(sys.stdin) if e.get("signalling") == "sip"]
if host not in eps:
    sys.exit("no SIP endpoint %s in the roster (DEMO_HOST)" % host)
ids = [host] + [e for e in eps if e != host]
if count > len(ids):
    sys.exit("DEMO_COUNT %d: the roster has %d SIP endpoints" % (count, len(ids)))
print(",".join(ids[:count or len(ids)]))' "$host" "$count") || die "cannot pick the endpoints"
n=$(echo "$list" | tr ',' '\n' | wc -l)

body=$(python3 -c '
import json, sys
ids = sys.argv[1].split(",")
print(json.dumps({"id": "demo", "host": ids[0], "branches": ids[1:],
    "minutes": int(sys.argv[2]), "dial": "in", "floor": "chaired",
    "title": "Họp trực tuyến toàn thành phố (demo, mcu-sim)",
    "layout": {"host": "tour-4x4", "branches": "host+floor",
               "tour_seconds": 10}}, ensure_ascii=False))' "$list" "$minutes")
answer=$(printf '%s' "$body" | curl -sS -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' --data-binary @- \
	-w '\n%{http_code}' "$api/api/v1/meetings")
code=${answer##*$'\n'}
if [ "$code" != 201 ]; then
	echo "$me: the demo meeting was refused ($code): ${answer%$'\n'*}" >&2
	echo "  VI: mcud vẫn chạy, không có cuộc họp thử (Ctrl-C để dừng)." >&2
	echo "  EN: mcud keeps running without the demo meeting (Ctrl-C stops it)." >&2
	wait "$mcud_pid"
	rc=$?
	mcud_pid=""
	exit "$rc"
fi
end_at=$(echo "${answer%$'\n'*}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["end"])')

# The endpoints: mcu-sim for the meeting's whole length (its log and
# report in the run directory; the summary line is printed at the stop).
"$SIM" run --roster "$run/roster.yaml" --meeting demo --endpoints "$list" \
	--mcu "sip:$sip_host:${sip_ports%% *}" --seconds $((minutes * 60)) \
	--video "$video" --fps "$fps" --rtp-ports "$sim_rtp" \
	--report "$run/mcu-sim.json" >/dev/null 2>"$run/mcu-sim.log" 9>&- &
sim_pid=$!

rel() { case $1 in "$PWD"/*) echo "${1#"$PWD"/}" ;; *) echo "$1" ;; esac; }
ctl="$(rel "$build")/tools/mcuctl/mcuctl -c $(rel "$run")/roster.yaml"
cat >&2 <<MSG

==============================================================================
 Dashboard / Bảng điều khiển:  $api/        (English: $api/?lang=en)
 API token / Mã truy cập:      $token
                               (in $(rel "$token_file"); the dashboard asks for
                               it before it changes anything)
 Meeting / Cuộc họp "demo" until / đến $end_at: host $host + $((n - 1)) branches
 mcu-sim plays all $n endpoints: ${video} at $fps fps each (DEMO_COUNT, DEMO_FPS)
 VI: Cuộc họp thử toàn thành phố: Văn phòng UBND thành phố chủ trì, $((n - 1)) điểm cầu
     mô phỏng (mcu-sim) gọi vào; mở bảng điều khiển ở trên để xem trực tiếp.
 EN: A city-wide demo meeting: the People's Committee office hosts, $((n - 1))
     simulated endpoints (mcu-sim) dial in; open the dashboard above to watch.
 Try / Thử:  $ctl show demo
             $ctl floor demo grant ubnd-ninh-kieu
 Ctrl-C stops mcu-sim and mcud. DEMO=0 make run: mcud alone.
==============================================================================

MSG

# How many are in: every second until all are, at most DEMO_WAIT s.
last=""
for ((i = 0; i < wait_s; i++)); do
	sleep 1
	alive "$sim_pid" || break
	c=$(curl -sf "$api/api/v1/meetings/demo/participants" | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin) if p.get("state") == "connected"))' 2>/dev/null)
	[ -n "$c" ] || continue
	[ "$c" = "$last" ] || echo "$me: $c/$n connected" >&2
	last=$c
	[ "$c" = "$n" ] && break
done
if ! alive "$sim_pid"; then
	echo "$me: mcu-sim stopped early: $run/mcu-sim.log" >&2
	tail -3 "$run/mcu-sim.log" >&2
fi

# mcud runs until Ctrl-C; mcu-sim ends with the meeting.
wait "$mcud_pid"
rc=$?
mcud_pid=""
echo "$me: mcud ended (exit $rc)" >&2
exit "$rc"
