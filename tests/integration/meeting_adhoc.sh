#!/usr/bin/env bash
# Ad-hoc meetings (issue 5): an operator creates an emergency meeting at
# run time with `mcuctl create`; it is live at once and dials out its two
# SIP endpoints (sipp UAS). A second meeting sharing an endpoint at the
# same time is refused 409, one without a host 400, one without the token
# 401. A reload keeps it; a broken roster's reload is refused 409. The
# meeting is kept in <run-dir>/adhoc.yaml: after a restart of
# mcud it is live again and calls its endpoints again.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port) p2=$(free_port)
head -c 32 /dev/urandom | base64 >"$WORK/token"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 2 \
	--sip-ports "$p1,$p2" --no-meeting --sip-port "$sip" --api-port "$api" \
	--token-file "$WORK/token" >"$WORK/roster.yaml"
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
URL="http://127.0.0.1:$api/api/v1/meetings"
cd "$WORK" || exit 1

uas sip1 "$p1" uas_answer.xml; s1=$UAS
uas sip2 "$p2" uas_answer.xml; s2=$UAS
check "mcud starts with a roster without meetings" start_mcud "$WORK/roster.yaml" "media workers"
check "no meeting khan1 yet" test "$(meeting_state khan1)" = absent

code=$(curl -s -o "$WORK/noauth.json" -w '%{http_code}' -X POST "$URL" \
	-H "Content-Type: application/json" \
	-d '{"host": "sip1", "branches": ["sip2"]}')
check "create without the token: 401 ($code)" test "$code" = 401
"${MCUCTL[@]}" create sip1 sip2 --minutes 30 --emergency --id khan1 \
	--title "Họp khẩn: mưa lớn" >"$WORK/create.out" 2>&1; rc=$?
check "mcuctl create (rc=$rc): $(tail -1 "$WORK/create.out")" test "$rc" = 0
check "it names the meeting" grep -q "khan1" "$WORK/create.out"
check "the meeting is live" test "$(meeting_state khan1)" = live
check "sip1 (host) is called and connected" wait_part khan1 sip1 connected 10
check "sip2 is called and connected" wait_part khan1 sip2 connected 10
title=$(curl -sf "$URL/khan1" | python3 -c "import json,sys; j=json.load(sys.stdin); print(j['title'], j['emergency'])")
check "title and emergency kept ($title)" test "$title" = "Họp khẩn: mưa lớn True"

auth=(-H "Authorization: Bearer $(cat "$WORK/token")" -H "Content-Type: application/json")
code=$(curl -s -o "$WORK/overlap.json" -w '%{http_code}' "${auth[@]}" -X POST "$URL" \
	-d '{"host": "leg0", "branches": ["sip2"], "minutes": 10}')
check "a meeting sharing sip2 now: 409 ($code $(cat "$WORK/overlap.json"))" \
	bash -c "test $code = 409 && grep -q overlap '$WORK/overlap.json'"
code=$(curl -s -o "$WORK/nohost.json" -w '%{http_code}' "${auth[@]}" -X POST "$URL" \
	-d '{"branches": ["sip2"]}')
check "a meeting without host: 400 ($code)" test "$code" = 400
code=$(curl -s -o "$WORK/bad.json" -w '%{http_code}' "${auth[@]}" -X POST "$URL" \
	-d '{"host": "leg0", "branches": ["nobody"]}')
check "an unknown branch: 400 ($code $(cat "$WORK/bad.json"))" test "$code" = 400
check "kept in the run directory" grep -q '"id":"khan1"' "$WORK/run/adhoc.yaml"

cp "$WORK/roster.yaml" "$WORK/roster.good"
printf 'endpoints: [oops\n' >>"$WORK/roster.yaml"
"${MCUCTL[@]}" reload >"$WORK/reload-bad.out" 2>&1; rc=$?
check "mcuctl reload of a broken roster fails (rc=$rc): $(tail -1 "$WORK/reload-bad.out")" \
	bash -c "test $rc != 0 && grep -q 409 '$WORK/reload-bad.out'"
cp "$WORK/roster.good" "$WORK/roster.yaml"
"${MCUCTL[@]}" reload >"$WORK/reload.out" 2>&1; rc=$?
check "mcuctl reload of the good roster (rc=$rc)" test "$rc" = 0
check "the ad-hoc meeting survives the reload" test "$(meeting_state khan1)" = live

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
wait "$s1"; wait "$s2"
uas sip1 "$p1" uas_answer.xml; s1=$UAS
uas sip2 "$p2" uas_answer.xml; s2=$UAS
mv "$WORK/mcud.log" "$WORK/mcud1.log"
check "mcud starts again" start_mcud "$WORK/roster.yaml"
check "the ad-hoc meeting is live again" test "$(meeting_state khan1)" = live
check "and calls its endpoints again" wait_part khan1 sip2 connected 10
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly again (rc=$rc)" test "$rc" = 0
finish
