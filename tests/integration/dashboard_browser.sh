#!/usr/bin/env bash
# Issue 6 item 1: the dashboard in a real browser. A chaired meeting of
# static legs with real ffmpeg senders (host red; branch 1 a moving test
# pattern, branch 2 blue); branch 2 is queued for the floor through the
# API. Headless Chromium (Debian's, driven by playwright-core from
# tests/browser, both installed by make deps) opens the dashboard
# (tests/browser/dashboard.mjs):
#  - the participant table lists the API's participants, connected, with
#    codec, size and fps; the meeting list shows the meeting live;
#  - the host's live picture loads and changes over time (a new fetch with
#    other pixels), the branches' picture loads;
#  - the token typed into the page is kept; clicking grant on the queued
#    request makes branch 2 the holder on the page, and (curl) in the API;
#  - the English toggle changes the labels, is kept over a reload, and
#    toggles back; no script error, no 404 (the icon is served);
#  - open incidents: branch 2's video sender is stopped (node kills it):
#    the panel shows its no-video incident with its technician's name and
#    phone from the roster (event stream), and again after a reload (GET
#    /api/v1/incidents);
#  - the record button starts and stops a recording, the content picker
#    plays the meeting's clip and its stop button stops it (both checked
#    through the API);
#  - meeting r (two more legs, no media) is in its test run: the
#    readiness section shows its report as the API has it.
# Then mcuctl show prints the content and recording lines (vi, en), and
# mcuctl incidents the open incident.
# Screenshots (Vietnamese and English) are kept in $WORK/shots and
# $BUILD/test-artifacts/; with DASHBOARD_DOCS=1 they are also copied to
# docs/images/ for the operator guide. Skipped only when chromium is not
# installed.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	echo "skip - $CHROMIUM is not installed (make deps installs it)"
	finish
	exit 0
fi
BROWSER_DIR=$SRC/tests/browser
if ! command -v node >/dev/null || [ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]; then
	fail "node and $BROWSER_DIR/node_modules/playwright-core are there (run make deps)"
	finish
	exit 1
fi

base=$(free_base 5)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
head -c 24 /dev/urandom | base64 >"$WORK/token"
# The meeting's content: a short clip (a moving pattern and a tone), made
# while mcud starts (it is read only when played).
mkdir -p "$WORK/slides" "$WORK/rec"
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=s=320x240:r=10" \
	-f lavfi -i "sine=frequency=660:sample_rate=48000" -t 40 \
	-c:v libx264 -preset ultrafast -g 10 -c:a aac -y "$WORK/slides/clip.mp4" \
	>"$WORK/mkclip.log" 2>&1 &
CLIP_PID=$!
PIDS+=("$CLIP_PID")
# Meeting t (live): leg0 hosts leg1 and leg2; meeting r (in its test run,
# two days ahead): leg3 hosts leg4, neither sends anything.
python3 "$TOOLS/mkroster.py" --base $base --technicians \
	--legs h264/opus,h264/opus,h264/opus,h264/opus,h264/opus \
	--floor chaired --host-layout grid-2x2 --branch-layout host+floor \
	--api-port "$api" --sip-port "$(free_port)" --token-file "$WORK/token" |
	python3 -c '
import datetime, sys, zoneinfo
work = sys.argv[1]
tz = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")
now = datetime.datetime.now(tz)
f = lambda d: (now + d).strftime("%Y-%m-%dT%H:%M")
y = sys.stdin.read()
y = y.replace("branches: [leg1, leg2, leg3, leg4]", "branches: [leg1, leg2]")
y = y.replace("mcu:\n", "mcu:\n  recordings: \"%s/rec\"\n" % work, 1)
y = y.rstrip("\n") + "\n" + "\n".join([
    "    content: [\"%s/slides/clip.mp4\"]" % work,
    "  - id: r",
    "    title: \"Chạy thử\"",
    "    host: leg3",
    "    branches: [leg4]",
    "    start: " + f(datetime.timedelta(days=2)),
    "    end: " + f(datetime.timedelta(days=2, hours=1)),
    "    announced: " + (now - datetime.timedelta(days=14)).strftime("%Y-%m-%d"),
    "    floor: open",
    "    dial: in",
    "    test_run: {start: %s, end: %s}" % (f(datetime.timedelta(minutes=-5)),
                                          f(datetime.timedelta(minutes=60))),
]) + "\n"
sys.stdout.write(y)' "$WORK" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
A="http://127.0.0.1:$api"
SECS=120 # senders outlive the test; cleanup stops them

send_leg 0 $base h264 opus $SECS
send_leg 2 $base h264 opus $SECS
V2=${PIDS[-2]} # branch 2's video sender: stopped by the browser test
# Branch 1: a moving pattern, so the host's picture changes over time.
ffmpeg -nostdin -loglevel error -re -f lavfi -i "testsrc2=s=640x360:r=25" -t $SECS \
	-c:v libx264 -preset ultrafast -tune zerolatency -profile:v baseline -g 25 \
	-payload_type 96 -f rtp "rtp://127.0.0.1:$((base + 510))" >"$WORK/send1.log" 2>&1 &
PIDS+=($!)
send_audio 1 $base $SECS

for ((k = 0; k < 100; k++)); do
	n=$(curl -s "$A/api/v1/meetings/t/participants" | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin)
          if ((p.get("video") or {}).get("in") or {}).get("frames_decoded", 0) > 10))' 2>/dev/null)
	[ "${n:-0}" -ge 3 ] && break
	sleep 0.2
done
check "three legs decoded (${n:-0})" test "${n:-0}" -ge 3

# Branch 2 asks for the floor (as DTMF *1 would).
c=$(curl -s -o "$WORK/request.json" -w '%{http_code}' -X POST \
	-H "Authorization: Bearer $(cat "$WORK/token")" -H 'Content-Type: application/json' \
	-d '{"action":"request","endpoint":"leg2"}' "$A/api/v1/meetings/t/floor")
check "POST floor request for leg2: 200 ($c)" test "$c" = 200
st=$(floor_state "$api")
check "leg2 is queued, nobody holds the floor ($st)" test "$st" = "None leg0 leg2"

wait "$CLIP_PID"
check "ffmpeg made the content clip (rc=$?)" test -s "$WORK/slides/clip.mp4"
mkdir -p "$WORK/shots"
t0=$(date +%s)
DASH_URL=$A DASH_TOKEN=$(cat "$WORK/token") DASH_MEETING=t DASH_QUEUED=leg2 \
	DASH_SHOTS="$WORK/shots" CHROMIUM=$CHROMIUM DASH_STOP_PID=$V2 \
	DASH_STOP_EP=leg2 DASH_CLIP="$WORK/slides/clip.mp4" DASH_TESTRUN=r \
	timeout 240 node "$BROWSER_DIR/dashboard.mjs" >"$WORK/browser.out" 2>"$WORK/browser.err"
brc=$?
t1=$(date +%s)
while IFS= read -r line; do
	case $line in
	"ok   - "*) ok "browser: ${line#ok   - }" ;;
	"FAIL - "*) fail "browser: ${line#FAIL - }" ;;
	*) echo "$line" ;;
	esac
done <"$WORK/browser.out"
sed 's/^/  node: /' "$WORK/browser.err" | head -20
check "the browser run ends well in $((t1 - t0)) s (rc=$brc)" test "$brc" = 0

# The grant made in the page, seen through the API.
st=$(floor_state "$api")
check "the API has leg2 holding the floor after the click ($st)" test "$st" = "leg2 leg2 -"
r=$(role_of "$api" leg2)
check "leg2's floor role is holder ($r)" test "$r" = holder

# The recording the page started and stopped.
rec=$(ls "$WORK"/rec/t-*.mkv 2>/dev/null | head -1)
check "the page's recording left a file in mcu.recordings (${rec##*/}, $(stat -c %s "$rec" 2>/dev/null) B)" \
	test -s "${rec:-/nonexistent}"

# mcuctl show: the content and recording lines.
MCUCTL=("$BUILD/tools/mcuctl/mcuctl" --api "127.0.0.1:$api" --token-file "$WORK/token")
"${MCUCTL[@]}" content t "$WORK/slides/clip.mp4" >"$WORK/mcuctl-content.out" 2>&1
check "mcuctl content t clip.mp4 (rc=$?)" test $? = 0
"${MCUCTL[@]}" show t >"$WORK/show.vi" 2>&1
"${MCUCTL[@]}" --lang en show t >"$WORK/show.en" 2>&1
line=$(grep '^Trình chiếu:' "$WORK/show.vi")
check "mcuctl show: the content line ($line)" \
	bash -c "[[ '$line' == 'Trình chiếu: $WORK/slides/clip.mp4  '*' / 40.0 s'* ]]"
line=$(grep '^Content:' "$WORK/show.en")
check "mcuctl --lang en show: the content line ($line)" \
	bash -c "[[ '$line' == 'Content: $WORK/slides/clip.mp4  '* ]]"
line=$(grep '^Ghi hình:' "$WORK/show.vi")
check "mcuctl show: the recording line names the last file, stopped ($line)" \
	bash -c "[[ '$line' == 'Ghi hình: không  $rec  '* ]]"
line=$(grep '^Recording:' "$WORK/show.en")
check "mcuctl --lang en show: the recording line ($line)" \
	bash -c "[[ '$line' == 'Recording: no  $rec  '* ]]"
"${MCUCTL[@]}" content t --stop >/dev/null 2>&1
"${MCUCTL[@]}" show t >"$WORK/show.vi" 2>&1
line=$(grep '^Trình chiếu:' "$WORK/show.vi")
check "mcuctl show after the stop: nothing plays ($line)" test "$line" = "Trình chiếu: không có"

# mcuctl incidents: leg2's no-video is still open (its sender stays off).
"${MCUCTL[@]}" incidents >"$WORK/incidents.vi" 2>&1
"${MCUCTL[@]}" --lang en incidents >"$WORK/incidents.en" 2>&1
line=$(grep ' leg2 ' "$WORK/incidents.vi")
check "mcuctl incidents lists leg2's no-video with its technician ($line)" \
	bash -c "[[ '$line' == 't '*'leg2 '*'mất hình '*'no video for '*'Kỹ thuật viên 2  0900 000 002' ]]"
line=$(grep ' leg2 ' "$WORK/incidents.en")
check "mcuctl --lang en incidents ($line)" \
	bash -c "[[ '$line' == 't '*'leg2 '*'no video '*'Kỹ thuật viên 2  0900 000 002' ]]"

for f in dashboard.png dashboard.en.png; do
	check "screenshot $f saved" test -s "$WORK/shots/$f"
done
art=$BUILD/test-artifacts
mkdir -p "$art" && cp "$WORK"/shots/*.png "$art/" 2>/dev/null
if [ "${DASHBOARD_DOCS:-0}" != 0 ]; then
	cp "$WORK/shots/dashboard.png" "$WORK/shots/dashboard.en.png" "$SRC/docs/images/" &&
		echo "screenshots copied to $SRC/docs/images/"
fi

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
