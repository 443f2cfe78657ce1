#!/usr/bin/env bash
# Operators' changes to a meeting survive and show: a meeting that starts
# in 30 minutes is started early with mcuctl (live, actual start ~ now,
# the roster's start kept as planned_start), extended by 15 minutes
# (end = planned end + 15), mcud restarted on the same --run-dir (still
# live, still extended: <run-dir>/overrides.json), stopped (ended) and
# started again (live). Also: logbook without --from, --json contacts.
. "$(dirname "$0")/../lib/common.sh"

MCUCTL=$BUILD/tools/mcuctl/mcuctl
if [ ! -x "$MCUCTL" ] || [ ! -x "$MCUD" ]; then
	echo "SKIP: mcud or mcuctl not built"
	exit 0
fi

head -c 32 /dev/urandom | base64 >"$WORK/api.token"
chmod 600 "$WORK/api.token"
API=$(free_port)
SIP=$(free_port)
BASE=$(python3 -c 'import random; print(random.randrange(20000, 30000, 1000))')
START=$(python3 -c '
import datetime, zoneinfo
t = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
print((t + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"))')
python3 "$SRC/tests/tools/mkroster.py" --base "$BASE" --legs h264/opus,h264/opus \
	--api-port "$API" --sip-port "$SIP" --token-file "$WORK/api.token" \
	--start-minute "$START" --minutes 60 >"$WORK/roster.yaml"
C=("$MCUCTL" -c "$WORK/roster.yaml")

start_mcud() { # log file
	"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 1 >"$1" 2>&1 &
	pid=$!; PIDS+=("$pid")
	for ((i = 0; i < 50; i++)); do
		"${C[@]}" health >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# meeting_is FIELD=VALUE...: checks on meeting t of GET /api/v1/meetings,
# the API's own JSON (mcuctl --json meetings). Values: a state name,
# "now" (within 90 s of now), "planned" (= planned_start/planned_end),
# "planned+15" (planned_end + 15 min), true/false.
meeting_is() {
	"${C[@]}" --json meetings >"$WORK/m.json" || return 1
	python3 - "$WORK/m.json" "$@" <<'EOF'
import datetime, json, sys
m = [x for x in json.load(open(sys.argv[1])) if x["id"] == "t"][0]
ts = lambda k: datetime.datetime.fromisoformat(m[k]).timestamp()
now = datetime.datetime.now().timestamp()
for arg in sys.argv[2:]:
    k, v = arg.split("=", 1)
    if v == "now":
        ok = abs(ts(k) - now) < 90
    elif v == "planned":
        ok = m[k] == m["planned_" + k]
    elif v == "planned+15":
        ok = ts(k) - ts("planned_" + k) == 15 * 60
    elif v.isdigit():
        ok = m[k] == int(v)
    elif v in ("true", "false"):
        ok = m[k] is (v == "true")
    else:
        ok = m[k] == v
    if not ok:
        print("  meeting t:", k, "is", m.get(k), "not", v, file=sys.stderr)
        sys.exit(1)
EOF
}

if ! start_mcud "$WORK/log1"; then
	fail "the API answers within 5 s"; cat "$WORK/log1"; finish; exit
fi
check "scheduled, start = planned start" meeting_is state=scheduled start=planned end=planned started_early=false
"${C[@]}" start t >/dev/null; rc=$?
check "mcuctl start t (rc=$rc)" test "$rc" = 0
check "live at once, actual start ~ now, planned start kept" \
	meeting_is state=live start=now end=planned started_early=true
check "the planned start is the roster's ($START)" \
	python3 -c 'import json,sys; m=[x for x in json.load(open(sys.argv[1])) if x["id"]=="t"][0]; sys.exit(not m["planned_start"].startswith(sys.argv[2]))' "$WORK/m.json" "$START"
"${C[@]}" start t >/dev/null 2>"$WORK/err.txt"; rc=$?
check "start of a live meeting: refused (rc=$rc)" bash -c "test $rc = 1 && grep -q 409 '$WORK/err.txt'"
"${C[@]}" extend t 15 >/dev/null; rc=$?
check "mcuctl extend t 15 (rc=$rc)" test "$rc" = 0
check "end = planned end + 15 min" meeting_is state=live start=now end=planned+15 extend_minutes=15
"${C[@]}" --json show t >"$WORK/show.json"
check "GET /meetings/t shows the same times" python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
b = [x for x in json.load(open(sys.argv[2])) if x["id"] == "t"][0]
for k in ("start", "end", "planned_start", "planned_end", "state"):
    assert a[k] == b[k], (k, a[k], b[k])
' "$WORK/show.json" "$WORK/m.json"
"${C[@]}" --lang en show t >"$WORK/show.txt"
eff=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["start"][:10], m["start"][11:16])' "$WORK/show.json")
check "mcuctl show prints the actual start ($eff)" grep -q "$eff" "$WORK/show.txt"
check "mcuctl show prints the planned times" grep -q "^Planned: .*started early; extended by 15 min" "$WORK/show.txt"
check "overrides.json written in the run dir" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
o = [x for x in d["overrides"] if x["meeting"] == "t"][0]
assert o["start"] and o["extend_minutes"] == 15, o
' "$WORK/run/overrides.json"
check "no temp file left" test ! -e "$WORK/run/overrides.json.tmp"

# restart on the same run dir
kill -TERM "$pid"; wait "$pid"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
if ! start_mcud "$WORK/log2"; then
	fail "restarted: the API answers within 5 s"; finish; exit
fi
check "after the restart: live, started early, extended" \
	meeting_is state=live start=now end=planned+15 started_early=true
check "the restart says it kept the changes" grep -q "keep the operators' changes" "$WORK/log2"

"${C[@]}" stop t >/dev/null; rc=$?
check "mcuctl stop t (rc=$rc)" test "$rc" = 0
check "stopped: ended, end = the stop" meeting_is state=ended stopped_by_operator=true end=now
"${C[@]}" start t >/dev/null 2>"$WORK/err.txt"; rc=$?
check "a stopped meeting in its window starts again (rc=$rc)" test "$rc" = 0
check "live again, still extended" meeting_is state=live end=planned+15 stopped_by_operator=false

# the logbook register without from: this half-year so far
"${C[@]}" --json logbook >"$WORK/logbook.json"; rc=$?
check "mcuctl logbook without --from (rc=$rc)" test "$rc" = 0
check "from = 1 Jan or 1 Jul, to = today, the meeting listed" python3 -c '
import datetime, json, sys, zoneinfo
d = json.load(open(sys.argv[1]))
today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).date()
f = d["from"][:10]
assert f == "%d-%02d-01" % (today.year, 1 if today.month <= 6 else 7), f
assert d["to"][:10] == (today + datetime.timedelta(days=1)).isoformat() \
    or d["to"][:10] == today.isoformat(), d["to"]
assert any("t" in (m.get("meeting_id"), m.get("id")) for m in d["meetings"]), d
' "$WORK/logbook.json"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/api/v1/logbook")
check "GET /api/v1/logbook without from: 200 ($code)" test "$code" = 200
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$API/api/v1/logbook?to=2026-02-30")
check "a bad to is still refused: 400 ($code)" test "$code" = 400

"${C[@]}" --json contacts >"$WORK/contacts.json"; rc=$?
check "mcuctl --json contacts is JSON (rc=$rc)" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WORK/contacts.json"
"${C[@]}" --json contacts --format csv >/dev/null 2>&1; rc=$?
check "--json with --format csv: usage error (rc=$rc)" test "$rc" = 2

kill -TERM "$pid"; wait "$pid"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
