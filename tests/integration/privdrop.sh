#!/usr/bin/env bash
# Issue 7 item 4: mcud started as root with --user nobody binds SIP and the
# API, then runs as nobody: /proc/PID/status shows uid/gid 65534 in all four
# slots, no supplementary group but nogroup, no capabilities; the API and
# SIP still answer, the meeting's media starts (RTP bound after the drop),
# the logbook and the run directory's files belong to nobody. An unknown
# user stops mcud before it binds anything. The same through the roster:
# mcu.user (no --user) drops the same way; an unknown mcu.user stops
# mcud before it binds; --user wins over mcu.user. Skipped when not root.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	echo "skip - not root (or no user nobody): the drop is not tested"
	finish
	exit
fi
uid=$(id -u nobody) gid=$(id -g nobody)
chmod 711 "$WORK"
mkdir -p "$WORK/state"
chown nobody: "$WORK/state"
base=$(free_base 2)
sip=$((base + 900)) api=$((base + 901))
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus |
	sed -e "s|$WORK/logbook.db|$WORK/state/logbook.db|" >"$WORK/roster.yaml"
check "the roster's logbook is in the nobody-owned directory" grep -q "$WORK/state/logbook.db" "$WORK/roster.yaml"
# mcu.user instead of --user: the same roster with "user: nobody", and
# one with a user that does not exist.
sed -e 's/^mcu:$/mcu:\n  user: nobody/' "$WORK/roster.yaml" >"$WORK/roster-user.yaml"
sed -e 's/^mcu:$/mcu:\n  user: no-such-user-mcud/' "$WORK/roster.yaml" >"$WORK/roster-baduser.yaml"
check "the roster names mcu.user" grep -q "^  user: nobody$" "$WORK/roster-user.yaml"
check "mcud --check accepts mcu.user" "$MCUD" --check "$WORK/roster-user.yaml"

"$MCUD" -c "$WORK/roster.yaml" --run-dir "$WORK/run2" --user no-such-user-mcud \
	>"$WORK/bad.log" 2>&1
rc=$?
check "an unknown --user stops mcud (rc=$rc)" test "$rc" != 0
check "it says why" grep -q "no-such-user-mcud" "$WORK/bad.log"
check "it bound nothing first" bash -c "! grep -q 'SIP listens' '$WORK/bad.log'"
"$MCUD" -c "$WORK/roster-baduser.yaml" --run-dir "$WORK/run3" >"$WORK/bad2.log" 2>&1
rc=$?
check "an unknown mcu.user stops mcud (rc=$rc)" test "$rc" != 0
check "it says why (mcu.user)" grep -q "mcu.user no-such-user-mcud" "$WORK/bad2.log"
check "it bound nothing first (mcu.user)" bash -c "! grep -q 'SIP listens' '$WORK/bad2.log'"
# --user wins over mcu.user: the unknown user of the roster is not used.
"$MCUD" -c "$WORK/roster-baduser.yaml" --run-dir "$WORK/run4" --workers 1 \
	--io-threads 1 --user nobody >"$WORK/wins.log" 2>&1 &
wins=$!
PIDS+=("$wins")
check "--user nobody wins over the roster's unknown mcu.user" \
	wait_for "$WORK/wins.log" "running as nobody (uid $uid, gid $gid)" 15
check "that mcud runs as nobody" grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "/proc/$wins/status"
kill -TERM "$wins"; wait "$wins"; rc=$?
check "it stops cleanly (rc=$rc)" test "$rc" = 0

# The full run takes the user from the roster (mcu.user: nobody); the
# checks below are those of --user.
"$MCUD" -c "$WORK/roster-user.yaml" --run-dir "$WORK/run" --workers 2 --io-threads 1 \
	>"$WORK/mcud.log" 2>&1 &
MCUD_PID=$!
PIDS+=("$MCUD_PID")
check "mcud starts the meeting as nobody (mcu.user)" wait_for "$WORK/mcud.log" "media started" 15
check "it logs the drop" wait_for "$WORK/mcud.log" "running as nobody (uid $uid, gid $gid)" 5
st=/proc/$MCUD_PID/status
grep -E "^(Uid|Gid|Groups|CapEff|CapPrm|NoNewPrivs):" "$st"
check "Uid: $uid in all four slots" grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "$st"
check "Gid: $gid in all four slots" grep -Eq "^Gid:\s+$gid\s+$gid\s+$gid\s+$gid$" "$st"
check "no other supplementary group" grep -Eq "^Groups:\s+($gid)?\s*$" "$st"
check "no effective capability" grep -Eq "^CapEff:\s+0+$" "$st"
# Every thread, not just the main one.
bad=0
for t in /proc/$MCUD_PID/task/*/status; do
	grep -Eq "^Uid:\s+$uid\s+$uid\s+$uid\s+$uid$" "$t" || bad=$((bad + 1))
done
check "every thread runs as nobody ($bad not)" test "$bad" = 0
check "the API answers" curl -sf --max-time 3 "http://127.0.0.1:$api/api/v1/health" -o /dev/null
python3 "$TOOLS/sipflood.py" --src 127.0.0.1 --dst 127.0.0.1:$sip --count 1 \
	--method OPTIONS --linger 1 >"$WORK/options.json"
check "SIP answers OPTIONS ($(cat "$WORK/options.json"))" grep -q '"200": 1' "$WORK/options.json"
check "the logbook belongs to nobody" test "$(stat -c %u "$WORK/state/logbook.db")" = "$uid"
sdp=$(find "$WORK/run" -name 'leg0.sdp' | head -1)
check "the leg SDP was written after the drop, owned by nobody" \
	test -n "$sdp" -a "$(stat -c %u "${sdp:-/}")" = "$uid"
check "the run directory was given to nobody" test "$(stat -c %u "$WORK/run")" = "$uid"
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
