#!/usr/bin/env bash
# Issue 5 item 5: mcu/watch turns what happens in a live meeting into
# events (GET /api/v1/events), logbook rows and log lines naming the
# endpoint's technician. Three static RTP legs fed by ffmpeg; leg 1 goes
# through tests/tools/udprelay.py, whose control port changes the
# impairment while the meeting runs:
#   operator starts the meeting -> join for each leg
#   floor request + grant       -> floor events (queue, then holder)
#   10 % loss on leg 1          -> incident packet-loss raised, naming leg 1
#                                  and its technician; loss off -> cleared
#   7 s outage on leg 1         -> no-video raised (5 s without video),
#                                  cleared when video is back; the packets
#                                  lost in the gap raise no packet-loss
#   operator stops the meeting  -> leave (meeting-ended) for each leg
# and the logbook holds the attendances and both incidents, cleared.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 3)
relay=$((base - 50)) # free_base keeps base-50..-47 free for a relay
ctl=$(free_port)
api=$(free_port)
# The interpreter itself: a version-manager shim costs seconds a call.
PY=$(python3 -c 'import sys; print(sys.executable)')
"$PY" "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus \
	--api-port "$api" --sip-port "$(free_port)" --floor chaired --technicians \
	--token-file "$WORK/token" >"$WORK/roster0.yaml"
head -c 32 /dev/urandom | base64 >"$WORK/token"
chmod 600 "$WORK/token"
AUTH="Authorization: Bearer $(cat "$WORK/token")"
API="http://127.0.0.1:$api/api/v1"
# The meeting is scheduled later today, so that the event stream is open
# before its room starts (the operator starts it early).
"$PY" - "$WORK/roster0.yaml" "$WORK/logbook.db" >"$WORK/roster.yaml" <<'PY'
import datetime, re, sys, zoneinfo
text = open(sys.argv[1]).read()
now = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
fmt = "%Y-%m-%dT%H:%M"
text = re.sub(r"(?m)^(    start: ).*$", r"\g<1>" + (now + datetime.timedelta(hours=2)).strftime(fmt), text)
text = re.sub(r"(?m)^(    end: ).*$", r"\g<1>" + (now + datetime.timedelta(hours=3)).strftime(fmt), text)
if "\n  logbook: " not in text: # mkroster may set it already
    text = text.replace("mcu:\n", 'mcu:\n  logbook: "%s"\n' % sys.argv[2], 1)
print(text, end="")
PY

"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 --io-threads 1 \
	>"$WORK/mcud.log" 2>&1 &
MCUD_PID=$!
PIDS+=("$MCUD_PID")
check "mcud starts" wait_for "$WORK/mcud.log" "operator API on" 10
curl -sN "$API/events" >"$WORK/events.txt" 2>/dev/null &
PIDS+=($!)
check "the event stream is open" wait_for "$WORK/events.txt" ": connected" 5

# ev TYPE [KEY=VALUE...]: count of events of TYPE whose data has those fields.
ev() {
	"$PY" - "$WORK/events.txt" "$@" <<'PY'
import json, sys
path, typ, conds = sys.argv[1], sys.argv[2], sys.argv[3:]
n, cur = 0, None
for line in open(path, encoding="utf-8", errors="replace"):
    line = line.rstrip("\n")
    if line.startswith("event: "):
        cur = line[7:]
    elif line.startswith("data: ") and cur == typ:
        d = json.loads(line[6:])
        ok = True
        for c in conds:
            k, _, v = c.partition("=")
            x = d
            for part in k.split("."):
                if isinstance(x, list) and part.isdigit():
                    x = x[int(part)] if int(part) < len(x) else None
                else:
                    x = x.get(part) if isinstance(x, dict) else None
            if str(x) != v:
                ok = False
        n += ok
print(n)
PY
}
# wait_ev SECONDS TYPE [KEY=VALUE...]: until one such event arrived.
wait_ev() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		[ "$(ev "$@")" -ge 1 ] && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

lp=$((base + 510))
"$PY" "$TOOLS/udprelay.py" --duration 80 --seed 5 --loss 0 \
	--control "127.0.0.1:$ctl" \
	--map "127.0.0.1:$relay=127.0.0.1:$lp" \
	--map "127.0.0.1:$((relay + 1))=127.0.0.1:$((lp + 1))" \
	--map "127.0.0.1:$((relay + 2))=127.0.0.1:$((lp + 2))" \
	--map "127.0.0.1:$((relay + 3))=127.0.0.1:$((lp + 3))" \
	>"$WORK/relay.json" 2>"$WORK/relay.log" &
PIDS+=($!)
check "the relay is ready" wait_for "$WORK/relay.log" "ready" 5
relayctl() {
	"$PY" - "$ctl" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(" ".join(sys.argv[2:]).encode(), ("127.0.0.1", int(sys.argv[1])))
print(s.recv(65536).decode().strip())
PY
}

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$AUTH" "$API/meetings/t/start")
check "the operator starts the meeting ($code)" test "$code" = 200
check "mcud starts its media" wait_for "$WORK/mcud.log" "media started" 10
for i in 0 1 2; do
	check "join event for leg$i" wait_ev 5 join meeting=t endpoint=leg$i
done
check "leg0 joins as the host" test "$(ev join endpoint=leg0 role=host)" = 1
check "leg1 joins as a branch" test "$(ev join endpoint=leg1 role=branch name='Điểm cầu 1')" = 1

for i in 0 2; do send_leg $i $base h264 opus 60; done
send_leg 1 $((relay - 510)) h264 opus 60

# Floor: leg2 asks, the operator grants.
floor() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H "$AUTH" \
		-H "Content-Type: application/json" \
		-d "{\"action\":\"$1\",\"endpoint\":\"leg2\"}" "$API/meetings/t/floor"
}
code=$(floor request)
check "leg2 asks for the floor ($code)" test "$code" = 200
check "floor event: leg2 queued" wait_ev 5 floor meeting=t mode=chaired holder=None queue.0=leg2
code=$(floor grant)
check "the operator grants it ($code)" test "$code" = 200
check "floor event: leg2 holds the floor" wait_ev 5 floor meeting=t holder=leg2
sleep 4 # media settles: a clean window before the loss

relayctl loss 10 fwd >/dev/null
check "packet-loss raised for leg1 within 10 s" \
	wait_ev 10 incident endpoint=leg1 kind=packet-loss state=raised
check "the incident names leg1's technician" test "$(ev incident endpoint=leg1 \
	kind=packet-loss state=raised technician.name='Kỹ thuật viên 1' \
	technician.phone='0900 000 001')" = 1
check "the log names the technician" \
	grep -q "incident: meeting t: endpoint leg1 (Điểm cầu 1) packet-loss: .*notify technician Kỹ thuật viên 1, 0900 000 001" \
	"$WORK/mcud.log"
relayctl loss 0 fwd >/dev/null
check "packet-loss cleared for leg1 within 15 s of the loss ending" \
	wait_ev 15 incident endpoint=leg1 kind=packet-loss state=cleared

relayctl outage 7000 fwd >/dev/null
check "no-video raised for leg1 during a 7 s outage" \
	wait_ev 9 incident endpoint=leg1 kind=no-video state=raised
check "no-video cleared when leg1's video is back" \
	wait_ev 8 incident endpoint=leg1 kind=no-video state=cleared
sleep 4 # the window after the outage
check "the packets lost in the outage raise no packet-loss" \
	test "$(ev incident endpoint=leg1 kind=packet-loss state=raised)" = 1
for i in 0 2; do
	check "no incident for leg$i" test "$(ev incident endpoint=leg$i)" = 0
done
check "no leave while the meeting runs" test "$(ev leave)" = 0

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$AUTH" "$API/meetings/t/stop")
check "the operator stops the meeting ($code)" test "$code" = 200
for i in 0 1 2; do
	check "leave event for leg$i (meeting-ended)" \
		wait_ev 5 leave meeting=t endpoint=leg$i reason=meeting-ended
done
check "mcud is still running" kill -0 "$MCUD_PID"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

read -r joined left inc open < <("$PY" - "$WORK/logbook.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
j = db.execute("SELECT COUNT(*) FROM participation").fetchone()[0]
l = db.execute("SELECT COUNT(*) FROM participation WHERE left_at IS NOT NULL"
               " AND reason = 'meeting-ended'").fetchone()[0]
kinds = sorted(r[0] for r in db.execute(
    "SELECT kind FROM incidents WHERE endpoint = 'leg1'"))
o = db.execute("SELECT COUNT(*) FROM incidents WHERE cleared_at IS NULL").fetchone()[0]
print(j, l, ",".join(kinds) or "-", o)
PY
)
check "logbook: three attendances ($joined)" test "${joined:-0}" = 3
check "logbook: each left when the meeting ended ($left)" test "${left:-0}" = 3
check "logbook: leg1's incidents ($inc)" test "${inc:-}" = "no-video,packet-loss"
check "logbook: no incident left open ($open)" test "${open:-1}" = 0
finish
