#!/usr/bin/env bash
# Issue 6 item 1: live stills and the dashboard. A chaired meeting of static
# legs with real ffmpeg senders (host red, branches green and blue); the
# host sees a 2x2 grid of the branches, the branches see the host alone.
#  - before any leg sends, the host's view shows cards, no picture; an
#    unknown meeting or role: 404;
#  - GET views/host.jpg and views/branches.jpg are JPEGs (ffprobe: mjpeg,
#    at most 640 wide, 16:9) showing the expected colours;
#  - a burst of requests is served from the cache (same bytes);
#  - GET / is the dashboard page (HTML naming its script and style sheet),
#    served without a token; /dashboard.js and /dashboard.css likewise;
# The page in a real browser (pictures, floor grant, language): see
# dashboard_browser.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/media.sh"
. "$(dirname "$0")/../lib/floor.sh"
base=$(free_base 3)
[ -n "$base" ] || { fail "no free base port"; finish; exit 1; }
api=$(free_port)
head -c 24 /dev/urandom | base64 >"$WORK/token"
python3 "$TOOLS/mkroster.py" --base $base --legs h264/opus,h264/opus,h264/opus \
	--floor chaired --host-layout grid-2x2 --branch-layout host \
	--api-port "$api" --token-file "$WORK/token" >"$WORK/roster.yaml"
check "mcud starts the meeting" start_mcud "$WORK/roster.yaml"
A="http://127.0.0.1:$api"

code() { curl -s -o "${2:-/dev/null}" -w '%{http_code}' "$1"; }

# Static legs are in from the start: before anyone sends, the host sees
# the branches' "no video" cards (neither green nor blue).
sleep 0.5
c=$(code "$A/api/v1/meetings/t/views/host.jpg" "$WORK/cards.jpg")
check "host view before any picture: 200 ($c)" test "$c" = 200
g=$(colour_of "$WORK/cards.jpg" 0 green)
b=$(colour_of "$WORK/cards.jpg" 0 blue)
check "it shows cards, no picture (green $g, blue $b)" bash -c "$(declare -f le); le $g 0.01 && le $b 0.01"
c=$(code "$A/api/v1/meetings/nope/views/host.jpg")
check "unknown meeting: 404 ($c)" test "$c" = 404
c=$(code "$A/api/v1/meetings/t/views/side.jpg")
check "unknown role: 404 ($c)" test "$c" = 404

for i in 0 1 2; do send_leg $i $base h264 opus 20; done
# Wait until every leg's picture is in (decoded pictures in the API).
for ((k = 0; k < 100; k++)); do
	n=$(curl -s "$A/api/v1/meetings/t/participants" | python3 -c '
import json, sys
print(sum(1 for p in json.load(sys.stdin)
          if ((p.get("video") or {}).get("in") or {}).get("frames_decoded", 0) > 10))' 2>/dev/null)
	[ "${n:-0}" -ge 3 ] && break
	sleep 0.2
done
check "three legs decoded (${n:-0})" test "${n:-0}" -ge 3
sleep 1

for role in host branches; do
	t0=$(date +%s%N)
	c=$(code "$A/api/v1/meetings/t/views/$role.jpg" "$WORK/$role.jpg")
	t1=$(date +%s%N)
	check "$role.jpg: 200 ($c), $(stat -c %s "$WORK/$role.jpg" 2>/dev/null) bytes in $(((t1 - t0) / 1000000)) ms" test "$c" = 200
	ct=$(curl -s -o /dev/null -w '%{content_type}' "$A/api/v1/meetings/t/views/$role.jpg")
	check "$role.jpg content type ($ct)" test "$ct" = "image/jpeg"
	probe=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height \
		-of csv=p=0 "$WORK/$role.jpg")
	check "$role.jpg is an MJPEG picture of 640x360 ($probe)" test "$probe" = "mjpeg,640,360"
done

# What the host sees: the two branches (green, blue), never itself (red).
g=$(colour_of "$WORK/host.jpg" 0 green)
b=$(colour_of "$WORK/host.jpg" 0 blue)
r=$(colour_of "$WORK/host.jpg" 0 red)
check "host view shows green ($g) and blue ($b)" bash -c "$(declare -f ge); ge $g 0.1 && ge $b 0.1"
check "host view does not show the host's red ($r)" le "$r" 0.01
# What the branches see: the host, large.
r=$(colour_of "$WORK/branches.jpg" 0 red)
g=$(colour_of "$WORK/branches.jpg" 0 green)
check "branches view shows the host's red ($r)" ge "$r" 0.5
check "branches view does not show a branch ($g)" le "$g" 0.01

# mcuctl view saves the same picture.
MCUCTL=$BUILD/tools/mcuctl/mcuctl
if [ -x "$MCUCTL" ]; then
	"$MCUCTL" --api "127.0.0.1:$api" view t branches -o "$WORK/ctl.jpg" >"$WORK/ctl.txt" 2>&1
	probe=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width \
		-of csv=p=0 "$WORK/ctl.jpg" 2>/dev/null)
	check "mcuctl view t branches saves a JPEG ($probe)" test "$probe" = "mjpeg,640"
	r=$(colour_of "$WORK/ctl.jpg" 0 red)
	check "...of the host ($r)" ge "$r" 0.5
else
	echo "skip - mcuctl not built"
fi

# Many viewers at once: one encode serves them all (same bytes).
burst=()
for k in 1 2 3 4 5 6 7 8; do
	curl -s -o "$WORK/burst$k.jpg" "$A/api/v1/meetings/t/views/host.jpg" &
	burst+=($!)
done
wait "${burst[@]}"
sums=$(md5sum "$WORK"/burst*.jpg | awk '{print $1}' | sort -u | wc -l)
check "8 concurrent viewers get 1 or 2 distinct JPEGs ($sums)" test "$sums" -le 2 -a "$sums" -ge 1

# The dashboard: no token needed to load it, even for the page's files.
c=$(code "$A/" "$WORK/index.html")
check "GET / is 200 ($c)" test "$c" = 200
ct=$(curl -s -o /dev/null -w '%{content_type}' "$A/")
check "GET / is HTML ($ct)" bash -c "[[ '$ct' == text/html* ]]"
check "the page loads its script and style sheet" \
	bash -c "grep -q 'src=\"/dashboard.js\"' '$WORK/index.html' && grep -q 'href=\"/dashboard.css\"' '$WORK/index.html'"
check "the page is Vietnamese by default" grep -q 'lang="vi"' "$WORK/index.html"
c=$(code "$A/dashboard.js" "$WORK/dashboard.js")
check "GET /dashboard.js is 200 ($c)" test "$c" = 200
check "the script uses the event stream" grep -q "EventSource" "$WORK/dashboard.js"
c=$(code "$A/dashboard.css")
check "GET /dashboard.css is 200 ($c)" test "$c" = 200
c=$(code "$A/../../etc/passwd")
check "no other file is served ($c)" test "$c" = 404
if grep -Eq 'https?://' "$WORK/index.html" "$WORK/dashboard.js"; then
	fail "the page names no external resource"
else
	ok "the page names no external resource"
fi

kill -TERM "$MCUD_PID"; wait "$MCUD_PID"; rc=$?
check "mcud stops cleanly (rc=$rc)" test "$rc" = 0
finish
