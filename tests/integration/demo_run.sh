#!/usr/bin/env bash
# The demo of `make run` (tools/demo/city.sh, issue 8 item 5), small: the
# example roster on free ports and an own run directory, DEMO_COUNT=8.
# Started as a terminal would (its own process group, SIGINT not ignored).
# Checks through the API that the meeting "demo" is live with the host
# (ubnd-tp) and 7 branches all connected and sending video; that the
# script printed the dashboard address and a token that the API takes;
# that a second demo on the same ports, or in the same run directory,
# stops at once with a clear message and leaves the first one alone; that
# Ctrl-C (SIGINT to the group: the script, mcud and mcu-sim each get it)
# stops mcu-sim (its calls hung up, its report written) and mcud, exit 0, no process of the group left and the
# ports free again.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/sip.sh"
. "$(dirname "$0")/../lib/baresip.sh"
DEMO=$SRC/tools/demo/city.sh
[ -x "$BUILD/tools/mcu-sim/mcu-sim" ] || { echo "mcu-sim not built"; exit 1; }

export BUILD CONFIG=$SRC/conf/examples/cantho.yaml DEMO_COUNT=8 DEMO_MINUTES=5
DEMO_SIP_PORT=$(free_port)
DEMO_API_PORT=$(free_port)
export DEMO_RUN_DIR=$WORK/run DEMO_SIP_PORT DEMO_API_PORT
r=$(free_block 200)
export DEMO_RTP_PORTS=$r-$((r + 199))
r=$(free_block 40)
export DEMO_SIM_RTP_PORTS=$r-$((r + 39))
api=$DEMO_API_PORT
A=http://127.0.0.1:$api

# As from a terminal: a process group of its own whose SIGINT is not
# ignored (a background job of this script would ignore it); its session
# id is its pid, so that what is left of it can be found.
launch() { # OUT: run the demo like that, its pid (= group) in LAUNCHED
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp("bash", ["bash"] + sys.argv[1:])' "$DEMO" >"$1" 2>&1 &
	LAUNCHED=$!
}
launch "$WORK/demo.out"
demo=$LAUNCHED
PIDS+=("$demo")

P=/api/v1/meetings/demo/participants
out=$(api_wait 60 $P "len(p) == 8 and all(x['state'] == 'connected' for x in p.values())" \
	"sorted((k, x['state']) for k, x in p.items())"); rc=$?
check "the demo meeting has its 8 endpoints connected ($out)" test $rc = 0
out=$(api_wait 20 $P "all(x['video']['in']['packets'] > 100 and x['audio']['in']['packets'] > 100 for x in p.values())" \
	"min((x['video']['in']['packets'], x['audio']['in']['packets']) for x in p.values())"); rc=$?
check "every endpoint sends video and audio to mcud (min packets: $out)" test $rc = 0
out=$(curl -sf "$A/api/v1/meetings/demo" | python3 -c 'import json, sys
m = json.load(sys.stdin)
p = m["participants"]
print(m["state"], m["floor"]["mode"], p[0]["endpoint"], p[0]["role"], len(p))' 2>&1)
check "meeting demo: live, chaired, host ubnd-tp, 8 participants ($out)" \
	test "$out" = "live chaired ubnd-tp host 8"

check "the script printed the dashboard address" grep -q "Dashboard / Bảng điều khiển:  $A/" "$WORK/demo.out"
check "... and the 8 endpoints connected" grep -q "8/8 connected" "$WORK/demo.out"
token=$(sed -n 's/^ API token \/ Mã truy cập: *//p' "$WORK/demo.out")
check "... and a token (${#token} characters)" test "${#token}" -ge 16
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' -d '{"minutes": 1}' "$A/api/v1/meetings/demo/extend")
check "the printed token is the API's (extend: $code)" test "$code" = 200
cmd=$(sed -n 's/^ Try \/ Thử: *//p' "$WORK/demo.out")
out=$($cmd --lang en 2>&1 | head -3 | tr '\n' ' ')
check "the printed mcuctl command shows the meeting ($cmd: $out)" grep -q "demo" <<<"$out"
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/")
check "the dashboard answers ($code)" test "$code" = 200

# A second demo while this one runs: refused at once, nothing started.
DEMO_RUN_DIR=$WORK/run2 launch "$WORK/demo2.out"
second=$LAUNCHED
timeout 20 tail --pid="$second" -f /dev/null
wait "$second"; rc=$?
check "a second demo on the same ports fails (rc=$rc)" test "$rc" = 1
check "... saying the ports are in use" grep -q "in use: $DEMO_SIP_PORT/udp $DEMO_SIP_PORT/tcp $api/tcp" "$WORK/demo2.out"
check "... before starting mcud" test ! -e "$WORK/run2/pid"
DEMO_SIP_PORT=$(free_port) DEMO_API_PORT=$(free_port) launch "$WORK/demo3.out"
third=$LAUNCHED
timeout 20 tail --pid="$third" -f /dev/null
wait "$third"; rc=$?
check "a second demo in the same run directory fails (rc=$rc)" test "$rc" = 1
check "... saying another demo runs there" grep -q "another demo runs in $WORK/run (pid $demo)" "$WORK/demo3.out"
out=$(api_wait 5 $P "sum(x['state'] == 'connected' for x in p.values()) == 8" \
	"sum(x['state'] == 'connected' for x in p.values())"); rc=$?
check "the first demo still has 8 connected ($out)" test $rc = 0

# Ctrl-C: SIGINT to the whole group, as a terminal sends it.
kill -INT -- "-$demo"
timeout 40 tail --pid="$demo" -f /dev/null
wait "$demo"; rc=$?
check "Ctrl-C: the demo exits 0 (rc=$rc)" test "$rc" = 0
left=$(pgrep -a -s "$demo" | tr '\n' ' ')
check "Ctrl-C: no process of the demo is left ($left)" test -z "$left"
check "Ctrl-C: mcu-sim hung up and wrote its report" python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["ended_by"] in ("SIGINT", "SIGTERM") and r["totals"]["connected"] == 8 else 1)' "$WORK/run/mcu-sim.json"
# mcud gets the SIGINT too and may be gone before the script looks: then
# the script reports its exit status instead of stopping it.
check "Ctrl-C: mcud stopped cleanly" grep -qE "stopping mcud|mcud stopped \(exit 0\)" "$WORK/demo.out"
check "Ctrl-C: the API port is free again" python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()' "$api"
check "Ctrl-C: the SIP port is free again" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))' "$DEMO_SIP_PORT"
[ "$FAILS" = 0 ] || { echo "--- demo output"; cat "$WORK/demo.out"; }
finish
