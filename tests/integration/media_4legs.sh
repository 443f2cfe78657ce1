#!/usr/bin/env bash
# Issue 3: host + three branches over static RTP legs with real ffmpeg
# peers (H.264 + Opus). From the decoded pictures and sound: the host sees
# the three branches and not itself; each branch sees the host as the
# largest area and not itself; each output carries the other legs' tones
# and not its own. Open floor: everyone is audible.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
base=$(free_base 4)
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus,h264/opus >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
for i in 0 1 2 3; do send_leg $i $base h264 opus 14; done
sleep 1
for i in 0 1 2 3; do recv_leg $i 9; done
sleep 11
check_meeting 4
grep -E "video encoders" "$WORK/mcud.log" | tail -1
# The ticks feed the histograms of /metrics.
curl -sf "http://127.0.0.1:$((base + 901))/metrics" >"$WORK/metrics.txt"
for s in 'mcu_tick_lateness_seconds_count{kind="video"}' 'mcu_tick_lateness_seconds_count{kind="audio"}' 'mcu_stage_seconds_count{stage="decode"}' \
	'mcu_stage_seconds_count{stage="compose"}' 'mcu_stage_seconds_count{stage="encode"}' \
	'mcu_stage_seconds_count{stage="mix"}'; do
	n=$(grep -F "$s " "$WORK/metrics.txt" | awk '{print $2}')
	check "/metrics $s ($n)" test "${n:-0}" -gt 100
done
if command -v promtool >/dev/null; then
	check "promtool check metrics" bash -c "promtool check metrics <'$WORK/metrics.txt'"
fi
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
