#!/usr/bin/env bash
# Issue 6 item 6: the test-run readiness report. A meeting in its test-run
# window (mkroster --test-run-now: the meeting itself is two days later)
# with three static RTP endpoints driven by real ffmpeg senders; leg 2
# sends audio only. The report marks leg 2 not ready with reason no-video
# and its technician's name and phone, legs 0 and 1 ready; the CSV export
# (Vietnamese and English headings) and mcuctl carry the rows; a readiness
# event is published; a receiver of a branch's output hears the 1 kHz test
# tone (1 s in every 5 s); the final report is in the logbook after the
# daemon stops (the test run is cut short).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
MCUCTL=$BUILD/tools/mcuctl/mcuctl
base=$(free_base 3)
API="http://127.0.0.1:$((base + 901))/api/v1"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,/opus \
	--technicians --test-run-now >"$WORK/roster.yaml"
check "mcud starts the test run" start_mcud "$WORK/roster.yaml"
check "meeting t is in state test-run" bash -c \
	"curl -sf '$API/meetings/t' | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"state\"] != \"test-run\")'"
curl -sN "$API/events" >"$WORK/events.txt" 2>/dev/null &
PIDS+=($!)

send_leg 0 $base h264 opus 60
send_leg 1 $base h264 opus 60
# leg 2: sound only (a terminal whose camera is off)
ffmpeg -nostdin -loglevel error -re -f lavfi \
	-i "sine=frequency=${TONES[2]}:sample_rate=48000" -t 60 \
	-c:a libopus -ar 48000 -payload_type 111 \
	-f rtp "rtp://127.0.0.1:$((base + 500 + 20 + 2))" >"$WORK/senda2.log" 2>&1 &
PIDS+=($!)
sleep 1
recv_leg 1 14
# The senders need a few seconds to start (more on a loaded machine),
# then a whole 5 s window is judged: wait for the three verdicts.
verdicts() {
	curl -sf "$API/meetings/t/readiness" | python3 -c '
import json, sys
print(" ".join(e["endpoint"] + "=" + e["verdict"] for e in json.load(sys.stdin)["endpoints"]))'
}
t0=$SECONDS
while ((SECONDS - t0 < 40)); do
	v=$(verdicts)
	[ "$v" = "leg0=ready leg1=ready leg2=not-ready" ] && break
	sleep 1
done
echo "verdicts after $((SECONDS - t0)) s: $v"

curl -sf "$API/meetings/t/readiness" >"$WORK/ready.json"
check "GET readiness answers JSON" python3 -c "import json; json.load(open('$WORK/ready.json'))"
python3 - "$WORK/ready.json" <<'PY' >"$WORK/ready.txt"
import json, sys
r = json.load(open(sys.argv[1]))
for e in r["endpoints"]:
    t = e["technician"] or {}
    print(e["endpoint"], e["verdict"], ",".join(e["reasons"]) or "-",
          e["video"]["fps"], e["audio"]["level_dbov"],
          e["video"]["loss_pct"], e["audio"]["loss_pct"],
          e["video"]["jitter_ms"], e["audio"]["jitter_ms"], e["rtt_ms"],
          "|", t.get("name"), "|", t.get("phone"))
print("limits", len(r["limits"]), "final", r["final"], "date", r["test_date"])
PY
cat "$WORK/ready.txt"
field() { awk -v e="$1" -v n="$2" '$1 == e { print $n }' "$WORK/ready.txt"; }
check "leg0 (host) ready" test "$(field leg0 2)" = ready
check "leg1 ready" test "$(field leg1 2)" = ready
check "leg2 not ready" test "$(field leg2 2)" = not-ready
check "leg2's reason is no-video only" test "$(field leg2 3)" = no-video
check "leg2's technician and phone" grep -q "^leg2 .*| Kỹ thuật viên 2 | 0900 000 002$" "$WORK/ready.txt"
check "ready legs decode >= 10 fps ($(field leg1 4))" ge "$(field leg1 4)" 10
check "leg2's sound is above the noise floor ($(field leg2 5) dBov)" ge "$(field leg2 5)" -50
check "the limits table is in the report" grep -q "^limits 7 final False" "$WORK/ready.txt"

curl -sf "$API/meetings/t/readiness?format=csv" >"$WORK/ready.csv"
check "CSV: Vietnamese headings" grep -q "^Mã điểm cầu,Tên điểm cầu,Vai trò,Kết quả,Lý do," "$WORK/ready.csv"
check "CSV: three rows" test "$(grep -c '^leg[0-9],' "$WORK/ready.csv")" = 3
check "CSV: leg2 not ready, no-video, technician" \
	grep -q "^leg2,Điểm cầu 2,Nhánh,Chưa sẵn sàng,no-video,.*,Kỹ thuật viên 2,0900 000 002" "$WORK/ready.csv"
check "CSV: leg1 ready" grep -q "^leg1,Điểm cầu 1,Nhánh,Sẵn sàng,," "$WORK/ready.csv"
curl -sf "$API/meetings/t/readiness?format=csv&lang=en" >"$WORK/ready-en.csv"
check "CSV lang=en: English headings" grep -q "^endpoint,name,role,verdict,reasons," "$WORK/ready-en.csv"
check "CSV lang=en: leg2 not ready" grep -q "^leg2,Điểm cầu 2,branch,not ready,no-video," "$WORK/ready-en.csv"
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/meetings/nosuch/readiness")
check "unknown meeting: 404 ($code)" test "$code" = 404
code=$(curl -s -o /dev/null -w '%{http_code}' "$API/meetings/t/readiness?format=xml")
check "bad format: 400 ($code)" test "$code" = 400

"$MCUCTL" --api "127.0.0.1:$((base + 901))" readiness t --format csv >"$WORK/ctl.csv"
check "mcuctl readiness --format csv has the rows" \
	test "$(grep -c '^leg[0-9],' "$WORK/ctl.csv")" = 3
"$MCUCTL" --api "127.0.0.1:$((base + 901))" --lang en readiness t >"$WORK/ctl.txt"
cat "$WORK/ctl.txt"
check "mcuctl readiness: leg2 not ready, no-video, phone" \
	grep -Eq "^leg2 +not-ready +no-video .*0900 000 002" "$WORK/ctl.txt"

check "SSE: a readiness event for leg2 not ready" bash -c \
	"grep -A1 '^event: readiness' '$WORK/events.txt' | grep -q '\"endpoint\": *\"leg2\".*\"not-ready\"'"

# Stopping the daemon cuts the test run short: the report is final and
# stored in the logbook, keyed by meeting and test-run date (below).
while ((SECONDS - t0 < 15)); do sleep 1; done # the receiver's 14 s
kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0

# The test tone: 1 kHz at -20 dBFS (3277 peak) for 1 s in every 5 s in
# what a branch receives, besides the others' tones.
sleep 1
python3 - "$WORK/out1.wav" <<'PY' >"$WORK/tone.txt"
import math, struct, sys, wave
wv = wave.open(sys.argv[1]); sr = wv.getframerate()
# what is in the file: a receiver still writing has not set the header's
# sizes yet (nframes reads 0x7fffffff)
raw = wv.readframes(wv.getnframes())
s = struct.unpack(f"<{len(raw) // 2}h", raw[:len(raw) // 2 * 2])
blk = sr // 10
amps = []
for b in range(0, len(s) - blk, blk):
    w = 2 * math.pi * 1000 / sr; c = 2 * math.cos(w); s1 = s2 = 0.0
    for x in s[b:b + blk]:
        s1, s2 = x + c * s1 - s2, s1
    amps.append(2 * math.sqrt(max(0.0, s1 * s1 + s2 * s2 - c * s1 * s2)) / blk)
on = [a > 1500 for a in amps]
runs, starts, n = [], [], 0
for i, v in enumerate(on + [False]):
    if v:
        if not n: starts.append(i)
        n += 1
    elif n: runs.append(n); n = 0
gaps = [b - a for a, b in zip(starts, starts[1:])]
print(len(amps), sum(on), round(max(amps) if amps else 0),
      ",".join(map(str, runs)) or "-", ",".join(map(str, gaps)) or "-")
PY
read -r blocks toned peak runs gaps <"$WORK/tone.txt"
echo "tone: $blocks blocks of 100 ms, $toned with 1 kHz, peak $peak, runs $runs, starts apart $gaps"
check "a branch hears the 1 kHz test tone (peak $peak)" ge "${peak:-0}" 2500
check "the tone is ~3277 peak (-20 dBFS), not louder (peak $peak)" le "${peak:-0}" 4200
check "tone bursts of ~1 s, 5 s apart (runs $runs, apart $gaps)" python3 -c "
r = [int(x) for x in '$runs'.split(',') if x != '-']
g = [int(x) for x in '$gaps'.split(',') if x != '-']
inner = r[1:-1] if len(r) > 2 else r  # the first and last may be cut
ok = len(g) >= 1 and all(47 <= x <= 53 for x in g) and all(8 <= x <= 12 for x in inner)
raise SystemExit(0 if ok else 1)"

date=$(python3 -c "import json; print(json.load(open('$WORK/ready.json'))['test_date'])")
python3 - "$WORK/logbook.db" "$date" <<'PY' >"$WORK/lb.txt"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute("SELECT endpoint, ready, reasons, technician, phone"
                      " FROM readiness WHERE meeting_id = 't' AND test_date = ?"
                      " ORDER BY endpoint", (sys.argv[2],)):
    print("|".join(str(x) for x in row))
PY
cat "$WORK/lb.txt"
check "logbook: three rows for t on $date" test "$(wc -l <"$WORK/lb.txt")" = 3
check "logbook: leg2 not ready, no-video, technician" \
	grep -qx "leg2|0|no-video|Kỹ thuật viên 2|0900 000 002" "$WORK/lb.txt"
check "logbook: leg0, leg1 ready" test "$(grep -c '^leg[01]|1||' "$WORK/lb.txt")" = 2
check "SSE: a readiness event for leg0 ready" bash -c \
	"grep -A1 '^event: readiness' '$WORK/events.txt' | grep -q '\"endpoint\": *\"leg0\".*\"verdict\": *\"ready\"'"
finish
