#!/usr/bin/env bash
# The scheduler (issue 5): a `dial: out` meeting that starts at the next
# minute after mcud starts (the one after if that is under 15 s away) and
# lasts one minute. Before its start it is scheduled and nobody is called;
# at its start it goes live and calls its endpoint (a sipp UAS) within
# 3 s; at its end it ends and the endpoint gets its BYE within 3 s.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/sip.sh"
base=$(free_base 1)
sip=$(free_port)
api=$(free_port)
p1=$(free_port)
read -r start_epoch start_minute <<<"$(python3 -c "
import datetime, zoneinfo
tz = zoneinfo.ZoneInfo('Asia/Ho_Chi_Minh')
now = datetime.datetime.now(tz)
t = (now + datetime.timedelta(minutes=1)).replace(second=0, microsecond=0)
if (t - now).total_seconds() < 15:
    t += datetime.timedelta(minutes=1)
print(int(t.timestamp()), t.strftime('%Y-%m-%dT%H:%M'))")"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus --sip-branches 1 \
	--sip-ports "$p1" --dial out --start-minute "$start_minute" --minutes 1 \
	--sip-port "$sip" --api-port "$api" >"$WORK/roster.yaml"
cd "$WORK" || exit 1

uas sip1 "$p1" uas_answer.xml 200; s1=$UAS
check "mcud starts" start_mcud "$WORK/roster.yaml" "media workers"
check "meeting t is scheduled before its start ($start_minute)" \
	test "$(meeting_state t)" = scheduled
sleep 1
check "nobody is called before the start" bash -c "! grep -q 'calling sip1' '$WORK/mcud.log'"
# Wait for the start (at most 80 s away).
while [ "$(date +%s)" -lt "$start_epoch" ]; do sleep 0.5; done
check "sip1 is called and connected within 3 s of the start" wait_part t sip1 connected 3
check "the meeting is live" test "$(meeting_state t)" = live
end_epoch=$((start_epoch + 60))
while [ "$(date +%s)" -lt "$end_epoch" ]; do sleep 0.5; done
t0=$(date +%s%N)
for ((i = 0; i < 30; i++)); do kill -0 "$s1" 2>/dev/null || break; sleep 0.1; done
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$s1"; rc=$?
check "sip1 got its BYE at the end ($ms ms after it; sipp rc=$rc)" test "$rc" = 0 -a "$ms" -le 3000
check "the meeting has ended" test "$(meeting_state t)" = ended
grep -E "meeting t:|dialer" "$WORK/mcud.log" | head -6
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
