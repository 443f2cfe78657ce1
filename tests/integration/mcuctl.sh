#!/usr/bin/env bash
# mcuctl against a running mcud: the daemon on a copy of the example roster
# with its API on a free loopback port and a token file; mcuctl reads the
# address and token from the same file (-c). Skips (exit 0) while the
# daemon does not start the API.
. "$(dirname "$0")/../lib/common.sh"

MCUCTL=$BUILD/tools/mcuctl/mcuctl
if [ ! -x "$MCUCTL" ] || [ ! -x "$MCUD" ]; then
	echo "SKIP: mcud or mcuctl not built"
	exit 0
fi

head -c 32 /dev/urandom | base64 >"$WORK/api.token"
chmod 600 "$WORK/api.token"
local_roster "$SRC/conf/examples/cantho.yaml" "$WORK/roster0.yaml"
port=$API_PORT
sed -e "s|^\(\s*\)# token_file absent.*|\1token_file: $WORK/api.token|" \
    "$WORK/roster0.yaml" >"$WORK/roster.yaml"
grep -q "127.0.0.1:$port" "$WORK/roster.yaml" || { fail "roster copy has the API port"; finish; exit; }
grep -q "token_file: $WORK/api.token" "$WORK/roster.yaml" || { fail "roster copy has the token file"; finish; exit; }

"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run" --workers 2 >"$WORK/log" 2>&1 &
pid=$!; PIDS+=("$pid")

up=0
for ((i = 0; i < 50; i++)); do
	if "$MCUCTL" --api "127.0.0.1:$port" health >/dev/null 2>&1; then up=1; break; fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ "$up" = 0 ]; then
	fail "the API answers on 127.0.0.1:$port within 5 s"
	finish
	exit
fi

C=("$MCUCTL" -c "$WORK/roster.yaml")
check "mcuctl health" "${C[@]}" health
"${C[@]}" meetings >"$WORK/meetings.txt"; rc=$?
check "mcuctl meetings exits 0" test "$rc" = 0
check "table in Vietnamese" grep -q "Trạng thái" "$WORK/meetings.txt"
check "lists the example meeting" grep -q "giao-ban-2026-12-07" "$WORK/meetings.txt"

"${C[@]}" --json meetings >"$WORK/meetings.json"
check "--json meetings is the API's JSON" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
ids = [x["id"] for x in m]
assert "giao-ban-2026-12-07" in ids, ids
for x in m:
    assert x["state"] in ("scheduled", "test-run", "live", "ended"), x
    assert set(x["participants"]) >= {"planned", "connected"}, x
' "$WORK/meetings.json"

"${C[@]}" show giao-ban-2026-12-07 >"$WORK/show.txt"; rc=$?
check "mcuctl show exits 0" test "$rc" = 0
check "show names the host and a branch" bash -c "grep -q ubnd-tp '$WORK/show.txt' && grep -q ubnd-ninh-kieu '$WORK/show.txt'"
check "show in Vietnamese" grep -q "Điểm cầu" "$WORK/show.txt"

"${C[@]}" --lang en meetings >"$WORK/meetings-en.txt"
check "--lang en headings" grep -q "State" "$WORK/meetings-en.txt"
check "--lang en has no Vietnamese heading" bash -c "! grep -q 'Trạng thái' '$WORK/meetings-en.txt'"

"${C[@]}" show no-such-meeting >/dev/null 2>"$WORK/err.txt"; rc=$?
check "unknown meeting: exit 1 (rc=$rc)" test "$rc" = 1
check "unknown meeting: message" grep -q "404" "$WORK/err.txt"

"$MCUCTL" --api "127.0.0.1:$port" --token wrong-token-0123456789 start giao-ban-2026-12-07 2>"$WORK/err2.txt"; rc=$?
check "wrong token refused (rc=$rc)" bash -c "test $rc = 1 && grep -q 403 '$WORK/err2.txt'"

"${C[@]}" contacts --format csv >"$WORK/contacts.csv"
check "contacts register as CSV" grep -q "^endpoint,name,tier,role" "$WORK/contacts.csv"

curl -sf "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt"
check "/metrics answers" grep -q "^# TYPE mcu_" "$WORK/metrics.txt"
if command -v promtool >/dev/null; then
	check "promtool check metrics" bash -c "promtool check metrics <'$WORK/metrics.txt'"
fi

kill -TERM "$pid"; wait "$pid"; rc=$?
check "mcud stops cleanly with the API running (rc=$rc)" test "$rc" = 0
finish
