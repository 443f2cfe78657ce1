#!/usr/bin/env bash
# Issue 3: host + three branches over static RTP legs with real ffmpeg
# peers (H.264 + Opus). From the decoded pictures and sound: the host sees
# the three branches and not itself; each branch sees the host as the
# largest area and not itself; each output carries the other legs' tones
# and not its own. Open floor: everyone is audible.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=43000
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus,h264/opus >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
for i in 0 1 2 3; do send_leg $i $base h264 opus 14; done
sleep 1
for i in 0 1 2 3; do recv_leg $i 9; done
sleep 11
check_meeting 4
grep -E "video encoders" "$WORK/mcud.log" | tail -1
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
