#!/usr/bin/env bash
# The test-run window end to end (issue 5 scheduler, roster-format.md
# test_run): a `dial: out` meeting whose test run is the current minute and
# which starts two minutes later. While the window lasts the API says
# `test-run`, the media run and the MCU calls its SIP endpoint (a sipp
# UAS) as it will at the start; at the window's end the call is hung up and
# the meeting is `scheduled` again; at its start it is `live` and the
# endpoint is called again. Under 3 minutes: the test run is this minute
# when at most 25 s of it are gone, else the next (then mcud starts with
# the meeting `scheduled` and nobody called; after 42 s the test waits for
# the next minute first).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port)
# sip1: one sipp for both calls (the test run's and the meeting's).
sipp -sf "$SRC/tests/data/sip/uas_answer.xml" -s sip1 -i 127.0.0.1 -p "$p1" \
	-mp "$(free_block 4)" -m 2 -timeout 240s >"$WORK/sipp.out" 2>&1 </dev/null &
PIDS+=($!)
check "sip1 listens" listening "$p1"
# The window: this minute when at most 25 s of it are gone (the test run
# then lasts 35-60 s), else the next one (mcud starts `scheduled`). Late in
# a minute, wait for the next: a loaded machine may take seconds to start
# mcud, and the "before the test run" checks need the window still ahead.
s=$(date +%S)
s=${s#0}
if [ "$s" -gt 42 ]; then sleep $((61 - s)); fi
read -r early tr_start tr_end start_epoch tr_minute start_minute <<<"$(python3 -c "
import datetime, zoneinfo
tz = zoneinfo.ZoneInfo('Asia/Ho_Chi_Minh')
now = datetime.datetime.now(tz)
t0 = now.replace(second=0, microsecond=0)
early = now.second > 25
if early:
    t0 += datetime.timedelta(minutes=1)
m = lambda k: t0 + datetime.timedelta(minutes=k)
f = '%Y-%m-%dT%H:%M'
print(int(early), int(t0.timestamp()), int(m(1).timestamp()), int(m(2).timestamp()),
      t0.strftime(f), m(2).strftime(f))")"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-ports "$p1" --dial out --start-minute "$start_minute" --minutes 1 \
	--test-run "$tr_minute" --test-run-minutes 1 \
	--sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
check "roster has the test run" grep -q "test_run: {start: $tr_minute" "$WORK/roster.yaml"
cd "$WORK" || exit 1
calls() { grep -c "calling sip1 at" "$WORK/mcud.log"; }
check "mcud starts" start_mcud "$WORK/roster.yaml" "media workers"
if [ "$early" = 1 ]; then
	check "scheduled before its test run" test "$(meeting_state t)" = scheduled
	check "nobody is called before the test run" test "$(calls)" = 0
	while [ "$(date +%s)" -lt "$tr_start" ]; do sleep 0.5; done
	sleep 1
fi
check "the meeting is in its test run" test "$(meeting_state t)" = test-run
check "the test run calls sip1 (dial: out) and it connects" wait_part t sip1 connected 5
check "the media run during the test run" wait_for "$WORK/mcud.log" "t: media started" 5
while [ "$(date +%s)" -lt "$tr_end" ]; do sleep 0.5; done
check "sip1 is hung up within 3 s of the test run's end" bash -c "
	for i in \$(seq 1 15); do grep -q 'test-run -> scheduled' '$WORK/mcud.log' &&
	grep -qE 'sip1.*(BYE|hung up|left)' '$WORK/mcud.log' && exit 0; sleep 0.2; done; exit 1"
check "the meeting is scheduled again" test "$(meeting_state t)" = scheduled
check "its media stopped" wait_for "$WORK/mcud.log" "t: media stopped" 5
calls_before=$(calls)
sleep 2
check "nobody is called between the test run and the start ($calls_before calls)" \
	test "$(calls)" = "$calls_before" -a "$calls_before" -ge 1
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.5; done
check "the meeting is live at its start" bash -c "for i in \$(seq 1 15); do
	[ \"\$(curl -sf http://127.0.0.1:$api/api/v1/meetings | python3 -c \"import json,sys
print({m['id']: m['state'] for m in json.load(sys.stdin)}['t'])\")\" = live ] && exit 0; sleep 0.2; done; exit 1"
check "sip1 is called again and connects within 3 s of the start" wait_part t sip1 connected 3
check "one more call at the start ($calls_before -> $(calls))" test "$(calls)" -gt "$calls_before"
grep -E "meeting t:|calling sip1" "$WORK/mcud.log" | head -8
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
