#!/usr/bin/env bash
# Issue 9 item 5 (MCU faults): a live `dial: out` meeting with a static host
# leg (ffmpeg) and two SIP branches (sipp UAS, tests/data/sip/uas_answer.xml).
#   1. SIGHUP and POST /api/v1/reload with a broken roster while it runs:
#      refused (log line, 409), nobody is dropped, media keeps flowing.
#   2. kill -9 of mcud, then a restart on the same roster and run dir: the
#      meeting is live again within 10 s of the restart, the SIP branches
#      are called again and connected, the static leg's media arrives again.
#   3. The logbook keeps the first part: the first meeting row with its
#      joins, closed at start-up with an `mcu-restarted` incident and the
#      attendances ended with reason `mcu-restarted` (docs/logbook.md); the
#      second part is a new row of the same meeting.
#   4. SIGTERM at the end: the logbook ends the meeting (leaves, an
#      `mcu-stopped` incident), so a clean stop is not taken for a crash.
# The sipp endpoints take up to 2 calls each: the first call is never
# ended by the killed mcud (no BYE; the endpoint would time it out), the
# second comes from the restarted one.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port) p2=$(free_port)
head -c 32 /dev/urandom | base64 >"$WORK/token"
chmod 600 "$WORK/token"
AUTH="Authorization: Bearer $(cat "$WORK/token")"
A="http://127.0.0.1:$api/api/v1"
"$PY" "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 2 \
	--sip-ports "$p1,$p2" --dial out --sip-port "$sip" --api-port "$api" \
	--token-file "$WORK/token" >"$WORK/roster.yaml"
cp "$WORK/roster.yaml" "$WORK/good.yaml"
cd "$WORK" || exit 1

# Endpoints that answer twice (a call from each mcud).
for n in 1 2; do
	port=$([ $n = 1 ] && echo "$p1" || echo "$p2")
	sipp -sf "$SRC/tests/data/sip/uas_answer.xml" -s "sip$n" -i 127.0.0.1 \
		-p "$port" -mp "$(free_block 4)" -m 2 -timeout 120s \
		>"$WORK/sipp-sip$n.out" 2>&1 </dev/null &
	PIDS+=($!)
	check "sipp endpoint sip$n listens" listening "$port"
done

run_mcud() { # LOG
	"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 \
		--io-threads 1 >"$1" 2>&1 &
	MCUD_PID=$!
	PIDS+=("$MCUD_PID")
}
# parts: "ep:state:packets ..." of meeting t (audio + video packets in)
parts() {
	curl -sf "$A/meetings/t/participants" | "$PY" -c "import json,sys
def n(x, k):
    return ((x.get(k) or {}).get('in') or {}).get('packets', 0)
print(' '.join('%s:%s:%d' % (x['endpoint'], x['state'], n(x, 'audio') + n(x, 'video'))
      for x in json.load(sys.stdin)))" 2>/dev/null
}
# all_live SECONDS: until the meeting is live, sip1 and sip2 connected and
# the static host leg's packet counter above 50
all_live() {
	local end=$((SECONDS + $1)) p
	while [ "$SECONDS" -lt "$end" ]; do
		p=$(parts)
		if [ "$(meeting_state t)" = live ] &&
			[[ " $p " == *" sip1:connected:"* ]] &&
			[[ " $p " == *" sip2:connected:"* ]] &&
			echo "$p" | grep -qE '(^| )leg0:connected:([5-9][0-9]|[0-9]{3,})'; then
			return 0
		fi
		sleep 0.2
	done
	echo "    last: $(meeting_state t) $p" >&2
	return 1
}

send_leg 0 $base h264 opus 100
run_mcud "$WORK/mcud1.log"
check "first mcud: the meeting is live, everyone connected with media" all_live 20
parts1=$(parts)
echo "    $parts1"

# 1. A broken roster while the meeting runs.
printf 'meetings: [\n  {id: broken\n' >"$WORK/roster.yaml"
kill -HUP "$MCUD_PID"
check "SIGHUP with a broken roster: reload refused in the log" \
	wait_for "$WORK/mcud1.log" "reload refused" 10
code=$(curl -s -o "$WORK/reload.json" -w '%{http_code}' -X POST -H "$AUTH" "$A/reload")
check "POST /reload with a broken roster: 409 ($code $(cat "$WORK/reload.json"))" test "$code" = 409
sleep 2
a0=$(parts)
sleep 2
a1=$(parts)
check "nobody was dropped ($a1)" all_live 1
pk() { echo "$1" | tr ' ' '\n' | awk -F: -v e="$2" '$1 == e {print $3}'; }
check "the host's media keeps flowing ($(pk "$a0" leg0) -> $(pk "$a1" leg0) packets)" \
	test "$(pk "$a1" leg0)" -gt "$(pk "$a0" leg0)"
n=$(grep -c "calling sip[12] at" "$WORK/mcud1.log")
check "no endpoint was called again ($n calls)" test "$n" = 2
cp "$WORK/good.yaml" "$WORK/roster.yaml"

# 2. kill -9 and restart.
sleep 1 # the logbook writer commits the joins within milliseconds
kill -KILL "$MCUD_PID"
wait "$MCUD_PID" 2>/dev/null
t0=$(date +%s%N)
run_mcud "$WORK/mcud2.log"
check "the restarted mcud has the meeting live again within 10 s" all_live 10
ms=$((($(date +%s%N) - t0) / 1000000))
echo "    live again $ms ms after the restart: $(parts)"
check "it closed the first run's meeting row at start-up" \
	grep -q "left open by a previous run" "$WORK/mcud2.log"
n=$(grep -c "calling sip[12] at" "$WORK/mcud2.log")
check "the dial-out endpoints were called again ($n calls)" test "$n" -ge 2

# 3. The logbook.
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "the restarted mcud stops cleanly (rc=$rc)" test "$rc" = 0
"$PY" - "$WORK/logbook.db" >"$WORK/logbook.json" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.row_factory = sqlite3.Row
rows = [dict(r) for r in db.execute(
    "SELECT id, meeting_id, actual_start, actual_end, state FROM meetings"
    " WHERE meeting_id = 't' ORDER BY id")]
out = {"rows": rows, "parts": [], "incidents": []}
for r in rows:
    out["parts"].append([dict(p) for p in db.execute(
        "SELECT endpoint, joined_at, left_at, reason FROM participation"
        " WHERE meeting = ? ORDER BY endpoint", (r["id"],))])
    out["incidents"].append([dict(i) for i in db.execute(
        "SELECT kind, endpoint, raised_at, cleared_at FROM incidents"
        " WHERE meeting = ?", (r["id"],))])
print(json.dumps(out))
PY
lj() { "$PY" -c "import json; d=json.load(open('$WORK/logbook.json')); print($1)"; }
lj 'json.dumps(d, indent=1)' | head -60
check "two rows for meeting t: before and after the crash ($(lj 'len(d["rows"])'))" \
	test "$(lj 'len(d["rows"])')" = 2
check "the first row is closed (state $(lj 'd["rows"][0]["state"]'))" \
	test "$(lj 'd["rows"][0]["actual_end"] is not None and d["rows"][0]["state"] == "ended"')" = True
check "the first part keeps its three joins, ended mcu-restarted ($(lj '[(p["endpoint"], p["reason"]) for p in d["parts"][0]]'))" \
	test "$(lj 'sorted(p["endpoint"] for p in d["parts"][0] if p["reason"] == "mcu-restarted")')" = "['leg0', 'sip1', 'sip2']"
check "the first part has an mcu-restarted incident" \
	test "$(lj 'sum(i["kind"] == "mcu-restarted" for i in d["incidents"][0])')" = 1
check "the second part has the three joins again, ended with the meeting" \
	test "$(lj 'sorted(p["endpoint"] for p in d["parts"][1] if p["left_at"] is not None)')" = "['leg0', 'sip1', 'sip2']"
check "SIGTERM: the second part ends with an mcu-stopped incident (a clean stop is no crash)" \
	test "$(lj '[i["kind"] for i in d["incidents"][1]] == ["mcu-stopped"] and d["rows"][1]["state"] == "ended"')" = True
check "the second part starts after the first ends" \
	test "$(lj 'd["rows"][1]["actual_start"] >= d["rows"][0]["actual_end"]')" = True
finish
