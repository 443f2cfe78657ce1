#!/usr/bin/env bash
# Issue 3: the same four-leg meeting with mixed codecs: VP8 and H.264
# video; Opus, G.722, PCMU and PCMA audio.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 4)
legs=(${LEGS:-h264/opus vp8/g722 h264/pcmu vp8/pcma})
python3 "$TOOLS/mkroster.py" --base $base --legs "$(IFS=,; echo "${legs[*]}")" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
for i in 0 1 2 3; do send_leg $i $base "${legs[$i]%/*}" "${legs[$i]#*/}" 14; done
sleep 1
for i in 0 1 2 3; do recv_leg $i 9; done
sleep 11
check_meeting 4
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
